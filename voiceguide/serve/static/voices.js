// The Engine and Voice selects of the pacing form, filled from GET /api/voices (the engines
// installed on the computer, the default first, and each one's voices). If the list cannot be
// had, both stay at "default" and a notice says so: the page works, with the default voice.
import { api, el, problem } from "./api.js";

let catalog = null; // {default, engines: [{id, default, voices: [{id, name, languages}]}]}
let loading = null;

/** Ask the server for its voices once (it asks its engines once, too). */
export function loadVoices(form, notify) {
  if (!loading) {
    loading = api.voices().then((result) => {
      if (!result.ok || !Array.isArray(result.body.engines)) {
        loading = null; // asked again on the next routine shown
        notify(`The voices could not be listed (${problem(result)}); the default voice speaks.`);
        return;
      }
      catalog = result.body;
      fillEngines(form.elements.engine);
      fillVoices(form);
    });
  }
  return loading;
}

/** Refill the Voice select for the engine chosen, keeping the voice if that engine has it. */
export function fillVoices(form) {
  const select = form.elements.voice;
  const kept = select.value;
  const chosen = form.elements.engine.value;
  const engine = catalog && catalog.engines.find((e) => (chosen ? e.id === chosen : e.default));
  const voices = engine ? [...engine.voices].sort((a, b) => a.name.localeCompare(b.name)) : [];
  select.replaceChildren(option("", "default"), ...voices.map((voice) => {
    const language = (voice.languages || [])[0];
    return option(voice.id, language && !voice.name.includes(language) ? `${voice.name} · ${language}` : voice.name);
  }));
  select.value = voices.some((voice) => voice.id === kept) ? kept : "";
}

function fillEngines(select) {
  const kept = select.value;
  const label = catalog.default ? `default (${catalog.default})` : "default";
  select.replaceChildren(option("", label), ...catalog.engines.map((e) => option(e.id, e.id)));
  select.value = catalog.engines.some((e) => e.id === kept) ? kept : "";
}

function option(value, text) {
  const node = el("option", text);
  node.value = value;
  return node;
}
