// @ts-check
// The page's addresses: #/, #/routine/NAME, #/play/ID, #/edit[/NAME], #/history (pure).

/** @typedef {"library" | "routine" | "player" | "editor" | "history"} View */

/**
 * The view a location hash opens and its argument (decoded; "" when none). An unknown
 * hash, or a routine or session without its name, is the library.
 * @param {string} hash  location.hash, with or without its "#"
 * @returns {{view: View, arg: string}}
 */
export function parseRoute(hash) {
  const [, view = "", ...rest] = hash.replace(/^#/, "").split("/");
  let arg = "";
  try {
    arg = rest.length ? decodeURIComponent(rest.join("/")) : "";
  } catch { arg = ""; } // a broken %-escape names nothing
  if (view === "routine" && arg) return { view: "routine", arg };
  if (view === "play" && arg) return { view: "player", arg };
  if (view === "edit") return { view: "editor", arg };
  if (view === "history") return { view: "history", arg: "" };
  return { view: "library", arg: "" };
}

/**
 * The hash of a view: routineHash("x") → "#/routine/x" (the name encoded).
 * @param {string} name
 */
export const routineHash = (name) => `#/routine/${encodeURIComponent(name)}`;
/** @param {string} id */
export const playHash = (id) => `#/play/${encodeURIComponent(id)}`;
/** @param {string} name */
export const editHash = (name) => `#/edit/${encodeURIComponent(name)}`;
