// @ts-check
// Where a moment falls in a session's `show --json` document, and what the player shows for
// it: pure functions of (document, ms), so the display follows audio.currentTime and cannot drift.

/**
 * A sound on the timeline, [start_ms, end_ms): speech (`text` is what is said) or a chime.
 * @typedef {{start_ms: number, end_ms: number, kind: string, text: string, step: string, chapter: number}} TimelineEvent
 */
/**
 * A navigable part: one per step instance (each side and round).
 * @typedef {{title: string, start_ms: number, end_ms: number}} Chapter
 */
/**
 * A timed stretch: a hold, a rest or a breath phase (`detail`: inhale, hold, exhale,
 * hold_out; `cycle`: 1-based breath cycle, 0 otherwise).
 * @typedef {{kind: string, start_ms: number, end_ms: number, chapter: number, detail?: string, cycle?: number, tone?: boolean}} Phase
 */
/**
 * The session's `show --json` document (docs/serve-api.md); times in ms from the start.
 * @typedef {{title: string, duration_ms: number, sample_rate?: number, events?: TimelineEvent[], chapters?: Chapter[], phases?: Phase[]}} TimelineDoc
 */
/**
 * What is happening at a moment: the chapter (and its index), the next chapter, the speech
 * heard and the phase counted, each null when there is none.
 * @typedef {{index: number, chapter: Chapter | null, next: Chapter | null, speech: TimelineEvent | null, phase: Phase | null}} Position
 */

/** @type {Record<string, string>} */
const PHASE_NAMES = { inhale: "Breathe in", hold: "Hold", exhale: "Breathe out", hold_out: "Hold" };
/** "previous" this far (ms) into a step restarts it; earlier goes back one step */
export const BACK_TO_START_MS = 3000;
/** a stored position this close (ms) to the start or the end is not resumed */
export const RESUME_MARGIN_MS = 5000;
/** the position slider's steps over the whole session */
export const SLIDER_STEPS = 1000;

/**
 * @param {{start_ms: number, end_ms: number}} item
 * @param {number} ms
 */
const inside = (item, ms) => item.start_ms <= ms && ms < item.end_ms;

/**
 * Where `ms` falls in `doc`: the chapter (the last one begun: at or after the end, the last;
 * before the first, the first), the next chapter, the speech and the phase at that moment.
 * @param {TimelineDoc} doc
 * @param {number} ms
 * @returns {Position}
 */
export function positionAt(doc, ms) {
  const chapters = doc.chapters || [];
  let index = 0;
  for (let i = 0; i < chapters.length && chapters[i].start_ms <= ms; i++) index = i;
  const speech = (doc.events || []).find((e) => e.kind === "speech" && inside(e, ms)) || null;
  const phase = (doc.phases || []).find((p) => inside(p, ms)) || null;
  return { index, chapter: chapters[index] || null, next: chapters[index + 1] || null, speech, phase };
}

/**
 * "Bridges — round 1 of 6" → ["Bridges", "round 1 of 6"]; a plain title has no part.
 * @param {string} title
 * @returns {[string, string]}
 */
export function splitTitle(title) {
  const at = title.lastIndexOf(" — ");
  return at < 0 ? [title, ""] : [title.slice(0, at), title.slice(at + 3)];
}

/**
 * How many breath cycles the chapter of `phase` has (0 when unknown).
 * @param {TimelineDoc} doc
 * @param {Phase} phase
 * @returns {number}
 */
export function cyclesOf(doc, phase) {
  let most = 0;
  for (const other of doc.phases || []) {
    if (other.chapter === phase.chapter && other.kind === "breath") most = Math.max(most, other.cycle || 0);
  }
  return most;
}

/**
 * The phase being counted down (hold, rest, breath) as [label, whole seconds left, rounded
 * up]; without a phase, the silence before the next sound when it is 2 s or more ("Hold"),
 * else ["", null].
 * @param {TimelineDoc} doc
 * @param {Position} where  positionAt(doc, ms)
 * @param {number} ms
 * @returns {[string, number | null]}
 */
export function countdown(doc, where, ms) {
  const { phase } = where;
  if (phase) {
    const left = Math.ceil((phase.end_ms - ms) / 1000);
    if (phase.kind !== "breath") return [phase.kind === "rest" ? "Rest" : "Hold", left];
    const cycles = cyclesOf(doc, phase);
    const cycle = phase.cycle ? ` · breath ${phase.cycle}${cycles ? ` of ${cycles}` : ""}` : "";
    const detail = phase.detail || "";
    return [`${PHASE_NAMES[detail] || detail}${cycle}`, left];
  }
  if (where.speech || !where.chapter) return ["", null];
  const upcoming = (doc.events || []).find((e) => e.start_ms > ms);
  const until = Math.min(upcoming ? upcoming.start_ms : doc.duration_ms, where.chapter.end_ms);
  const left = Math.ceil((until - ms) / 1000);
  return left >= 2 ? ["Hold", left] : ["", null];
}

/**
 * Where "next" goes from `ms`: the next chapter's start, or null in the last one.
 * @param {TimelineDoc} doc
 * @param {number} ms
 * @returns {number | null}
 */
export function nextStart(doc, ms) {
  const { next } = positionAt(doc, ms);
  return next ? next.start_ms : null;
}

/**
 * Where "previous" goes from `ms`: the start of this chapter when more than
 * BACK_TO_START_MS into it (or in the first one), else the start of the one before.
 * @param {TimelineDoc} doc
 * @param {number} ms
 * @returns {number | null}
 */
export function previousStart(doc, ms) {
  const { index, chapter } = positionAt(doc, ms);
  const earlier = (doc.chapters || [])[index - 1];
  if (chapter && (ms - chapter.start_ms > BACK_TO_START_MS || !earlier)) return chapter.start_ms;
  return earlier ? earlier.start_ms : null;
}

/**
 * `ms` clamped to the session: 0 … duration_ms.
 * @param {TimelineDoc} doc
 * @param {number} ms
 * @returns {number}
 */
export function clampMs(doc, ms) {
  return Math.min(Math.max(ms, 0), doc.duration_ms);
}

/**
 * The slider's value (0 … SLIDER_STEPS) for `ms` of a session of `durationMs`.
 * @param {number} ms
 * @param {number} durationMs
 * @returns {number}
 */
export function sliderValue(ms, durationMs) {
  return durationMs ? Math.round((ms / durationMs) * SLIDER_STEPS) : 0;
}

/**
 * The ms a slider value (0 … SLIDER_STEPS) stands for in a session of `durationMs`.
 * @param {number} value
 * @param {number} durationMs
 * @returns {number}
 */
export function sliderMs(value, durationMs) {
  return Math.round((value / SLIDER_STEPS) * durationMs);
}

/**
 * Where to resume a session of `durationMs` from a stored position (ms), or null when it
 * is within RESUME_MARGIN_MS of the start or the end (or not a number).
 * @param {number} saved
 * @param {number} durationMs
 * @returns {number | null}
 */
export function resumeFrom(saved, durationMs) {
  return saved > RESUME_MARGIN_MS && saved < durationMs - RESUME_MARGIN_MS ? saved : null;
}

/**
 * A render's progress (0 … 1) from a server-sent event's data (the session as JSON, or a
 * bare number); null for anything else.
 * @param {string} data
 * @returns {number | null}
 */
export function readProgress(data) {
  return readEvent(data).progress;
}

/**
 * A render's event: its progress (0 … 1, or null) and whether its beginning plays live.
 * @param {string} data  the event's data: a session snapshot (or a bare number)
 * @returns {{progress: number | null, live: boolean}}
 */
export function readEvent(data) {
  try {
    const parsed = JSON.parse(data);
    const value = typeof parsed === "number" ? parsed : parsed && parsed.progress;
    return { progress: typeof value === "number" ? value : null, live: Boolean(parsed && parsed.live) };
  } catch { return { progress: null, live: false }; }
}
