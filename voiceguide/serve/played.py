"""The page's side of the history `voiceguide play` keeps (:mod:`voiceguide.play.history`,
the same SQLite database): ``GET /api/history`` shows it (the weekly streak and the minutes
a day of :func:`~voiceguide.play.history.practice`, the newest sessions), and ``POST
/api/history`` records a session played on the page, with how far it got, each time its
playback pauses or ends. A play is one row: the page names each play by an id of its own
(made once, when the play starts), the first report of that id adds the row, and every other
report of it carries that row further (never back), in whatever order they arrive.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..formatting import shown
from ..routine.schema import MAX_DURATION_MS
from .answers import error

if TYPE_CHECKING:
    from ..play.history import PlayRecord
    from .jobs import PacingRequest

#: sessions listed by GET /api/history unless ``?limit=`` says (1 to MAX_LIMIT)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
#: plays this server added a row for and may carry further (the newest; a later report of an
#: older play starts a new row)
MAX_PLAYS = 256
#: a play's id, as the page makes it: 128 random bits in lowercase hex
PLAY_ID = re.compile(r"[0-9a-f]{32}")
#: the keys a report may have (any other is refused: the body's fields are bounded)
REPORT_KEYS = frozenset({"session", "play", "position_ms", "ended"})
_REPORT_SHAPE = '{"session": ID, "play": PLAY_ID, "position_ms": MS, "ended": false}'


def history_limit(query: Mapping[str, str]) -> int:
    """``?limit=N`` (1 to :data:`MAX_LIMIT`), else :data:`DEFAULT_LIMIT`; 400 otherwise."""
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_LIMIT):
        raise error(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def history_document(limit: int, today: date) -> dict[str, object]:
    """What ``GET /api/history`` answers: the streak, the days of the chart, the sessions."""
    from ..service import history

    found = history(today)
    shown, records, resumable = found.practice, found.records, found.resume
    return {
        "weekly_streak": shown.weekly_streak,
        "played_ms": shown.played_ms,
        "days": [{"date": d.day.isoformat(), "played_ms": d.played_ms} for d in shown.days],
        "sessions": [_session(r) for r in records[:limit]],
        "resume": resumable.id if resumable else None,
    }


def _session(record: PlayRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "title": record.title,
        "pacing": record.pacing,
        "started": record.started.isoformat(),
        "duration_ms": record.duration_ms,
        "stopped_ms": record.stopped_ms,
        "step_index": record.step_index,
        "step_title": record.step_title,
        "completed": record.completed,
    }


@dataclass(frozen=True)
class Report:
    """A page's report of a play: ``play`` (the page's id of that play) of session
    ``session`` heard up to ``position_ms`` (``ended``: to its end)."""

    session: str
    play: str
    position_ms: int
    ended: bool


def read_report(body: Mapping[str, Any]) -> Report:
    """The report in a POST's JSON body; 400 naming what is wrong."""
    unknown = next((key for key in body if key not in REPORT_KEYS), None)
    if unknown is not None:
        raise error(400, f"unknown key {shown(unknown)}: give {_REPORT_SHAPE}")
    session = body.get("session")
    play = body.get("play")
    position = body.get("position_ms")
    ended = body.get("ended", False)
    if not isinstance(session, str):
        raise error(400, f"give {_REPORT_SHAPE}")
    if not isinstance(play, str) or PLAY_ID.fullmatch(play) is None:
        raise error(400, "play must be the page's id of the play: 32 lowercase hex digits")
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= MAX_DURATION_MS:
        raise error(400, "position_ms must be a whole number of ms from 0 to 24 hours")
    if not isinstance(ended, bool):
        raise error(400, "ended must be true or false")
    return Report(session, play, position, ended)


def page_arguments(pacing: PacingRequest) -> tuple[str, ...]:
    """The page's pacing as ``play`` options, so that ``play --resume`` replays it."""
    from ..routine.pacing_settings import BY_KEY

    arguments: list[str] = []
    for key, value in pacing.values.items():
        setting = BY_KEY[key]
        label = getattr(value, "label", None)  # a BreathPattern: "4-7-8"
        if callable(label):
            text = str(label())
        elif setting.kind == "duration":
            text = f"{value}ms"  # whole ms; a bare number would be seconds
        else:
            text = repr(value) if isinstance(value, float) else str(value)
        arguments += [setting.option, text]
    if pacing.background:
        arguments += ["--background", pacing.background]
    return tuple(arguments)


def play_record(
    meta: Mapping[str, Any], routine: str, arguments: tuple[str, ...], report: Report
) -> PlayRecord:
    """The history row of ``report`` on the rendered session ``meta`` (its description),
    of ``routine`` (a bundled name or a file's path) played at ``arguments``."""
    from ..play.history import PlayRecord
    from ..timing.timeline import END_PADDING_MS

    duration_ms = int(meta["duration_ms"])
    chapters = meta["doc"]["chapters"]
    stopped_ms = min(report.position_ms, duration_ms)
    completed = report.ended or stopped_ms >= duration_ms - END_PADDING_MS
    if completed:
        stopped_ms = duration_ms
    index = max((n for n, c in enumerate(chapters) if int(c["start_ms"]) <= stopped_ms), default=0)
    return PlayRecord(
        routine=routine,
        title=str(meta.get("title") or routine),
        arguments=arguments,
        pacing=f"the page · {meta.get('pacing', '')}",
        started=datetime.now(UTC),
        duration_ms=duration_ms,
        stopped_ms=stopped_ms,
        step_index=index,
        step_title=str(chapters[index]["title"]) if chapters else "",
        completed=completed,
    )


class Plays:
    """The rows this server added, by play (session id and the page's play id → row id), the
    newest :data:`MAX_PLAYS`: a report carries on only a row this server made for that play."""

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, record: PlayRecord, report: Report) -> int:
        """Save ``record`` as a new row for the report's play, or carry that play's row
        further (the report of a known play is an update, whatever the order reports come
        in: how far it got only grows); the row's id."""
        from ..play.history import advance, save

        play = (report.session, report.play)
        with self._lock:  # one report at a time: two reports of one play racing stay one row
            row = self._rows.get(play)
            if row is not None and advance(row, record):
                self._rows.move_to_end(play)
                return row
            row = save(record)  # a new play, or its row is gone (the history was cleared)
            self._rows[play] = row
            self._rows.move_to_end(play)
            while len(self._rows) > MAX_PLAYS:
                self._rows.popitem(last=False)
            return row
