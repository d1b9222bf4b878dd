"""Eight parallel length previews at different pacings on one `voiceguide serve`: how long each
request takes to be answered, how long until every one is measured (no longer estimated), and
the server's peak memory, against one preview alone on a fresh server in the same run.

Before issue 22 the server synthesized each preview inside its request, with no bound: eight
parallel previews took it from 0.4 to 3 GB and were unanswered after 300 s (espeak-ng ones
crashed it). Goal: every request answered within 90 s, server peak ≤ 1 GB.

What runs: a real `voiceguide serve --port PORT --no-feed ROUTINE` with an empty cache and the
default engine (piper when installed), in temporary config/data/cache folders. Baseline: one
preview (rate 150) on a fresh server. Then, on another fresh server, eight previews at rates
120, 130, … 190 sent at once; each is asked again every 0.5 s until it is measured. The
server's peak RSS is its VmHWM (Linux) read when it is done.

Usage: .venv/bin/python benchmarks/bench_serve_previews.py [--routine desk-break] [--engine piper]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
RATES = (120, 130, 140, 150, 160, 170, 180, 190)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(routine: str, engine: str | None) -> Iterator[tuple[str, int]]:
    """A fresh server on an empty cache: (its URL, its pid)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            VOICEGUIDE_CACHE_DIR=f"{tmp}/cache",
            VOICEGUIDE_CONFIG_DIR=f"{tmp}/config",
            VOICEGUIDE_DATA_DIR=f"{tmp}/data",
            VOICEGUIDE_ROUTINES_DIR=f"{tmp}/routines",
        )
        if engine:
            env["VOICEGUIDE_ENGINE"] = engine
        port = free_port()
        process = subprocess.Popen(
            [str(VOICEGUIDE), "serve", "--port", str(port), "--no-feed"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    said = process.stderr.read() if process.stderr else ""
                    raise SystemExit(f"the server did not start: {said}") from None
                time.sleep(0.1)
        try:
            yield base, process.pid
        finally:
            process.terminate()
            process.wait(timeout=60)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def preview_until_measured(
    base: str, routine: str, rate: int, out: dict[int, tuple[float, float, int]], started: float
) -> None:
    """(seconds to the first answer, seconds until measured, its length in ms) into ``out``."""
    with httpx.Client(base_url=base, timeout=300) as client:
        first = None
        while True:
            reply = client.post(
                "/api/preview", json={"name": routine, "pacing": {"rate": rate}}, headers={"Origin": base}
            )
            reply.raise_for_status()
            body = reply.json()
            if first is None:
                first = time.perf_counter() - started
            if not body["estimated"]:
                out[rate] = (first, time.perf_counter() - started, int(body["duration_ms"]))
                return
            if time.perf_counter() - started > 600:
                out[rate] = (first, float("nan"), int(body["duration_ms"]))
                return
            time.sleep(0.5)


def run(base: str, routine: str, rates: tuple[int, ...]) -> dict[int, tuple[float, float, int]]:
    results: dict[int, tuple[float, float, int]] = {}
    started = time.perf_counter()
    threads = [
        threading.Thread(target=preview_until_measured, args=(base, routine, rate, results, started))
        for rate in rates
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routine", default="desk-break")
    parser.add_argument("--engine", default=None, help="piper, espeak-ng (default: the default engine)")
    args = parser.parse_args()
    with server(args.routine, args.engine) as (base, pid):
        alone = run(base, args.routine, (150,))
        alone_rss = peak_rss_mb(pid)
    with server(args.routine, args.engine) as (base, pid):
        eight = run(base, args.routine, RATES)
        eight_rss = peak_rss_mb(pid)
    a_first, a_measured, _ = alone[150]
    print(
        f"one preview alone: answered in {a_first:.2f} s, measured after {a_measured:.1f} s, "
        f"server peak {alone_rss:.0f} MB"
    )
    for rate in RATES:
        first, measured, length = eight[rate]
        print(
            f"  rate {rate}: answered in {first:.2f} s, measured after {measured:.1f} s "
            f"({length / 1000:.0f} s long)"
        )
    worst_first = max(v[0] for v in eight.values())
    worst_measured = max(v[1] for v in eight.values())
    print(
        f"eight in parallel: every answer within {worst_first:.2f} s (goal ≤ 90 s), all measured after "
        f"{worst_measured:.1f} s, server peak {eight_rss:.0f} MB (goal ≤ 1024 MB)"
    )
    print(
        f"ratio eight/one: answer {worst_first / a_first:.2f}x, "
        f"measured {worst_measured / a_measured:.2f}x, peak memory {eight_rss / alone_rss:.2f}x"
    )


if __name__ == "__main__":
    main()
