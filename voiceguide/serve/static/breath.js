// @ts-check
// The breathing guide's arithmetic (pure: no DOM, no clock): how full the lungs are at a
// moment of a breath phase, and the shape's scale for it. The player calls these with
// audio.currentTime, so the guide is exact after a seek, paused, or offline.

/** the shape's scale with empty lungs (full lungs: 1) */
export const EMPTY_SCALE = 0.4;

/**
 * How full the lungs are at `ms` (0 empty … 1 full) in breath phase `phase`: rising through
 * an inhale, full through the hold after it, falling through an exhale, empty through the
 * hold after that. Eased (a half cosine: slow at the turns, as a breath is); null when
 * `phase` is not a breath phase (a hold, a rest, none).
 * @param {import("./timeline.js").Phase | null} phase
 * @param {number} ms  the moment, ms from the session's start
 * @returns {number | null}
 */
export function breathFill(phase, ms) {
  if (!phase || phase.kind !== "breath") return null;
  const length = phase.end_ms - phase.start_ms;
  const through = length > 0 ? Math.min(Math.max((ms - phase.start_ms) / length, 0), 1) : 1;
  const eased = (1 - Math.cos(Math.PI * through)) / 2;
  switch (phase.detail) {
    case "inhale": return eased;
    case "exhale": return 1 - eased;
    case "hold": return 1;
    case "hold_out": return 0;
    default: return null;
  }
}

/**
 * The shape's scale (EMPTY_SCALE … 1) for lungs `fill` full.
 * @param {number} fill  0 … 1
 * @returns {number}
 */
export function breathScale(fill) {
  return EMPTY_SCALE + (1 - EMPTY_SCALE) * fill;
}
