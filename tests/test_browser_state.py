"""The sequences that used to break the page in a real browser (AppTest sets widget values
directly and never met them): a real `streamlit run`, Debian's Chromium, every page error and
console error collected, and the server's log checked for tracebacks after each test.
"""
import os
import re

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from harness.browser import MAP, PLAYER, collect_errors, map_box, require_chromium, wait_for_map  # noqa: E402
from harness.monkey import tracebacks  # noqa: E402

pytestmark = pytest.mark.e2e
require_chromium()

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


@pytest.fixture
def page(app_server, chromium):
    """A fresh page; afterwards: no page error, no console error, no traceback in the server's log."""
    server, context = app_server, chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors = []
    collect_errors(pg, errors)
    server.log()
    pg.goto(server.url)
    wait_for_map(pg)
    yield pg
    settle(pg)
    context.close()
    assert errors == []
    assert tracebacks(server.log()) == []


def settle(pg) -> None:
    """Streamlit has finished running the script (its status widget is gone) for a moment."""
    pg.wait_for_timeout(300)
    pg.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    pg.wait_for_timeout(300)


def no_error_box(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.get_by_text("This app has encountered an error").count() == 0


def sidebar_button(pg, text: str):
    return pg.locator('[data-testid="stSidebar"] button').filter(has_text=text).first


def choose(pg, box, option, typed: str | None = None) -> None:
    """Pick an option as a user does: open the box (or type into it, to filter), click the option."""
    box.scroll_into_view_if_needed()  # a box half above the fold takes the click as a focus only
    pg.wait_for_timeout(200)
    if typed:
        box.locator("input").first.click()
        box.locator("input").first.fill(typed)
        pg.wait_for_timeout(500)  # the list re-renders as it filters
    else:
        box.click()
    pg.get_by_role("option", name=option, exact=True).click()
    settle(pg)


def test_switch_language_then_a_scene_and_steps(page):
    language = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    choose(page, language, "繁體中文")
    sidebar_button(page, "1 ·").click()
    settle(page)
    no_error_box(page)
    steps = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInput"] input').nth(2)
    steps.fill("700")
    steps.press("Enter")
    settle(page)
    no_error_box(page)
    page.get_by_text("你改了「1 · 卡住了，卻不在臨界點」的設定", exact=False).wait_for()  # edited: the scene's text is gone
    assert page.locator('[data-testid="stMain"] [data-testid="stAlertContentInfo"]').count() == 0
    choose(page, language, "English")
    sidebar_button(page, "3 ·").click()
    settle(page)
    no_error_box(page)
    page.get_by_text("The lecture's Root Mean Square", exact=False).wait_for()
    assert steps.input_value() == "300"


def test_step_through_then_scene_1_then_scene_3(page):
    page.locator("[data-testid=stButtonGroup] button").filter(has_text="Step through").click()
    settle(page)
    for scene in ("1 ·", "3 ·"):
        sidebar_button(page, scene).click()
        settle(page)
        no_error_box(page)
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first
    assert box.input_value() == "1: Lecture RMS, η = 1"


def test_play_pause_speed_and_a_click_after_play_raise_nothing_and_move_the_start(page):
    play = page.locator(".dl-play")
    play.click()
    page.wait_for_timeout(800)
    play.click()  # pause
    page.wait_for_timeout(300)
    play.click()
    for speed in ("2×", "½×", "4×"):  # speed changes while it plays
        page.wait_for_timeout(300)
        page.locator(".dl-speed").filter(has_text=speed).click()
    page.wait_for_function(f"{PLAYER}.frame === {PLAYER}.n - 1 && !{PLAYER}.playing", timeout=30_000)
    page.wait_for_timeout(500)
    start = page.get_by_role("spinbutton", name="start b")
    old = start.input_value()
    box = map_box(page)
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    page.wait_for_function(f"(() => {{ const e = document.querySelector('input[aria-label=\"start b\"]');"
                           f" return e && e.value !== {old!r}; }})()", timeout=30_000)
    settle(page)
    no_error_box(page)


def test_reruns_do_not_redeclare_the_keys_script(page):
    steps = page.get_by_role("spinbutton", name="Steps", exact=True)
    for n in ("2900", "2800", "2700"):
        steps.fill(n)
        steps.press("Enter")
        settle(page)
    assert page.evaluate("window.__descentLabKeys") is True


def test_the_burst_scene_edited_says_what_it_is(page):
    sidebar_button(page, "6 ·").click()
    settle(page)
    run = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').filter(has_text="Run 1").first
    if run.locator('[data-testid="stSelectbox"]').count() == 0:
        run.locator("summary").first.click()
    choose(page, run.locator('[data-testid="stSelectbox"]').first, re.compile(r"^Adam\s+\(torch\.optim\)$"), typed="Adam")
    lr = run.get_by_role("spinbutton", name="lr", exact=True)
    lr.fill("0.5")
    lr.press("Enter")
    settle(page)
    no_error_box(page)
    wait_for_map(page)
    names = page.evaluate(f"document.querySelector('{MAP}').data.filter(t => t.mode === 'lines+markers').map(t => t.name)")
    assert names == ["Adam, η = 0.5"]
    assert page.get_by_text("around step 700 the path shoots out", exact=False).count() == 0
    page.get_by_text("You changed the settings of “6 · The burst”", exact=False).wait_for()
    page.screenshot(path=os.path.join(ARTIFACTS, "burst-scene-edited.png"))
    page.get_by_role("button", name="Back to “6 · The burst”").click()
    settle(page)
    page.get_by_text("around step 700 the path shoots out", exact=False).wait_for()
