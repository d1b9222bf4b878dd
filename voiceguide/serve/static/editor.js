// The Editor: YAML in a text area with line numbers; every pause in typing validates it on
// the server (the same loader as the CLI), errors listed at line:col and marked in the gutter;
// a timeline preview; save into the user routines folder.
import { api, clock, debounce, el, problem } from "./api.js";

const $ = (id) => document.getElementById(id);
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
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
let serial = 0;
let lastMarked = new Map(); // line → "error" | "warning", kept while typing

/** Draw one number per line, the lines with a problem marked. */
function drawGutter(marked = lastMarked) {
  lastMarked = marked;
  const lines = $("yaml").value.split("\n").length;
  const gutter = $("gutter");
  const rows = [];
  for (let line = 1; line <= lines; line++) {
    const row = el("span", String(line), marked.has(line) ? `line ${marked.get(line)}` : "line");
    if (marked.has(line)) row.title = `line ${line} has a problem`;
    rows.push(row);
  }
  gutter.replaceChildren(...rows);
  gutter.scrollTop = $("yaml").scrollTop;
}

/** Put the caret at line:col (1-based) and scroll it into view. */
function goTo(line, col) {
  const area = $("yaml");
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  offset += Math.max(0, Math.min(col - 1, (lines[line - 1] || "").length));
  area.focus();
  area.setSelectionRange(offset, offset);
}

async function check() {
  const mine = ++serial;
  const yaml = $("yaml").value;
  const result = await api.validate(yaml);
  if (mine !== serial) return;
  const diagnostics = (result.body && result.body.diagnostics) || [];
  if (!result.ok && !diagnostics.length) diagnostics.push({ line: 0, col: 0, message: problem(result), severity: "error" });
  const marked = new Map();
  const list = $("problems");
  list.replaceChildren();
  for (const d of diagnostics) {
    const item = el("li", "", d.severity === "warning" ? "warning" : "error");
    const where = el("button", d.line ? `${d.line}:${d.col}` : "—", "where");
    where.type = "button";
    where.addEventListener("click", () => goTo(d.line, d.col));
    item.append(where, el("span", ` ${d.message}`));
    list.append(item);
    if (d.line && marked.get(d.line) !== "error") marked.set(d.line, d.severity === "warning" ? "warning" : "error");
  }
  drawGutter(marked);
  const errors = diagnostics.filter((d) => d.severity !== "warning").length;
  const ok = result.ok && result.body.ok && !errors;
  $("validity").textContent = ok ? "Valid routine." : `${errors} problem${errors === 1 ? "" : "s"}.`;
  $("validity").className = ok ? "validity ok" : "validity bad";
  $("save").disabled = !ok;
  if (ok) timeline(yaml, mine);
}

async function timeline(yaml, mine) {
  const result = await api.preview({ yaml }, {});
  if (mine !== serial) return;
  const list = $("timeline");
  if (!result.ok) {
    $("timeline-length").textContent = "";
    list.replaceChildren(el("li", problem(result), "error"));
    return;
  }
  $("timeline-length").textContent = clock(result.body.duration_ms);
  list.replaceChildren(...result.body.chapters.map((c) => {
    const item = el("li");
    item.append(el("span", clock(c.start_ms), "at"), el("span", ` ${c.title} `), el("span", `(${clock(c.end_ms - c.start_ms)})`, "muted"));
    return item;
  }));
}

/** Open the editor on routine `name` (a copy of its text), or on what is there already. */
export async function showEditor(name, notify) {
  if (name) {
    const result = await api.routine(name);
    if (!result.ok) return notify(problem(result));
    $("yaml").value = result.body.yaml || "";
    $("save-name").value = result.body.source === "user" ? result.body.name : `my-${result.body.name}`.slice(0, 64);
  } else if (!$("yaml").value.trim()) {
    $("yaml").value = STARTER;
  }
  drawGutter();
  check();
}

export function setUpEditor(notify) {
  const area = $("yaml");
  const later = debounce(check, 300);
  area.addEventListener("input", () => { drawGutter(); later(); });
  area.addEventListener("scroll", () => { $("gutter").scrollTop = area.scrollTop; });
  $("save").addEventListener("click", async () => {
    const name = $("save-name").value.trim();
    if (!NAME.test(name)) {
      $("save-result").textContent = "A name is lower-case letters, digits and dashes.";
      return;
    }
    const result = await api.save(name, area.value);
    $("save-result").textContent = result.ok ? `Saved to ${result.body.path}` : problem(result);
    if (!result.ok && result.status !== 422) notify(problem(result));
  });
}
