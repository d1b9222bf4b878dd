"""Twenty clients on one `voiceguide serve`: each opens the page, starts a session of its own
pacing and reads its audio with Range requests as a player does, while a watcher asks for
the page every 50 ms. Prints p50/p95 latency of `GET /` (while renders run, and idle first:
the baseline, measured in the same run) and of the Range reads, the server's peak memory,
and every error. Goal (issue 23): `/` under 100 ms p95 while renders run.

What runs: a real `voiceguide serve --no-feed` on an empty cache in temporary folders (see
bench_serve_previews.server), loopback only; the clients are threads of this process with
their own connections. Each client: GET / and /static/app.js, POST /api/sessions with
{"rate": 120 + 4·i} (20 different sessions, queued on the server's one render worker),
polls until ready, then reads the mp3 in 64 KiB Range requests from the start, then three
seeks. Bounded: every wait has a deadline.

Usage: .venv/bin/python benchmarks/bench_serve_load.py [--clients 20] [--routine box-breathing]
       [--engine espeak-ng]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx
from bench_serve_previews import peak_rss_mb, server

CHUNK = 1 << 16


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class Watcher(threading.Thread):
    """Asks for the page every 50 ms until stopped; keeps each latency (ms)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.latencies: list[float] = []  # ms
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    client.get("/").raise_for_status()
                    self.latencies.append((time.perf_counter() - started) * 1000)
                except httpx.HTTPError as exc:
                    self.errors.append(f"GET /: {exc}")
                self.stop.wait(0.05)


def one_client(base: str, routine: str, number: int, reads: list[float], errors: list[str]) -> None:
    try:
        with httpx.Client(base_url=base, timeout=60, headers={"Origin": base}) as client:
            client.get("/").raise_for_status()
            client.get("/static/app.js").raise_for_status()
            answer = client.post(
                "/api/sessions", json={"name": routine, "pacing": {"rate": 120 + 4 * number}}
            )
            answer.raise_for_status()
            sid = answer.json()["id"]
            deadline = time.monotonic() + 900
            while (state := client.get(f"/api/sessions/{sid}").json())["status"] == "rendering":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"session {sid} still rendering after 900 s")
                time.sleep(0.25)
            if state["status"] != "ready":
                raise RuntimeError(f"session failed: {state['error']}")
            size = int(client.head(state["audio"]).headers.get("content-length", "0")) or len(
                client.get(state["audio"]).content
            )
            starts = [*range(0, min(size, 8 * CHUNK), CHUNK), size // 2, size // 3, max(0, size - CHUNK)]
            for start in starts:
                began = time.perf_counter()
                part = client.get(state["audio"], headers={"Range": f"bytes={start}-{start + CHUNK - 1}"})
                if part.status_code != 206:
                    raise RuntimeError(f"Range read answered {part.status_code}")
                reads.append((time.perf_counter() - began) * 1000)
    except Exception as exc:  # every error is counted and printed
        errors.append(f"client {number}: {type(exc).__name__}: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--routine", default="box-breathing")
    parser.add_argument("--engine", default=None)
    args = parser.parse_args()
    with server(args.routine, args.engine) as (base, pid):
        idle = Watcher(base)
        idle.start()
        time.sleep(3)  # the baseline: the page with nothing else running
        idle.stop.set()
        idle.join()
        watcher = Watcher(base)
        watcher.start()
        reads: list[float] = []
        errors: list[str] = [*idle.errors]
        clients = [
            threading.Thread(target=one_client, args=(base, args.routine, n, reads, errors))
            for n in range(args.clients)
        ]
        started = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        watcher.stop.set()
        watcher.join()
        errors += watcher.errors
        peak = peak_rss_mb(pid)
    busy = watcher.latencies
    print(
        f"idle page (baseline): p50 {statistics.median(idle.latencies):.1f} ms, "
        f"p95 {percentile(idle.latencies, 0.95):.1f} ms ({len(idle.latencies)} requests)"
    )
    print(
        f"page while {args.clients} sessions render ({elapsed:.0f} s): p50 {statistics.median(busy):.1f} ms, "
        f"p95 {percentile(busy, 0.95):.1f} ms ({len(busy)} requests; goal p95 < 100 ms)"
    )
    print(
        f"Range reads of 64 KiB: p50 {statistics.median(reads):.1f} ms, p95 {percentile(reads, 0.95):.1f} ms "
        f"({len(reads)} reads)"
    )
    print(f"server peak RSS {peak:.0f} MB; errors: {len(errors)}")
    for line in errors[:20]:
        print("  " + line)
    print(f"RATIO page_p95_busy/idle = {percentile(busy, 0.95) / percentile(idle.latencies, 0.95):.2f}")


if __name__ == "__main__":
    main()
