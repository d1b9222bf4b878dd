// @ts-check
// Where the position marker goes on a timeline picture (pure: no DOM). The picture
// (voiceguide.timeline_svg, GET …/timeline.svg) gives every shape that stands for time its
// data-start-ms and data-end-ms beside its x and width; a moment is placed between them.

/**
 * A stretch of the session drawn from `x` to `x + width` (viewBox units).
 * @typedef {{startMs: number, endMs: number, x: number, width: number}} Span
 */

/**
 * The x of moment `ms` on `span` (clamped to its ends).
 * @param {Span} span
 * @param {number} ms
 * @returns {number}
 */
export function markerX(span, ms) {
  const length = span.endMs - span.startMs;
  if (!(length > 0)) return span.x;
  const share = Math.min(1, Math.max(0, (ms - span.startMs) / length));
  return span.x + share * span.width;
}

/**
 * The index of the span that holds `ms` (each span [startMs, endMs), in time order); the last
 * one at or after the end, -1 before the first or when there is none.
 * @param {Span[]} spans
 * @param {number} ms
 * @returns {number}
 */
export function spanAt(spans, ms) {
  let found = -1;
  for (let index = 0; index < spans.length; index += 1) {
    if (spans[index].startMs <= ms) found = index;
    else break;
  }
  return found;
}

/**
 * A span from an element's attributes (`get(name)`: the attribute's text or null); the
 * x and width are the element's own, or its data-x and data-width (a group has neither).
 * @param {(name: string) => string | null} get
 * @returns {Span}
 */
export function readSpan(get) {
  const number = (/** @type {string} */ name) => Number(get(name) || 0);
  return {
    startMs: number("data-start-ms"),
    endMs: number("data-end-ms"),
    x: get("x") === null ? number("data-x") : number("x"),
    width: get("width") === null ? number("data-width") : number("width"),
  };
}
