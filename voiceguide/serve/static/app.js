// voiceguide's page: a hash router over four views (library, routine, player, editor).
// No build step: plain ES modules served from /static, a strict CSP (no inline script or style).
import { setUpLibrary, setUpRoutine, showLibrary, showRoutine } from "./library.js";
import { Player } from "./player.js";
import { setUpEditor, showEditor } from "./editor.js";

document.getElementById("boot").hidden = true; // the scripts came: the token (if any) is good
const views = ["library", "routine", "player", "editor"];
const notice = document.getElementById("notice");
let noticeTimer = 0;

function notify(message) {
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { notice.hidden = true; }, 8000);
}

const player = new Player(notify);
let autoplayNext = false;

function navigate(hash, { autoplay = false } = {}) {
  autoplayNext = autoplay;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function show(view) {
  for (const name of views) document.getElementById(name).hidden = name !== view;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("here", link.dataset.nav === view);
  }
  document.body.dataset.view = view;
}

function route() {
  const [, view = "", ...rest] = location.hash.replace(/^#/, "").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : "";
  const autoplay = autoplayNext;
  autoplayNext = false;
  if (view !== "play") player.audio.pause();
  notice.hidden = true;
  if (view === "routine" && arg) {
    show("routine");
    showRoutine(arg, notify);
  } else if (view === "play" && arg) {
    show("player");
    player.open(arg, autoplay);
  } else if (view === "edit") {
    show("editor");
    showEditor(arg, notify);
  } else {
    show("library");
    showLibrary(notify);
  }
}

setUpLibrary();
setUpRoutine(navigate, notify);
setUpEditor(notify);
window.addEventListener("hashchange", route);
route();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* plain page without offline */ });
}
