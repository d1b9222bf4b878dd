// @ts-check
// How the page's modules are kept: the shared state in state.js only, `$` defined once
// (dom.js), every script type-checked.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const STATIC = fileURLToPath(new URL("../../voiceguide/serve/static/", import.meta.url));
const scripts = readdirSync(STATIC).filter((name) => name.endsWith(".js")).sort();
const source = (/** @type {string} */ name) => readFileSync(`${STATIC}${name}`, "utf8");

test("the page's scripts are found", () => {
  assert.ok(scripts.includes("app.js") && scripts.includes("state.js") && scripts.length >= 10, String(scripts));
});

test("no module but state.js keeps state at its top level (no top-level let or var)", () => {
  const offenders = scripts.filter((name) => name !== "state.js" && /^(let|var)\s/m.test(source(name)));
  assert.deepEqual(offenders, []);
});

test("$ is defined once, in dom.js", () => {
  const defining = scripts.filter((name) => /^\s*(export\s+)?(const|let|var|function)\s+\$\s*[=(]/m.test(source(name)));
  assert.deepEqual(defining, ["dom.js"]);
});

test("every script starts with // @ts-check", () => {
  assert.deepEqual(scripts.filter((name) => !source(name).startsWith("// @ts-check\n")), []);
});
