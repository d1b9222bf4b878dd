// @ts-check
// The server's JSON API (the contract: docs/serve-api.md), typed, and the message of a failure.

/**
 * A problem found in routine text or pacing: at line:col (1-based; 0 when it is not at a
 * place in the text), with the pacing `field` it concerns, if any.
 * @typedef {{line: number, col: number, message: string, severity: "error" | "warning", field?: string}} Diagnostic
 */
/**
 * What a failed request answers: `error` (400, 401, 404, 413, 500, 503) or `diagnostics` (422).
 * @typedef {{error?: string, diagnostics?: Diagnostic[]}} Problem
 */
/**
 * The answer of a request: `body` is the route's answer when `ok`, else a Problem (status 0:
 * the server could not be reached).
 * @template T
 * @typedef {{ok: true, status: number, body: T} | {ok: false, status: number, body: Problem}} Result
 */
/**
 * A row of GET /api/routines (`lengths_ms`: ms per preset, estimated while `lengths_estimated`;
 * null when the routine cannot be compiled).
 * @typedef {{name: string, title: string, description: string, source: string, tags: string[], level: string | null, equipment: string[] | null, lengths_ms: Record<string, number> | null, lengths_estimated?: boolean}} RoutineRow
 */
/**
 * GET /api/routines/{name}.
 * @typedef {{name: string, title: string, description: string, safety: string[], steps: {number: number, title: string}[], yaml: string, source: string}} RoutineDetail
 */
/** @typedef {{ok: boolean, diagnostics: Diagnostic[]}} Validation  POST /api/validate */
/**
 * POST /api/preview: the length (ms), chapters and whole document at that pacing, answered at
 * once: `estimated` while some speech is not made yet (its measuring is queued: `measuring`
 * says how far it got; ask again for measured values), times exact up to `exact_until_ms`.
 * @typedef {{duration_ms: number, chapters: import("./timeline.js").Chapter[], doc: import("./timeline.js").TimelineDoc, warnings: Diagnostic[], estimated?: boolean, exact_until_ms?: number | null, measuring?: {done: number, total: number}}} Preview
 */
/**
 * GET /api/sessions/{id} (and each server-sent event's data): `progress` 0 … 1; the
 * document and lengths once `status` is "ready".
 * While it renders, `live` is its beginning already playable (a stream without ranges) and
 * `live_doc` the provisional document to follow it by (null before, and once ready).
 * @typedef {{id: string, status: "rendering" | "ready" | "failed", progress: number, error: string | null, duration_ms: number | null, title: string | null, name: string | null, engine: string | null, voice: string | null, audio: string, chapters: string, subtitles: string, doc: import("./timeline.js").TimelineDoc | null, live?: string | null, live_doc?: import("./timeline.js").TimelineDoc | null}} Session
 */
/** @typedef {{id: string, name: string, languages: string[], gender?: string | null}} Voice */
/** @typedef {{id: string, default: boolean, voices: Voice[]}} EngineVoices */
/**
 * GET /api/voices: the installed engines (the default first) and those that cannot run.
 * @typedef {{default: string | null, note: string | null, engines: EngineVoices[], unavailable: {id: string, reason: string}[]}} VoiceCatalog
 */
/** @typedef {{date: string, played_ms: number}} HistoryDay  a day of GET /api/history's chart */
/**
 * A session of GET /api/history (newest first).
 * @typedef {{id: number, title: string, pacing: string, started: string, duration_ms: number, stopped_ms: number, step_index: number, step_title: string, completed: boolean}} Played
 */
/**
 * GET /api/history: the weekly streak, the ms played each day from Monday three weeks ago to today.
 * @typedef {{weekly_streak: number, played_ms: number, days: HistoryDay[], sessions: Played[], resume: number | null}} History
 */
/**
 * POST /api/history: a play reported when it pauses or ends (`play`: the page's id of that play,
 * 32 lowercase hex digits; every report of one play carries its one row further).
 * @typedef {{session: string, play: string, position_ms: number, ended: boolean}} PlayReport
 */
/**
 * The pacing a page asks for (empty fields left out; docs/serve-api.md "Pacing").
 * @typedef {Record<string, string | number>} Pacing
 */

/**
 * Fetch JSON. A network failure gives status 0; an answer that is not JSON an `error`.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {boolean} [keepalive]  the request outlives the page (sent as a tab closes)
 * @returns {Promise<Result<T>>}
 */
export async function request(method, path, body, keepalive = false) {
  /** @type {RequestInit & {headers: Record<string, string>}} */
  const init = { method, headers: {}, credentials: "same-origin", keepalive };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, body: { error: "The computer running voiceguide cannot be reached." } };
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = { error: `${response.status} ${response.statusText}` };
  }
  return response.ok ? { ok: true, status: response.status, body: parsed }
    : { ok: false, status: response.status, body: parsed || {} };
}

export const api = {
  /** @returns {Promise<Result<RoutineRow[]>>} */
  routines: () => request("GET", "/api/routines"),
  /** @param {string} name @returns {Promise<Result<RoutineDetail>>} */
  routine: (name) => request("GET", `/api/routines/${encodeURIComponent(name)}`),
  /** @returns {Promise<Result<VoiceCatalog>>} */
  voices: () => request("GET", "/api/voices"),
  /** @param {{name: string} | {yaml: string}} source @param {Pacing} pacing @returns {Promise<Result<Preview>>} */
  preview: (source, pacing) => request("POST", "/api/preview", { ...source, pacing }),
  /** @param {string} yaml @returns {Promise<Result<Validation>>} */
  validate: (yaml) => request("POST", "/api/validate", { yaml }),
  /** @param {string} name @param {Pacing} pacing @returns {Promise<Result<{id: string, status: string}>>} */
  startSession: (name, pacing) => request("POST", "/api/sessions", { name, pacing }),
  /** @param {string} id @returns {Promise<Result<Session>>} */
  session: (id) => request("GET", `/api/sessions/${encodeURIComponent(id)}`),
  /** @param {string} name @param {string} yaml @returns {Promise<Result<{name: string, path: string}>>} */
  save: (name, yaml) => request("PUT", `/api/user-routines/${encodeURIComponent(name)}`, { yaml }),
  /** @param {string} name @param {Pacing} pacing @returns {Promise<Result<string>>} */
  routinePicture: (name, pacing) => requestSvg(`/api/routines/${encodeURIComponent(name)}/timeline.svg${pacingQuery(pacing)}`),
  /** @param {string} id @returns {Promise<Result<string>>} */
  sessionPicture: (id) => requestSvg(`/api/sessions/${encodeURIComponent(id)}/timeline.svg`),
  /** @returns {Promise<Result<History>>} */
  history: () => request("GET", "/api/history"),
  /** @param {PlayReport} played @param {boolean} [keepalive] @returns {Promise<Result<{record: number | null, stopped_ms?: number, completed?: boolean}>>} */
  reportPlay: (played, keepalive = false) => request("POST", "/api/history", played, keepalive),
};

/**
 * Fetch a picture's SVG text (a failure's JSON message as a Problem).
 * @param {string} path
 * @returns {Promise<Result<string>>}
 */
export async function requestSvg(path) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin" });
  } catch {
    return { ok: false, status: 0, body: { error: "The computer running voiceguide cannot be reached." } };
  }
  if (response.ok && (response.headers.get("content-type") || "").startsWith("image/svg+xml")) {
    return { ok: true, status: response.status, body: await response.text() };
  }
  /** @type {Problem} */
  let body = { error: `${response.status} ${response.statusText}` };
  try { body = await response.json(); } catch { /* not JSON: the status says it */ }
  return { ok: false, status: response.status, body };
}

/**
 * The pacing as query parameters (empty values left out).
 * @param {Pacing} pacing
 */
export function pacingQuery(pacing) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(pacing)) if (value !== "") query.set(key, String(value));
  const text = query.toString();
  return text ? `?${text}` : "";
}

/**
 * The message of a failed request, for the notice line: its error, else its first
 * diagnostic, else the status.
 * @param {{status: number, body: Problem | null}} result
 * @returns {string}
 */
export function problem(result) {
  const body = result.body || {};
  if (body.error) return body.error;
  if (Array.isArray(body.diagnostics) && body.diagnostics.length) return body.diagnostics[0].message;
  return `The server answered ${result.status}.`;
}

/**
 * `fn` called once `wait` ms after the last call.
 * @template {unknown[]} A
 * @param {(...args: A) => unknown} fn
 * @param {number} wait
 * @returns {(...args: A) => void}
 */
export function debounce(fn, wait) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
