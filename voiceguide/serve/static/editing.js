// @ts-check
// The editor's text work (pure): where line:col is in the text, which lines have a problem.

/** a routine name the server saves: lower-case letters, digits and dashes, 1-64 */
export const ROUTINE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * The offset in `text` of line:col (1-based), clamped to the text (a line past the end is
 * the end of the last line; a column past a line's end is that end).
 * @param {string} text
 * @param {number} line
 * @param {number} col
 * @returns {number}
 */
export function offsetAt(text, line, col) {
  const lines = text.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  if (line > lines.length) return text.length;
  return offset + Math.max(0, Math.min(col - 1, (lines[line - 1] || "").length));
}

/**
 * The text area's scroll offset (px) that shows `line` (1-based) in the middle of a view
 * `viewPx` high, each line `linePx` high (lines do not wrap in the editor); 0 near the top.
 * @param {number} line
 * @param {number} linePx
 * @param {number} viewPx
 * @returns {number}
 */
export function scrollTopFor(line, linePx, viewPx) {
  return Math.max(0, Math.round((line - 1) * linePx - (viewPx - linePx) / 2));
}

/**
 * The lines with a problem: line → "error" when any of its diagnostics is an error, else
 * "warning". Diagnostics not at a line (0) mark none.
 * @param {{line: number, severity: string}[]} diagnostics
 * @returns {Map<number, "error" | "warning">}
 */
export function lineMarks(diagnostics) {
  /** @type {Map<number, "error" | "warning">} */
  const marked = new Map();
  for (const d of diagnostics) {
    if (d.line && marked.get(d.line) !== "error") marked.set(d.line, d.severity === "warning" ? "warning" : "error");
  }
  return marked;
}

/**
 * How many of `diagnostics` are errors (anything not a warning).
 * @param {{severity: string}[]} diagnostics
 * @returns {number}
 */
export function errorCount(diagnostics) {
  return diagnostics.filter((d) => d.severity !== "warning").length;
}
