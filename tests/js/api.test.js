// @ts-check
// The requests' answers and failures (voiceguide/serve/static/api.js), with fetch replaced.
import assert from "node:assert/strict";
import { afterEach, mock, test } from "node:test";

import { api, debounce, problem, request } from "../../voiceguide/serve/static/api.js";

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; mock.timers.reset(); });

/**
 * fetch answering `body` with `status`, recording what was asked.
 * @param {number} status
 * @param {string} body
 * @param {{url: string, init: RequestInit | undefined}[]} calls
 */
function answering(status, body, calls) {
  globalThis.fetch = async (url, init) => {
    calls.push({ url: String(url), init });
    return new Response(body, { status, statusText: status === 200 ? "OK" : "Bad" });
  };
}

test("request: JSON in and out; ok and status as the server said", async () => {
  /** @type {{url: string, init: RequestInit | undefined}[]} */
  const calls = [];
  answering(200, '{"id": "abc", "status": "rendering"}', calls);
  const result = await api.startSession("desk break", { preset: "gentle" });
  assert.deepEqual(result, { ok: true, status: 200, body: { id: "abc", status: "rendering" } });
  assert.equal(calls[0].url, "/api/sessions");
  assert.equal(calls[0].init?.method, "POST");
  assert.deepEqual(JSON.parse(String(calls[0].init?.body)), { name: "desk break", pacing: { preset: "gentle" } });
});

test("request: names in paths are encoded", async () => {
  /** @type {{url: string, init: RequestInit | undefined}[]} */
  const calls = [];
  answering(200, "{}", calls);
  await api.routine("a/b c");
  await api.save("x?y", "title: T");
  assert.deepEqual(calls.map((c) => c.url), ["/api/routines/a%2Fb%20c", "/api/user-routines/x%3Fy"]);
  assert.equal(calls[0].init?.body, undefined);
});

test("request: a failure keeps the server's JSON; an answer that is not JSON says its status", async () => {
  answering(422, '{"diagnostics": [{"line": 0, "col": 0, "message": "rate: too fast", "severity": "error"}]}', []);
  const refused = await request("POST", "/api/preview", {});
  assert.equal(refused.ok, false);
  assert.equal(problem(refused), "rate: too fast");
  answering(502, "<html>gateway</html>", []);
  const broken = await request("GET", "/api/routines");
  assert.deepEqual(broken, { ok: false, status: 502, body: { error: "502 Bad" } });
});

test("request: the network down is status 0 with a message, not a thrown error", async () => {
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
  const result = await api.routines();
  assert.ok(!result.ok);
  assert.equal(result.status, 0);
  assert.match(problem(result), /cannot be reached/);
});

test("problem: the error, else the first diagnostic, else the status", () => {
  assert.equal(problem({ status: 404, body: { error: "no routine named 'x'" } }), "no routine named 'x'");
  assert.equal(problem({ status: 422, body: { diagnostics: [
    { line: 1, col: 1, message: "first", severity: "error" }, { line: 2, col: 1, message: "second", severity: "error" },
  ] } }), "first");
  assert.equal(problem({ status: 500, body: { diagnostics: [] } }), "The server answered 500.");
  assert.equal(problem({ status: 500, body: null }), "The server answered 500.");
});

test("debounce: one call, with the last arguments, once the calls stop for `wait` ms", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  /** @type {number[]} */
  const seen = [];
  const later = debounce((/** @type {number} */ n) => seen.push(n), 300);
  later(1);
  mock.timers.tick(299);
  later(2);
  mock.timers.tick(299);
  assert.deepEqual(seen, []);
  mock.timers.tick(1);
  assert.deepEqual(seen, [2]);
});
