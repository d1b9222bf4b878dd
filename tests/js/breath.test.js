// @ts-check
// The breathing guide's phase → fullness → scale (voiceguide/serve/static/breath.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { EMPTY_SCALE, breathFill, breathScale } from "../../voiceguide/serve/static/breath.js";

/** @typedef {import("../../voiceguide/serve/static/timeline.js").Phase} Phase */

/**
 * A breath phase of 4 s from 10 s.
 * @param {string} detail
 * @returns {Phase}
 */
const breath = (detail) => ({ kind: "breath", start_ms: 10_000, end_ms: 14_000, chapter: 1, detail, cycle: 1 });

test("an inhale fills from empty to full, slowly at the turns", () => {
  const inhale = breath("inhale");
  assert.equal(breathFill(inhale, 10_000), 0);
  assert.ok(Math.abs(/** @type {number} */ (breathFill(inhale, 12_000)) - 0.5) < 1e-9);
  assert.equal(breathFill(inhale, 14_000), 1);
  const first = /** @type {number} */ (breathFill(inhale, 10_400));
  const middle = /** @type {number} */ (breathFill(inhale, 12_400)) - /** @type {number} */ (breathFill(inhale, 12_000));
  assert.ok(first > 0 && first < middle, `${first} ${middle}`); // eased: the first 0.4 s moves less than the middle's
  let last = -1;
  for (let ms = 10_000; ms <= 14_000; ms += 250) { // never shrinks while breathing in
    const fill = /** @type {number} */ (breathFill(inhale, ms));
    assert.ok(fill >= last, `${ms}: ${fill} < ${last}`);
    last = fill;
  }
});

test("an exhale empties, mirroring the inhale", () => {
  const exhale = breath("exhale");
  assert.equal(breathFill(exhale, 10_000), 1);
  assert.equal(breathFill(exhale, 14_000), 0);
  assert.ok(Math.abs(/** @type {number} */ (breathFill(exhale, 11_000)) + /** @type {number} */ (breathFill(breath("inhale"), 11_000)) - 1) < 1e-9);
});

test("a hold rests full, the hold after breathing out rests empty", () => {
  for (const ms of [10_000, 12_000, 13_999]) {
    assert.equal(breathFill(breath("hold"), ms), 1);
    assert.equal(breathFill(breath("hold_out"), ms), 0);
  }
});

test("outside its phase (a seek past it) the fill is clamped; a phase of no length is done", () => {
  assert.equal(breathFill(breath("inhale"), 9_000), 0);
  assert.equal(breathFill(breath("inhale"), 20_000), 1);
  assert.equal(breathFill({ ...breath("exhale"), end_ms: 10_000 }, 10_000), 0);
});

test("no guide outside breathing: a hold, a rest, no phase, an unknown detail", () => {
  assert.equal(breathFill(null, 0), null);
  assert.equal(breathFill({ kind: "hold", start_ms: 0, end_ms: 5_000, chapter: 0, detail: "", cycle: 0 }, 1_000), null);
  assert.equal(breathFill({ kind: "rest", start_ms: 0, end_ms: 5_000, chapter: 0 }, 1_000), null);
  assert.equal(breathFill(breath("sip"), 12_000), null);
});

test("the scale runs from EMPTY_SCALE (empty) to 1 (full)", () => {
  assert.equal(breathScale(0), EMPTY_SCALE);
  assert.equal(breathScale(1), 1);
  assert.ok(Math.abs(breathScale(0.5) - (EMPTY_SCALE + 1) / 2) < 1e-9);
  assert.ok(EMPTY_SCALE > 0 && EMPTY_SCALE < 1);
});
