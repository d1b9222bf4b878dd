// @ts-check
// The Engine and Voice selects of the pacing form, filled from GET /api/voices (the engines
// installed on the computer, the default first, and each one's voices). If the list cannot be
// had, both stay at "default" and a notice says so: the page works, with the default voice.
import { api, problem } from "./api.js";
import { el } from "./dom.js";
import { voiceLabel } from "./format.js";
import { state } from "./state.js";

/**
 * The form's select named `name`.
 * @param {HTMLFormElement} form
 * @param {string} name
 * @returns {HTMLSelectElement}
 */
function select(form, name) {
  const found = form.elements.namedItem(name);
  if (!(found instanceof HTMLSelectElement)) throw new Error(`the pacing form has no select ${name}`);
  return found;
}

/**
 * Ask the server for its voices once (it asks its engines once, too).
 * @param {HTMLFormElement} form  the pacing form, whose Engine and Voice selects are filled
 * @param {(message: string) => void} notify
 * @returns {Promise<void>}
 */
export function loadVoices(form, notify) {
  if (!state.voicesLoading) {
    state.voicesLoading = api.voices().then((result) => {
      if (!result.ok || !Array.isArray(result.body.engines)) {
        state.voicesLoading = null; // asked again on the next routine shown
        notify(`The voices could not be listed (${result.ok ? "no engines" : problem(result)}); the default voice speaks.`);
        return;
      }
      state.voices = result.body;
      fillEngines(select(form, "engine"));
      fillVoices(form);
    });
  }
  return state.voicesLoading;
}

/**
 * Refill the Voice select for the engine chosen, keeping the voice if that engine has it.
 * @param {HTMLFormElement} form
 */
export function fillVoices(form) {
  const voice = select(form, "voice");
  const kept = voice.value;
  const chosen = select(form, "engine").value;
  const catalog = state.voices;
  const engine = catalog && catalog.engines.find((e) => (chosen ? e.id === chosen : e.default));
  const voices = engine ? [...engine.voices].sort((a, b) => a.name.localeCompare(b.name)) : [];
  voice.replaceChildren(option("", "default"), ...voices.map((v) => option(v.id, voiceLabel(v))));
  voice.value = voices.some((v) => v.id === kept) ? kept : "";
}

/** @param {HTMLSelectElement} select */
function fillEngines(select) {
  const catalog = state.voices;
  if (!catalog) return;
  const kept = select.value;
  const label = catalog.default ? `default (${catalog.default})` : "default";
  select.replaceChildren(option("", label), ...catalog.engines.map((e) => option(e.id, e.id)));
  select.value = catalog.engines.some((e) => e.id === kept) ? kept : "";
}

/**
 * @param {string} value
 * @param {string} text
 * @returns {HTMLOptionElement}
 */
function option(value, text) {
  const node = el("option", text);
  node.value = value;
  return node;
}
