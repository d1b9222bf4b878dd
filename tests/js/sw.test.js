// @ts-check
// The service worker (voiceguide/serve/static/sw.js), a classic script, run in a context of
// its own: its Range arithmetic, and that its offline shell holds every file the page loads.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const STATIC = fileURLToPath(new URL("../../voiceguide/serve/static/", import.meta.url));

/** The worker's top-level functions and constants, with the events it listens for. */
function loadWorker() {
  /** @type {string[]} */
  const listened = [];
  const self = { addEventListener: (/** @type {string} */ type) => listened.push(type), location: { origin: "" } };
  const context = vm.createContext({ self, URL, Response });
  // (top-level const bindings are not properties of the context: list them out)
  vm.runInContext(`${readFileSync(`${STATIC}sw.js`, "utf8")}\n;globalThis.exported = { byteRange, SHELL_FILES };`,
    context, { filename: "sw.js" });
  const { byteRange, SHELL_FILES } = context.exported;
  return {
    listened,
    /** @type {(header: string | null, size: number) => [number, number] | "unsatisfiable" | null} */
    byteRange: (header, size) => { // (an array of this realm, for deepEqual)
      const range = byteRange(header, size);
      return Array.isArray(range) ? [range[0], range[1]] : range;
    },
    /** @type {string[]} */
    shellFiles: SHELL_FILES,
  };
}

test("the worker listens for install, activate, message and fetch", () => {
  assert.deepEqual(loadWorker().listened.sort(), ["activate", "fetch", "install", "message"]);
});

test("byteRange: open-ended, bounded and suffix ranges, as a server answers them", () => {
  const { byteRange } = loadWorker();
  assert.deepEqual(byteRange("bytes=0-", 1000), [0, 999]);
  assert.deepEqual(byteRange("bytes=100-199", 1000), [100, 199]);
  assert.deepEqual(byteRange("bytes=900-5000", 1000), [900, 999]); // clamped to the end
  assert.deepEqual(byteRange("bytes=-100", 1000), [900, 999]); // the last 100 bytes
  assert.deepEqual(byteRange("bytes=-5000", 1000), [0, 999]);
});

test("byteRange: past the end or reversed is unsatisfiable (416); no or several ranges is the whole body", () => {
  const { byteRange } = loadWorker();
  assert.equal(byteRange("bytes=1000-", 1000), "unsatisfiable");
  assert.equal(byteRange("bytes=500-100", 1000), "unsatisfiable");
  assert.equal(byteRange("bytes=-0", 1000), "unsatisfiable");
  assert.equal(byteRange(null, 1000), null);
  assert.equal(byteRange("bytes=-", 1000), null);
  assert.equal(byteRange("bytes=0-1,5-6", 1000), null);
  assert.equal(byteRange("items=0-1", 1000), null);
});

test("the offline shell holds every script, style and icon of the page", () => {
  const { shellFiles } = loadWorker();
  const shipped = readdirSync(STATIC).filter((name) => /\.(js|css|svg|png)$/.test(name) && name !== "sw.js");
  for (const name of shipped) assert.ok(shellFiles.includes(`/static/${name}`), `sw.js SHELL_FILES lacks /static/${name}`);
  for (const url of shellFiles.filter((u) => u.startsWith("/static/"))) {
    assert.ok(shipped.includes(url.slice("/static/".length)), `sw.js SHELL_FILES names a missing ${url}`);
  }
});
