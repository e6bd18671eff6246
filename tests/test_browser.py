"""End to end: a real `streamlit run` on loopback, Debian's Chromium through Playwright.

Load the page, choose a preset, press Play: the path advances and the contour picture stays
drawn during and after play (checked on screenshot pixels). Screenshots go to tests/artifacts/.
"""
import io
import json
import os
import time

import numpy as np
import pytest

sync_api = pytest.importorskip("playwright.sync_api")
from PIL import Image  # noqa: E402

from harness.browser import CHROMIUM, GD, MAP, PLAYER, active_frame, collect_errors, launch, map_box, streamlit_server, wait_for_map  # noqa: E402

pytestmark = pytest.mark.e2e
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (bash scripts/test.sh installs it)", allow_module_level=True)

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


@pytest.fixture(scope="module")
def page():
    os.makedirs(ARTIFACTS, exist_ok=True)
    with streamlit_server() as url, sync_api.sync_playwright() as p:
        browser = launch(p)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        collect_errors(pg, errors)
        pg.goto(url)
        wait_for_map(pg)
        yield pg
        browser.close()
    assert errors == []  # no page or console error in any of this page's tests


def plot_pixels(page, name):
    box = map_box(page)
    png = page.screenshot(clip=box, path=os.path.join(ARTIFACTS, name))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def eventually(check, timeout: float = 15.0):
    """check() until it is true (then True) or `timeout` seconds pass (then its last value)."""
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def stopped(page) -> None:
    """The map's player is not playing (paused or at its end)."""
    page.wait_for_function(f"!{PLAYER}.playing", timeout=10_000)


def hovering(page, chart: str = ".js-plotly-plot") -> None:
    """plotly.js has picked a point under the mouse (a click selects the hovered point)."""
    page.wait_for_selector(f"{chart} .hoverlayer .hovertext", timeout=10_000)


def frame_past(page, k: int) -> None:
    page.wait_for_function(f"{PLAYER}.frame > {k}", timeout=20_000)


def frame_is(page, k) -> None:
    page.wait_for_function(f"{PLAYER}.frame === {k}", timeout=10_000)


def contour_drawn(pixels) -> bool:
    """The background picture is there: most of the plot area is coloured (not the white or grey
    of an empty plot) and it shows many distinct colours (bands and lines)."""
    grey = (np.abs(pixels - pixels.mean(axis=2, keepdims=True)).max(axis=2) < 8)
    colours = len(np.unique(pixels.reshape(-1, 3) // 8, axis=0))
    return grey.mean() < 0.2 and colours > 20


def current_point(page):
    return page.evaluate("(() => { const gd = document.querySelectorAll('.js-plotly-plot')[0];"
                         " const t = gd.data[gd.data.length - 1]; return [t.x[t.x.length - 1], t.y[t.y.length - 1]]; })()")


def test_preset_play_advances_and_the_contour_stays(page):
    page.get_by_role("button", name="5 · Adam = RMSProp + momentum").click()
    page.get_by_text("three runs side by side", exact=False).wait_for()
    wait_for_map(page)
    assert eventually(lambda: contour_drawn(plot_pixels(page, "before-play.png")))
    before = current_point(page)
    assert active_frame(page) == 0
    page.locator(".dl-play").click()
    frame_past(page, 5)
    during = plot_pixels(page, "during-play.png")
    mid = active_frame(page)
    assert contour_drawn(during)
    frame_past(page, mid)  # still advancing
    assert page.locator(".dl-play").inner_text() == "❚❚ Pause"
    page.locator(".dl-play").click()
    stopped(page)
    assert current_point(page) != before
    assert contour_drawn(plot_pixels(page, "after-pause.png"))
    page.screenshot(path=os.path.join(ARTIFACTS, "page.png"))


def click_map_at(page, fx: float, fy: float) -> tuple[float, float]:
    """Click the map at this fraction of its plot area; the (b, w) the click stands for, read from
    the map's own axes, and the start boxes once they have it. Returns the start's new value."""
    start_b, start_w = page.get_by_role("spinbutton", name="start b"), page.get_by_role("spinbutton", name="start w")
    old = (start_b.input_value(), start_w.input_value())
    ready = wait_for_map(page)
    box = map_box(page)
    expected, pixel = page.evaluate(f"(() => {{ const fl = document.querySelector('{MAP}')._fullLayout;"
                                    f" return [[fl.xaxis.p2d({box['width'] * fx}), fl.yaxis.p2d({box['height'] * fy})],"
                                    f" [fl.xaxis.p2d(1) - fl.xaxis.p2d(0), fl.yaxis.p2d(0) - fl.yaxis.p2d(1)]]; }})()")
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.wait_for_function(f"(() => {{ const b = document.querySelector('input[aria-label=\"start b\"]');"
                           f" const w = document.querySelector('input[aria-label=\"start w\"]');"
                           f" return b && w && (b.value !== {json.dumps(old[0])} || w.value !== {json.dumps(old[1])}); }})()", timeout=30_000)
    wait_for_map(page, after=ready)  # a new map: no reload, the player's next spec
    got = (float(start_b.input_value()), float(start_w.input_value()))
    for value, want, px in zip(got, expected, pixel):  # where the click was, to a pixel (and the boxes' 6 digits)
        assert abs(value - want) <= abs(px) + 1e-5 * abs(want)
    return got


def test_a_click_on_the_map_sets_the_start_before_during_and_after_play(page):
    """The start moves to where the map was clicked: on a still map, while it plays (and it plays
    on), and after it played to its end; each time new paths appear without a page reload."""
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Go to the first step").click()
    frame_is(page, 0)
    before = click_map_at(page, 0.3, 0.7)
    page.locator(".dl-play").click()
    frame_past(page, 3)
    during = click_map_at(page, 0.6, 0.4)
    assert page.evaluate(f"{PLAYER}.playing")  # playing goes on, over the new paths
    page.get_by_role("button", name="Go to the last step").click()
    stopped(page)
    page.locator(".dl-play").click()  # from the end, Play starts again from the first frame
    frame_past(page, 2)
    page.locator(".dl-play").click()
    after = click_map_at(page, 0.45, 0.55)
    assert len({before, during, after}) == 3
    assert current_point(page) == pytest.approx(list(after), rel=1e-5)  # the moving point is at the new start (the boxes show 6 digits)
    assert page.evaluate("window.__notReloaded === true")
    page.screenshot(path=os.path.join(ARTIFACTS, "after-click.png"))


def test_keys_step_and_play_the_map(page):
    page.locator("h1").first.click()  # focus the page, not an input
    page.keyboard.press("Home")
    frame_is(page, 0)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    frame_is(page, 2)
    page.keyboard.press("ArrowLeft")
    frame_is(page, 1)
    page.keyboard.press("Space")
    frame_past(page, 10)
    page.keyboard.press("Space")
    stopped(page)
    paused = active_frame(page)
    page.wait_for_timeout(800)  # a paused map stays put: this one wait proves a negative
    assert active_frame(page) == paused
    page.keyboard.press("End")
    frame_is(page, f"{PLAYER}.n - 1")


def legend_names(page):
    return page.evaluate(f"{GD.format(i=0)}.data.filter(t => t.mode === 'lines+markers').map(t => [t.name, t.line.color])")


def test_a_share_link_opens_the_same_scenario_in_a_new_session(page):
    old = page.evaluate("location.search")
    page.get_by_role("button", name="7 · Learning-rate decay removes the bursts").click()
    page.get_by_text("Learning-rate scheduling: let η shrink", exact=False).wait_for()
    page.wait_for_function(f"location.search !== {json.dumps(old)}", timeout=30_000)
    before = page.evaluate("location.search")
    steps = page.get_by_role("spinbutton", name="Steps", exact=True)
    steps.fill("2500")
    steps.press("Enter")
    page.wait_for_function(f"location.search !== {json.dumps(before)}", timeout=30_000)
    page.wait_for_function(f"{PLAYER}.spec && {PLAYER}.spec.figure.layout.meta.steps === 2500", timeout=60_000)
    wait_for_map(page)
    link, names = page.url, legend_names(page)
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = other.new_page()
    fresh.goto(link)
    wait_for_map(fresh)
    assert legend_names(fresh) == names
    assert fresh.get_by_role("spinbutton", name="Steps", exact=True).input_value() == "2500"
    assert fresh.evaluate(f"{PLAYER}.spec.steps.slice(-1)[0]") == 2500
    fresh.screenshot(path=os.path.join(ARTIFACTS, "share-link.png"))
    other.close()


def test_a_share_link_in_chinese_and_presentation_mode(page):
    url = page.url.split("?")[0] + "?v=1&lang=zh-TW&present=1&p=burst"
    other = page.context.browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = other.new_page()
    pg.goto(url)
    wait_for_map(pg)
    pg.get_by_text("梯度下降實驗室").first.wait_for()
    pg.get_by_text("離開簡報模式").first.wait_for()
    assert not pg.locator('section[data-testid="stSidebar"]').is_visible()
    assert pg.locator(".dl-play").inner_text() == "▶ 播放"
    assert eventually(lambda: contour_drawn(plot_pixels(pg, "presentation-zh-map.png")))
    pg.screenshot(path=os.path.join(ARTIFACTS, "presentation-zh.png"))
    pg.keyboard.press("PageDown")  # next tour scene
    pg.get_by_role("heading", name="7 · 學習率衰減消除暴衝").wait_for()
    other.close()


def test_loading_a_scenario_file_and_a_bad_one(page, tmp_path):
    page.goto(page.url.split("?")[0])
    wait_for_map(page)
    page.get_by_text("Share, save, load").click()
    bad = tmp_path / "bad.json"
    bad.write_text('{"surface": "rosenbrock", "runs": [{"optimizer": "Adamm"}]}')
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(bad))
    page.get_by_text("That file is not a valid scenario", exact=False).wait_for(timeout=30_000)
    page.get_by_text("unknown optimizer 'Adamm'", exact=False).first.wait_for()
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"surface": "himmelblau", "start": [0.5, -0.5], "steps": 300,
                                "runs": [{"optimizer": "SGD", "params": {"lr": 0.01}, "label": "from a file"}]}))
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(good))
    page.wait_for_function(f"(() => {{ const gd = {GD.format(i=0)}; return gd && gd.data && "
                           "gd.data.some(t => t.name === 'from a file'); })()", timeout=60_000)
    assert page.get_by_role("spinbutton", name="Steps", exact=True).input_value() == "300"
    # Save gives back the same scenario, in the format cli.py reads
    from experiments.scenario import parse_scenario
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Save scenario (JSON)").click()
    saved = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert parse_scenario(saved) == parse_scenario(json.loads(good.read_text()))


def test_the_exported_html_plays_offline_from_a_file(page, tmp_path):
    from experiments.scenario import parse_scenario, run_scenario
    from experiments.tour import BY_KEY
    from views.export import html_bytes
    from views.mapfig import map_figure
    sc = parse_scenario(BY_KEY["adam"].scenario)
    path = tmp_path / "descent-lab.html"
    path.write_bytes(html_bytes(map_figure(sc.surface_obj, run_scenario(sc)), "Adam", "offline"))
    context = page.context.browser.new_context(offline=True)
    pg = context.new_page()
    requests = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(path.as_uri())
    pg.wait_for_function(f"{GD.format(i=0)} && {GD.format(i=0)}._transitionData && {GD.format(i=0)}._transitionData._frames.length > 0")
    assert pg.evaluate(f"{GD.format(i=0)}._fullLayout.sliders[0].active") == 0
    pg.locator("g.updatemenu-button").filter(has_text="Play").first.click()
    pg.wait_for_function(f"{GD.format(i=0)}._fullLayout.sliders[0].active > 10", timeout=20_000)
    box = pg.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    assert contour_drawn(np.asarray(Image.open(io.BytesIO(pg.screenshot(clip=box))).convert("RGB")).astype(int))
    pg.screenshot(path=os.path.join(ARTIFACTS, "exported-html.png"))
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    context.close()


STEP_ARROW = ("(() => { const gd = document.querySelectorAll('.js-plotly-plot')[0];"
              " const a = gd.layout.annotations.filter(a => a.name === 'step')[0];"
              " return [gd.layout.meta.t, a.ax, a.ay, a.x, a.y]; })()")


def test_step_through_moves_the_arrows_one_update_at_a_time(page):
    """Step through the burst scene: Next, then the → key twice; each time the Δθ arrow starts at
    the engine's next point θ_{t−1} and the panel says the new update number."""
    from experiments.scenario import parse_scenario, run_scenario
    from experiments.tour import BY_KEY
    (r,) = run_scenario(parse_scenario(BY_KEY["burst"].scenario))
    page.goto(page.url.split("?")[0] + "?p=burst&view=step")
    page.get_by_text("update 1 of 3,000", exact=False).first.wait_for(timeout=60_000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot')[0]?.layout?.meta?.t === 1", timeout=30_000)
    seen = [page.evaluate(STEP_ARROW)]
    page.get_by_role("button", name="Next ▶").click()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot')[0]?.layout?.meta?.t === 2", timeout=30_000)
    seen.append(page.evaluate(STEP_ARROW))
    page.locator("h1").first.click()  # focus the page, not an input: the keys go to the buttons' shortcuts
    for t in (3, 4):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot')[0]?.layout?.meta?.t === {t}", timeout=30_000)
        seen.append(page.evaluate(STEP_ARROW))
    for t, ax, ay, _x, _y in seen:
        assert (ax, ay) == pytest.approx(tuple(r.points[t - 1]), rel=1e-9)  # the arrow starts at θ_{t−1}
    starts = [tuple(s[1:3]) for s in seen]
    assert len(set(starts)) == 4  # it moved at every step
    page.get_by_text("update 4 of 3,000", exact=False).first.wait_for()
    page.screenshot(path=os.path.join(ARTIFACTS, "step-through.png"))


def test_a_click_on_the_fate_map_moves_the_start(page):
    """A link with a fate map computes it on opening; a click on one of its cells starts the runs there."""
    from ui.link import encode_scenario
    data = {"surface": "himmelblau", "start": [0, 0], "steps": 100, "runs": [{"optimizer": "Adam", "params": {"lr": 0.05}}],
            "map": {"cells": 30, "steps": 200}}
    page.goto(page.url.split("?")[0] + "?v=1&s=" + encode_scenario(data))
    chart = page.locator(".st-key-fate_chart .nsewdrag").first
    chart.wait_for(timeout=90_000)
    page.get_by_text("900 starts", exact=False).first.wait_for()
    start_x = page.get_by_role("spinbutton", name="start x")
    assert float(start_x.input_value()) == 0
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2  # upper right: Himmelblau's (3, 2) basin
    page.mouse.move(x, y)
    hovering(page, ".st-key-fate_chart")
    page.mouse.click(x, y)
    page.wait_for_function("(() => { const e = document.querySelector('input[aria-label=\"start x\"]');"
                           " return e && parseFloat(e.value) > 1; })()", timeout=30_000)
    assert float(start_x.input_value()) > 1 and float(page.get_by_role("spinbutton", name="start y").input_value()) > 1
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)  # the rerun is done
    wait_for_map(page)
    assert page.locator(".st-key-fate_chart .nsewdrag").count() == 1  # the map stays: it does not depend on the start
    assert page.get_by_text("900 starts", exact=False).first.is_visible()
    page.locator(".st-key-fate_chart").scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(ARTIFACTS, "fate-map-click.png"))
