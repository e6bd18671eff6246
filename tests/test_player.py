"""The map's player (ui/player.js) in Chromium against a real `streamlit run`: the frames it makes
are the exported animation's frames, and its controls fit a projector and a phone.

Playback rates and load times are benchmarks (bench/app.py), not tests: the machine is shared.
"""
import json
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


def desktop_page(browser, url: str):
    """A 1400×1000 page at url, collecting its page and console errors: (page, errors)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    collect_errors(page, errors)
    page.goto(url)
    return page, errors


def text_sizes(page) -> list[float]:
    """The font sizes (px) of Play, the slider's readout, the scene's text and the map's ticks."""
    return page.evaluate(f"""(() => {{
      const px = (s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
      return [px('.dl-play'), px('.dl-readout'), px('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'),
              document.querySelector('{MAP}')._fullLayout.font.size]; }})()""")


def test_presentation_texts_grow_with_the_projector(server, browser):
    """A 1920-pixel projector shows the page's texts and the map's larger than a 1280 one does
    (the back row sees them at the same angle), and the axis titles keep clear of the ticks."""
    sizes = {}
    for width, height in ((1280, 720), (1920, 1080)):
        page = browser.new_page(viewport={"width": width, "height": height})
        errors = []
        collect_errors(page, errors)
        page.goto(server + "/?present=1&p=burst")
        wait_for_map(page)
        page.wait_for_function(f"{PLAYER}.shape && {PLAYER}.shape[2] === {width}")
        sizes[width] = text_sizes(page)
        ticks = page.locator(f"{MAP} .xtick text").evaluate_all("els => Math.max(...els.map(e => e.getBoundingClientRect().bottom))")
        title = page.locator(f"{MAP} .xtitle").first.bounding_box()
        assert title["y"] >= ticks  # "b" under the tick labels, not over them
        assert errors == []
        page.close()
    for small, large in zip(sizes[1280], sizes[1920]):
        assert large >= 1.25 * small, sizes


def swipe(page, x: float, y: float, dy: float) -> None:
    """A finger's vertical swipe by dy px, as the touch screen sends it (not mouse events)."""
    cdp = page.context.new_cdp_session(page)
    steps = 8
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + dy * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


SCROLLED = "(() => { let s = document.scrollingElement.scrollTop; for (const e of document.querySelectorAll('*')) s += e.scrollTop; return s; })()"
RANGES = f"(() => {{ const fl = document.querySelector('{MAP}')._fullLayout; return [...fl.xaxis.range, ...fl.yaxis.range]; }})()"
START = f"[{PLAYER}.spec.tails[0].x[0], {PLAYER}.spec.tails[0].y[0]]"


def test_on_a_phone_a_swipe_over_the_map_scrolls_the_page_and_a_tap_sets_the_start(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    errors = []
    collect_errors(page, errors)
    page.goto(server + "/")
    ready = wait_for_map(page)
    page.locator(MAP).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = page.locator(MAP).locator(".nsewdrag[data-subplot=xy]").first.bounding_box()
    ranges, scrolled = page.evaluate(RANGES), page.evaluate(SCROLLED)
    swipe(page, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8, -0.6 * box["height"])
    page.wait_for_function(f"{SCROLLED} > {scrolled + 50}", timeout=5_000)  # the page scrolled
    assert page.evaluate(RANGES) == ranges  # and the map did not pan
    box = page.locator(MAP).locator(".nsewdrag[data-subplot=xy]").first.bounding_box()
    assert box["y"] > 0, "scroll back for the tap"
    expected = page.evaluate(f"(() => {{ const fl = document.querySelector('{MAP}')._fullLayout;"
                             f" return [fl.xaxis.p2d({box['width'] * 0.3}), fl.yaxis.p2d({box['height'] * 0.6})]; }})()")
    page.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    wait_for_map(page, after=ready)
    assert page.evaluate(START) == pytest.approx(expected, rel=0.02, abs=0.02 * abs(ranges[1] - ranges[0]))
    # the colour bar lies under the map: the plot area keeps most of the phone's width
    assert page.evaluate(f"document.querySelector('{MAP}')._fullLayout._size.w") >= 0.7 * 390
    assert errors == []
    context.close()


def test_a_double_click_resets_the_view_and_leaves_the_start_where_it_was(server, browser):
    page, errors = desktop_page(browser, server + "/")
    ready = wait_for_map(page)
    box = page.locator(MAP).locator(".nsewdrag[data-subplot=xy]").first.bounding_box()
    home, start = page.evaluate(RANGES), page.evaluate(START)
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=6)
    page.mouse.up()
    page.wait_for_function(f"JSON.stringify({RANGES}) !== {json.dumps(json.dumps(home))}")  # panned
    page.mouse.dblclick(x, y)
    page.wait_for_function(f"{RANGES}.every((v, i) => Math.abs(v - {home}[i]) < 1e-9 * (1 + Math.abs(v)))")  # reset
    page.wait_for_timeout(1200)  # past the double-click interval and a rerun: a negative must be waited for
    assert page.evaluate("document.querySelector('.dl-map').dataset.ready") == str(ready)
    assert page.evaluate(START) == start
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)  # one click still moves it
    wait_for_map(page, after=ready)
    assert page.evaluate(START) != start
    assert errors == []
    page.close()


def space_plays_then_pauses(page) -> None:
    frame = page.evaluate(f"{PLAYER}.frame")
    page.keyboard.press("Space")
    page.wait_for_function(f"{PLAYER}.playing && {PLAYER}.frame > {frame + 2}")
    page.keyboard.press("Space")
    page.wait_for_function(f"{PLAYER}.playing === false")


def test_space_plays_and_pauses_after_a_button_or_the_slider_was_used_with_the_mouse(server, browser):
    page, errors = desktop_page(browser, server + "/")
    wait_for_map(page)
    page.get_by_role("button", name="2×").click()
    page.get_by_role("button", name="One frame forward").click()
    space_plays_then_pauses(page)
    assert page.evaluate(f"{PLAYER}.speed") == 2
    slider = page.locator(".dl-slider input").bounding_box()
    page.mouse.move(slider["x"] + 10, slider["y"] + slider["height"] / 2)
    page.mouse.down()
    page.mouse.move(slider["x"] + slider["width"] * 0.4, slider["y"] + slider["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function(f"{PLAYER}.frame > 20")
    space_plays_then_pauses(page)
    page.locator(".dl-slider input").focus()  # a keyboard on the scrub bar: space plays there too
    space_plays_then_pauses(page)
    assert errors == []
    page.close()


def test_the_speed_is_kept_across_views_and_the_readout_speaks_chinese(server, browser):
    page, errors = desktop_page(browser, server + "/?lang=zh-TW")
    wait_for_map(page)
    assert page.locator(".dl-readout").inner_text() == "第 0 步"
    page.get_by_role("button", name="4×").click()
    page.locator("[data-testid=stButtonGroup] button").filter(has_text="逐步檢視").click()
    page.wait_for_function("!document.querySelector('.dl-map')", timeout=30_000)
    page.locator("[data-testid=stButtonGroup] button").filter(has_text="地圖").click()
    wait_for_map(page)
    assert page.evaluate(f"{PLAYER}.speed") == 4
    assert page.get_by_role("button", name="4×").get_attribute("aria-pressed") == "true"
    space_plays_then_pauses(page)  # the view switch clicked with the mouse keeps no hold on space
    assert errors == []
    page.close()
