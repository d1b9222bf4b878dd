// @ts-check
// voiceguide's page: a hash router over four views (library, routine, player, editor).
// No build step: plain ES modules served from /static, a strict CSP (no inline script or style).
import { $ } from "./dom.js";
import { parseRoute } from "./routes.js";
import { state } from "./state.js";
import { setUpLibrary, setUpRoutine, showLibrary, showRoutine } from "./library.js";
import { Player } from "./player.js";
import { setUpEditor, showEditor } from "./editor.js";
import { leavePlayer, recordPlays, showHistory } from "./history.js";
import { followPlayer } from "./picture.js";

$("boot").hidden = true; // the scripts came: the token (if any) is good
/** @type {import("./routes.js").View[]} */
const views = ["library", "routine", "player", "editor", "history"];
const notice = $("notice");

/**
 * Say `message` on the notice line for 8 s.
 * @param {string} message
 */
function notify(message) {
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => { notice.hidden = true; }, 8000);
}

const player = new Player(notify);

/**
 * Open `hash` (again, if it is the one shown); `autoplay`: the player starts at once.
 * @param {string} hash
 * @param {{autoplay?: boolean}} [options]
 */
function navigate(hash, { autoplay = false } = {}) {
  state.autoplayNext = autoplay;
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** @param {import("./routes.js").View} view */
function show(view) {
  for (const name of views) $(name).hidden = name !== view;
  for (const link of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-nav]"))) {
    link.classList.toggle("here", link.dataset.nav === view);
  }
  document.body.dataset.view = view;
}

function route() {
  const { view, arg } = parseRoute(location.hash);
  const autoplay = state.autoplayNext;
  state.autoplayNext = false;
  if (view !== "player") leavePlayer(player); // paused, and that play reported before History asks
  notice.hidden = true;
  show(view);
  if (view === "routine") showRoutine(arg, notify);
  else if (view === "player") player.open(arg, autoplay);
  else if (view === "editor") showEditor(arg, notify);
  else if (view === "history") showHistory(notify);
  else showLibrary(notify);
}

setUpLibrary();
setUpRoutine(navigate, notify);
setUpEditor(notify);
followPlayer(player); // the timeline picture's marker follows the audio
recordPlays(player); // plays on the page are kept in the history
window.addEventListener("hashchange", route);
route();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* plain page without offline */ });
}
