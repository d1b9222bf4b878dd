// The Library (every routine) and the Routine view (safety, steps, pacing, the length it gives).
import { api, clock, debounce, el, problem } from "./api.js";
import { fillVoices, loadVoices } from "./voices.js";

const $ = (id) => document.getElementById(id);
let routines = [];

/** Fill the library list (once per visit of the view). */
export async function showLibrary(notify) {
  const result = await api.routines();
  if (!result.ok) return notify(problem(result));
  routines = result.body;
  drawLibrary();
  clearTimeout(remeasure);
  if (routines.some((r) => !r.lengths_ms) && tries < 20) { // the server measures them in the background
    tries += 1;
    remeasure = setTimeout(() => { if (!$("library").hidden) showLibrary(notify); }, 3000);
  }
}
let remeasure = 0;
let tries = 0;

function drawLibrary() {
  const words = $("filter").value.trim().toLowerCase();
  const list = $("routine-list");
  list.replaceChildren();
  for (const routine of routines) {
    const haystack = [routine.name, routine.title, ...(routine.tags || [])].join(" ").toLowerCase();
    if (words && !haystack.includes(words)) continue;
    const item = el("li", "", "card");
    item.dataset.name = routine.name;
    const link = el("a", routine.title || routine.name, "card-title");
    link.href = `#/routine/${encodeURIComponent(routine.name)}`;
    item.append(link, el("p", routine.description || ""));
    const lengths = routine.lengths_ms
      ? Object.entries(routine.lengths_ms).map(([preset, ms]) => `${preset} ${clock(ms)}`).join(" · ")
      : "length: measuring…";
    item.append(el("p", lengths, "lengths"));
    const facts = [routine.source, routine.level, ...(routine.tags || [])].filter(Boolean).join(" · ");
    item.append(el("p", facts, "muted"));
    list.append(item);
  }
}

export function setUpLibrary() {
  $("filter").addEventListener("input", drawLibrary);
}

// ---- the Routine view ------------------------------------------------------------------
let current = null; // the routine shown: {name, ...}

/** The pacing form as the API's Pacing object (empty fields left out). */
export function pacingFrom(form) {
  const pacing = {};
  for (const [key, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    if (!text) continue;
    pacing[key] = key === "rate" || key === "cycles" ? Number(text) : text;
  }
  return pacing;
}

export async function showRoutine(name, notify) {
  const result = await api.routine(name);
  if (!result.ok) return notify(problem(result));
  current = result.body;
  $("routine-title").textContent = current.title || current.name;
  $("routine-description").textContent = current.description || "";
  const safety = $("routine-safety");
  safety.replaceChildren(...(current.safety || []).map((line) => el("li", line)));
  safety.parentElement.hidden = !(current.safety || []).length;
  $("routine-steps").replaceChildren(...(current.steps || []).map((step) => el("li", step.title)));
  $("edit-routine").href = `#/edit/${encodeURIComponent(current.name)}`;
  loadVoices($("pacing"), notify); // the first time: the engines' voices in the selects
  preview();
}

let previewSerial = 0;
async function preview() {
  if (!current) return;
  const serial = ++previewSerial;
  $("preview-length").classList.add("stale");
  const result = await api.preview({ name: current.name }, pacingFrom($("pacing")));
  if (serial !== previewSerial) return; // a newer change is on its way
  $("preview-length").classList.remove("stale");
  const problems = $("preview-problems");
  if (result.ok) {
    $("preview-length").textContent = clock(result.body.duration_ms);
    problems.replaceChildren();
    $("start").disabled = false;
  } else {
    $("preview-length").textContent = "—";
    const diagnostics = (result.body && result.body.diagnostics) || [{ message: problem(result) }];
    problems.replaceChildren(...diagnostics.map((d) => el("li", d.message, "error")));
    $("start").disabled = true;
  }
}

export function setUpRoutine(navigate, notify) {
  const later = debounce(preview, 300);
  const changed = () => { $("preview-length").classList.add("stale"); later(); };
  $("pacing").elements.engine.addEventListener("change", () => fillVoices($("pacing")));
  $("pacing").addEventListener("input", changed);
  $("pacing").addEventListener("change", changed);
  $("pacing").addEventListener("submit", (event) => event.preventDefault());
  $("start").addEventListener("click", async () => {
    if (!current) return;
    $("start").disabled = true;
    const result = await api.startSession(current.name, pacingFrom($("pacing")));
    $("start").disabled = false;
    if (!result.ok) return notify(problem(result));
    navigate(`#/play/${encodeURIComponent(result.body.id)}`, { autoplay: true });
  });
}
