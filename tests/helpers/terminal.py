"""A small terminal screen for tests of what `play` draws: the control sequences rich's
live display writes (carriage return, new line, cursor up, erase line, SGR and cursor
show/hide, which draw nothing), with the automatic wrap of a real terminal: a character
written past the last column goes to the next line. What is left on the screen after a
run is what a person would see, so a frame that leaves lines of an earlier one behind
shows here as it does in a real terminal."""

from __future__ import annotations

import re

from rich.cells import cell_len

_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


class Screen:
    """``columns`` wide and as tall as it needs (a scrollback that keeps every line)."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.lines: list[str] = [""]
        self.row = 0
        self.column = 0
        self.pending_wrap = False  # the last column was written: the next character wraps

    def feed(self, data: str) -> None:
        at = 0
        while at < len(data):
            control = _CSI.match(data, at)
            if control:
                self._csi(control.group(1), control.group(2))
                at = control.end()
                continue
            if data[at] == "\x1b" and data.startswith("\x1b]", at):  # OSC (a title, a link): skipped
                end = data.find("\x07", at)
                at = len(data) if end < 0 else end + 1
                continue
            self._char(data[at])
            at += 1

    def text(self) -> str:
        """The screen, lines without trailing spaces."""
        return "\n".join(line.rstrip() for line in self.lines)

    def _csi(self, argument: str, final: str) -> None:
        count = int(argument) if argument.isdigit() else 1
        if final == "A":
            self.row = max(self.row - count, 0)
            self.pending_wrap = False
        elif final == "B":
            self._down(count)
        elif final == "G":
            self.column = count - 1
            self.pending_wrap = False
        elif final == "K":
            if argument == "2":
                self.lines[self.row] = ""
            elif argument in ("", "0"):
                self.lines[self.row] = _cut(self.lines[self.row], self.column)
        elif final == "J" and argument in ("", "0"):
            self.lines[self.row] = _cut(self.lines[self.row], self.column)
            del self.lines[self.row + 1 :]
        # m (colours), h/l (cursor shown or hidden, modes): nothing drawn

    def _char(self, char: str) -> None:
        if char == "\r":
            self.column, self.pending_wrap = 0, False
        elif char == "\n":
            self._down(1)
            self.column, self.pending_wrap = 0, False
        elif char >= " ":
            width = cell_len(char)
            if self.pending_wrap or self.column + width > self.columns:
                self._down(1)
                self.column, self.pending_wrap = 0, False
            line = self.lines[self.row].ljust(self.column)
            self.lines[self.row] = line[: self.column] + char + line[self.column + width :]
            self.column += width
            if self.column >= self.columns:
                self.column, self.pending_wrap = self.columns - 1, True

    def _down(self, count: int) -> None:
        self.row += count
        while len(self.lines) <= self.row:
            self.lines.append("")


def _cut(line: str, column: int) -> str:
    return line[:column]


class PlayTerminal:
    """A command (``argv``) on a pseudo-terminal ``columns`` wide: keys in, the screen out,
    waited for by what it shows (events, never times)."""

    def __init__(self, argv: list[str], env: dict[str, str], columns: int = 110) -> None:
        import fcntl
        import os
        import pty
        import struct
        import subprocess
        import termios

        self.columns = columns
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.process = subprocess.Popen(
            argv, env=env, stdin=follower, stdout=follower, stderr=follower, close_fds=True
        )
        os.close(follower)
        self.raw = b""

    def read(self, seconds: float) -> bool:
        """Take in what the program wrote within ``seconds``; False once it closed the terminal."""
        import os
        import select

        if select.select([self.leader], [], [], seconds)[0]:
            try:
                data = os.read(self.leader, 65536)
            except OSError:  # the program ended and closed the terminal
                return False
            self.raw += data
            return bool(data)
        return True

    def text(self) -> str:
        screen = Screen(self.columns)
        screen.feed(self.raw.decode(errors="replace"))
        return screen.text()

    def last_panel(self) -> str:
        text = self.text()
        return text[text.rfind("╭") :]

    def until(self, wanted: str, seconds: float = 120.0) -> float:
        """Read until the last panel drawn shows ``wanted``; the monotonic time it did. Fails
        after ``seconds`` (a bound on a hung program, not a timing check)."""
        import time

        deadline = time.monotonic() + seconds
        while wanted not in self.last_panel():
            assert time.monotonic() < deadline, f"{wanted!r} never shown: {self.text()[-2000:]}"
            if not self.read(0.05):
                assert wanted in self.last_panel(), f"{wanted!r} never shown: {self.text()[-2000:]}"
        return time.monotonic()

    def press(self, keys: str) -> None:
        import os

        os.write(self.leader, keys.encode())

    def wait(self, seconds: float) -> int | None:
        """The exit status once the program ended, reading its output meanwhile; None if it
        was still running after ``seconds`` (then killed)."""
        import time

        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.02)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            return None
        for _ in range(40):  # what it wrote last, until the terminal is closed (EIO)
            if not self.read(0.05):
                break
        return self.process.returncode

    def close(self) -> None:
        import os

        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.leader)
