// @ts-check
// The pacing form's controls, built from the one description of the pacing settings
// (GET /api/pacing-settings: voiceguide/routine/pacing_settings.py), so their names, labels,
// limits and choices are the command line's and the server's. Engine and Voice are selects
// whose options come from /api/voices (voices.js).
import { request, problem } from "./api.js";
import { el } from "./dom.js";
import { state } from "./state.js";

/**
 * One setting as GET /api/pacing-settings describes it.
 * @typedef {object} PacingSetting
 * @property {string} key
 * @property {string} kind
 * @property {"select" | "number" | "text"} control
 * @property {string} label
 * @property {string} help
 * @property {string} unit
 * @property {number | null} minimum
 * @property {number | null} maximum
 * @property {number | null} step
 * @property {string[]} choices
 * @property {string | null} options_from
 * @property {string} placeholder
 * @property {string[]} suggestions
 */


/**
 * Build the form's pacing controls (once; later calls wait for the first). Without the
 * description the form has no pacing controls and a notice says so: the defaults apply.
 * @param {HTMLFormElement} form
 * @param {(message: string) => void} notify
 * @returns {Promise<PacingSetting[]>}
 */
export function loadPacing(form, notify) {
  if (!state.pacingLoading) {
    state.pacingLoading = request("GET", "/api/pacing-settings").then((result) => {
      if (!result.ok || !Array.isArray(result.body.settings)) {
        state.pacingLoading = null; // asked again on the next routine shown
        notify(`The pacing settings could not be had (${problem(result)}); the defaults apply.`);
        return [];
      }
      /** @type {PacingSetting[]} */
      const settings = result.body.settings;
      const heading = form.querySelector("h2");
      const controls = settings.map(control);
      if (heading) heading.after(...controls);
      else form.prepend(...controls);
      form.append(...settings.filter((s) => s.suggestions.length).map(suggestions));
      return settings;
    });
  }
  return state.pacingLoading;
}

/**
 * The labelled control of `setting`.
 * @param {PacingSetting} setting
 * @returns {HTMLLabelElement}
 */
export function control(setting) {
  const label = el("label", setting.label);
  label.title = setting.help;
  if (setting.control === "select") {
    const select = el("select");
    select.name = setting.key;
    const choices = setting.options_from ? [] : setting.choices;
    select.append(option("", "default"), ...choices.map((choice) => option(choice, choice)));
    label.append(" ", select);
    return label;
  }
  const input = el("input");
  input.name = setting.key;
  input.placeholder = setting.placeholder;
  if (setting.control === "number") {
    input.type = "number";
    if (setting.minimum !== null) input.min = String(setting.minimum);
    if (setting.maximum !== null) input.max = String(setting.maximum);
    if (setting.step !== null) input.step = String(setting.step);
  } else {
    input.type = "text";
    if (setting.suggestions.length) input.setAttribute("list", listId(setting));
  }
  label.append(" ", input);
  return label;
}

/** @param {PacingSetting} setting */
function listId(setting) {
  return `pacing-${setting.key}-suggestions`;
}

/**
 * The datalist of a text setting's suggestions (4-7-8, 12m).
 * @param {PacingSetting} setting
 */
function suggestions(setting) {
  const list = el("datalist");
  list.id = listId(setting);
  list.append(...setting.suggestions.map((value) => option(value, "")));
  return list;
}

/**
 * @param {string} value
 * @param {string} text
 */
function option(value, text) {
  const node = el("option", text);
  node.value = value;
  return node;
}
