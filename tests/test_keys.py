"""play/keys.py: single key presses from a terminal, in a pseudo-terminal (no real one
needed); without a terminal nothing is read and nothing touched."""

from __future__ import annotations

import io
import os
import pty
import sys
import termios
from collections.abc import Iterator

import pytest

from voiceguide.play.keys import KeyReader


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, int]]:
    """(the keyboard's end, the program's end) of a pseudo-terminal, the program's end on stdin."""
    keyboard, program = pty.openpty()
    stdin = os.fdopen(program, "r", closefd=False)
    monkeypatch.setattr(sys, "stdin", stdin)
    yield keyboard, program
    stdin.close()
    os.close(keyboard)
    os.close(program)


def test_a_key_is_read_without_enter_or_echo_and_the_terminal_is_put_back(terminal: tuple[int, int]) -> None:
    keyboard, program = terminal
    before = termios.tcgetattr(program)
    with KeyReader() as keys:
        assert keys.interactive
        lflag = termios.tcgetattr(program)[3]
        assert not lflag & termios.ICANON and not lflag & termios.ECHO  # cbreak, no echo
        assert lflag & termios.ISIG  # Ctrl-C still interrupts
        assert keys.read(0.01) is None  # nothing pressed
        os.write(keyboard, b"n")
        assert keys.read(5) == "n"  # no Enter needed
        os.write(keyboard, b" q")
        assert (keys.read(5), keys.read(5)) == (" ", "q")  # one key a call
    assert termios.tcgetattr(program) == before
    assert not keys.interactive


def test_the_terminal_is_put_back_when_the_session_fails(terminal: tuple[int, int]) -> None:
    _, program = terminal
    before = termios.tcgetattr(program)
    with pytest.raises(KeyboardInterrupt), KeyReader():
        raise KeyboardInterrupt
    assert termios.tcgetattr(program) == before


def test_without_a_terminal_nothing_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("n"))  # piped input is not key presses
    with KeyReader() as keys:
        assert not keys.interactive
        assert keys.read(0) is None
    monkeypatch.setattr(sys, "stdin", None)  # pythonw, or stdin closed
    with KeyReader() as keys:
        assert keys.read(0) is None


def test_a_key_typed_before_the_reader_starts_is_kept(terminal: tuple[int, int]) -> None:
    """A q typed while a cold ``play`` was getting ready was echoed and lost: cbreak mode was
    set with TCSAFLUSH, which throws away what was typed and not yet read."""
    keyboard, _ = terminal
    os.write(keyboard, b"q")
    with KeyReader() as keys:
        assert keys.read(5) == "q"


def test_keys_are_given_in_order_with_the_time_each_was_pressed(terminal: tuple[int, int]) -> None:
    import time

    keyboard, _ = terminal
    with KeyReader() as keys:
        before = time.monotonic()
        os.write(keyboard, b"p")
        deadline = time.monotonic() + 30
        while not keys._keys and time.monotonic() < deadline:  # the reading thread has it
            time.sleep(0.01)
        os.write(keyboard, b"pnq")
        busy_until = time.monotonic() + 0.3  # the play loop busy with something else meanwhile
        while time.monotonic() < busy_until:
            pass
        assert keys.read(5) == "p"
        first = keys.pressed_at
        assert first is not None and before <= first < busy_until  # when pressed, not when read
        assert [keys.read(5) for _ in range(3)] == ["p", "n", "q"]
        assert keys.pressed_at is not None and keys.pressed_at < busy_until
