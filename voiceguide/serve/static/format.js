// @ts-check
// The texts the page makes from numbers and records (pure: no DOM, no clock).

/**
 * Milliseconds as m:ss (or h:mm:ss), rounded to the nearest second; negative is 0:00.
 * @param {number} ms
 * @returns {string}
 */
export function clock(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Milliseconds as a rounded "12 min" (from 90 s up) or "45 s".
 * @param {number} ms
 * @returns {string}
 */
export function roughly(ms) {
  return ms >= 90_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * What a screen reader says on a new step: "Step 3 of 12: Knee to chest — left".
 * @param {number} index  the step's index, from 0
 * @param {number} count  how many steps the session has
 * @param {string} title
 * @returns {string}
 */
export function stepSaid(index, count, title) {
  return `Step ${index + 1} of ${count}: ${title}`;
}

/**
 * "1 problem", "2 problems".
 * @param {number} count
 * @param {string} noun
 * @returns {string}
 */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * A library card's lengths: "gentle 14:10 · standard 12:00 · brisk 10:20", each marked "≈"
 * while it is an estimate (speech not made yet), or that they are being measured (null).
 * @param {Record<string, number> | null} lengthsMs  milliseconds per preset
 * @param {boolean} [estimated]  whether the lengths are estimates
 * @returns {string}
 */
export function lengthsLine(lengthsMs, estimated = false) {
  if (!lengthsMs) return "length: measuring…";
  const mark = estimated ? "≈" : "";
  return Object.entries(lengthsMs).map(([preset, ms]) => `${preset} ${mark}${clock(ms)}`).join(" · ");
}

/**
 * A length as shown: its clock, marked "≈" while it is an estimate, with how far the server's
 * measuring got (clips made of those missing).
 * @param {number} ms
 * @param {boolean} [estimated]
 * @param {{done: number, total: number} | null} [measuring]
 * @returns {string}
 */
export function lengthText(ms, estimated = false, measuring = null) {
  const progress = estimated && measuring && measuring.total > 0
    ? ` (measuring ${measuring.done}/${measuring.total})` : "";
  return `${estimated ? "≈" : ""}${clock(ms)}${progress}`;
}

/**
 * A library card's facts: source, level and tags, the empty ones left out.
 * @param {{source: string, level?: string | null, tags?: string[]}} routine
 * @returns {string}
 */
export function factsLine(routine) {
  return [routine.source, routine.level, ...(routine.tags || [])].filter(Boolean).join(" · ");
}

/**
 * Whether a routine matches the library's filter (words typed, in any case, found in its
 * name, title or tags; nothing typed matches everything).
 * @param {{name: string, title?: string | null, tags?: string[]}} routine
 * @param {string} typed
 * @returns {boolean}
 */
export function matchesFilter(routine, typed) {
  const words = typed.trim().toLowerCase();
  if (!words) return true;
  return [routine.name, routine.title || "", ...(routine.tags || [])].join(" ").toLowerCase().includes(words);
}

/**
 * A voice as the Voice select lists it: its name, with its first language when the name
 * does not say it already ("Joe · en-us").
 * @param {{name: string, languages?: string[]}} voice
 * @returns {string}
 */
export function voiceLabel(voice) {
  const language = (voice.languages || [])[0];
  return language && !voice.name.includes(language) ? `${voice.name} · ${language}` : voice.name;
}
