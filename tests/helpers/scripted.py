"""A session that plays for ever on a fake device while scripted keys are pressed: how a
test stops `play` in a chosen step without a sound card or a terminal."""

from __future__ import annotations

from typing import ClassVar

import pytest


class EndlessSink:
    """A sound device that plays nothing and never finishes (the clock says where)."""

    def __init__(self) -> None:
        self.playing = False

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        pass

    def stop(self) -> None:
        pass

    def is_playing(self) -> bool:
        return True


class ScriptedKeys:
    """A terminal on which ``keys`` are pressed, one per read."""

    keys: ClassVar[list[str]] = []
    interactive = True
    pressed_at: float | None = None

    def __enter__(self) -> ScriptedKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def read(self, timeout_s: float) -> str | None:
        return ScriptedKeys.keys.pop(0) if ScriptedKeys.keys else None


def stop_after(monkeypatch: pytest.MonkeyPatch, keys: list[str]) -> None:
    """The next `play` in this process plays for ever and these keys are pressed (end
    with "q", which stops it)."""
    monkeypatch.setattr("voiceguide.play.sink.SimpleaudioSink", EndlessSink)
    monkeypatch.setattr("voiceguide.play.keys.KeyReader", ScriptedKeys)
    ScriptedKeys.keys = list(keys)
