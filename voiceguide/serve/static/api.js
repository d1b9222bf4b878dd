// The server's JSON API (notes: serve-api.md) and small helpers shared by the views.

/** Fetch JSON; resolves {ok, status, body}. A network failure gives status 0. */
export async function request(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
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
  return { ok: response.ok, status: response.status, body: parsed };
}

export const api = {
  routines: () => request("GET", "/api/routines"),
  routine: (name) => request("GET", `/api/routines/${encodeURIComponent(name)}`),
  voices: () => request("GET", "/api/voices"),
  preview: (source, pacing) => request("POST", "/api/preview", { ...source, pacing }),
  validate: (yaml) => request("POST", "/api/validate", { yaml }),
  startSession: (name, pacing) => request("POST", "/api/sessions", { name, pacing }),
  session: (id) => request("GET", `/api/sessions/${encodeURIComponent(id)}`),
  save: (name, yaml) => request("PUT", `/api/user-routines/${encodeURIComponent(name)}`, { yaml }),
};

/** Milliseconds as m:ss (or h:mm:ss). */
export function clock(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Milliseconds as a rounded "12 min" or "45 s". */
export function roughly(ms) {
  return ms >= 90_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** `fn` called once `wait` ms after the last call. */
export function debounce(fn, wait) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

/** A new element with text content and optional class. */
export function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** The message of a failed request, for the notice line. */
export function problem(result) {
  const body = result.body || {};
  if (body.error) return body.error;
  if (Array.isArray(body.diagnostics) && body.diagnostics.length) return body.diagnostics[0].message;
  return `The server answered ${result.status}.`;
}
