// @ts-check
// Positions in a session's timeline and what the player shows for them
// (voiceguide/serve/static/timeline.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BACK_TO_START_MS, clampMs, countdown, cyclesOf, nextStart, positionAt, previousStart, readEvent, readProgress,
  resumeFrom, sliderMs, sliderValue, splitTitle,
} from "../../voiceguide/serve/static/timeline.js";

/** @typedef {import("../../voiceguide/serve/static/timeline.js").TimelineDoc} TimelineDoc */

/**
 * Three chapters: an introduction (speech, then a 4 s silence), a hold with a cue, and two
 * breath cycles of 4-2-4 s; the last chapter ends with the session (as compile() closes them).
 * @type {TimelineDoc}
 */
const DOC = {
  title: "Morning",
  duration_ms: 40_000,
  chapters: [
    { title: "Introduction", start_ms: 0, end_ms: 6_000 },
    { title: "Bridges — round 1 of 2", start_ms: 6_000, end_ms: 20_000 },
    { title: "Breathing", start_ms: 20_000, end_ms: 40_000 },
  ],
  events: [
    { start_ms: 0, end_ms: 2_000, kind: "speech", text: "Welcome.", step: "Introduction", chapter: 0 },
    { start_ms: 6_000, end_ms: 8_000, kind: "speech", text: "Lift your hips.", step: "Bridges", chapter: 1 },
    { start_ms: 13_000, end_ms: 14_000, kind: "speech", text: "Halfway.", step: "Bridges", chapter: 1 },
    { start_ms: 18_000, end_ms: 18_500, kind: "chime", text: "", step: "Bridges", chapter: 1 },
    { start_ms: 20_000, end_ms: 20_800, kind: "speech", text: "Breathe.", step: "Breathing", chapter: 2 },
  ],
  phases: [
    { kind: "hold", start_ms: 8_000, end_ms: 18_000, chapter: 1, detail: "", cycle: 0 },
    { kind: "rest", start_ms: 18_500, end_ms: 20_000, chapter: 1, detail: "", cycle: 0 },
    { kind: "breath", start_ms: 21_000, end_ms: 25_000, chapter: 2, detail: "inhale", cycle: 1 },
    { kind: "breath", start_ms: 25_000, end_ms: 27_000, chapter: 2, detail: "hold", cycle: 1 },
    { kind: "breath", start_ms: 27_000, end_ms: 31_000, chapter: 2, detail: "exhale", cycle: 1 },
    { kind: "breath", start_ms: 31_000, end_ms: 35_000, chapter: 2, detail: "inhale", cycle: 2 },
    { kind: "breath", start_ms: 35_000, end_ms: 37_000, chapter: 2, detail: "hold_out", cycle: 2 },
  ],
};

test("positionAt: the chapter is the one whose [start, end) holds the moment", () => {
  assert.equal(positionAt(DOC, 0).index, 0);
  assert.equal(positionAt(DOC, 5_999).index, 0);
  assert.equal(positionAt(DOC, 6_000).index, 1); // a chapter's end belongs to the next one
  assert.equal(positionAt(DOC, 39_999).chapter?.title, "Breathing");
});

test("positionAt: before the start is the first chapter; at or past the end the last", () => {
  assert.equal(positionAt(DOC, -500).index, 0);
  const end = positionAt(DOC, DOC.duration_ms);
  assert.equal(end.index, 2);
  assert.equal(end.next, null);
  assert.equal(positionAt(DOC, DOC.duration_ms + 5_000).index, 2);
});

test("positionAt: in a gap between chapters, the chapter last begun (never back to the first)", () => {
  const gappy = { title: "", duration_ms: 30_000, chapters: [
    { title: "A", start_ms: 0, end_ms: 10_000 }, { title: "B", start_ms: 12_000, end_ms: 20_000 },
    { title: "C", start_ms: 20_000, end_ms: 28_000 }] };
  assert.equal(positionAt(gappy, 11_000).chapter?.title, "A");
  assert.equal(positionAt(gappy, 29_000).chapter?.title, "C");
});

test("positionAt: the next chapter, the sentence heard (not a chime) and the phase", () => {
  const at = positionAt(DOC, 13_500);
  assert.equal(at.next?.title, "Breathing");
  assert.equal(at.speech?.text, "Halfway.");
  assert.equal(at.phase?.kind, "hold");
  const chime = positionAt(DOC, 18_200);
  assert.equal(chime.speech, null);
  assert.equal(chime.phase, null);
});

test("positionAt: a document without chapters, events or phases", () => {
  const at = positionAt({ title: "Empty", duration_ms: 0 }, 0);
  assert.deepEqual(at, { index: 0, chapter: null, next: null, speech: null, phase: null });
});

test("splitTitle: the part after the last dash is the round or side", () => {
  assert.deepEqual(splitTitle("Bridges — round 1 of 6"), ["Bridges", "round 1 of 6"]);
  assert.deepEqual(splitTitle("A — B — left side"), ["A — B", "left side"]);
  assert.deepEqual(splitTitle("Breathing"), ["Breathing", ""]);
  assert.deepEqual(splitTitle("Cat-cow"), ["Cat-cow", ""]);
});

test("cyclesOf: the highest breath cycle of the phase's chapter", () => {
  const phase = (DOC.phases || [])[2];
  assert.equal(cyclesOf(DOC, phase), 2);
  assert.equal(cyclesOf({ title: "", duration_ms: 0, phases: [] }, phase), 0);
});

test("countdown: a hold or rest counts whole seconds left, rounded up", () => {
  const at = (/** @type {number} */ ms) => countdown(DOC, positionAt(DOC, ms), ms);
  assert.deepEqual(at(8_000), ["Hold", 10]);
  assert.deepEqual(at(8_001), ["Hold", 10]);
  assert.deepEqual(at(16_999), ["Hold", 2]);
  assert.deepEqual(at(17_000), ["Hold", 1]);
  assert.deepEqual(at(18_500), ["Rest", 2]);
});

test("countdown: a breath phase names itself and its cycle of the chapter's cycles", () => {
  const at = (/** @type {number} */ ms) => countdown(DOC, positionAt(DOC, ms), ms);
  assert.deepEqual(at(21_000), ["Breathe in · breath 1 of 2", 4]);
  assert.deepEqual(at(26_000), ["Hold · breath 1 of 2", 1]);
  assert.deepEqual(at(28_500), ["Breathe out · breath 1 of 2", 3]);
  assert.deepEqual(at(36_000), ["Hold · breath 2 of 2", 1]);
});

test("countdown: during speech nothing; a silence of 2 s or more before the next sound is a hold", () => {
  const at = (/** @type {number} */ ms) => countdown(DOC, positionAt(DOC, ms), ms);
  assert.deepEqual(at(1_000), ["", null]); // "Welcome." is being said
  assert.deepEqual(at(2_000), ["Hold", 4]); // until the chapter ends at 6 s
  assert.deepEqual(at(4_999), ["Hold", 2]); // 1.001 s left is "2" (rounded up)
  assert.deepEqual(at(5_000), ["", null]); // 1 s left: no countdown
  assert.deepEqual(at(38_000), ["Hold", 2]); // no sound after: the chapter's end
});

test("nextStart: the next chapter's start; none in the last", () => {
  assert.equal(nextStart(DOC, 0), 6_000);
  assert.equal(nextStart(DOC, 19_999), 20_000);
  assert.equal(nextStart(DOC, 30_000), null);
});

test("previousStart: this chapter's start once past BACK_TO_START_MS into it, else the one before", () => {
  assert.equal(previousStart(DOC, 6_000 + BACK_TO_START_MS + 1), 6_000);
  assert.equal(previousStart(DOC, 6_000 + BACK_TO_START_MS), 0);
  assert.equal(previousStart(DOC, 7_000), 0);
  assert.equal(previousStart(DOC, 1_000), 0); // the first chapter: its own start
  assert.equal(previousStart({ title: "", duration_ms: 0 }, 0), null);
});

test("clampMs keeps a seek inside the session", () => {
  assert.equal(clampMs(DOC, -10_000), 0);
  assert.equal(clampMs(DOC, 12_345), 12_345);
  assert.equal(clampMs(DOC, 99_000), 40_000);
});

test("slider: ms to 0…1000 and back, within a slider step", () => {
  assert.equal(sliderValue(0, 41_500), 0);
  assert.equal(sliderValue(20_750, 41_500), 500);
  assert.equal(sliderValue(41_500, 41_500), 1000);
  assert.equal(sliderValue(5, 0), 0); // no length yet
  assert.equal(sliderMs(500, 41_500), 20_750);
  for (const ms of [0, 1, 999, 12_345, 41_499]) {
    assert.ok(Math.abs(sliderMs(sliderValue(ms, 41_500), 41_500) - ms) <= 41_500 / 2000 + 1);
  }
});

test("resumeFrom: a stored position resumes unless within 5 s of either end", () => {
  assert.equal(resumeFrom(12_000, 60_000), 12_000);
  assert.equal(resumeFrom(5_000, 60_000), null);
  assert.equal(resumeFrom(5_001, 60_000), 5_001);
  assert.equal(resumeFrom(55_000, 60_000), null);
  assert.equal(resumeFrom(Number("junk"), 60_000), null);
});

test("readProgress: a session's JSON or a bare number; anything else is null", () => {
  assert.equal(readProgress('{"status": "rendering", "progress": 0.25}'), 0.25);
  assert.equal(readProgress("0.5"), 0.5);
  assert.equal(readProgress('{"status": "ready"}'), null);
  assert.equal(readProgress("null"), null);
  assert.equal(readProgress("not json"), null);
});

test("readEvent: a render's progress and whether its beginning plays live", () => {
  assert.deepEqual(readEvent('{"progress": 0.25, "live": "/audio/x.live.mp3"}'), { progress: 0.25, live: true });
  assert.deepEqual(readEvent('{"progress": 0.5, "live": null}'), { progress: 0.5, live: false });
  assert.deepEqual(readEvent("0.75"), { progress: 0.75, live: false });
  assert.deepEqual(readEvent("not json"), { progress: null, live: false });
});
