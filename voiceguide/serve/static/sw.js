// @ts-check
// voiceguide's service worker: the page opens and a session once played plays again with the
// computer switched off. Cache-first for /static and /audio (refreshed in the background for
// /static), network-first for /api and the page itself. A classic worker script (not a module:
// every browser runs those), type-checked with the WebWorker globals (tsconfig.sw.json).
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const SHELL = "voiceguide-shell-v2";
const SESSIONS = "voiceguide-sessions-v1"; // audio + documents, kept across shell updates
const SHELL_FILES = [
  "/", "/manifest.webmanifest", "/static/style.css", "/static/app.js", "/static/api.js",
  "/static/library.js", "/static/pacing.js", "/static/voices.js", "/static/player.js", "/static/editor.js", "/static/dom.js",
  "/static/editing.js", "/static/format.js", "/static/routes.js", "/static/state.js", "/static/timeline.js",
  "/static/breath.js", "/static/picture.js", "/static/marker.js", "/static/history.js", "/static/practice.js",
  "/static/pictures.css",
  "/static/icon.svg",
  "/static/icon-192.png", "/static/icon-512.png",
];

worker.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await Promise.all(SHELL_FILES.map((url) => cache.add(url).catch(() => undefined)));
    await worker.skipWaiting();
  })());
});

worker.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SHELL && name !== SESSIONS) await caches.delete(name);
    }
    await worker.clients.claim();
  })());
});

// The page asks to keep a session it has opened: its whole mp3 (one 200 response) and documents.
worker.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep-session" || !Array.isArray(data.urls)) return;
  event.waitUntil((async () => {
    const cache = await caches.open(SESSIONS);
    for (const url of data.urls) {
      if (await cache.match(url)) continue;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.status === 200) await cache.put(url, response);
      } catch { /* offline now: try again next time */ }
    }
  })());
});

worker.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== worker.location.origin) return;
  if (url.pathname.endsWith("/events")) return; // server-sent events stay live
  if (url.pathname.endsWith(".live.mp3")) return; // a session's beginning while it renders: a stream
  if (request.mode === "navigate" || url.pathname === "/") {
    event.respondWith(networkFirst(request, SHELL, { ignoreSearch: true }));
  } else if (url.pathname.startsWith("/audio/")) {
    event.respondWith(audio(request));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(staleWhileRevalidate(event, request));
  } else if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request, SESSIONS, {}));
  }
});

/**
 * The network's answer (kept in `cacheName` when ok), else the cached one.
 * @param {Request} request
 * @param {string} cacheName
 * @param {CacheQueryOptions} options
 * @returns {Promise<Response>}
 */
async function networkFirst(request, cacheName, options) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = (await cache.match(request, options)) || (await caches.match(request, options));
    if (cached) return cached;
    throw error;
  }
}

/**
 * The cached answer at once (refreshed from the network meanwhile), else the network's.
 * @param {FetchEvent} event
 * @param {Request} request
 * @returns {Promise<Response>}
 */
async function staleWhileRevalidate(event, request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

/**
 * The bytes a single-range `Range` header asks for of a body of `size` bytes: [start, end]
 * inclusive; "unsatisfiable" (a 416) when it starts past the end or is reversed; null when
 * the header is absent or not one range (the whole body is answered). Pure.
 * @param {string | null} header
 * @param {number} size
 * @returns {[number, number] | "unsatisfiable" | null}
 */
function byteRange(header, size) {
  const range = /^bytes=(\d*)-(\d*)$/.exec(header || "");
  if (!range || (range[1] === "" && range[2] === "")) return null;
  let start = range[1] === "" ? size - Number(range[2]) : Number(range[1]);
  const end = range[1] === "" || range[2] === "" ? size - 1 : Math.min(Number(range[2]), size - 1);
  start = Math.max(0, start);
  if (start > end || start >= size) return "unsatisfiable";
  return [start, Math.max(start, end)];
}

/**
 * A kept mp3 answered from the cache, cut to the Range asked for (206), so seeking works offline.
 * @param {Request} request
 * @returns {Promise<Response>}
 */
async function audio(request) {
  const cached = await caches.match(request.url, { ignoreSearch: true });
  if (!cached) return fetch(request);
  const header = request.headers.get("Range");
  if (!header) return cached;
  const body = await cached.blob();
  const size = body.size;
  const range = byteRange(header, size);
  if (range === null) return cached;
  if (range === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  const [start, end] = range;
  return new Response(body.slice(start, end + 1), {
    status: 206,
    headers: {
      "Content-Type": cached.headers.get("Content-Type") || "audio/mpeg",
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes",
    },
  });
}
