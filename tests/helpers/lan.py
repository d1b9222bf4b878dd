"""A real `voiceguide serve --lan` for the tests, inside a network namespace of its own
(:mod:`.netns`): started with the fake engine and a private folder, followed until it has
said everything it says at start (its "Ctrl-C stops it" line: an event, not a time), and
stopped with Ctrl-C (SIGINT) when the block ends, a failing test included."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .netns import Namespace
from .run import VOICEGUIDE, private_environment
from .serving import wait_listening

#: the last line `serve` prints at start
READY = "Ctrl-C stops it"


@dataclass
class LanServer:
    """A running server: its ``process``, the ``url`` it printed first (with ``?token=`` unless
    ``--no-token``), the standard output it printed at start (``lines``), and once stopped its
    standard error (``err``)."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str]
    err: str = ""

    @property
    def origin(self) -> str:
        """Scheme, address and port: ``http://198.51.100.2:41234``."""
        return self.url.split("/?", 1)[0].rstrip("/")

    @property
    def token(self) -> str:
        return self.url.split("?token=", 1)[1] if "?token=" in self.url else ""


class _Output:
    """A pipe's lines as they come, on a thread of its own (so the server never blocks on a
    full pipe); ``ready`` is set by the line holding ``READY`` or by the end of the output."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self.lines.append(line)
            if READY in line:
                self.ready.set()
        self.ready.set()


@contextmanager
def lan_server(
    namespace: Namespace,
    home: Path,
    *options: str,
    env: dict[str, str] | None = None,
    start_s: float = 120.0,
) -> Iterator[LanServer]:
    """`voiceguide serve --lan --port 0 --no-feed OPTIONS` inside ``namespace`` with the fake
    engine and ``home`` as its private cache, config and routines folder (and working
    directory); ``env`` over that. Yields once the server has printed its start lines and
    listens (``start_s``: how long a busy machine may take); stops it with SIGINT and
    keeps its standard error in ``err``."""
    environment = dict(os.environ) | private_environment(home, "fake")
    environment["VOICEGUIDE_ROUTINES_DIR"] = str(home / "my-routines")
    environment.pop("VOICEGUIDE_DEBUG", None)
    environment.update(env or {})
    argv = [str(VOICEGUIDE), "serve", "--lan", "--port", "0", "--no-feed", *options]
    process = subprocess.Popen(
        namespace.command(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=home,
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = _Output(process.stdout), _Output(process.stderr)
    server: LanServer | None = None
    try:
        out.ready.wait(start_s)
        printed = list(out.lines)
        assert printed and READY in printed[-1], (
            f"serve said no {READY!r} (exit {process.poll()}): {printed} {''.join(err.lines)}"
        )
        found = re.search(r"open (https?://\S+)", printed[0])
        assert found, printed
        server = LanServer(process, found.group(1), printed)
        with namespace.entered():
            wait_listening(server.origin)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        err.thread.join(timeout=10)
        if server is not None:
            server.err = "".join(err.lines)
