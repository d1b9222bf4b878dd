// @ts-check
// The Library (every routine) and the Routine view (safety, steps, pacing, the length it gives).
import { api, debounce, problem } from "./api.js";
import { $, el } from "./dom.js";
import { factsLine, lengthsLine, lengthText, matchesFilter } from "./format.js";
import { editHash, playHash, routineHash } from "./routes.js";
import { state } from "./state.js";
import { loadPacing } from "./pacing.js";
import { fillVoices, loadVoices } from "./voices.js";
import { drawRoutinePicture } from "./picture.js";

/** @typedef {(message: string) => void} Notify */
const pacingForm = () => $("pacing", HTMLFormElement);

/**
 * Fill the library list (on each visit of the view; again every 3 s, 20 times at most per
 * visit, while the server measures lengths in the background).
 * @param {Notify} notify
 * @param {boolean} [again]  a re-listing of the same visit (a new visit counts from 0)
 */
export async function showLibrary(notify, again = false) {
  const relist = state.relist;
  clearTimeout(relist.timer);
  if (!again) relist.tries = 0;
  const result = await api.routines();
  if (!result.ok) return notify(problem(result));
  state.routines = result.body;
  drawLibrary();
  if (state.routines.some((r) => !r.lengths_ms || r.lengths_estimated) && relist.tries < 20) {
    relist.tries += 1;
    relist.timer = setTimeout(() => { if (!$("library").hidden) showLibrary(notify, true); }, 3000);
  }
}

function drawLibrary() {
  const typed = $("filter", HTMLInputElement).value;
  const list = $("routine-list");
  list.replaceChildren();
  for (const routine of state.routines) {
    if (!matchesFilter(routine, typed)) continue;
    const item = el("li", "", "card");
    item.dataset.name = routine.name;
    const link = el("a", routine.title || routine.name, "card-title");
    link.href = routineHash(routine.name);
    item.append(link, el("p", routine.description || ""));
    item.append(el("p", lengthsLine(routine.lengths_ms, routine.lengths_estimated), "lengths"));
    item.append(el("p", factsLine(routine), "muted"));
    list.append(item);
  }
}

export function setUpLibrary() {
  $("filter").addEventListener("input", drawLibrary);
}

// ---- the Routine view ------------------------------------------------------------------

/**
 * The pacing form as the API's Pacing object (empty fields left out).
 * @param {HTMLFormElement} form
 * @returns {import("./api.js").Pacing}
 */
export function pacingFrom(form) {
  /** @type {import("./api.js").Pacing} */
  const pacing = {};
  for (const [key, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    if (!text) continue;
    const control = form.elements.namedItem(key); // a number input is a whole-number setting
    pacing[key] = control instanceof HTMLInputElement && control.type === "number" ? Number(text) : text;
  }
  return pacing;
}

/**
 * Show routine `name`: its safety, steps and the pacing form, and preview its length.
 * @param {string} name
 * @param {Notify} notify
 */
export async function showRoutine(name, notify) {
  const result = await api.routine(name);
  if (!result.ok) return notify(problem(result));
  const current = result.body;
  state.routine = current;
  $("routine-title").textContent = current.title || current.name;
  $("routine-description").textContent = current.description || "";
  const safety = $("routine-safety");
  safety.replaceChildren(...(current.safety || []).map((line) => el("li", line)));
  if (safety.parentElement) safety.parentElement.hidden = !(current.safety || []).length;
  $("routine-steps").replaceChildren(...(current.steps || []).map(stepItem));
  $("edit-routine", HTMLAnchorElement).href = editHash(current.name);
  const settings = await loadPacing(pacingForm(), notify); // the first time: the form's controls
  if (settings.length) loadVoices(pacingForm(), notify); // the first time: the engines' voices in the selects
  preview();
}

/**
 * One step of the list: a chapter, numbered as `voiceguide show` and `play --from N` number it
 * (1 is the introduction; each side and round is its own, "Pelvic tilts — round 1 of 4").
 * @param {{number: number, title: string}} step
 * @returns {HTMLElement}
 */
function stepItem(step) {
  const item = el("li", step.title);
  item.setAttribute("value", String(step.number));
  return item;
}

/** The routine's length at the pacing asked for, or the problems that pacing has. */
async function preview() {
  const current = state.routine;
  if (!current) return;
  const serial = ++state.serial.preview;
  $("preview-length").classList.add("stale");
  const result = await api.preview({ name: current.name }, pacingFrom(pacingForm()));
  if (serial !== state.serial.preview) return; // a newer change is on its way
  $("preview-length").classList.remove("stale");
  const problems = $("preview-problems");
  if (result.ok) {
    $("preview-length").textContent = lengthText(result.body.duration_ms, result.body.estimated, result.body.measuring);
    drawRoutinePicture(current.name, pacingFrom(pacingForm())); // the timeline at this pacing
    problems.replaceChildren();
    $("start", HTMLButtonElement).disabled = false;
    // an estimate: ask again while the server measures (this serial: a newer change wins)
    if (result.body.estimated) setTimeout(() => { if (serial === state.serial.preview) preview(); }, 1500);
  } else {
    $("preview-length").textContent = "—";
    const diagnostics = (result.body && result.body.diagnostics) || [{ message: problem(result) }];
    problems.replaceChildren(...diagnostics.map((d) => el("li", d.message, "error")));
    $("start", HTMLButtonElement).disabled = true;
  }
}

/**
 * Wire the pacing form and the Play button (once).
 * @param {(hash: string, options?: {autoplay?: boolean}) => void} navigate
 * @param {Notify} notify
 */
export function setUpRoutine(navigate, notify) {
  const later = debounce(preview, 300);
  const changed = () => { $("preview-length").classList.add("stale"); later(); };
  const form = pacingForm();
  const start = $("start", HTMLButtonElement);
  form.addEventListener("change", (event) => { // (on the form: its controls may be rebuilt)
    if (event.target instanceof HTMLSelectElement && event.target.name === "engine") fillVoices(form);
  });
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => event.preventDefault());
  start.addEventListener("click", async () => {
    const current = state.routine;
    if (!current) return;
    start.disabled = true;
    const result = await api.startSession(current.name, pacingFrom(form));
    start.disabled = false;
    if (!result.ok) return notify(problem(result));
    navigate(playHash(result.body.id), { autoplay: true });
  });
}
