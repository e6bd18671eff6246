"""End to end: a real `streamlit run` on loopback, Debian's Chromium through Playwright.

Load the page, choose a preset, press Play: the path advances and the contour picture stays
drawn during and after play (checked on screenshot pixels). Screenshots go to tests/artifacts/.
"""
import io
import os

import numpy as np
import pytest

sync_api = pytest.importorskip("playwright.sync_api")
from PIL import Image  # noqa: E402

from tests.browser import CHROMIUM, active_frame, launch, map_box, streamlit_server, wait_for_map  # noqa: E402

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (bash scripts/test.sh installs it)", allow_module_level=True)

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


@pytest.fixture(scope="module")
def page():
    os.makedirs(ARTIFACTS, exist_ok=True)
    with streamlit_server() as url, sync_api.sync_playwright() as p:
        browser = launch(p)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(url)
        wait_for_map(pg)
        yield pg
        browser.close()


def plot_pixels(page, name):
    box = map_box(page)
    png = page.screenshot(clip=box, path=os.path.join(ARTIFACTS, name))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


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
    page.get_by_role("button", name="7 · Adam = RMSProp + momentum").click()
    page.get_by_text("three runs side by side", exact=False).wait_for()
    wait_for_map(page)
    page.wait_for_timeout(1000)
    assert contour_drawn(plot_pixels(page, "before-play.png"))
    before = current_point(page)
    assert active_frame(page) == 0
    page.locator("g.updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_timeout(1500)
    during = plot_pixels(page, "during-play.png")
    mid = active_frame(page)
    assert mid > 5
    assert contour_drawn(during)
    page.wait_for_timeout(2000)
    assert active_frame(page) > mid
    page.locator("g.updatemenu-button").filter(has_text="Pause").first.click()
    page.wait_for_timeout(500)
    assert current_point(page) != before
    assert contour_drawn(plot_pixels(page, "after-pause.png"))
    page.screenshot(path=os.path.join(ARTIFACTS, "page.png"))


def test_a_click_on_the_map_sets_the_start_point(page):
    # After playing, jump once (|◀ Start, End ▶| or the slider) so plotly.js redraws; see views/mapfig.py.
    page.locator("g.updatemenu-button").filter(has_text="Start").first.click()
    page.wait_for_timeout(500)
    assert active_frame(page) == 0
    start_b = page.get_by_role("spinbutton", name="start b")
    old = float(start_b.input_value())
    box = map_box(page)
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7
    page.mouse.move(x, y)  # plotly picks the clicked point on hover
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_function(f"(() => {{ const e = document.querySelector('input[aria-label=\"start b\"]');"
                           f" return e && parseFloat(e.value) !== {old}; }})()", timeout=30_000)
    assert float(start_b.input_value()) != old
    wait_for_map(page)
    page.screenshot(path=os.path.join(ARTIFACTS, "after-click.png"))
