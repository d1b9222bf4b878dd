// @ts-check
// The History view (GET /api/history: the weekly streak, a chart of the minutes played each day
// of the last four weeks, the newest sessions) and the reports that put the page's plays in it
// (POST /api/history each time playback pauses or ends: one row per play, named by the page's id of it).
import { api, problem } from "./api.js";
import { $, el } from "./dom.js";
import { clock } from "./format.js";
import { chartBars, chartSummary, howFar, streakText, worthKeeping } from "./practice.js";
import { state } from "./state.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const CHART = { width: 336, height: 120, axis: 20 }; // viewBox units (≈ CSS px on a phone)

/**
 * Show the history.
 * @param {(message: string) => void} notify
 */
export async function showHistory(notify) {
  await state.play.queue; // the reports sent so far land first: the play just paused is listed
  const result = await api.history();
  if (!result.ok) return notify(problem(result));
  const found = result.body;
  $("history-streak").textContent = streakText(found.weekly_streak);
  drawChart(found.days);
  const list = $("history-sessions");
  list.replaceChildren(...found.sessions.map((played) => {
    const item = el("li", "", "card");
    const when = new Date(played.started);
    item.append(el("p", played.title, "card-title"));
    item.append(el("p", `${when.toLocaleDateString()} ${when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${howFar(played, clock)}`));
    item.append(el("p", played.pacing, "muted"));
    return item;
  }));
  $("history-empty").hidden = found.sessions.length > 0;
}

/**
 * An SVG element `tag` with `attributes`, and `text` inside.
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function svgEl(tag, attributes, text = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text) node.textContent = text;
  return node;
}

/** The chart of `days` (GET /api/history's). @param {import("./api.js").HistoryDay[]} days */
function drawChart(days) {
  const { width, height, axis } = CHART;
  const summary = chartSummary(days);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height + axis}`, role: "img", "aria-label": summary, class: "chart" });
  svg.append(svgEl("title", {}, summary));
  for (const bar of chartBars(days, width, height)) {
    const rect = svgEl("rect", { x: bar.x.toFixed(2), y: bar.y.toFixed(2), width: bar.width.toFixed(2), height: bar.height.toFixed(2), class: "chart-bar" });
    rect.append(svgEl("title", {}, bar.label));
    svg.append(rect);
    if (bar.monday) {
      const [, day, month] = bar.label.split(":")[0].split(" ");
      svg.append(svgEl("text", { x: bar.x.toFixed(2), y: height + 15, class: "chart-label", "font-size": 12 }, `${day} ${month}`));
    }
  }
  svg.append(svgEl("line", { x1: 0, x2: width, y1: height + 0.5, y2: height + 0.5, class: "chart-axis" }));
  $("history-chart").replaceChildren(svg);
}

/**
 * Report `player`'s plays to the history: when playback pauses or ends (a session playing
 * live is reported once it plays from its file), and when the page is hidden or closed while
 * playing (no pause event comes then: a closed tab's queued tasks never run). Each play has an
 * id of its own, made once as its first report goes (a play lasts until it is played to its
 * end or another session plays), and every report names it: the server keeps one row per play
 * whatever the order the reports arrive in, so each is sent at once.
 * @param {import("./player.js").Player} player
 */
export function recordPlays(player) {
  player.audio.addEventListener("pause", () => report(player, false));
  player.audio.addEventListener("ended", () => report(player, true));
  const leaving = () => { // hidden, then closed: one report
    if (!state.play.away) report(player, false);
    state.play.away = true;
  };
  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leaving();
    else state.play.away = false;
  });
}

/**
 * Leave the player for another view: pause it and report that play now, not on the pause
 * event (an element fires it in a later task, after the view opened next, History, has
 * asked for the history). The event's own report of the same position is then not sent.
 * @param {import("./player.js").Player} player
 */
export function leavePlayer(player) {
  if (player.audio.paused) return;
  player.audio.pause();
  report(player, false);
}

/**
 * A new play's id: 128 random bits as 32 lowercase hex digits (crypto.randomUUID is only
 * there for a secure context, and a phone opens `serve` over plain http).
 */
function newPlayId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {import("./player.js").Player} player
 * @param {boolean} ended
 */
function report(player, ended) {
  const id = player.id;
  if (!id || player.live || !player.doc) return;
  const play = state.play;
  if (play.session !== id) Object.assign(play, { session: id, id: newPlayId(), reportedMs: -1 });
  const position = Math.max(0, player.ms());
  if (!ended && position === play.reportedMs) return; // reported already (leavePlayer)
  if (!worthKeeping(position, ended, play.reportedMs >= 0)) return; // opened, not practised
  play.reportedMs = position;
  // keepalive: the report of a tab being closed must outlive it
  const sent = api.reportPlay({ session: id, play: play.id, position_ms: position, ended }, true);
  if (ended) play.session = null; // played to its end: playing it again is another play
  play.queue = play.queue.then(() => sent);
}
