// @ts-check
// The page's addresses (voiceguide/serve/static/routes.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { editHash, parseRoute, playHash, routineHash } from "../../voiceguide/serve/static/routes.js";

test("parseRoute: each view's hash, with or without its #", () => {
  assert.deepEqual(parseRoute("#/routine/desk-break"), { view: "routine", arg: "desk-break" });
  assert.deepEqual(parseRoute("/play/0123abcd"), { view: "player", arg: "0123abcd" });
  assert.deepEqual(parseRoute("#/edit/desk-break"), { view: "editor", arg: "desk-break" });
  assert.deepEqual(parseRoute("#/edit"), { view: "editor", arg: "" });
  assert.deepEqual(parseRoute("#/history"), { view: "history", arg: "" });
  assert.deepEqual(parseRoute("#/history/x"), { view: "history", arg: "" });
  assert.deepEqual(parseRoute("#/"), { view: "library", arg: "" });
  assert.deepEqual(parseRoute(""), { view: "library", arg: "" });
});

test("parseRoute: a routine or session without its name, or an unknown view, is the library", () => {
  assert.deepEqual(parseRoute("#/routine/"), { view: "library", arg: "" });
  assert.deepEqual(parseRoute("#/play"), { view: "library", arg: "" });
  assert.deepEqual(parseRoute("#/settings/x"), { view: "library", arg: "" });
});

test("parseRoute: the argument is decoded, slashes and all; a broken escape names nothing", () => {
  assert.deepEqual(parseRoute("#/routine/a%20b"), { view: "routine", arg: "a b" });
  assert.deepEqual(parseRoute("#/routine/a/b"), { view: "routine", arg: "a/b" });
  assert.deepEqual(parseRoute("#/routine/%E0%A4%A"), { view: "library", arg: "" });
});

test("the hashes the page links to parse back to their view and argument", () => {
  for (const name of ["desk-break", "a b/c?d#e", "ünï"]) {
    assert.deepEqual(parseRoute(routineHash(name)), { view: "routine", arg: name });
    assert.deepEqual(parseRoute(playHash(name)), { view: "player", arg: name });
    assert.deepEqual(parseRoute(editHash(name)), { view: "editor", arg: name });
  }
  assert.equal(routineHash("a b"), "#/routine/a%20b");
});
