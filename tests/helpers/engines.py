"""Fake engines with a behaviour of their own, for tests of sessions that grow."""

from __future__ import annotations

import threading
from typing import ClassVar

from voiceguide.pcm.clip import Clip
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine


class Held(FakeEngine):
    """Speaks the first ``free`` texts at once, then waits for the test's gate (a bound of
    30 s on a test that never opens it). Class state: :meth:`reset` before each test, and
    ``Held.gate.set()`` after it, so no scheduler thread is left waiting."""

    free = 1
    gate = threading.Event()
    spoken: ClassVar[list[str]] = []

    @classmethod
    def reset(cls, free: int = 1) -> None:
        """Hold every text after the first ``free``; nothing spoken yet."""
        cls.free, cls.gate, cls.spoken = free, threading.Event(), []

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        if len(Held.spoken) >= Held.free:
            assert Held.gate.wait(30), "the test never opened the gate"
        Held.spoken.append(text)
        return super().synthesize(text, voice)
