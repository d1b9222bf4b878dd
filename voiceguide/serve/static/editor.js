// @ts-check
// The Editor: YAML in a text area with line numbers; every pause in typing validates it on
// the server (the same loader as the CLI), errors listed at line:col and marked in the gutter;
// a timeline preview; save into the user routines folder.
import { api, debounce, problem } from "./api.js";
import { $, el } from "./dom.js";
import { ROUTINE_NAME, errorCount, lineMarks, offsetAt, scrollTopFor } from "./editing.js";
import { clock, lengthText, plural } from "./format.js";
import { state } from "./state.js";

/** @typedef {import("./api.js").Diagnostic} Diagnostic */
const yaml = () => $("yaml", HTMLTextAreaElement);
const STARTER = `title: My routine
description: What it is for, in a sentence.
safety:
  - Stop if anything hurts.
steps:
  - name: Reach up
    say: Stand tall, and reach both arms up.
    hold: 20s
  - name: Fold forward
    say: Now fold forward slowly, knees soft.
    hold: 20s
`;

/**
 * Draw one number per line, the lines with a problem marked.
 * @param {Map<number, "error" | "warning">} [marked]  line → mark (default: the last drawn)
 */
function drawGutter(marked = state.marked) {
  state.marked = marked;
  const lines = yaml().value.split("\n").length;
  const gutter = $("gutter");
  const rows = [];
  for (let line = 1; line <= lines; line++) {
    const mark = marked.get(line);
    const row = el("span", String(line), mark ? `line ${mark}` : "line");
    if (mark) row.title = `line ${line} has a problem`;
    rows.push(row);
  }
  gutter.replaceChildren(...rows);
  gutter.scrollTop = yaml().scrollTop;
}

/**
 * Put the caret at line:col (1-based) and scroll the text area (and its gutter) to show it:
 * the line in the middle, the column in view (focus and a selection alone do not scroll it).
 * @param {number} line
 * @param {number} col
 */
function goTo(line, col) {
  const area = yaml();
  const offset = offsetAt(area.value, line, col);
  area.focus({ preventScroll: true });
  area.setSelectionRange(offset, offset);
  const style = getComputedStyle(area);
  const linePx = parseFloat(style.lineHeight) || 1.5 * parseFloat(style.fontSize);
  area.scrollTop = scrollTopFor(line, linePx, area.clientHeight);
  const columnPx = (col - 1) * 0.6 * parseFloat(style.fontSize); // a monospace character is about 0.6 em
  area.scrollLeft = columnPx < area.clientWidth * 0.8 ? 0 : Math.round(columnPx - area.clientWidth / 2);
  $("gutter").scrollTop = area.scrollTop;
  area.closest(".code")?.scrollIntoView({ block: "nearest" }); // the editor itself on the screen
}

/** Validate the text on the server; list its problems, mark their lines, preview it when valid. */
async function check() {
  const mine = ++state.serial.editor;
  const text = yaml().value;
  const result = await api.validate(text);
  if (mine !== state.serial.editor) return;
  /** @type {Diagnostic[]} */
  const diagnostics = [...((result.body && result.body.diagnostics) || [])];
  if (!result.ok && !diagnostics.length) diagnostics.push({ line: 0, col: 0, message: problem(result), severity: "error" });
  const list = $("problems");
  list.replaceChildren();
  for (const d of diagnostics) {
    const item = el("li", "", d.severity === "warning" ? "warning" : "error");
    const where = el("button", d.line ? `${d.line}:${d.col}` : "—", "where");
    where.type = "button";
    where.addEventListener("click", () => goTo(d.line, d.col));
    item.append(where, el("span", ` ${d.message}`));
    list.append(item);
  }
  drawGutter(lineMarks(diagnostics));
  const errors = errorCount(diagnostics);
  const ok = result.ok && result.body.ok && !errors;
  $("validity").textContent = ok ? "Valid routine." : `${plural(errors, "problem")}.`;
  $("validity").className = ok ? "validity ok" : "validity bad";
  $("save", HTMLButtonElement).disabled = !ok;
  if (ok) timeline(text, mine);
}

/**
 * Preview `text`'s timeline: its chapters with their start and length.
 * @param {string} text
 * @param {number} mine  the check it belongs to (a newer check drops it)
 */
async function timeline(text, mine) {
  const result = await api.preview({ yaml: text }, {});
  if (mine !== state.serial.editor) return;
  const list = $("timeline");
  if (!result.ok) {
    $("timeline-length").textContent = "";
    list.replaceChildren(el("li", problem(result), "error"));
    return;
  }
  $("timeline-length").textContent = lengthText(result.body.duration_ms, result.body.estimated, result.body.measuring);
  if (result.body.estimated) setTimeout(() => { if (mine === state.serial.editor) timeline(text, mine); }, 1500);
  list.replaceChildren(...result.body.chapters.map((c) => {
    const item = el("li");
    item.append(el("span", clock(c.start_ms), "at"), el("span", ` ${c.title} `), el("span", `(${clock(c.end_ms - c.start_ms)})`, "muted"));
    return item;
  }));
}

/**
 * Open the editor on routine `name` (a copy of its text), or on what is there already.
 * @param {string} name  "" for what is there (the starter when empty)
 * @param {(message: string) => void} notify
 */
export async function showEditor(name, notify) {
  if (name) {
    const result = await api.routine(name);
    if (!result.ok) return notify(problem(result));
    yaml().value = result.body.yaml || "";
    $("save-name", HTMLInputElement).value = result.body.source === "user" ? result.body.name
      : `my-${result.body.name}`.slice(0, 64);
  } else if (!yaml().value.trim()) {
    yaml().value = STARTER;
  }
  drawGutter();
  check();
}

/**
 * Wire the editor's text area and Save button (once).
 * @param {(message: string) => void} notify
 */
export function setUpEditor(notify) {
  const area = yaml();
  const later = debounce(check, 300);
  area.addEventListener("input", () => { drawGutter(); later(); });
  area.addEventListener("scroll", () => { $("gutter").scrollTop = area.scrollTop; });
  $("save").addEventListener("click", async () => {
    const name = $("save-name", HTMLInputElement).value.trim();
    if (!ROUTINE_NAME.test(name)) {
      $("save-result").textContent = "A name is lower-case letters, digits and dashes.";
      return;
    }
    const result = await api.save(name, area.value);
    $("save-result").textContent = result.ok ? `Saved to ${result.body.path}` : problem(result);
    if (!result.ok && result.status !== 422) notify(problem(result));
  });
}
