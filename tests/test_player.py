"""The map's player (ui/player.js) in Chromium against a real `streamlit run`: the frames it makes
are the exported animation's frames, and its controls fit a projector and a phone.

Playback rates and load times are benchmarks (bench/app.py), not tests: the machine is shared.
"""
import os

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from harness.browser import CHROMIUM, MAP, PLAYER, collect_errors, launch, streamlit_server, wait_for_map  # noqa: E402

pytestmark = pytest.mark.e2e
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (bash scripts/test.sh installs it)", allow_module_level=True)

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")
CONTROLS = ".dl-controls button, .dl-controls input"


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def test_the_player_makes_the_frames_the_export_plays(server, browser):
    """Every frame the page plays equals the exported animation's Plotly frame (views/mapfig.py
    makes both from each run's Tail), for a scene with three runs, one of which diverges."""
    from experiments.scenario import parse_scenario, run_scenario
    from experiments.tour import BY_KEY
    from views.mapfig import map_figure
    sc = parse_scenario(BY_KEY["adam"].scenario)
    fig = map_figure(sc.surface_obj, run_scenario(sc))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    collect_errors(page, errors)
    page.goto(server + "/?p=adam")
    wait_for_map(page)
    made = page.evaluate(f"(() => {{ const p = {PLAYER}; return [...Array(p.n).keys()].map(j => p.frameData(j)); }})()")
    assert len(made) == len(fig.raw_frames) > 100
    for j, (mine, theirs) in enumerate(zip(made, fig.raw_frames)):
        assert len(mine) == len(theirs["data"])
        for a, b in zip(mine, theirs["data"]):
            assert a["x"] == pytest.approx(b["x"], rel=1e-15) and a["y"] == pytest.approx(b["y"], rel=1e-15), j
            assert a.get("marker", {}).get("size") == b.get("marker", {}).get("size"), j
    assert page.evaluate(f"{PLAYER}.spec.moving") == fig.raw_frames[0]["traces"]
    # and what is on screen at a frame is that frame
    page.evaluate(f"{PLAYER}.show(57)")
    page.wait_for_function(f"document.querySelector('{MAP}').data[{fig.raw_frames[57]['traces'][-1]}].x.length === "
                           f"{len(fig.raw_frames[57]['data'][-1]['x'])}")
    shown = page.evaluate(f"document.querySelector('{MAP}').data[{fig.raw_frames[57]['traces'][-1]}].x")
    assert shown == pytest.approx(fig.raw_frames[57]["data"][-1]["x"], rel=1e-15)
    assert errors == []
    page.close()


def boxes(page) -> list[tuple[str, dict]]:
    return page.locator(CONTROLS).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.getAttribute('aria-label') || e.textContent, {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}]; })")


def overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] - 0.5 and b["x0"] < a["x1"] - 0.5 and a["y0"] < b["y1"] - 0.5 and b["y0"] < a["y1"] - 0.5


@pytest.mark.parametrize("width, height, query", [(1280, 720, "?present=1"), (1366, 768, "?present=1"),
                                                   (1920, 1080, "?present=1"), (390, 844, "")],
                         ids=["present-1280x720", "present-1366x768", "present-1920x1080", "phone-390x844"])
def test_the_chart_and_its_controls_fit_the_screen(server, browser, width, height, query):
    """Presentation mode: the whole chart, its axis titles and every control are on screen without
    scrolling. Phone: every control is on screen (after scrolling to them), none overlaps another,
    and the chart is as wide as the page."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    collect_errors(page, errors)
    page.goto(server + "/" + query)
    wait_for_map(page)
    page.wait_for_timeout(800)  # the player sizes the chart to the window once it is drawn
    phone = not query
    if phone:
        page.locator(".dl-controls").scroll_into_view_if_needed()
    found = boxes(page)
    assert len(found) == 10  # slider, |◀ ‹ Play › ▶|, four speeds
    for name, b in found:
        assert 0 <= b["x0"] and b["x1"] <= width and 0 <= b["y0"] and b["y1"] <= height, (name, b)
        assert b["x1"] - b["x0"] >= 24 and b["y1"] - b["y0"] >= 24, (name, b)  # big enough to hit with a finger
    for i, (n1, b1) in enumerate(found):
        for n2, b2 in found[i + 1:]:
            assert not overlap(b1, b2), (n1, n2)
    chart = page.locator(MAP).bounding_box()
    titles = [page.locator(f"{MAP} .{t}").first.bounding_box() for t in ("xtitle", "ytitle")]
    if phone:
        assert chart["width"] >= width - 40  # the chart takes the page's width
    else:
        assert page.evaluate("scrollY") == 0
        for b in [chart] + titles:
            assert b["y"] >= 0 and b["y"] + b["height"] <= height and b["x"] + b["width"] <= width, b
        assert max(b["y1"] for _, b in found) <= height
    page.screenshot(path=os.path.join(ARTIFACTS, f"player-{width}x{height}.png"))
    assert errors == []
    page.close()
