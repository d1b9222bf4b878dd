// @ts-check
// The page's state, in one place: what the views share and what each keeps between events.
// Modules read and write these fields; nothing else on the page is kept across events
// (the Player keeps its own session on its instance: the <audio> element is its truth).

/** @typedef {ReturnType<typeof setTimeout>} Timer */

export const state = {
  /** the library's routines, as last listed (GET /api/routines) */
  routines: /** @type {import("./api.js").RoutineRow[]} */ ([]),
  /** the library's pending re-listing while lengths are measured, and how many were made */
  relist: { timer: /** @type {Timer | undefined} */ (undefined), tries: 0 },
  /** the routine the Routine view shows */
  routine: /** @type {import("./api.js").RoutineDetail | null} */ (null),
  /** the pacing form's settings (GET /api/pacing-settings, asked once; pacing.js) */
  pacingLoading: /** @type {Promise<import("./pacing.js").PacingSetting[]> | null} */ (null),
  /** the engines' voices (asked once), and the request asking for them */
  voices: /** @type {import("./api.js").VoiceCatalog | null} */ (null),
  voicesLoading: /** @type {Promise<void> | null} */ (null),
  /** the latest request of a view: an answer to an older one is dropped */
  serial: { preview: 0, editor: 0, picture: 0 },
  /** the player's timeline picture: the session it shows, and the ms its marker was last put at */
  picture: { session: /** @type {string | null} */ (null), markedAt: -Infinity },
  /** the play being reported to the history: its session, its id (made as it starts: the server
   * keeps one row per id), the position (ms) last reported (-1: none), the reports sent
   * (History waits for them), and whether the page has been reported going away (hidden or
   * closed) since it was last seen */
  play: { session: /** @type {string | null} */ (null), id: "", reportedMs: -1, queue: /** @type {Promise<unknown>} */ (Promise.resolve()), away: false },
  /** the editor's lines with a problem (line → "error" | "warning"), kept while typing */
  marked: /** @type {Map<number, "error" | "warning">} */ (new Map()),
  /** the route opened next starts playing (set by Play in the Routine view) */
  autoplayNext: false,
  /** the notice line's hiding */
  noticeTimer: /** @type {Timer | undefined} */ (undefined),
};
