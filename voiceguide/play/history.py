"""What was played: every finished or stopped ``play``, in a small SQLite database.

The database is ``history.sqlite3`` in the user data directory (``$VOICEGUIDE_DATA_DIR``,
else platformdirs' ``user_data_dir``: ``~/.local/share/voiceguide`` on Linux). It holds one
row per session: the routine (a bundled name, or a file's absolute path), the options
that replay it, a pacing summary, when it started, where it ended (session ms and
chapter index) and whether it was completed.

I/O is :func:`save`, :func:`advance` and :func:`load`; anything the database does wrong
(locked, corrupt, unwritable) is a :class:`HistoryError`, which ``play`` turns into a
one-line warning. :func:`weekly_streak`, :func:`practice` (the streak and the minutes a day
that ``voiceguide history`` and the page's history both show) and :func:`to_resume` are pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import VoiceguideError
from ..formatting import format_ms

if TYPE_CHECKING:
    import sqlite3

    from ..timing.pacing import Pacing

HISTORY_FILE = "history.sqlite3"
#: how long a save or load waits for another process's lock, in seconds
LOCK_TIMEOUT_S = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    routine TEXT NOT NULL,
    title TEXT NOT NULL,
    arguments TEXT NOT NULL,      -- JSON list of the play options that replay it
    pacing TEXT NOT NULL,
    started TEXT NOT NULL,        -- ISO 8601, UTC
    duration_ms INTEGER NOT NULL,
    stopped_ms INTEGER NOT NULL,
    step_index INTEGER NOT NULL,  -- 0-based chapter (`--from` counts from 1)
    step_title TEXT NOT NULL,
    completed INTEGER NOT NULL
)
"""
_COLUMNS = (
    "routine",
    "title",
    "arguments",
    "pacing",
    "started",
    "duration_ms",
    "stopped_ms",
    "step_index",
    "step_title",
    "completed",
)


class HistoryError(VoiceguideError):
    """The history database could not be read or written (exit 1)."""


@dataclass(frozen=True)
class PlayRecord:
    """One played session. Times in ms of the session; ``started`` is timezone-aware."""

    routine: str  # a bundled routine's name, or the absolute path of a routine file
    title: str
    arguments: tuple[str, ...]  # the play options that replay its pacing and mix
    pacing: str  # a summary for people, e.g. "standard · 150 wpm"
    started: datetime
    duration_ms: int
    stopped_ms: int  # where it ended (duration_ms when completed)
    step_index: int  # 0-based index of the chapter it ended in
    step_title: str
    completed: bool
    id: int = 0  # the database's row id (0 before it is saved)


def history_file() -> Path:
    from ..userdirs import data_dir

    return data_dir() / HISTORY_FILE


def save(record: PlayRecord, path: Path | None = None, *, timeout_s: float = LOCK_TIMEOUT_S) -> int:
    """Add ``record`` to the database at ``path`` (default :func:`history_file`), creating it;
    its row id."""
    import json

    path = path or history_file()
    row = (
        record.routine,
        record.title,
        json.dumps(list(record.arguments)),
        record.pacing,
        record.started.astimezone(UTC).isoformat(),
        record.duration_ms,
        record.stopped_ms,
        record.step_index,
        record.step_title,
        int(record.completed),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"cannot create the history folder {path.parent}: {exc.strerror}") from None
    with _connection(path, timeout_s) as connection:
        placeholders = ", ".join("?" for _ in _COLUMNS)
        cursor = connection.execute(
            f"INSERT INTO sessions ({', '.join(_COLUMNS)}) VALUES ({placeholders})", row
        )
        return int(cursor.lastrowid or 0)


def advance(
    row_id: int,
    reached: PlayRecord,
    path: Path | None = None,
    *,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> bool:
    """Carry the saved session ``row_id`` on to ``reached`` (the same session, further on: a
    page reports its position each time playback pauses or ends). How far it got only grows:
    a position before the saved one, or a session already completed, changes nothing.
    Whether the row exists."""
    path = path or history_file()
    if not path.exists():
        return False
    with _connection(path, timeout_s) as connection:
        cursor = connection.execute(
            "UPDATE sessions SET stopped_ms = ?, step_index = ?, step_title = ?, completed = ? "
            "WHERE id = ? AND completed = 0 AND (stopped_ms < ? OR ? = 1)",
            (
                reached.stopped_ms,
                reached.step_index,
                reached.step_title,
                int(reached.completed),
                row_id,
                reached.stopped_ms,
                int(reached.completed),
            ),
        )
        if cursor.rowcount:
            return True
        return connection.execute("SELECT 1 FROM sessions WHERE id = ?", (row_id,)).fetchone() is not None


def load(
    path: Path | None = None, limit: int | None = None, *, timeout_s: float = LOCK_TIMEOUT_S
) -> list[PlayRecord]:
    """The recorded sessions, newest first (at most ``limit``); none when there is no database."""
    path = path or history_file()
    if not path.exists():
        return []
    query = f"SELECT id, {', '.join(_COLUMNS)} FROM sessions ORDER BY id DESC"
    with _connection(path, timeout_s) as connection:
        rows = connection.execute(query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
    try:
        return [_record(row) for row in rows]
    except (ValueError, TypeError) as exc:
        raise HistoryError(f"the history database {path} holds a row it cannot read ({exc})") from None


class _connection:
    """``with _connection(path, timeout_s) as c:`` one transaction, committed on success;
    every sqlite3 error becomes a :class:`HistoryError` naming the file."""

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        import sqlite3

        try:
            self._connection = sqlite3.connect(self.path, timeout=self.timeout_s)
            self._connection.execute(_SCHEMA)
        except sqlite3.Error as exc:
            self._close()
            raise self._error(exc) from None
        return self._connection

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        import sqlite3

        assert self._connection is not None
        try:
            if kind is None:
                self._connection.commit()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            self._close()
        if isinstance(error, sqlite3.Error):
            raise self._error(error) from None

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _error(self, exc: Exception) -> HistoryError:
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            reason = "it is locked by another voiceguide (busy)"
        elif "not a database" in reason or "malformed" in reason:
            reason = f"it is damaged ({reason}); move it away to start a new history"
        return HistoryError(f"the history database {self.path} could not be used: {reason}")


def _record(row: Sequence[object]) -> PlayRecord:
    import json

    (
        id_,
        routine,
        title,
        arguments,
        pacing,
        started,
        duration_ms,
        stopped_ms,
        step_index,
        step_title,
        completed,
    ) = row
    parsed = json.loads(str(arguments))
    if not isinstance(parsed, list):
        raise ValueError("arguments are not a list")
    return PlayRecord(
        routine=str(routine),
        title=str(title),
        arguments=tuple(str(a) for a in parsed),
        pacing=str(pacing),
        started=datetime.fromisoformat(str(started)),
        duration_ms=int(str(duration_ms)),
        stopped_ms=int(str(stopped_ms)),
        step_index=int(str(step_index)),
        step_title=str(step_title),
        completed=bool(completed),
        id=int(str(id_)),
    )


# ---- pure ---------------------------------------------------------------------------------


def pacing_summary(pacing: Pacing) -> str:
    """A short line for people: the preset, the rate and what differs from scripted."""
    parts = [pacing.preset, f"{pacing.rate_wpm} wpm"]
    if pacing.hold_scale != 1:
        parts.append(f"holds ×{pacing.hold_scale:.4g}")
    if pacing.rest_scale != 1:
        parts.append(f"rests ×{pacing.rest_scale:.4g}")
    if pacing.breath is not None:
        parts.append(f"breath {pacing.breath.label()}")
    if pacing.duration_ms:
        parts.append(f"fitted to {format_ms(pacing.duration_ms)}")
    return " · ".join(parts)


def weekly_streak(records: Iterable[PlayRecord], today: date) -> int:
    """Consecutive ISO weeks, up to ``today``'s, with at least one completed session.

    A week with nothing yet does not break the streak until it is over: on a Wednesday
    with no session yet this week, the streak that ended last week still counts. Weeks
    are those of the local calendar (``started`` in the local time zone)."""
    weeks = {_monday(r.started.astimezone().date()) for r in records if r.completed}
    week = _monday(today)
    if week not in weeks:
        week -= timedelta(weeks=1)
    streak = 0
    while week in weeks:
        streak += 1
        week -= timedelta(weeks=1)
    return streak


@dataclass(frozen=True)
class DayPlayed:
    """How long was played on one day of the local calendar (ms of sessions heard: a
    stopped session counts up to where it stopped)."""

    day: date
    played_ms: int


@dataclass(frozen=True)
class Practice:
    """What the history shows at a glance: the :func:`weekly_streak` and the time played on
    each day of the last :data:`PRACTICE_WEEKS` ISO weeks (this one included, up to
    ``today``), oldest first."""

    weekly_streak: int
    days: tuple[DayPlayed, ...]

    @property
    def played_ms(self) -> int:
        """The time played over :attr:`days`, in ms."""
        return sum(d.played_ms for d in self.days)


#: the weeks the minutes a day are shown for (this week and the three before it)
PRACTICE_WEEKS = 4


def practice(records: Iterable[PlayRecord], today: date) -> Practice:
    """The streak and the time played each day of the last :data:`PRACTICE_WEEKS` weeks, from
    Monday three weeks ago up to ``today`` (local calendar: ``started`` in the local zone)."""
    records = list(records)
    first = _monday(today) - timedelta(weeks=PRACTICE_WEEKS - 1)
    played: dict[date, int] = {}
    for record in records:
        day = record.started.astimezone().date()
        if first <= day <= today:
            heard = record.duration_ms if record.completed else record.stopped_ms
            played[day] = played.get(day, 0) + max(0, min(heard, record.duration_ms))
    days = tuple(
        DayPlayed(first + timedelta(days=n), played.get(first + timedelta(days=n), 0))
        for n in range((today - first).days + 1)
    )
    return Practice(weekly_streak(records, today), days)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())  # ISO weeks begin on Monday


def to_resume(newest_first: Iterable[PlayRecord], routine: str | None = None) -> PlayRecord | None:
    """The session ``play --resume`` carries on: the latest stopped one (of ``routine``,
    if given) whose routine has not been played again since."""
    played_since: set[str] = set()
    for record in newest_first:
        if (
            (routine is None or record.routine == routine)
            and record.routine not in played_since
            and not record.completed
        ):
            return record
        played_since.add(record.routine)
    return None
