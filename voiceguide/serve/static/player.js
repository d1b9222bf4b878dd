// The Player: an <audio> element on the session's mp3. Everything shown is computed from
// audio.currentTime against the session's show --json document, so it cannot drift.
import { api, clock, problem } from "./api.js";

const $ = (id) => document.getElementById(id);
const PHASE_NAMES = { inhale: "Breathe in", hold: "Hold", exhale: "Breathe out", hold_out: "Hold" };
const BACK_TO_START_MS = 3000; // "previous" this far into a step restarts it, earlier goes back one

/** Where `ms` falls in `doc`: chapter index, the phase and the sentence being heard. Pure. */
export function positionAt(doc, ms) {
  const chapters = doc.chapters || [];
  let index = chapters.findIndex((c) => c.start_ms <= ms && ms < c.end_ms);
  if (index < 0) index = ms >= doc.duration_ms ? chapters.length - 1 : 0;
  const inside = (item) => item.start_ms <= ms && ms < item.end_ms;
  const speech = (doc.events || []).find((e) => e.kind === "speech" && inside(e)) || null;
  const phase = (doc.phases || []).find(inside) || null;
  return { index, chapter: chapters[index] || null, next: chapters[index + 1] || null, speech, phase };
}

/** "Bridges — round 1 of 6" → ["Bridges", "round 1 of 6"]; a plain title has no part. */
export function splitTitle(title) {
  const at = title.lastIndexOf(" — ");
  return at < 0 ? [title, ""] : [title.slice(0, at), title.slice(at + 3)];
}

/** The phase being counted down (hold, rest, breath) as [label, whole seconds left]; without
 * phases in the document, the pause before the next word. */
function countdown(doc, where, ms) {
  const { phase } = where;
  if (phase) {
    const left = Math.ceil((phase.end_ms - ms) / 1000);
    if (phase.kind !== "breath") return [phase.kind === "rest" ? "Rest" : "Hold", left];
    const cycles = cyclesOf(doc, phase);
    const cycle = phase.cycle ? ` · breath ${phase.cycle}${cycles ? ` of ${cycles}` : ""}` : "";
    return [`${PHASE_NAMES[phase.detail] || phase.detail}${cycle}`, left];
  }
  if (where.speech || !where.chapter) return ["", null];
  const upcoming = (doc.events || []).find((e) => e.start_ms > ms);
  const until = Math.min(upcoming ? upcoming.start_ms : doc.duration_ms, where.chapter.end_ms);
  const left = Math.ceil((until - ms) / 1000);
  return left >= 2 ? ["Hold", left] : ["", null];
}

/** How many breath cycles the chapter of `phase` has (0 when unknown). */
function cyclesOf(doc, phase) {
  let most = 0;
  for (const other of doc.phases || []) {
    if (other.chapter === phase.chapter && other.kind === "breath") most = Math.max(most, other.cycle || 0);
  }
  return most;
}

export class Player {
  constructor(notify) {
    this.notify = notify;
    this.audio = $("audio");
    this.doc = null;
    this.id = null;
    this.shown = -1; // chapter index last drawn (media metadata follows it)
    this.wakeLock = null;
    this.savedAt = 0;
    this.drawnAt = -Infinity; // ms last drawn
    this.wireControls();
  }

  wireControls() {
    const audio = this.audio;
    $("toggle").addEventListener("click", () => this.toggle());
    $("next").addEventListener("click", () => this.next());
    $("prev").addEventListener("click", () => this.previous());
    $("restart").addEventListener("click", () => { this.seek(0); $("resume").hidden = true; });
    audio.addEventListener("timeupdate", () => { this.draw(); this.remember(false); });
    audio.addEventListener("seeked", () => { this.draw(); this.remember(true); });
    audio.addEventListener("play", () => { this.draw(); this.holdScreen(true); });
    audio.addEventListener("pause", () => { this.draw(); this.holdScreen(false); this.remember(true); });
    audio.addEventListener("ended", () => { this.draw(); this.holdScreen(false); this.forget(); });
    audio.addEventListener("loadedmetadata", () => this.restore());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !audio.paused) this.holdScreen(true);
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
    if ("mediaSession" in navigator) {
      const actions = {
        play: () => audio.play(),
        pause: () => audio.pause(),
        nexttrack: () => this.next(),
        previoustrack: () => this.previous(),
        seekto: (details) => this.seek(details.seekTime * 1000),
        seekforward: () => this.seek(this.ms() + 10_000),
        seekbackward: () => this.seek(this.ms() - 10_000),
      };
      for (const [action, handler] of Object.entries(actions)) {
        try { navigator.mediaSession.setActionHandler(action, handler); } catch { /* not supported here */ }
      }
    }
    audio.addEventListener("seeking", () => this.draw());
    const bar = $("position"); // drag to seek; the audio clock does not move it meanwhile
    bar.addEventListener("input", () => {
      this.dragging = true;
      if (this.doc) this.seek(Math.round((Number(bar.value) / 1000) * this.doc.duration_ms));
    });
    bar.addEventListener("change", () => { this.dragging = false; });
    const everyFrame = () => { // smoother countdowns than timeupdate's 4 Hz; catches every seek
      if (this.doc && Math.abs(this.ms() - this.drawnAt) >= 100) this.draw(); // 10 Hz is plenty
      requestAnimationFrame(everyFrame);
    };
    requestAnimationFrame(everyFrame);
  }

  active() { return Boolean(this.doc) && !$("player").hidden; }

  onKey(event) {
    if (!this.active() || event.target.closest("input, textarea, select")) return;
    const actions = { " ": () => this.toggle(), n: () => this.next(), ArrowRight: () => this.next(),
      p: () => this.previous(), ArrowLeft: () => this.previous() };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
  }

  ms() { return Math.round(this.audio.currentTime * 1000); }
  key() { return `voiceguide.position.${this.id}`; }

  /** Open session `id`: wait for its render, then load its audio and document. */
  async open(id, autoplay) {
    if (this.id === id && this.doc) { // back in the player of the session already loaded
      if (autoplay) this.audio.play().catch(() => { /* the play button is right there */ });
      return;
    }
    this.close();
    this.id = id;
    $("stage").hidden = true;
    $("render").hidden = false;
    $("player-routine").textContent = "";
    const session = await this.waitForRender(id);
    if (!session || this.id !== id) return;
    this.doc = session.doc;
    this.shown = -1;
    $("render").hidden = true;
    $("stage").hidden = false;
    $("player-routine").textContent = session.title || this.doc.title || "";
    $("insecure").hidden = window.isSecureContext;
    this.audio.src = session.audio;
    keepOffline(session);
    this.draw();
    if (autoplay) this.audio.play().catch(() => { /* the play button is right there */ });
  }

  close() {
    this.audio.pause();
    this.doc = null;
    this.id = null;
    this.stopListening();
  }

  /** The session once ready; while it renders, progress from server-sent events, or from
   * polling when those fail. A ready (or kept offline) session opens no event stream. */
  waitForRender(id) {
    return new Promise((resolve) => {
      const finish = (session) => {
        this.stopListening();
        resolve(session);
      };
      const check = async () => {
        const result = await api.session(id);
        if (this.id !== id) return finish(null);
        if (!result.ok) { this.notify(problem(result)); return finish(null); }
        const session = result.body;
        $("render-progress").value = session.progress || 0;
        if (session.status === "ready") return finish(session);
        if (session.status === "failed") { this.notify(session.error || "The session could not be made."); return finish(null); }
        if (!this.events && "EventSource" in window && !this.polling) this.listen(id, check);
        else if (!this.events) this.poller = setTimeout(check, 1000);
      };
      this.polling = false;
      check();
    });
  }

  listen(id, check) {
    this.events = new EventSource(`/api/sessions/${encodeURIComponent(id)}/events`);
    this.events.addEventListener("progress", (event) => {
      const value = readProgress(event.data);
      if (value !== null) $("render-progress").value = value;
    });
    const settled = () => { this.stopListening(); check(); };
    this.events.addEventListener("ready", settled);
    this.events.addEventListener("failed", settled);
    this.events.onerror = () => { this.polling = true; settled(); }; // no SSE (or it dropped): poll
  }

  stopListening() {
    if (this.events) this.events.close();
    this.events = null;
    clearTimeout(this.poller);
  }

  toggle() {
    if (!this.doc) return;
    if (this.audio.paused) this.audio.play().catch((error) => this.notify(`Cannot play: ${error.message}`));
    else this.audio.pause();
  }

  seek(ms) {
    if (!this.doc) return;
    const clamped = Math.min(Math.max(ms, 0), this.doc.duration_ms);
    this.audio.currentTime = clamped / 1000;
    this.draw(clamped);
  }

  next() {
    if (!this.doc) return;
    const { next } = positionAt(this.doc, this.ms());
    if (next) this.seek(next.start_ms);
  }

  previous() {
    if (!this.doc) return;
    const ms = this.ms();
    const { index, chapter } = positionAt(this.doc, ms);
    const earlier = this.doc.chapters[index - 1];
    if (chapter && (ms - chapter.start_ms > BACK_TO_START_MS || !earlier)) this.seek(chapter.start_ms);
    else if (earlier) this.seek(earlier.start_ms);
  }

  /** Draw the stage for the audio clock (or `ms` right after a seek). */
  draw(ms = this.ms()) {
    const doc = this.doc;
    if (!doc) return;
    this.drawnAt = ms;
    const where = positionAt(doc, ms);
    const chapters = doc.chapters || [];
    const [step, part] = splitTitle(where.chapter ? where.chapter.title : doc.title);
    $("stage").dataset.chapter = String(where.index);
    $("step-number").textContent = `Step ${where.index + 1} of ${chapters.length}`;
    $("step-title").textContent = step;
    $("step-part").textContent = part;
    const [label, left] = countdown(doc, where, ms);
    $("phase").textContent = label;
    $("countdown").textContent = left === null ? "" : String(left);
    $("sentence").textContent = where.speech ? where.speech.text : "";
    $("next-title").textContent = where.next ? where.next.title : "the end";
    $("elapsed").textContent = clock(ms);
    $("remaining").textContent = `-${clock(doc.duration_ms - ms)}`;
    if (!this.dragging) $("position").value = String(doc.duration_ms ? Math.round((ms / doc.duration_ms) * 1000) : 0);
    const playing = !this.audio.paused;
    $("toggle").classList.toggle("playing", playing);
    $("toggle").setAttribute("aria-label", playing ? "Pause" : "Play");
    if (where.index !== this.shown) this.announce(where.index);
    this.positionState(ms);
  }

  /** Lock-screen metadata: the title is the chapter being heard. */
  announce(index) {
    this.shown = index;
    if (!("mediaSession" in navigator) || !window.MediaMetadata) return;
    const chapter = this.doc.chapters[index];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: chapter ? chapter.title : this.doc.title,
      artist: "voiceguide",
      album: this.doc.title,
      artwork: [
        { src: "/static/icon-192.png", sizes: "192x192", type: "image/png" },
        { src: "/static/icon-512.png", sizes: "512x512", type: "image/png" },
      ],
    });
  }

  positionState(ms) {
    if (!("mediaSession" in navigator) || !navigator.mediaSession.setPositionState) return;
    navigator.mediaSession.playbackState = this.audio.paused ? "paused" : "playing";
    try {
      navigator.mediaSession.setPositionState({
        duration: this.doc.duration_ms / 1000, position: Math.min(ms, this.doc.duration_ms) / 1000,
        playbackRate: this.audio.playbackRate || 1,
      });
    } catch { /* duration not known yet */ }
  }

  /** Keep the screen on while playing (Screen Wake Lock); released on pause. */
  async holdScreen(on) {
    if (!("wakeLock" in navigator)) return;
    if (!on) {
      if (this.wakeLock) this.wakeLock.release().catch(() => {});
      this.wakeLock = null;
      return;
    }
    if (this.wakeLock && !this.wakeLock.released) return;
    try {
      this.wakeLock = await navigator.wakeLock.request("screen");
    } catch { this.wakeLock = null; /* not allowed here (hidden tab, no HTTPS): the page still plays */ }
  }

  /** Store the position (in this browser) at most every 2 s, or now when `now`. */
  remember(now) {
    if (!this.doc || !this.id) return;
    const stamp = Date.now();
    if (!now && stamp - this.savedAt < 2000) return;
    this.savedAt = stamp;
    try { localStorage.setItem(this.key(), String(this.ms())); } catch { /* private mode */ }
  }

  forget() {
    try { localStorage.removeItem(this.key()); } catch { /* private mode */ }
  }

  /** Back where this browser stopped last time, unless that was the very start or the end. */
  restore() {
    let saved = 0;
    try { saved = Number(localStorage.getItem(this.key()) || 0); } catch { saved = 0; }
    if (saved > 5000 && saved < this.doc.duration_ms - 5000) {
      this.seek(saved);
      $("resume").hidden = false;
    } else {
      $("resume").hidden = true;
    }
  }
}

function readProgress(data) {
  try {
    const parsed = JSON.parse(data);
    const value = typeof parsed === "number" ? parsed : parsed.progress;
    return typeof value === "number" ? value : null;
  } catch { return null; }
}

/** Ask the service worker to keep this session's audio and document for offline play. */
function keepOffline(session) {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return;
  navigator.serviceWorker.controller.postMessage({
    type: "keep-session",
    urls: [session.audio, `/api/sessions/${encodeURIComponent(session.id)}`, session.chapters, session.subtitles]
      .filter(Boolean),
  });
}

