"""App benchmark in headless Chromium against a real `streamlit run` on loopback.
Run: python bench/app.py        (needs /usr/bin/chromium and playwright: bash scripts/test.sh)

Prints, in one run, as ratios where a reference is measured beside it (the machine is shared and
noisy: best and median of 3):
- fresh visit (a new browser context: empty cache) until the map is drawn, for the app and for a
  bare Streamlit page holding one st.plotly_chart of the same map (the reference), and the bytes
  each visit transferred (HTTP bodies as sent, plus websocket messages);
- changing a widget (Steps) until the new map is drawn;
- the first page after `streamlit run` on a fresh copy of the repository (no numba cache);
- the frame rate the player reaches at ½×, 1×, 2×, 4× (frames advanced per second of wall time,
  and frames painted), against 25 frames/s × the speed;
- the server's CPU per rerun for the map when its figure is cached: the player's mount against
  st.plotly_chart of the same figure with its Plotly frames (the way the map was sent before).
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from playwright.sync_api import sync_playwright  # noqa: E402

from experiments.scenario import parse_scenario, run_scenario  # noqa: E402
from experiments.tour import BY_KEY, DEFAULT  # noqa: E402
from harness.browser import PLAYER, launch, streamlit_server, wait_for_map  # noqa: E402
from views.mapfig import FRAME_MS, fit_view, map_figure  # noqa: E402

SPEEDS = (0.5, 1, 2, 4)


def default_map():
    p = BY_KEY[DEFAULT]
    sc = parse_scenario(p.scenario)
    results = run_scenario(sc)
    return map_figure(sc.surface_obj, results, view=fit_view(sc.surface_obj, results) if p.fit_view else None)


def bare_page(folder: Path) -> Path:
    """A Streamlit page with nothing but one st.plotly_chart of the default map (without frames)."""
    fig = default_map()
    fig.frames_of, fig.raw_layout = None, {}
    (folder / "map.json").write_text(fig.to_json())
    (folder / "app.py").write_text(textwrap.dedent("""
        import plotly.io as pio
        import streamlit as st
        st.plotly_chart(pio.read_json("map.json"), theme=None)
    """))
    return folder


def transferred(page) -> dict:
    """Count the bytes a page receives: HTTP bodies as sent (compressed or not) and websocket messages."""
    cdp = page.context.new_cdp_session(page)
    seen = {"http": 0, "ws": 0}
    cdp.on("Network.loadingFinished", lambda e: seen.__setitem__("http", seen["http"] + e["encodedDataLength"]))
    cdp.on("Network.webSocketFrameReceived", lambda e: seen.__setitem__("ws", seen["ws"] + len(e["response"]["payloadData"])))
    cdp.send("Network.enable")
    return seen


def fresh_visit(browser, url: str, drawn: str) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    seen = transferred(page)
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(drawn, timeout=120_000)
    took = time.perf_counter() - t
    page.wait_for_timeout(1500)  # what still arrives after the map (the rest of the page)
    context.close()
    return took, seen["http"] + seen["ws"]


def widget_to_map(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    ready = wait_for_map(page)
    page.wait_for_timeout(2000)  # the rest of the page, and the warm-up of other scenes, settle
    steps = page.get_by_role("spinbutton", name="Steps", exact=True)
    new = int(steps.input_value()) + 100
    steps.fill(str(new))
    t0 = page.evaluate("performance.now()")  # timed in the page: from the key press to the map drawn
    steps.press("Enter")
    page.wait_for_function(f"{PLAYER}.spec.figure.layout.meta.steps === {new} && "
                           f"Number(document.querySelector('.dl-map').dataset.ready) > {ready}", timeout=120_000)
    took = (page.evaluate(f"{PLAYER}.drawnAt") - t0) / 1000
    page.close()
    return took


def frame_rates(browser, url: str) -> dict:
    """Per speed: frames advanced per second and frames painted per second, over 2 s of play
    from the first frame, timed in the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    wait_for_map(page)
    out = {}
    for speed in SPEEDS:
        out[speed] = page.evaluate("""async (speed) => {
            const p = window.__descentLabPlayer;
            p.pause(); p.show(0); p.setSpeed(speed);
            await new Promise(r => setTimeout(r, 300));
            p.play();
            await new Promise(r => setTimeout(r, 200));
            const f0 = p.frame, n0 = p.painted, t0 = performance.now();
            const span = Math.min(2000, 0.8 * (p.n - 1 - f0) * p.spec.frame_ms / speed);
            await new Promise(r => setTimeout(r, span));
            const f1 = p.frame, n1 = p.painted, t1 = performance.now();
            p.pause();
            return [(f1 - f0) * 1000 / (t1 - t0), (n1 - n0) * 1000 / (t1 - t0)];
        }""", speed)
    page.close()
    return out


def first_page_on_a_fresh_copy(browser) -> float:
    """`streamlit run` in a copy of the repository without any numba cache, until its map is drawn."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "descent-lab"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.nbi", "*.nbc", "artifacts"))
        t = time.perf_counter()
        with streamlit_server(root=copy) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            wait_for_map(page, timeout=180_000)
            took = time.perf_counter() - t
            page.close()
    return took


RERUN_SCRIPT = """
import json
import streamlit as st
from experiments.tour import BY_KEY, DEFAULT
from experiments.scenario import parse_scenario
from i18n import translator
from ui.compute import figures, scenario_key
from ui.player import map_player
from views.mapfig import PALETTE
key = scenario_key(parse_scenario(BY_KEY[DEFAULT].scenario).to_dict())
shown = figures(key, tuple(PALETTE[:len(json.loads(key)["runs"])]), True, translator("en"), False)
if st.session_state.get("how") == "player":
    map_player(shown.map_json, on_start=lambda x, y: None)
elif st.session_state.get("how") == "plotly_chart":
    st.plotly_chart(st.cache_resource(shown.map_figure)(), key="map", theme=None, on_select=lambda: None, selection_mode="points")
"""


def cpu_per_rerun(reruns: int = 20) -> dict:
    """Seconds of this process's CPU per script run: the map's part (mounting it, its figure
    cached) for the player and for st.plotly_chart with frames, each less a run that draws nothing."""
    code = f"""
import sys, time, json
sys.path.insert(0, {str(ROOT)!r})
from streamlit.testing.v1 import AppTest
script = {RERUN_SCRIPT!r}
out = {{}}
for how in ("none", "player", "plotly_chart", "none"):
    at = AppTest.from_string(script, default_timeout=300)
    at.session_state["how"] = how
    at.run()  # the figure is computed and cached here
    best = []
    for _ in range(3):
        t = time.process_time()
        for _ in range({reruns}):
            at.run()
        best.append((time.process_time() - t) / {reruns})
    out.setdefault(how, []).append(min(best))
print(json.dumps(out))
"""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    def summary(values, unit="s", fmt="{:.2f}", best=min):
        return f"best {fmt.format(best(values))} {unit}, median {fmt.format(statistics.median(values))} {unit}"

    cpu = cpu_per_rerun()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = launch(p)
        with streamlit_server() as app_url, streamlit_server(root=bare_page(Path(tmp))) as bare_url:
            fresh_visit(browser, app_url, ".dl-map[data-ready] .dl-plot .main-svg")  # warm-up: imports, engine cache
            fresh_visit(browser, bare_url, ".js-plotly-plot .main-svg")
            app, bare = [], []
            for _ in range(3):  # interleaved, so that both see the same machine
                app.append(fresh_visit(browser, app_url, ".dl-map[data-ready] .dl-plot .main-svg"))
                bare.append(fresh_visit(browser, bare_url, ".js-plotly-plot .main-svg"))
            changes = [widget_to_map(browser, app_url) for _ in range(5)]
            rates = [frame_rates(browser, app_url) for _ in range(2)]
        first = first_page_on_a_fresh_copy(browser)
        browser.close()

    a, b = [t for t, _ in app], [t for t, _ in bare]
    print(f"default preset: {BY_KEY[DEFAULT].title}\n")
    print(f"{'fresh visit → map drawn, app':44s} {summary(a)}")
    print(f"{'fresh visit → chart drawn, bare 1-chart page':44s} {summary(b)}")
    print(f"{'  ratio app / bare (target ≤ 1.5)':44s} best {min(a) / min(b):.2f}, median {statistics.median(a) / statistics.median(b):.2f}")
    print(f"{'bytes for a fresh visit, app':44s} {statistics.median([n for _, n in app]) / 1e6:.2f} MB "
          f"(bare page {statistics.median([n for _, n in bare]) / 1e6:.2f} MB; uncompressed: no proxy here)")
    print(f"{'change Steps → new map drawn (≤ 0.4 s)':44s} {summary(changes)}")
    print(f"{'first page after streamlit run, fresh copy':44s} {first:.1f} s (target ≤ 10 s)")
    for speed in SPEEDS:
        advanced = [r[speed][0] for r in rates]
        painted = [r[speed][1] for r in rates]
        want = 1000 / FRAME_MS * speed
        print(f"{f'player at {speed:g}×: frames advanced per s':44s} {statistics.median(advanced):6.1f} of {want:.1f} "
              f"({statistics.median(advanced) / want:.0%}); painted {statistics.median(painted):.1f}/s")
    ones = statistics.median([r[1][0] for r in rates])
    print(f"{'  speed ratios to 1× (want 0.5, 2, 4)':44s} " + ", ".join(
        f"{statistics.median([r[s][0] for r in rates]) / ones:.2f}" for s in SPEEDS if s != 1))
    none, player, chart = min(cpu["none"]), cpu["player"][0], cpu["plotly_chart"][0]
    print(f"{'server CPU per rerun for the map, player':44s} {(player - none) * 1000:.1f} ms (target ≤ 20 ms; "
          f"a run drawing nothing: {none * 1000:.1f} ms)")
    print(f"{'  same figure as st.plotly_chart with frames':44s} {(chart - none) * 1000:.1f} ms "
          f"(ratio {(chart - none) / max(player - none, 1e-6):.0f}×)")


if __name__ == "__main__":
    main()
