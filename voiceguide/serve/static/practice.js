// @ts-check
// The history's chart and words (pure: no DOM): the minutes played each day of the last four
// weeks (GET /api/history's `days`, worked out by the server as `voiceguide history` does).

/** @typedef {{date: string, played_ms: number}} Day */
/**
 * One bar of the chart, in the chart's viewBox units: `label` is what a screen reader and a
 * tooltip say ("Mon 10 Nov: 12 min").
 * @typedef {{x: number, y: number, width: number, height: number, label: string, monday: boolean, date: string}} Bar
 */

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A day's date ("YYYY-MM-DD") as a calendar date (UTC midnight: no time zone moves it).
 * @param {string} text
 */
function calendar(text) {
  const [year, month, day] = text.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

/** Whole minutes of `ms`, rounded (30 s or more is a minute). @param {number} ms */
export const minutes = (ms) => Math.round(ms / 60000);

/**
 * "Mon 10 Nov" for "2026-11-10".
 * @param {string} text
 */
export function dayName(text) {
  const date = calendar(text);
  return `${DAY_NAMES[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/**
 * The bars of `days` in a chart `width` × `height` (a gap of a fifth of a slot between bars);
 * every day has a slot, its bar as high as its share of the busiest day (2 units at least
 * for a day played, 0 for none).
 * @param {Day[]} days
 * @param {number} width
 * @param {number} height
 * @returns {Bar[]}
 */
export function chartBars(days, width, height) {
  const busiest = Math.max(0, ...days.map((d) => d.played_ms));
  const slot = days.length ? width / Math.max(days.length, 28) : 0;
  return days.map((day, index) => {
    const tall = busiest && day.played_ms ? Math.max(2, (day.played_ms / busiest) * height) : 0;
    return {
      x: index * slot + slot * 0.1,
      y: height - tall,
      width: slot * 0.8,
      height: tall,
      label: `${dayName(day.date)}: ${minutes(day.played_ms)} min`,
      monday: calendar(day.date).getUTCDay() === 1,
      date: day.date,
    };
  });
}

/**
 * What the streak says: "3 weeks in a row", or how to start one.
 * @param {number} weeks
 */
export function streakText(weeks) {
  if (weeks <= 0) return "No weekly streak yet: complete a session this week to start one.";
  return `Weekly streak: ${weeks} week${weeks === 1 ? "" : "s"} in a row`;
}

/**
 * The chart's summary for screen readers: the total and the busiest day.
 * @param {Day[]} days
 */
export function chartSummary(days) {
  const total = days.reduce((sum, d) => sum + d.played_ms, 0);
  if (!total) return "Minutes played each day of the last four weeks: none yet.";
  const busiest = days.reduce((best, d) => (d.played_ms > best.played_ms ? d : best), days[0]);
  return `Minutes played each day of the last four weeks: ${minutes(total)} in all, `
    + `the most on ${dayName(busiest.date)} (${minutes(busiest.played_ms)}).`;
}

/**
 * How far a session got, for the list: "completed", or "stopped at step 3 of …".
 * @param {{completed: boolean, step_index: number, step_title: string, stopped_ms: number, duration_ms: number}} played
 * @param {(ms: number) => string} clock
 */
export function howFar(played, clock) {
  if (played.completed) return "completed";
  return `stopped at step ${played.step_index + 1}, “${played.step_title}” (${clock(played.stopped_ms)} of ${clock(played.duration_ms)})`;
}

/** A play paused before this much (ms) of it was heard is not kept: opened, not practised. */
export const FIRST_REPORT_MS = 5000;

/**
 * Whether a pause or end at `positionMs` is reported to the history: an end always, a pause
 * of a play already kept always (it carries its row further), a first pause only from
 * {@link FIRST_REPORT_MS} in (the page pauses at 0:00 when autoplay is refused).
 * @param {number} positionMs  @param {boolean} ended  @param {boolean} kept
 */
export function worthKeeping(positionMs, ended, kept) {
  return ended || kept || positionMs >= FIRST_REPORT_MS;
}
