"""Abuse benchmark: what the heaviest and the most hostile requests cost everyone else.
Run: python bench/abuse.py [CASE …]   (needs: bash scripts/test.sh; ~7 minutes; CASE: 1-based numbers of the cases below)

One `streamlit run` server with the production settings. Each case below runs in its own
session(s) while, at the same time, a second session opens the page (its time to the map is
compared with the same visit on an idle server) and `/_stcore/health` is polled every 0.1 s
(the worst answer time is kept). Memory is the resident set of the server and its worker
process together, sampled every 0.2 s; "settled" is after every session has closed and the
worker has stopped (ui/jobs.py IDLE).

Cases: a hostile share link (294 characters that inflate to a quote and 99,999 escaped quotes,
the input that once froze the server for minutes); a hostile file of the same kind just under the
1 MB upload limit, uploaded from Chromium; the largest run the page allows (8 rules ×
100,000 steps, one with 25 noise seeds: 3,200,000 run-steps); three tabs of it at once (each
its own learning rate: no cache hit); the largest fate map (200 × 200 starts × 5,000 steps); the
largest sweep (60 × 60 × 5,000); the largest GIF (300 frames).
Targets (issue): worst health ≤ 1 s; the other session ≤ 2× its idle time; peak ≤ 1 GB with
three heaviest tabs; settled within 100 MB of the start.
"""
from __future__ import annotations

import asyncio
import base64
import statistics
import sys
import threading
import time
import urllib.request
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.browser import streamlit_server  # noqa: E402
from harness.load import rss_mb  # noqa: E402
from harness.stclient import Session  # noqa: E402
from ui.jobs import IDLE  # noqa: E402
from ui.link import encode_scenario  # noqa: E402

RULES = ["Adam", "SGD", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax", "AdamW"]
TTL = 3  # server.disconnectedSessionTTL for this run: closed sessions go quickly


def largest_run(lr: float) -> str:
    runs = [{"optimizer": o, "params": {"lr": lr}} for o in RULES]
    runs[0]["noise"] = {"std": 0.5, "seed": 1, "bundle": 25}  # 100,000 × (25 + 7) = 3,200,000 run-steps
    return "s=" + encode_scenario({"surface": "rosenbrock", "start": [-1.5, 2], "steps": 100_000, "runs": runs})


def study(section: str, settings: dict, steps: int = 200) -> str:
    """A link with a fate map or sweep on screen (computed on opening). A sweep runs the page's steps."""
    return "s=" + encode_scenario({"surface": "himmelblau", "start": [0, 0], "steps": steps,
                                   "runs": [{"optimizer": "SGD", "params": {"lr": 0.01, "momentum": 0.5}}],
                                   section: settings})


HOSTILE = "s=" + base64.urlsafe_b64encode(zlib.compress(b'"' + b'\\"' * 99_999, 9)).decode().rstrip("=")


def hostile_upload(url: str) -> None:
    """Chromium uploads a file just under the page's size limit: a quote and ~500,000 escaped
    quotes (the input that once held the nesting check, and the server, for most of an hour at
    1 MB), and waits for the page to refuse it."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from experiments.scenario import MAX_FILE_BYTES
    from harness.browser import launch, wait_for_map
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        path = Path(folder) / "hostile.json"
        path.write_bytes(b'"' + b'\\"' * ((MAX_FILE_BYTES - 1) // 2))
        browser = launch(p)
        page = browser.new_page()
        page.goto(url)
        wait_for_map(page)
        page.get_by_text("Share, save, load").click()
        page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(path))
        page.get_by_text("That file is not a valid scenario", exact=False).wait_for(timeout=120_000)
        browser.close()


def tree_rss_mb(pid: int) -> float:
    """The server's resident set plus its descendants' (the worker process)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += rss_mb(p)
        except (OSError, RuntimeError):
            continue
        todo += children.get(p, [])
    return total


class Watch:
    """Health latency and tree memory, sampled in threads while a case runs."""

    def __init__(self, url: str, pid: int):
        self.url, self.pid = url, pid
        self.worst_health = self.peak = self.server_peak = 0.0
        self.stop = threading.Event()

    def __enter__(self):
        self.threads = [threading.Thread(target=self._health, daemon=True), threading.Thread(target=self._memory, daemon=True)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def _health(self):
        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=60).read()
            except OSError:
                pass
            self.worst_health = max(self.worst_health, time.perf_counter() - t)
            time.sleep(0.1)

    def _memory(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self.server_peak = max(self.server_peak, rss_mb(self.pid))
            time.sleep(0.2)


async def visit(url: str, query: str = "") -> float:
    """Open the page; seconds until the map arrived."""
    t = time.perf_counter()
    async with Session(url, timeout=600) as s:
        reply = await s.open(query)
        if reply.map_steps is None:
            raise RuntimeError("the page has no map")
    return time.perf_counter() - t


async def gif(url: str) -> float:
    t = time.perf_counter()
    async with Session(url, timeout=600) as s:
        await s.open()
        await s.set_slider("Frames in the GIF / MP4", 300)
        await s.click("Make GIF")
    return time.perf_counter() - t


async def case(url: str, heavy) -> tuple[float, float]:
    """(seconds the heavy session(s) took, the other session's time to the map meanwhile)."""
    t = time.perf_counter()
    task = asyncio.ensure_future(heavy())
    await asyncio.sleep(1.0)  # the heavy work is under way
    other = await visit(url)
    await task
    return time.perf_counter() - t, other


def main():
    cases = [
        ("hostile link (294 characters)", lambda url: visit(url, HOSTILE)),
        ("hostile upload (1 MB, in Chromium)", lambda url: asyncio.to_thread(hostile_upload, url)),
        ("largest run (3,200,000 run-steps)", lambda url: visit(url, largest_run(0.01))),
        ("three tabs of it at once", lambda url: asyncio.gather(*(visit(url, largest_run(lr)) for lr in (0.002, 0.003, 0.004)))),
        ("largest fate map (200² × 5,000)", lambda url: visit(url, study("map", {"cells": 200, "steps": 5000}))),
        ("largest sweep (60² × 5,000)", lambda url: visit(url, study("sweep", {"param": "momentum", "lr": [1e-4, 1, 60],
                                                                           "values": [0, 0.99, 60], "steps": 5000}, 5000))),
        ("largest GIF (300 frames)", gif),
    ]
    only = [int(a) for a in sys.argv[1:]]  # e.g. `python bench/abuse.py 2 3`: those cases only (1-based)
    if only:
        cases = [c for i, c in enumerate(cases, 1) if i in only]
    print(f"hostile link: {len(HOSTILE) - 2} characters")
    with streamlit_server(extra=["--server.disconnectedSessionTTL", str(TTL)], env={"MALLOC_ARENA_MAX": "4"}) as url:
        for _ in range(2):
            asyncio.run(visit(url))  # the server has imported everything and computed the tour
        idle = statistics.median(asyncio.run(visit(url)) for _ in range(3))
        time.sleep(TTL + 1)
        start = tree_rss_mb(url.pid)
        print(f"idle: the page's map in {idle:.2f} s (median of 3); server {start:.0f} MB\n")
        print(f"{'case':36s} {'its time':>9s} {'other page':>11s} {'ratio':>6s} {'worst health':>13s} {'peak MB':>8s} {'server':>7s}")
        rows = []
        for name, heavy in cases:
            with Watch(url, url.pid) as w:
                took, other = asyncio.run(case(url, lambda heavy=heavy: heavy(url)))
            rows.append((name, took, other, w.worst_health, w.peak))
            print(f"{name:36s} {took:8.1f}s {other:10.2f}s {other / idle:5.2f}× {w.worst_health:12.3f}s {w.peak:8.0f} "
                  f"{w.server_peak:7.0f}")
        time.sleep(TTL + 31 + IDLE + 5)  # sessions released, a garbage collection (30 s), the worker stopped
        asyncio.run(visit(url))  # a visit, which lets the server drop the closed sessions
        time.sleep(TTL + 31)
        settled = tree_rss_mb(url.pid)
    worst = max(r[3] for r in rows)
    ratio = max(r[2] for r in rows) / idle
    peak = max(r[4] for r in rows)
    print(f"\nworst health {worst:.3f} s (target ≤ 1 s); other page ≤ {ratio:.2f}× idle (target ≤ 2×); "
          f"peak {peak:.0f} MB (target ≤ 1,024); settled {settled:.0f} MB, {settled - start:+.0f} MB from the start "
          f"(target within 100 MB)")


if __name__ == "__main__":
    main()
