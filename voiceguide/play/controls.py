"""What someone can ask a playing session to do, from the keyboard or by voice: one set of
actions, one place that carries them out on the :class:`~voiceguide.play.player.Player`."""

from __future__ import annotations

from typing import Literal

from .player import Player

#: an action: the voice commands (:data:`voiceguide.play.listen.COMMANDS`) and the space
#: bar's "toggle"
Action = Literal["toggle", "pause", "resume", "next", "back", "repeat", "stop"]

#: the keys (in cbreak mode) and the action each asks for
KEYS: dict[str, Action] = {
    " ": "toggle",
    "n": "next",
    "N": "next",
    "p": "back",
    "P": "back",
    "r": "repeat",
    "R": "repeat",
    "q": "stop",
    "Q": "stop",
}

#: what the display says an action did
DONE: dict[Action, str] = {
    "toggle": "pause/resume",
    "pause": "paused",
    "resume": "playing",
    "next": "next step",
    "back": "back",
    "repeat": "again",
    "stop": "stopping",
}


def act(player: Player, action: Action | None, asked_at: float | None = None) -> bool:
    """Carry out ``action`` (None: nothing); False when it asks to stop. ``asked_at``: when
    it was asked for (s, the player's clock; default now): ``back`` twice is a double
    press by when the keys were pressed, however long the first took."""
    if action == "stop":
        return False
    if action == "toggle":
        player.toggle_pause()
    elif action == "pause":
        player.pause()
    elif action == "resume":
        player.resume()
    elif action == "next":
        player.next_step()
    elif action == "back":
        player.previous_step(asked_at)
    elif action == "repeat":
        player.repeat()
    return True
