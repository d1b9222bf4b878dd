"""``play --listen`` in the play loop: the microphone and the recognizer opened, the
listening thread told what the session sounds as it plays, each command heard carried out
(:func:`voiceguide.play.controls.act`, as keys are) and confirmed by a short sound.

Nothing here prints: what the user should read goes back through :class:`Messages`
(the command line prints it) and :attr:`Listening.said` (the display shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import VoiceguideError
from ..timing.timeline import Timeline
from .controls import DONE, act
from .echo import TAPS, PlayedSound
from .listen import HEAR_OVER_GUIDE, GuideVoice, VoiceCommands
from .player import Player
from .sink import SimpleaudioSink

if TYPE_CHECKING:
    from .recognizers import LoadingRecognizer

#: what listening says, to be shown to the user: say "pause", … (the line printed first)
COMMANDS_HINT = 'Listening: say "pause", "resume", "next", "back", "repeat" or "stop".'
#: s a heard command stays on the display
SHOWN_S = 3.0
#: s of what plays next told to the listener at each tick (ticks come every 0.1 s)
AHEAD_S = 0.4
#: s that closing waits for the recognizer to finish what it is hearing: a process that
#: exits while CTranslate2 decodes on another thread crashes (exit 139, or 134 with
#: "terminate called without an active exception", after "Session complete"); a look takes
#: 0.1-1 s of CPU, several seconds on a loaded machine
CLOSING_S = 30.0


class ListeningUnavailable(VoiceguideError):
    """Listening could not start (no microphone, a busy one, no recognizer); the message is
    the one line to show, ending with "The session plays on." (it does)."""


@dataclass(frozen=True)
class Messages:
    """Where listening's words go (the command line prints them): ``heard``, a command
    heard and done (``heard "next": next step``); ``warning``, listening stopped (one line,
    the session plays on); ``note``, something heard and not acted on (for ``-v``)."""

    heard: Callable[[str], None]
    warning: Callable[[str], None]
    note: Callable[[str], None]


class Listening:
    """The listening thread (``commands``) and what it needs from the play loop: call
    :meth:`step` every tick. The heard command shown stays in :attr:`said` for
    :data:`SHOWN_S`. ``confirmation``: the sound that says a command was heard."""

    def __init__(
        self,
        commands: VoiceCommands,
        guide: GuideVoice,
        messages: Messages,
        clock: Callable[[], float] = time.monotonic,
        confirmation: Callable[[GuideVoice], None] | None = None,
        loading: LoadingRecognizer | None = None,
    ) -> None:
        self.commands = commands
        self.loading = loading  # the recognizer, while it loads (its failure is warned of)
        self._loader = loading  # (close waits for its load)
        self.guide = guide
        self.messages = messages
        self.clock = clock
        self.confirmation = confirm if confirmation is None else confirmation
        self.said = ""
        self._said_at = 0.0
        self._warned = False

    def step(self, player: Player) -> bool:
        """Tell the listener what played, act on what it heard; False to stop."""
        now = self.clock()
        self.guide.observe(now, player.position() * 1000 // player.rate, player.paused)
        self._tell_played(player, now)
        if self.commands.failure and not self._warned:
            self._warned = True
            self.messages.warning(f"stopped listening: {self.commands.failure}; the session plays on")
        if self.loading is not None and self.loading.ready(0):
            failure, self.loading = self.loading.failure, None
            if failure is not None:
                self.messages.warning(f"not listening: {failure}. The session plays on.")
            else:
                self.messages.note("the recognizer is ready")
        if self.said and now - self._said_at > SHOWN_S:
            self.said = ""
        while not self.commands.notes.empty():
            self.messages.note(self.commands.notes.get())
        heard = self.commands.poll()
        if heard is None:
            return True
        self.said, self._said_at = f'heard "{heard.command}": {DONE[heard.command]}', now
        self.messages.heard(self.said)
        self.confirmation(self.guide)
        going = act(player, heard.command)
        self.guide.jumped()
        self._tell_played(player, self.clock())
        return going

    def _tell_played(self, player: Player, now: float) -> None:
        """What the device plays from ``now`` (the next :data:`AHEAD_S`), at the capture
        rate, for the echo canceller."""
        played = self.commands.played
        if played is None:
            return
        import numpy as np

        first, pcm = player.upcoming(round(AHEAD_S * player.rate), before=TAPS)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        played.play_at(first, samples, player.rate)

    def close(self) -> None:
        """Stop listening, once a look the recognizer is in the middle of (or its model's
        load) has ended (up to :data:`CLOSING_S`): the process must not exit while Whisper
        runs on another thread."""
        self.commands.close()
        self.commands.wait(CLOSING_S)
        if self._loader is not None:  # nor while the model loads on its thread
            self._loader.ready(CLOSING_S)


def open_listening(player: Player, messages: Messages) -> Listening:
    """The microphone opened and the listening thread started for ``player``, the recognizer
    loading meanwhile (:class:`~voiceguide.play.recognizers.LoadingRecognizer`: the session
    need not wait for it); raises :class:`ListeningUnavailable` with the one line saying why
    not (no microphone, a busy one, the recognizer not installed)."""
    from . import recognizers
    from .microphone import NO_MICROPHONE_HINT, AlsaMicrophone, MicrophoneError

    try:
        microphone = AlsaMicrophone()
    except MicrophoneError as exc:
        raise ListeningUnavailable(
            f"not listening: {exc.message}; {exc.hint or NO_MICROPHONE_HINT}. The session plays on."
        ) from exc
    if not recognizers.is_installed("whisper"):
        microphone.close()
        install = " ".join(recognizers.INSTALL["whisper"].split())
        raise ListeningUnavailable(
            f"not listening: voice commands need the speech recognizer Whisper tiny.en (the hearing "
            f"extra), which is not installed: {install}. The session plays on."
        )
    recognizer = recognizers.LoadingRecognizer("whisper")
    guide = GuideVoice(
        lambda start_ms, end_ms: speech_texts(player.timeline, start_ms, end_ms),
        lambda start_ms, end_ms: speech_spans(player.timeline, start_ms, end_ms),
    )
    commands = VoiceCommands(
        microphone, recognizer, guide, played=PlayedSound(), hear_over_guide=HEAR_OVER_GUIDE
    )
    return Listening(commands.start(), guide, messages, loading=recognizer)


def speech_spans(timeline: Timeline, start_ms: int, end_ms: int) -> tuple[tuple[int, int], ...]:
    """When the session speaks in ``[start_ms, end_ms)``: each sentence's (start, end),
    session ms, cut to that window."""
    return tuple(
        (max(e.start_ms, start_ms), min(e.end_ms, end_ms))
        for e in timeline.events
        if e.kind == "speech" and e.start_ms < end_ms and start_ms < e.end_ms
    )


def speech_texts(timeline: Timeline, start_ms: int, end_ms: int) -> tuple[str, ...]:
    """The words the session speaks at some time in ``[start_ms, end_ms)`` (session ms), each
    sentence's words placed evenly over its clip (speech is not even: the listener allows
    :data:`~voiceguide.play.listen.WORD_SLACK_MS` around them)."""
    said: list[str] = []
    for e in timeline.events:
        if e.kind != "speech" or not (e.start_ms < end_ms and start_ms < e.end_ms):
            continue
        words = e.text.split()
        each = (e.end_ms - e.start_ms) / max(1, len(words))
        said += [
            word
            for i, word in enumerate(words)
            if e.start_ms + i * each < end_ms and start_ms < e.start_ms + (i + 1) * each
        ]
    return tuple(said)


#: the confirmation: a short two-note blip (ms, Hz)
BLIP = ((70, 880), (90, 1320))
BLIP_RATE = 22_050
_CONFIRMATION: list[SimpleaudioSink] = []  # the blip's own stream, opened on first use


def confirm(guide: GuideVoice) -> None:
    """A short sound on a stream of its own beside the session's, marked as ours so the
    listener does not hear it; a device that cannot play two streams at once stays silent."""
    try:
        if not _CONFIRMATION:
            _CONFIRMATION.append(SimpleaudioSink())
        _CONFIRMATION[0].start(memoryview(blip()), BLIP_RATE)
    except VoiceguideError:
        return
    now = time.monotonic()
    guide.mark(now, now + sum(ms for ms, _ in BLIP) / 1000)


def blip() -> bytes:
    """The confirmation's PCM: mono int16 at :data:`BLIP_RATE`."""
    import numpy as np

    parts = []
    for ms, hz in BLIP:
        t = np.arange(BLIP_RATE * ms // 1000) / BLIP_RATE
        envelope = np.sin(np.pi * t / t[-1]) ** 2
        parts.append(0.25 * envelope * np.sin(2 * np.pi * hz * t))
    return bytes((np.concatenate(parts) * 32767).astype("<i2").tobytes())
