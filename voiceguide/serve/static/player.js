// @ts-check
// The Player: an <audio> element on the session's mp3. Everything shown is computed from
// audio.currentTime against the session's show --json document (timeline.js), so it cannot drift.
import { api, problem } from "./api.js";
import { breathFill, breathScale } from "./breath.js";
import { $ } from "./dom.js";
import { clock, stepSaid } from "./format.js";
import {
  clampMs, countdown, nextStart, positionAt, previousStart, readEvent, resumeFrom, sliderMs, sliderValue,
  splitTitle,
} from "./timeline.js";

/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./timeline.js").TimelineDoc} TimelineDoc */

export class Player {
  /** @param {(message: string) => void} notify  says a message on the page */
  constructor(notify) {
    this.notify = notify;
    this.audio = $("audio", HTMLAudioElement);
    /** @type {TimelineDoc | null} the open session's document (null: none open yet) */
    this.doc = null;
    /** @type {string | null} the open session's id */
    this.id = null;
    this.shown = -1; // chapter index last drawn (media metadata and the step said follow it)
    /** @type {import("./timeline.js").Phase | null} the phase last drawn (the breathing guide follows it every frame) */
    this.phase = null;
    /** @type {WakeLockSentinel | null} */
    this.wakeLock = null;
    this.savedAt = 0; // Date.now() ms of the position last stored
    this.drawnAt = -Infinity; // ms last drawn
    this.dragging = false; // the slider is held: the audio clock does not move it
    /** @type {EventSource | null} the render's progress events */
    this.events = null;
    this.polling = false; // the events failed: the session is polled
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.poller = undefined;
    this.live = false; // playing the beginning of a session still rendering (no seeking yet)
    /** @type {{at: number, playing: boolean} | null} where to carry on once the rendered file loads */
    this.carryOn = null;
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
    audio.addEventListener("loadedmetadata", () => this.loaded());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !audio.paused) this.holdScreen(true);
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
    if ("mediaSession" in navigator) {
      /** @type {[MediaSessionAction, MediaSessionActionHandler][]} */
      const actions = [
        ["play", () => { audio.play().catch(() => { /* interrupted by a pause, or not allowed: the button is there */ }); }],
        ["pause", () => audio.pause()],
        ["nexttrack", () => this.next()],
        ["previoustrack", () => this.previous()],
        ["seekto", (details) => this.seek((details.seekTime || 0) * 1000)],
        ["seekforward", () => this.seek(this.ms() + 10_000)],
        ["seekbackward", () => this.seek(this.ms() - 10_000)],
      ];
      for (const [action, handler] of actions) {
        try { navigator.mediaSession.setActionHandler(action, handler); } catch { /* not supported here */ }
      }
    }
    audio.addEventListener("seeking", () => this.draw());
    const bar = $("position", HTMLInputElement); // drag to seek; the audio clock does not move it meanwhile
    bar.addEventListener("input", () => {
      this.dragging = true;
      if (this.doc) this.seek(sliderMs(Number(bar.value), this.doc.duration_ms));
    });
    bar.addEventListener("change", () => { this.dragging = false; });
    const everyFrame = () => { // smoother countdowns than timeupdate's 4 Hz; catches every seek
      if (this.doc && Math.abs(this.ms() - this.drawnAt) >= 100) this.draw(); // 10 Hz is plenty for text
      else if (this.doc) this.drawBreath(this.phase, this.ms()); // the guide's shape moves every frame
      requestAnimationFrame(everyFrame);
    };
    requestAnimationFrame(everyFrame);
  }

  active() { return Boolean(this.doc) && !$("player").hidden; }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    if (!this.active() || (event.target instanceof Element && event.target.closest("input, textarea, select"))) return;
    /** @type {Record<string, () => void>} */
    const actions = { " ": () => this.toggle(), n: () => this.next(), ArrowRight: () => this.next(),
      p: () => this.previous(), ArrowLeft: () => this.previous() };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
  }

  ms() { return Math.round(this.audio.currentTime * 1000); }
  key() { return `voiceguide.position.${this.id}`; }

  /**
   * Open session `id`: wait for its render, then load its audio and document.
   * @param {string} id
   * @param {boolean} autoplay  start playing once loaded
   */
  async open(id, autoplay) {
    if (this.id === id && this.doc) { // back in the player of the session already loaded
      if (autoplay) this.begin();
      return;
    }
    this.close();
    this.id = id;
    $("stage").hidden = true;
    $("render").hidden = false;
    $("player-routine").textContent = "";
    const session = await this.waitForRender(id, true);
    if (!session || this.id !== id) return;
    const live = session.status === "rendering" && session.live && session.live_doc;
    const doc = live ? session.live_doc : session.doc;
    if (!doc) { this.notify("The session has no timeline."); return; }
    this.doc = doc;
    this.live = Boolean(live);
    this.shown = -1;
    $("render").hidden = true;
    $("stage").hidden = false;
    $("player-routine").textContent = session.title || this.doc.title || "";
    $("insecure").hidden = window.isSecureContext;
    this.audio.src = live && session.live ? session.live : session.audio;
    $("stage").dataset.live = String(this.live); // (tests and styles: "true" while it streams)
    if (live) this.followRender(id); // the rendered file replaces the stream when ready
    else keepOffline(session);
    this.draw();
    if (autoplay) this.begin();
  }

  /** Play at once (Play in the routine view was pressed): focus on Pause, so Enter there leads on. */
  begin() {
    $("toggle").focus();
    this.audio.play().catch(() => { /* the play button is right there */ });
  }

  /**
   * While the beginning plays live, wait for the render; then carry on in the rendered file
   * at the same place (the same samples), with its final document and seeking.
   * @param {string} id
   */
  async followRender(id) {
    const session = await this.waitForRender(id, false);
    if (!session || this.id !== id || !session.doc) return;
    this.carryOn = { at: this.audio.currentTime, playing: !this.audio.paused };
    this.live = false;
    this.doc = session.doc;
    this.audio.src = session.audio;
    keepOffline(session);
    this.draw(Math.round(this.carryOn.at * 1000));
  }

  /** The audio's metadata is in: carry on after the live stream, or back where this browser stopped. */
  loaded() {
    const carryOn = this.carryOn;
    if (carryOn) {
      this.carryOn = null;
      this.audio.currentTime = carryOn.at;
      if (carryOn.playing) this.audio.play().catch(() => { /* the play button is right there */ });
      $("stage").dataset.live = "false";
      return;
    }
    if (!this.live) this.restore();
  }

  close() {
    this.audio.pause();
    this.doc = null;
    this.id = null;
    this.stopListening();
  }

  /** The session once ready; while it renders, progress from server-sent events, or from
   * polling when those fail. A ready (or kept offline) session opens no event stream.
   * @param {string} id
   * @param {boolean} [orLive]  also answer a session still rendering once its beginning plays live
   * @returns {Promise<Session | null>} null: it failed, or another session was opened
   */
  waitForRender(id, orLive = false) {
    return new Promise((resolve) => {
      /** @param {Session | null} session */
      const finish = (session) => {
        this.stopListening();
        resolve(session);
      };
      const check = async () => {
        const result = await api.session(id);
        if (this.id !== id) return finish(null);
        if (!result.ok) { this.notify(problem(result)); return finish(null); }
        const session = result.body;
        $("render-progress", HTMLProgressElement).value = session.progress || 0;
        if (session.status === "ready") return finish(session);
        if (orLive && session.status === "rendering" && session.live && session.live_doc) return finish(session);
        if (session.status === "failed") { this.notify(session.error || "The session could not be made."); return finish(null); }
        if (!this.events && "EventSource" in window && !this.polling) this.listen(id, check, orLive);
        else if (!this.events) this.poller = setTimeout(check, 1000);
      };
      this.polling = false;
      check();
    });
  }

  /**
   * Follow session `id`'s render by server-sent events; `check` once it settles.
   * @param {string} id
   * @param {() => void} check
   * @param {boolean} orLive  settle too once the session's beginning plays live
   */
  listen(id, check, orLive) {
    const events = new EventSource(`/api/sessions/${encodeURIComponent(id)}/events`);
    this.events = events;
    const settled = () => { this.stopListening(); check(); };
    events.addEventListener("progress", (event) => {
      const { progress, live } = readEvent(event.data);
      if (progress !== null) $("render-progress", HTMLProgressElement).value = progress;
      if (orLive && live) settled();
    });
    events.addEventListener("ready", settled);
    events.addEventListener("failed", settled);
    events.onerror = () => { this.polling = true; settled(); }; // no SSE (or it dropped): poll
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

  /** @param {number} ms  where to go (clamped to the session) */
  seek(ms) {
    if (!this.doc) return;
    if (this.live) { this.notify("Skipping works in a moment, once the session is ready."); return; }
    const clamped = clampMs(this.doc, ms);
    this.audio.currentTime = clamped / 1000;
    this.draw(clamped);
  }

  next() {
    if (!this.doc) return;
    const to = nextStart(this.doc, this.ms());
    if (to !== null) this.seek(to);
  }

  previous() {
    if (!this.doc) return;
    const to = previousStart(this.doc, this.ms());
    if (to !== null) this.seek(to);
  }

  /** Draw the stage for the audio clock (or `ms` right after a seek). @param {number} [ms] */
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
    this.phase = where.phase;
    this.drawBreath(where.phase, ms);
    $("next-title").textContent = where.next ? where.next.title : "the end";
    $("elapsed").textContent = clock(ms);
    $("remaining").textContent = `-${clock(doc.duration_ms - ms)}`;
    if (!this.dragging) $("position", HTMLInputElement).value = String(sliderValue(ms, doc.duration_ms));
    const playing = !this.audio.paused;
    $("toggle").classList.toggle("playing", playing);
    $("toggle").setAttribute("aria-label", playing ? "Pause" : "Play");
    if (where.index !== this.shown) this.announce(where.index);
    this.positionState(ms);
  }

  /**
   * The breathing guide at `ms`: the disc's scale (or the bar's fill, with reduced motion)
   * for how full the lungs are in `phase`; hidden outside breath phases.
   * @param {import("./timeline.js").Phase | null} phase
   * @param {number} ms
   */
  drawBreath(phase, ms) {
    const fill = breathFill(phase, ms);
    const guide = $("breath");
    guide.hidden = fill === null;
    if (fill === null) return;
    guide.dataset.fill = fill.toFixed(3); // (tests)
    $("breath-shape").style.transform = `scale(${breathScale(fill).toFixed(4)})`;
    $("breath-fill").style.transform = `scaleX(${fill.toFixed(4)})`;
  }

  /** A new step: said to screen readers (politely: aria-live) and the lock screen's title. @param {number} index */
  announce(index) {
    const first = this.shown === -1; // the session just opened: its first step is read with the page
    this.shown = index;
    if (!this.doc) return;
    const chapters = this.doc.chapters || [];
    const chapter = chapters[index];
    if (!first) $("step-said").textContent = stepSaid(index, chapters.length, chapter ? chapter.title : this.doc.title);
    if (!("mediaSession" in navigator) || !window.MediaMetadata) return;
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

  /** The lock screen's position bar. @param {number} ms */
  positionState(ms) {
    if (!this.doc || !("mediaSession" in navigator) || !navigator.mediaSession.setPositionState) return;
    navigator.mediaSession.playbackState = this.audio.paused ? "paused" : "playing";
    try {
      navigator.mediaSession.setPositionState({
        duration: this.doc.duration_ms / 1000, position: Math.min(ms, this.doc.duration_ms) / 1000,
        playbackRate: this.audio.playbackRate || 1,
      });
    } catch { /* duration not known yet */ }
  }

  /** Keep the screen on while playing (Screen Wake Lock); released on pause. @param {boolean} on */
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

  /** Store the position (in this browser) at most every 2 s, or now when `now`. @param {boolean} now */
  remember(now) {
    if (!this.doc || !this.id || this.live || this.carryOn) return;
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
    if (!this.doc) return;
    let saved = 0;
    try { saved = Number(localStorage.getItem(this.key()) || 0); } catch { saved = 0; }
    const from = resumeFrom(saved, this.doc.duration_ms);
    if (from !== null) {
      this.seek(from);
      $("resume").hidden = false;
    } else {
      $("resume").hidden = true;
    }
  }
}

/**
 * Ask the service worker to keep this session's audio and document for offline play.
 * @param {Session} session
 */
function keepOffline(session) {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return;
  navigator.serviceWorker.controller.postMessage({
    type: "keep-session",
    urls: [session.audio, `/api/sessions/${encodeURIComponent(session.id)}`, session.chapters, session.subtitles]
      .filter(Boolean),
  });
}

