// @ts-check
// The timeline picture on the page (the SVG `voiceguide show --svg` writes): on the Routine
// view at the pacing asked for, and on the player, where a marker follows audio.currentTime
// (along the strip of chapters and inside the current chapter's bar, which is highlighted).
import { api } from "./api.js";
import { $ } from "./dom.js";
import { markerX, readSpan, spanAt } from "./marker.js";
import { state } from "./state.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * The picture in `text` as an element of this page, its ids prefixed with `prefix` (two
 * pictures may be in the page at once: ids stay unique, aria-labelledby follows them).
 * @param {string} text
 * @param {string} prefix
 * @returns {SVGSVGElement | null}  null for what is not an SVG picture
 */
function adopt(text, prefix) {
  const root = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  if (!(root instanceof SVGSVGElement)) return null; // a parse error is a <parsererror> document
  for (const node of root.querySelectorAll("script, foreignObject")) node.remove();
  for (const node of root.querySelectorAll("[id]")) node.id = `${prefix}-${node.id}`;
  const labelled = (root.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
  root.setAttribute("aria-labelledby", labelled.map((id) => `${prefix}-${id}`).join(" "));
  root.removeAttribute("width"); // the style sheet sizes it to the column (the viewBox keeps its shape)
  root.removeAttribute("height");
  return /** @type {SVGSVGElement} */ (document.importNode(root, true));
}

/**
 * Put `text`'s picture in the figure `id` (hidden when there is none).
 * @param {string} id
 * @param {string | null} text
 */
function show(id, text) {
  const figure = $(id);
  const svg = text === null ? null : adopt(text, id);
  figure.replaceChildren(...(svg ? [svg] : []));
  figure.hidden = !svg;
}

/**
 * The Routine view's picture of routine `name` at `pacing` (a newer call wins).
 * @param {string} name
 * @param {import("./api.js").Pacing} pacing
 */
export async function drawRoutinePicture(name, pacing) {
  const serial = ++state.serial.picture;
  const result = await api.routinePicture(name, pacing);
  if (serial !== state.serial.picture) return; // the pacing changed meanwhile
  show("routine-picture", result.ok ? result.body : null);
}

/**
 * Follow `player`: once a session plays from its rendered file, its picture; the marker
 * wherever the audio is (on every time update and seek, and 10 times a second while playing).
 * @param {import("./player.js").Player} player
 */
export function followPlayer(player) {
  const audio = player.audio;
  audio.addEventListener("loadedmetadata", () => loadSessionPicture(player));
  const mark = () => markPlayer(player.ms());
  for (const kind of ["timeupdate", "seeking", "seeked", "play", "pause", "ended"]) audio.addEventListener(kind, mark);
  const everyFrame = () => {
    if (!audio.paused && Math.abs(player.ms() - state.picture.markedAt) >= 100) mark();
    requestAnimationFrame(everyFrame);
  };
  requestAnimationFrame(everyFrame);
}

/** @param {import("./player.js").Player} player */
async function loadSessionPicture(player) {
  const id = player.id;
  if (!id || player.live || state.picture.session === id) return; // live: its times are provisional
  state.picture.session = id;
  show("player-picture", null);
  const result = await api.sessionPicture(id);
  if (player.id !== id) return;
  show("player-picture", result.ok ? result.body : null);
  markPlayer(player.ms());
}

/**
 * Move the player picture's markers to `ms` of the session.
 * @param {number} ms
 */
function markPlayer(ms) {
  state.picture.markedAt = ms;
  const svg = $("player-picture").querySelector("svg");
  if (!svg) return;
  const overview = svg.querySelector(".tl-overview");
  const marker = svg.querySelector(".tl-marker");
  if (overview && marker) place(marker, markerX(readSpan((name) => overview.getAttribute(name)), ms));
  const rows = [...svg.querySelectorAll(".tl-row")];
  const index = spanAt(rows.map((row) => readSpan((name) => row.getAttribute(name))), ms);
  rows.forEach((row, n) => row.classList.toggle("tl-current", n === index));
  const bar = index >= 0 ? rows[index].querySelector(".tl-bar") : null;
  let inRow = svg.querySelector(".tl-row-marker");
  if (!inRow) {
    inRow = document.createElementNS(SVG_NS, "line");
    inRow.setAttribute("class", "tl-row-marker");
    svg.append(inRow);
  }
  if (!bar) { inRow.setAttribute("visibility", "hidden"); return; }
  const top = Number(bar.getAttribute("y") || 0);
  inRow.setAttribute("y1", String(top - 6));
  inRow.setAttribute("y2", String(top + Number(bar.getAttribute("height") || 0) + 4));
  place(inRow, markerX(readSpan((name) => bar.getAttribute(name)), ms));
}

/**
 * A vertical marker line at `x`, shown.
 * @param {Element} line
 * @param {number} x
 */
function place(line, x) {
  line.setAttribute("x1", x.toFixed(2));
  line.setAttribute("x2", x.toFixed(2));
  line.setAttribute("visibility", "visible");
}
