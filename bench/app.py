"""App benchmark in headless Chromium against a real `streamlit run` on loopback.
Run: python bench/app.py        (needs /usr/bin/chromium and playwright: bash scripts/test.sh)

Prints, for the default preset: time until the map is visible (fresh page), time from changing a
widget (Steps) until the new map is drawn, the figure's JSON size as sent to the browser, and the
frame rate the animation really reaches next to the one it asks for (1× = 25 frames/s).
Best and median of 3 page loads; the machine is shared and noisy.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playwright.sync_api import sync_playwright  # noqa: E402

from experiments.scenario import parse_scenario, run_scenario  # noqa: E402
from experiments.tour import BY_KEY, DEFAULT  # noqa: E402
from harness.browser import GD, active_frame, launch, streamlit_server, wait_for_map  # noqa: E402
from views.mapfig import FRAME_MS, fit_view, map_figure  # noqa: E402


def payload_bytes() -> int:
    p = BY_KEY[DEFAULT]
    sc = parse_scenario(p.scenario)
    results = run_scenario(sc)
    fig = map_figure(sc.surface_obj, results, view=fit_view(sc.surface_obj, results) if p.fit_view else None)
    return len(fig.to_json().encode())


def one_session(browser, url: str) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t = time.perf_counter()
    page.goto(url)
    wait_for_map(page)
    visible = time.perf_counter() - t
    page.wait_for_timeout(500)

    steps = page.get_by_role("spinbutton", name="Steps", exact=True)
    old = int(steps.input_value())
    new = old + 100
    t = time.perf_counter()
    steps.fill(str(new))
    steps.press("Enter")
    page.wait_for_function(f"{GD.format(i=0)} && {GD.format(i=0)}.layout.meta && {GD.format(i=0)}.layout.meta.steps === {new}",
                           timeout=120_000)
    changed = time.perf_counter() - t
    wait_for_map(page)
    page.wait_for_timeout(500)

    page.locator("g.updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_timeout(300)
    f0, t0 = active_frame(page), time.perf_counter()
    page.wait_for_timeout(3000)
    f1, t1 = active_frame(page), time.perf_counter()
    page.close()
    return {"visible": visible, "changed": changed, "fps": (f1 - f0) / (t1 - t0)}


def main():
    size = payload_bytes()
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch(p)
        one_session(browser, url)  # warm-up: imports and the engine cache
        runs = [one_session(browser, url) for _ in range(3)]
        browser.close()
    def line(name, key, unit, fmt="{:.2f}"):
        values = [r[key] for r in runs]
        print(f"{name:46s} best {fmt.format(min(values) if key != 'fps' else max(values))} {unit}, "
              f"median {fmt.format(statistics.median(values))} {unit}")
    print(f"default preset: {BY_KEY[DEFAULT].title}\n")
    line("page load → map visible", "visible", "s")
    line("change Steps → new map drawn", "changed", "s")
    line("animation frame rate (asks for 25/s at 1×)", "fps", "frames/s", "{:.1f}")
    print(f"{'map figure JSON':46s} {size / 1e6:.2f} MB (budget 1.5 MB); {1000 / FRAME_MS:.0f} frames/s requested")


if __name__ == "__main__":
    main()
