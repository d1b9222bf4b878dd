// @ts-check
// The history's chart and words (voiceguide/serve/static/practice.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { FIRST_REPORT_MS, chartBars, chartSummary, dayName, howFar, minutes, streakText, worthKeeping } from "../../voiceguide/serve/static/practice.js";

/** 25 days from Monday 9 Nov 2026, with `played` ms on the days given. @param {Record<number, number>} played */
function days(played) {
  return Array.from({ length: 25 }, (_, n) => ({
    date: `2026-${n < 22 ? "11" : "12"}-${String(n < 22 ? 9 + n : n - 21).padStart(2, "0")}`,
    played_ms: played[n] || 0,
  }));
}

test("dayName and minutes", () => {
  assert.equal(dayName("2026-11-09"), "Mon 9 Nov");
  assert.equal(dayName("2026-12-03"), "Thu 3 Dec");
  assert.equal(minutes(89_999), 1);
  assert.equal(minutes(90_000), 2);
});

test("chartBars: a slot a day, bars as high as their share of the busiest day", () => {
  const bars = chartBars(days({ 0: 600_000, 3: 150_000, 24: 1000 }), 336, 120);
  assert.equal(bars.length, 25);
  assert.equal(bars[0].height, 120);
  assert.equal(bars[0].y, 0);
  assert.equal(bars[3].height, 30);
  assert.equal(bars[24].height, 2); // a little is still seen
  assert.equal(bars[1].height, 0);
  assert.equal(bars[1].y, 120);
  assert.ok(Math.abs(bars[1].x - bars[0].x - 12) < 1e-9); // 336 / 28 a slot, four weeks whatever today
  assert.ok(bars[24].x + bars[24].width < 336);
  assert.deepEqual(bars.filter((b) => b.monday).map((b) => b.date), ["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]);
  assert.equal(bars[3].label, "Thu 12 Nov: 3 min");
  assert.ok(chartBars(days({}), 336, 120).every((b) => b.height === 0));
});

test("the streak, the summary and how far a session got, in words", () => {
  assert.equal(streakText(1), "Weekly streak: 1 week in a row");
  assert.equal(streakText(3), "Weekly streak: 3 weeks in a row");
  assert.match(streakText(0), /No weekly streak yet/);
  assert.equal(chartSummary(days({ 3: 150_000, 5: 600_000 })),
    "Minutes played each day of the last four weeks: 13 in all, the most on Sat 14 Nov (10).");
  assert.match(chartSummary(days({})), /none yet/);
  const clock = (/** @type {number} */ ms) => `${ms / 1000}s`;
  const stopped = { completed: false, step_index: 2, step_title: "Round 2", stopped_ms: 125_000, duration_ms: 600_000 };
  assert.equal(howFar(stopped, clock), "stopped at step 3, “Round 2” (125s of 600s)");
  assert.equal(howFar({ ...stopped, completed: true }, clock), "completed");
});

test("a play paused in its first seconds is not kept; an end or a kept play always is", () => {
  assert.equal(worthKeeping(0, false, false), false); // autoplay refused: paused at 0:00
  assert.equal(worthKeeping(FIRST_REPORT_MS - 1, false, false), false);
  assert.equal(worthKeeping(FIRST_REPORT_MS, false, false), true);
  assert.equal(worthKeeping(1000, true, false), true);
  assert.equal(worthKeeping(1000, false, true), true); // a play sought back is carried on
});
