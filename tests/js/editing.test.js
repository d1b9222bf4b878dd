// @ts-check
// The editor's text work (voiceguide/serve/static/editing.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ROUTINE_NAME, errorCount, lineMarks, offsetAt, scrollTopFor } from "../../voiceguide/serve/static/editing.js";

const TEXT = "title: X\nsteps:\n  - say: hi\n";

test("offsetAt: line:col (1-based) is the offset of that character", () => {
  assert.equal(offsetAt(TEXT, 1, 1), 0);
  assert.equal(offsetAt(TEXT, 2, 1), 9);
  assert.equal(TEXT.slice(offsetAt(TEXT, 3, 5), offsetAt(TEXT, 3, 8)), "say");
});

test("offsetAt: a column past the line's end is its end; a line past the text is the text's end", () => {
  assert.equal(offsetAt(TEXT, 1, 99), 8);
  assert.equal(offsetAt(TEXT, 1, 0), 0);
  assert.equal(offsetAt(TEXT, 40, 3), TEXT.length);
  assert.equal(offsetAt("", 1, 1), 0);
});

test("lineMarks: an error wins over a warning on its line; line 0 marks nothing", () => {
  const marks = lineMarks([
    { line: 3, severity: "warning" }, { line: 3, severity: "error" }, { line: 3, severity: "warning" },
    { line: 5, severity: "warning" }, { line: 0, severity: "error" },
  ]);
  assert.deepEqual([...marks], [[3, "error"], [5, "warning"]]);
});

test("errorCount: everything that is not a warning", () => {
  assert.equal(errorCount([{ severity: "warning" }, { severity: "error" }, { severity: "fatal" }]), 2);
  assert.equal(errorCount([]), 0);
});

test("ROUTINE_NAME: the server's allow-list of routine names", () => {
  for (const good of ["a", "desk-break", "x".repeat(64), "9-lives"]) assert.ok(ROUTINE_NAME.test(good), good);
  for (const bad of ["", "-a", "A", "a_b", "a b", "x".repeat(65), "../x"]) assert.ok(!ROUTINE_NAME.test(bad), bad);
});

test("scrollTopFor: the line in the middle of the view, 0 near the top", () => {
  assert.equal(scrollTopFor(1, 20, 400), 0);
  assert.equal(scrollTopFor(5, 20, 400), 0); // 80 px down: already in the top half
  assert.equal(scrollTopFor(101, 20, 400), 2000 - 190); // line 101 starts 2000 px down, centred
  const top = scrollTopFor(60, 22.5, 300);
  const lineTop = 59 * 22.5 - top;
  assert.ok(lineTop > 0 && lineTop + 22.5 < 300, `line at ${lineTop} px in a 300 px view`);
});
