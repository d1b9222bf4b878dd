"""`voiceguide serve` holds against visitors that never finish (issue 23 finding 4): headers
or a body sent too slowly are cut at their deadline, past the connection cap the oldest
waiting connection makes room for the next visitor, one log line says so; and with
``ulimit -n 256`` 300 such connections leave the page answering, without a traceback.
Every wait here is for an event (a connection closed by the server, an answer), bounded
in time; loopback only. Also the real server on ``--host ::1`` (finding 5)."""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from voiceguide.serve.app import ServeConfig, create_app
from voiceguide.serve.runner import Limits, bind, connection_cap, make_server

from .conftest import VOICEGUIDE, private_environment

if TYPE_CHECKING:
    import uvicorn

PARTIAL_HEADERS = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never finished


class Lines(logging.Handler):
    """The records logged to uvicorn's error log while a test runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class Running:
    """A server running in a thread of this process: its port, the lines it logged."""

    port: int
    lines: Lines
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        logging.getLogger("uvicorn.error").removeHandler(self.lines)


@contextmanager
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limits: Limits) -> Iterator[Running]:
    """A server on a free loopback port in a thread of this process with ``limits``."""
    for name, value in private_environment(tmp_path, "fake").items():
        monkeypatch.setenv(name, value)
    (tmp_path / "static").mkdir(exist_ok=True)
    (tmp_path / "static" / "index.html").write_text("<!doctype html><title>voiceguide</title>")
    app = create_app(ServeConfig(static_dir=tmp_path / "static", measure_lengths=False))
    sock = bind("127.0.0.1", 0)
    sock.listen(128)
    server = make_server(app, limits=limits)  # (uvicorn's logging set up: handlers replaced)
    lines = Lines()
    logging.getLogger("uvicorn.error").addHandler(lines)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    run = Running(sock.getsockname()[1], lines, server, thread)
    try:
        answer = get(run.port, timeout_s=30)  # listening once it answers
        assert answer.startswith(b"HTTP/1.1 200"), answer
        yield run
    finally:
        run.stop()


def get(port: int, timeout_s: float = 10, host: str = "127.0.0.1") -> bytes:
    """``GET /`` on a fresh connection: the whole answer (the server closes it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.settimeout(timeout_s)
        s.connect((host, port))
        shown = f"[{host}]" if ":" in host else host
        s.sendall(f"GET / HTTP/1.1\r\nHost: {shown}:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def slow_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send the start of a request and never finish it."""
    opened = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(PARTIAL_HEADERS)
        opened.append(s)
    return opened


def closed_by_server(s: socket.socket, timeout_s: float) -> bool:
    """Waits (at most ``timeout_s``) for the server to close ``s``: True when it did."""
    s.settimeout(timeout_s)
    try:
        while s.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:  # reset: closed as well
        return True
    return True


def test_headers_that_never_finish_are_cut_at_their_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(tmp_path, monkeypatch, Limits(header_timeout_ms=1000, max_connections=50)) as run:
        started = time.monotonic()
        opened = slow_connections(run.port, 10)
        assert all(closed_by_server(s, timeout_s=15) for s in opened)
        assert 0.9 <= time.monotonic() - started < 15
        assert get(run.port).startswith(b"HTTP/1.1 200")
        cut = [m for m in run.lines.messages if m.startswith("closed ")]
        assert len(cut) == 1 and "slow headers" in cut[0], run.lines.messages  # one line
        for s in opened:
            s.close()


def test_a_body_sent_a_byte_at_a_time_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running(tmp_path, monkeypatch, Limits(body_timeout_ms=1000, max_connections=50)) as run:
        s = socket.create_connection(("127.0.0.1", run.port), timeout=10)
        _trickle_a_body(s, run.lines)


def _trickle_a_body(s: socket.socket, lines: Lines) -> None:
    stop = threading.Event()

    def trickle() -> None:  # the client's own pace: a byte every 200 ms, until refused
        while not stop.wait(0.2):
            try:
                s.send(b" ")
            except OSError:
                return

    try:
        s.sendall(
            b"POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        threading.Thread(target=trickle, daemon=True).start()
        assert closed_by_server(s, timeout_s=15)
        assert time.monotonic() - started < 15
        assert any("slow body" in m for m in lines.messages), lines.messages
    finally:
        stop.set()
        s.close()


def test_past_the_cap_the_oldest_waiting_connection_makes_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(tmp_path, monkeypatch, Limits(header_timeout_ms=120_000, max_connections=20)) as run:
        opened = slow_connections(run.port, 40)
        assert get(run.port, timeout_s=10).startswith(b"HTTP/1.1 200")  # the next visitor is served
        assert all(closed_by_server(s, timeout_s=10) for s in opened[:20])  # the oldest made room
        assert not closed_by_server(opened[-1], timeout_s=0.2)  # the newest are still waiting
        cut = [m for m in run.lines.messages if m.startswith("closed ")]
        assert len(cut) == 1 and "over the cap" in cut[0] and "20 connections at most" in cut[0], cut
        for s in opened:
            s.close()


def test_the_cap_stays_under_the_file_limit() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_cap() <= max(8, soft - 64)
    assert connection_cap(ceiling=50) <= 50


def _server(tmp_path: Path, *args: str, files: int | None = None) -> tuple[subprocess.Popen[str], str]:
    """A real `voiceguide serve` (with ``ulimit -n files``); the URL it printed."""
    environment = dict(os.environ) | private_environment(tmp_path, "fake")
    environment.pop("VOICEGUIDE_DEBUG", None)

    def limit() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    process = subprocess.Popen(
        [str(VOICEGUIDE), "serve", "--port", "0", "--no-feed", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
        preexec_fn=limit,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "voiceguide serve: open URL" (or nothing: it failed)
    if "open " not in first:
        process.kill()
        raise AssertionError((first, process.communicate()))
    return process, first.split("open ", 1)[1].strip()


def _listening(port: int, process: subprocess.Popen[str], host: str = "127.0.0.1") -> None:
    """Waits until the server takes connections (it prints its URL just before it listens)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the server did not listen: {process.poll()}")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    return err


@pytest.mark.slow
def test_with_256_files_300_slow_connections_leave_the_page_answering(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 512 and hard >= 512:  # this test's own 300 connections
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
    process, url = _server(tmp_path, files=256)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    opened: list[socket.socket] = []
    try:
        _listening(port, process)
        answer = get(port, timeout_s=30)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        opened = slow_connections(port, 300)
        started = time.monotonic()
        answer = get(port, timeout_s=10)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert time.monotonic() - started < 10
    finally:
        for s in opened:
            s.close()
        err = _stop(process)
    assert "Traceback" not in err and "Exception" not in err, err
    said = [line for line in err.splitlines() if "closed " in line and "connection" in line]
    assert len(said) == 1 and "over the cap" in said[0], err


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) here")
def test_the_printed_ipv6_url_answers(tmp_path: Path) -> None:
    process, url = _server(tmp_path, "--host", "::1")
    try:
        assert url.startswith("http://[::1]:"), url
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        _listening(port, process, host="::1")
        answer = get(port, timeout_s=30, host="::1")
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert b"Invalid host header" not in answer
    finally:
        _stop(process)
