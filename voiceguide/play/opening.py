"""A session's start that never holds up the play loop: the display and the keys come at once.

On a cold cache the lead-in ("Starting in 3, 2, 1") and the session's first sound must be
synthesized before anything is heard: with piper's model to load on a busy machine, 15 s in
which ``play`` drew nothing and a ``q`` typed meanwhile was lost. :class:`Opening` makes the
lead-in on a thread of its own and starts the :class:`~voiceguide.play.player.Player` on the
first turn of the play loop at which it can start without waiting; until then the loop
shows "getting ready…" and acts on ``q`` and Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..pcm.clip import Clip
from .player import Player

#: what the display says while the first sound is being made
GETTING_READY = "getting ready…"


class Opening:
    """Starts ``player`` at ``start_sample`` after the clip ``lead_in()`` makes (None: no
    lead-in), as soon as that can happen without waiting (:meth:`step`). ``lead_in`` runs on
    a daemon thread at once; the error it raises is raised by :meth:`step`."""

    def __init__(
        self, player: Player, start_sample: int, lead_in: Callable[[], Clip | None] | None = None
    ) -> None:
        self.player = player
        self.start_sample = start_sample
        self.started = False
        self._lead: Clip | None = None
        self._error: BaseException | None = None
        self._made = threading.Event()
        if lead_in is None:  # nothing to make first
            self._made.set()
            return
        thread = threading.Thread(target=self._make, args=(lead_in,), name="voiceguide-lead-in", daemon=True)
        thread.start()

    def _make(self, lead_in: Callable[[], Clip | None]) -> None:
        try:
            self._lead = lead_in()
        except BaseException as exc:  # raised on the play loop's thread by step()
            self._error = exc
        finally:
            self._made.set()

    def step(self) -> bool:
        """Start the player if it can play at once (the lead-in made, or none and the
        session's first sound written); whether it has started. Never waits."""
        if self.started:
            return True
        if not self._made.is_set():
            return False
        if self._error is not None:
            raise self._error
        if self._lead is None and not self.player.startable(self.start_sample):
            return False
        self.player.start(self.start_sample, self._lead)
        self.started = True
        return True
