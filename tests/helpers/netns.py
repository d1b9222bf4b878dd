"""A network of its own for the tests that need a second address (`serve --lan`): a Linux
network namespace the test creates (``ip netns``, as root), never this machine's own
interface.

The namespace has ``lo`` and a veth pair whose two ends both stay inside it; one end holds
``ADDRESS`` (a documentation address, TEST-NET-2) and carries the default route, so
`serve --lan` finds that address the way it finds a real one
(``voiceguide.serve.runner.lan_address``: the source address of the default route). Nothing
leaves the namespace: the server and every client of a test run inside it.

- the server: ``Namespace.command(argv)`` (``ip netns exec NAME argv``, which execs: the
  process started is the program itself, so its signals and exit status are its own);
- Python clients (httpx, sockets): ``with namespace.entered():`` moves the calling thread
  alone into the namespace (``setns(2)`` changes only the calling thread's network
  namespace); a socket made there stays in it;
- Chromium: ``namespace.wrapper(program, folder)``, a script that execs the browser through
  ``ip netns exec``, given to Playwright as ``executable_path``.

``network_namespace()`` skips the test, with the reason, where namespaces cannot be made
(not root, no ``ip``, a container that forbids them); that is probed once per process.
The namespace is deleted when the block ends, a failing test included; namespaces of this
kind left by a test process that was killed are deleted by the next probe.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

#: the namespace's network address: TEST-NET-2 (RFC 5737), not this machine's
ADDRESS = "198.51.100.2"
PREFIX = "vg-test-"
NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000  # <sched.h>; os.CLONE_NEWNET from Python 3.12
_numbers = itertools.count()


@dataclass(frozen=True)
class Namespace:
    """A network namespace made by :func:`network_namespace`: its ``name`` (``ip netns``'s)
    and ``address`` (IPv4, on its veth interface, with the default route)."""

    name: str
    address: str = ADDRESS

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (for ``subprocess``)."""
        return [_ip(), "netns", "exec", self.name, *argv]

    @contextmanager
    def entered(self) -> Iterator[None]:
        """The calling thread inside the namespace for the block (other threads stay
        where they are); sockets made in the block keep the namespace after it."""
        here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open(NETNS_DIR / self.name, os.O_RDONLY)
        try:
            _setns(there)
            try:
                yield
            finally:
                _setns(here)
        finally:
            os.close(there)
            os.close(here)

    def wrapper(self, program: Path, folder: Path) -> Path:
        """An executable in ``folder`` that runs ``program`` (with its arguments and
        environment) inside the namespace: a browser's ``executable_path``."""
        script = folder / f"{program.name}-in-{self.name}"
        script.write_text(f'#!/bin/sh\nexec {_ip()} netns exec {self.name} {program} "$@"\n')
        script.chmod(0o755)
        return script


@contextmanager
def network_namespace() -> Iterator[Namespace]:
    """A new namespace (see the module's docstring), deleted when the block ends; skips the
    test with the reason where none can be made."""
    reason = unavailable()
    if reason:
        pytest.skip(f"no network namespace for the --lan tests: {reason}")
    namespace = Namespace(f"{PREFIX}{os.getpid()}-{next(_numbers)}")
    try:
        _make(namespace)
        yield namespace
    finally:
        _delete(namespace.name)


@functools.cache
def unavailable() -> str | None:
    """Why this process cannot make network namespaces (None: it can), found once by
    making one and entering it; removes the ones left by killed test processes first."""
    if os.geteuid() != 0:
        return "ip netns needs root"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    _remove_stale()
    probe = Namespace(f"{PREFIX}{os.getpid()}-probe")
    try:
        _make(probe)
        subprocess.run(probe.command(["true"]), check=True, capture_output=True, timeout=30)
        with probe.entered():
            pass
    except (subprocess.CalledProcessError, OSError) as exc:
        said = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        return f"not permitted here ({said or exc})"
    finally:
        _delete(probe.name)
    return None


def _make(namespace: Namespace) -> None:
    name = namespace.name
    for argv in (
        ["netns", "add", name],
        ["-n", name, "link", "set", "lo", "up"],
        ["-n", name, "link", "add", "vg0", "type", "veth", "peer", "name", "vg1"],
        # no IPv6 link-local addresses: they would appear a second or two after the links
        # come up (duplicate address detection), and Chromium takes a new address for a
        # network change and aborts what the page is loading (net::ERR_NETWORK_CHANGED: a
        # module of the page lost, so it never started; seen in CI)
        ["-n", name, "link", "set", "vg0", "addrgenmode", "none"],
        ["-n", name, "link", "set", "vg1", "addrgenmode", "none"],
        ["-n", name, "address", "add", f"{namespace.address}/24", "dev", "vg0"],
        ["-n", name, "link", "set", "vg1", "up"],
        ["-n", name, "link", "set", "vg0", "up"],
        ["-n", name, "route", "add", "default", "dev", "vg0"],
    ):
        subprocess.run([_ip(), *argv], check=True, capture_output=True, text=True, timeout=30)


def _delete(name: str) -> None:
    if (NETNS_DIR / name).exists():
        subprocess.run([_ip(), "netns", "delete", name], capture_output=True, timeout=30)


def _remove_stale() -> None:
    """Delete the namespaces of test processes that are gone (killed before their cleanup)."""
    if not NETNS_DIR.is_dir():
        return
    for entry in NETNS_DIR.glob(f"{PREFIX}*"):
        pid = entry.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _delete(entry.name)


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def _ip() -> str:
    return shutil.which("ip") or "ip"
