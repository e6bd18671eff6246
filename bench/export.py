"""Export benchmark: prints how long each export of the page takes. Run: python bench/export.py

Scenes: the lecture tour's warm-up (2 runs × 3,000 steps) and the crawl (1 run × 100,000 steps,
the longest the page allows). Best of 2; sizes in MB. The page shows a progress bar for the
exports that take about a second or more (GIF, MP4, and CSV/JSON above 20,000 rows).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments.records import trace_json, trajectories_csv  # noqa: E402
from experiments.scenario import parse_scenario, run_scenario  # noqa: E402
from experiments.tour import BY_KEY  # noqa: E402
from views import export as ex  # noqa: E402
from views.mapfig import map_figure  # noqa: E402


def timed(fn, repeat=2):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def size(data) -> str:
    n = len(data.encode() if isinstance(data, str) else data)
    return f"{n / 1e6:6.2f} MB"


def scene(key: str) -> None:
    sc = parse_scenario(BY_KEY[key].scenario)
    res = run_scenario(sc)
    s = sc.surface_obj
    print(f"{key}: {len(res)} run(s) × {sc.steps:,} steps")
    made = {}

    def gif():
        made["frames"] = ex.animation_frames(s, res, frames=150)
        return ex.gif_bytes(made["frames"])

    cases = [("CSV", lambda: trajectories_csv(sc.surface_obj, res)), ("JSON", lambda: trace_json(sc, res)),
             ("HTML (plotly.js inlined)", lambda: ex.html_bytes(map_figure(s, res), "t")),
             ("PNG (one frame)", lambda: ex.png_bytes(ex.frame_image(s, res))),
             ("GIF, 150 frames (draw + encode)", gif)]
    if ex.mp4_available():
        cases.append(("MP4, 150 frames (encode only)", lambda: ex.mp4_bytes(made["frames"])))
    for label, fn in cases:
        sec, data = timed(fn)
        print(f"  {label:34s} {sec:6.2f} s  {size(data)}")


def main():
    for key in ("warmup", "crawl"):
        scene(key)


if __name__ == "__main__":
    main()
