// @ts-check
// The texts the page makes from numbers and records (voiceguide/serve/static/format.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clock, factsLine, lengthsLine, lengthText, matchesFilter, plural, roughly, voiceLabel, stepSaid,
} from "../../voiceguide/serve/static/format.js";

test("clock: m:ss under an hour, h:mm:ss from an hour, rounded to the nearest second", () => {
  assert.equal(clock(0), "0:00");
  assert.equal(clock(59_499), "0:59");
  assert.equal(clock(59_500), "1:00");
  assert.equal(clock(754_000), "12:34");
  assert.equal(clock(3_600_000), "1:00:00");
  assert.equal(clock(3_725_000), "1:02:05");
});

test("clock: a negative time (past the end) is 0:00", () => {
  assert.equal(clock(-2_000), "0:00");
});

test("roughly: seconds below 90 s, whole minutes from there", () => {
  assert.equal(roughly(45_000), "45 s");
  assert.equal(roughly(89_999), "90 s");
  assert.equal(roughly(90_000), "2 min");
  assert.equal(roughly(12 * 60_000), "12 min");
});

test("stepSaid: the step's number of all and its title, as a screen reader says it", () => {
  assert.equal(stepSaid(2, 12, "Knee to chest — left"), "Step 3 of 12: Knee to chest — left");
  assert.equal(stepSaid(0, 1, "Breathing"), "Step 1 of 1: Breathing");
});

test("plural: one noun, or the noun with s", () => {
  assert.equal(plural(1, "problem"), "1 problem");
  assert.equal(plural(0, "problem"), "0 problems");
  assert.equal(plural(3, "problem"), "3 problems");
});

test("lengthsLine: every preset's clock in order, or measuring", () => {
  assert.equal(lengthsLine({ gentle: 850_000, standard: 720_000, brisk: 620_000 }),
    "gentle 14:10 · standard 12:00 · brisk 10:20");
  assert.equal(lengthsLine(null), "length: measuring…");
  assert.equal(lengthsLine({ gentle: 850_000, brisk: 620_000 }, true), "gentle ≈14:10 · brisk ≈10:20");
});

test("lengthText: a clock, marked ≈ while it is an estimate", () => {
  assert.equal(lengthText(720_000), "12:00");
  assert.equal(lengthText(720_000, false), "12:00");
  assert.equal(lengthText(720_000, true), "≈12:00");
  assert.equal(lengthText(720_000, true, { done: 3, total: 40 }), "≈12:00 (measuring 3/40)");
  assert.equal(lengthText(720_000, false, { done: 1, total: 1 }), "12:00");
});

test("factsLine: source, level and tags, the missing ones left out", () => {
  assert.equal(factsLine({ source: "bundled", level: "gentle", tags: ["back", "morning"] }),
    "bundled · gentle · back · morning");
  assert.equal(factsLine({ source: "user", level: null }), "user");
});

test("matchesFilter: the words typed, in any case, in the name, title or tags", () => {
  const routine = { name: "desk-break", title: "Desk Break", tags: ["Neck", "office"] };
  assert.equal(matchesFilter(routine, ""), true);
  assert.equal(matchesFilter(routine, "   "), true);
  assert.equal(matchesFilter(routine, "  desk b "), true);
  assert.equal(matchesFilter(routine, "NECK"), true);
  assert.equal(matchesFilter(routine, "desk-break"), true);
  assert.equal(matchesFilter(routine, "yoga"), false);
  assert.equal(matchesFilter({ name: "x", title: null }, "null"), false);
});

test("voiceLabel: the first language added unless the name says it", () => {
  assert.equal(voiceLabel({ name: "Joe", languages: ["en-us", "en"] }), "Joe · en-us");
  assert.equal(voiceLabel({ name: "English (en-us)", languages: ["en-us"] }), "English (en-us)");
  assert.equal(voiceLabel({ name: "Plain" }), "Plain");
});
