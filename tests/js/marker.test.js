// @ts-check
// Where the player's marker goes on the timeline picture (voiceguide/serve/static/marker.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { markerX, readSpan, spanAt } from "../../voiceguide/serve/static/marker.js";

test("markerX: a moment is placed by its share of the span, clamped to its ends", () => {
  const span = { startMs: 10_000, endMs: 20_000, x: 8, width: 100 };
  assert.equal(markerX(span, 10_000), 8);
  assert.equal(markerX(span, 15_000), 58);
  assert.equal(markerX(span, 17_500), 83);
  assert.equal(markerX(span, 20_000), 108);
  assert.equal(markerX(span, 0), 8);
  assert.equal(markerX(span, 99_000), 108);
  assert.equal(markerX({ startMs: 5, endMs: 5, x: 3, width: 0 }, 5), 3); // an empty span
});

test("spanAt: the span holding the moment; the last at the end; -1 before the first", () => {
  const spans = [0, 4000, 9000].map((startMs, n, all) => ({ startMs, endMs: all[n + 1] || 12_000, x: 0, width: 1 }));
  assert.equal(spanAt(spans, 0), 0);
  assert.equal(spanAt(spans, 3999), 0);
  assert.equal(spanAt(spans, 4000), 1);
  assert.equal(spanAt(spans, 11_999), 2);
  assert.equal(spanAt(spans, 50_000), 2);
  assert.equal(spanAt(spans, -1), -1);
  assert.equal(spanAt([], 10), -1);
});

test("readSpan: a shape's own x and width, or a group's data-x and data-width", () => {
  /** @param {Record<string, string>} attributes */
  const reader = (attributes) => (/** @type {string} */ name) => (name in attributes ? attributes[name] : null);
  const rect = { "data-start-ms": "1000", "data-end-ms": "3000", x: "8", width: "172.5" };
  assert.deepEqual(readSpan(reader(rect)), { startMs: 1000, endMs: 3000, x: 8, width: 172.5 });
  const group = { "data-start-ms": "0", "data-end-ms": "600000", "data-x": "8", "data-width": "344" };
  assert.deepEqual(readSpan(reader(group)), { startMs: 0, endMs: 600_000, x: 8, width: 344 });
  assert.equal(markerX(readSpan(reader(group)), 300_000), 180);
});
