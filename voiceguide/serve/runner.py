"""Running `voiceguide serve` on the network: the address it listens on, the socket, and
uvicorn with the limits that keep one visitor from holding the server.

uvicorn times out an idle keep-alive connection and caps the header size, but it waits
forever for a request that never finishes arriving, and past the process's file limit
``accept`` fails with a traceback. So the HTTP protocol here is uvicorn's h11 one with a
guard (:func:`guarded_protocol`): a request's headers must arrive within
``Limits.header_timeout_ms`` of the connection (or of the previous response) and its
body within ``Limits.body_timeout_ms`` of the headers, or the connection is closed; and
past ``Limits.max_connections`` (by default under the file limit) a new connection
closes the oldest one still waiting for its request, so the next visitor is served.
Each cut is counted and said in one log line (at most one a minute).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import resource
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from .app import ServeApp

#: connections waiting to be accepted (the listen backlog); asyncio also accepts up to this
#: many at once, before the cap can act on any of them
BACKLOG = 64
#: file descriptors kept free of connections: one burst of accepts, the cache, ffmpeg's
#: pipes, worker processes
RESERVED_FILES = BACKLOG + 32
#: connections at most, whatever the file limit
MAX_CONNECTIONS = 1000


@dataclass(frozen=True)
class Limits:
    """What one visitor may hold of the server. ``header_timeout_ms``: from a connection
    (or the end of the previous response) to the end of a request's headers;
    ``body_timeout_ms``: from there to the end of its body (1 MiB at most);
    ``keep_alive_s``: an idle connection between requests (uvicorn's, whole seconds);
    ``max_header_bytes``: the request line and headers (h11's limit); ``max_connections``:
    open at once (None: :func:`connection_cap`); ``log_every_ms``: the least time between
    two log lines about cut connections."""

    header_timeout_ms: int = 10_000
    body_timeout_ms: int = 30_000
    keep_alive_s: int = 5
    max_header_bytes: int = 16 * 1024
    max_connections: int | None = None
    log_every_ms: int = 60_000


def connection_cap(reserved: int = RESERVED_FILES, ceiling: int = MAX_CONNECTIONS) -> int:
    """How many connections fit under this process's limit of open files (``ulimit -n``),
    keeping ``reserved`` for everything else; at most ``ceiling``, at least 8."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = ceiling if soft == resource.RLIM_INFINITY else soft - reserved
    return max(8, min(ceiling, room))


class CutLog:
    """Counts connections cut for being slow or over the cap, and says so in one warning
    line at most every ``every_ms`` (the first at once)."""

    def __init__(self, limits: Limits, cap: int, every_ms: int) -> None:
        self.limits, self.cap, self.every_ms = limits, cap, every_ms
        self.logger = logging.getLogger("uvicorn.error")
        self.counts: dict[str, int] = {}
        self.last_ms: int | None = None

    def cut(self, why: str) -> None:
        self.counts[why] = self.counts.get(why, 0) + 1
        now_ms = time.monotonic_ns() // 1_000_000
        if self.last_ms is not None and now_ms - self.last_ms < self.every_ms:
            return
        self.last_ms = now_ms
        total = sum(self.counts.values())
        said = ", ".join(f"{n} {why}" for why, n in sorted(self.counts.items()))
        self.counts.clear()
        self.logger.warning(
            "closed %d connection%s (%s): a request's headers must arrive within %d s and its "
            "body within %d s; %d connections at most",
            total,
            "" if total == 1 else "s",
            said,
            self.limits.header_timeout_ms // 1000,
            self.limits.body_timeout_ms // 1000,
            self.cap,
        )


def guarded_protocol(limits: Limits, cap: int, log: CutLog) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the deadlines and the connection cap of ``limits``
    (see the module's docstring); ``cap``: connections at most."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    waiting: dict[Guarded, None] = {}  # connections waiting for a request, oldest first

    class Guarded(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _phase = "headers"

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > cap:
                oldest = next(iter(waiting), None)
                (oldest or self)._cut("over the cap")
                if oldest is None:
                    return
            self._arm("headers")

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._follow()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._follow(next_request=True)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _follow(self, next_request: bool = False) -> None:
            """Move the deadline with the request: its body, then none until the response."""
            if self.transport.is_closing():
                self._disarm()
            elif self.conn.their_state is h11.IDLE:
                if next_request:
                    self._arm("headers")
            elif self.conn.their_state is h11.SEND_BODY:
                if self._phase != "body":
                    self._arm("body")
            else:  # the request has arrived (or the connection is ending): no deadline
                self._disarm()
                self._phase = "answered"

        def _arm(self, phase: str) -> None:
            self._disarm()
            self._phase = phase
            timeout_ms = limits.header_timeout_ms if phase == "headers" else limits.body_timeout_ms
            self._deadline = self.loop.call_later(timeout_ms / 1000, self._cut, f"slow {phase}")
            if phase == "headers":
                waiting[self] = None

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            waiting.pop(self, None)

        def _cut(self, why: str) -> None:
            self._disarm()
            if not self.transport.is_closing():
                log.cut(why)
                self.transport.close()

    return Guarded


class _AcceptErrors(logging.Filter):
    """asyncio's "socket.accept() out of system resource" (it retries a second later) as one
    line a minute, not a traceback for every connection waiting: what the person running
    the server can act on (``ulimit -n``)."""

    def __init__(self, every_ms: int) -> None:
        super().__init__()
        self.every_ms = every_ms
        self.last_ms: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if "accept" not in record.getMessage() or os.environ.get("VOICEGUIDE_DEBUG"):
            return True
        now_ms = time.monotonic_ns() // 1_000_000
        if self.last_ms is not None and now_ms - self.last_ms < self.every_ms:
            return False
        self.last_ms = now_ms
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        record.msg, record.args = (
            ("could not accept connections: out of open files (ulimit -n is %d); trying again in a second"),
            (soft,),
        )
        record.exc_info, record.exc_text = None, None
        return True


class _OneLineErrors(logging.Filter):
    """uvicorn's and asyncio's error logs without tracebacks (the command line never shows
    one; a handler's own failures are JSON answers already). ``$VOICEGUIDE_DEBUG`` keeps
    them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if os.environ.get("VOICEGUIDE_DEBUG"):
            return True
        record.exc_info, record.exc_text = None, None
        message = record.getMessage()
        if "Traceback (most recent call last)" in message:  # one already formatted
            lines = [line for line in message.splitlines() if line.strip()]
            record.msg, record.args = lines[-1].strip(), ()
        return True


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def lan_address() -> str:
    """This machine's address on the local network: the one its default route leaves
    from (found without sending anything); 127.0.0.1 when there is no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: a UDP connect only picks the route
            address: str = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: any free port), not yet listening. Raises
    :class:`~voiceguide.errors.UsageError` when the address is taken or not this machine's."""
    from ..errors import UsageError

    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)  # (the caller listens once the URL is printed: a client that
        # connects has seen it first)
    except OSError as exc:
        sock.close()
        reason = (
            "the port is in use (choose another with --port)"
            if exc.errno == errno.EADDRINUSE
            else (exc.strerror or str(exc))
        )
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def make_server(
    app: Starlette, tls: tuple[Path, Path] | None = None, limits: Limits | None = None
) -> uvicorn.Server:
    """The uvicorn server for ``app`` (over TLS with ``tls``: the certificate and key
    files) with ``limits``; :func:`run_server` runs it, a test may run it in a thread
    (``server.run(sockets=[sock])``, stopped with ``server.should_exit = True``)."""
    import uvicorn

    limits = limits or Limits()
    cap = limits.max_connections or connection_cap()
    serve: ServeApp = app.state.serve

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            serve.stopping.set()
            super().handle_exit(sig, frame)

    certfile, keyfile = (str(tls[0]), str(tls[1])) if tls else (None, None)
    protocol = guarded_protocol(limits, cap, CutLog(limits, cap, limits.log_every_ms))
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
        server_header=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        http=protocol,
        timeout_keep_alive=limits.keep_alive_s,
        limit_concurrency=cap + 1,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        backlog=BACKLOG,
    )
    logging.getLogger("asyncio").addFilter(_AcceptErrors(limits.log_every_ms))
    for name in ("uvicorn.error", "asyncio"):
        logging.getLogger(name).addFilter(_OneLineErrors())
    return Server(config)


def run_server(
    app: Starlette, sock: socket.socket, tls: tuple[Path, Path] | None = None, limits: Limits | None = None
) -> None:
    """Serve ``app`` on ``sock`` (over TLS with ``tls``: the certificate and key files)
    until Ctrl-C or SIGTERM. On the signal the event streams end at once (they would hold
    the shutdown), uvicorn stops gracefully (3 s at most for requests still running) and
    the signal is raised again here, so the command line reports it as for any command
    (exit 130 for Ctrl-C, 143 for SIGTERM)."""
    make_server(app, tls, limits).run(sockets=[sock])
