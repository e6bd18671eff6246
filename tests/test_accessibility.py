"""Accessibility and language, in a real browser: axe-core finds no serious or critical WCAG 2.x AA
violation, the map's Play and Pause are reachable and pressable by keyboard with a visible focus,
every chart has a text alternative, and a Chinese page shows no English sentence of the app's own.
"""
import os

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

from experiments.tour import PRESETS  # noqa: E402
from harness.browser import active_frame, collect_errors, require_chromium, wait_for_map  # noqa: E402
from harness.monkey import tracebacks  # noqa: E402
from i18n import translator  # noqa: E402
from tests.test_browser_state import choose, settle  # noqa: E402
from tests.test_messages import english_sentences  # noqa: E402

pytestmark = pytest.mark.e2e
require_chromium()

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Streamlit's own texts, not the app's (README, "Accessibility"): its skip link.
STREAMLIT_TEXTS = {"Skip to main content"}

VISIBLE_TEXTS = r"""() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;  // a formula's MathML copy is TeX source, not text
    if (!e || e.closest('script, style, .katex-mathml') || !e.checkVisibility()) continue;
    if (n.textContent.trim()) out.push(n.textContent);
  }
  for (const e of document.querySelectorAll('[aria-label], [title], [data-title], [placeholder], [alt]'))
    for (const a of ['aria-label', 'title', 'data-title', 'placeholder', 'alt'])
      if (e.getAttribute(a)) out.push(e.getAttribute(a));
  return out;
}"""


@pytest.fixture
def open_page(app_server, chromium):
    """open_page(query) → a loaded page; afterwards no page or console error, no traceback."""
    server, context = app_server, chromium.new_context(viewport={"width": 1400, "height": 1000})
    errors = []

    def opened(query: str = ""):
        pg = context.new_page()
        collect_errors(pg, errors)
        pg.goto(server.url + "/" + query)
        wait_for_map(pg)
        settle(pg)
        return pg
    server.log()
    yield opened
    context.close()
    assert errors == []
    assert tracebacks(server.log()) == []


def serious(pg) -> list[str]:
    pg.wait_for_timeout(700)  # the page script makes the formulas and map buttons keyboard-reachable
    result = axe_sync.Axe().run(pg, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']]}" for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("query", ["", "?lang=zh-TW&present=1"], ids=["default", "chinese-presentation"])
def test_axe_finds_no_serious_or_critical_violation(open_page, query):
    pg = open_page(query)
    assert serious(pg) == []
    pg.screenshot(path=os.path.join(ARTIFACTS, f"axe-{'default' if not query else 'zh-present'}.png"))


def test_every_view_and_chart_has_a_text_alternative(open_page):
    pg = open_page("?p=decay")
    charts = pg.locator(".dl-plot")  # drawn by ui/player.js
    assert [charts.nth(i).get_attribute("role") for i in range(charts.count())] == ["figure", "figure"]
    names = [charts.nth(i).get_attribute("aria-label") for i in range(charts.count())]
    assert len(names) == 2  # the map and the diagnostics
    assert pg.locator(".dl-controls").get_attribute("aria-label") == "Animation controls"
    assert names[0].startswith("Animated contour map of Lecture") and "RMS, η = 10/√(t+1): start (b -120, w -4)" in names[0]
    assert names[1].startswith("Six charts against the step t")


def test_play_and_pause_are_reachable_and_pressed_by_keyboard_with_a_visible_focus(open_page):
    pg = open_page()
    tr = translator("en")
    for _ in range(300):
        pg.keyboard.press("Tab")
        if pg.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')") == tr("Play"):
            break
    else:
        pytest.fail("Tab never reached the map's Play button")
    ring = pg.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()")
    assert ring == ["solid", "3px"]  # the focused button is drawn with a thick dark frame
    start = active_frame(pg)
    pg.keyboard.press("Enter")
    pg.wait_for_timeout(1500)
    assert active_frame(pg) > start + 5  # it plays
    assert pg.evaluate("document.activeElement.getAttribute('aria-label')") == tr("Pause")  # the same button, now Pause
    pg.keyboard.press(" ")
    pg.wait_for_timeout(400)
    held = active_frame(pg)
    pg.wait_for_timeout(1000)
    assert active_frame(pg) == held  # paused, by space on the focused button (not toggled twice)


def english_on(pg) -> list[str]:
    return sorted({s for t in pg.evaluate(VISIBLE_TEXTS) for s in english_sentences(t)} - STREAMLIT_TEXTS)


@pytest.mark.parametrize("key", [p.key for p in PRESETS])
def test_every_scene_in_chinese_shows_no_english_sentence(open_page, key):
    pg = open_page(f"?p={key}&lang=zh-TW")
    assert english_on(pg) == []


def test_a_scene_switched_to_chinese_with_a_bad_link_note_step_view_and_3d_shows_no_english_sentence(open_page):
    pg = open_page("?p=stuck&view=nope")  # a bad field: the page says why it was ignored
    assert any("view=nope" in t for t in pg.evaluate(VISIBLE_TEXTS))
    choose(pg, pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first, "繁體中文")
    wait_for_map(pg)
    assert english_on(pg) == []
    tr = translator("zh-TW")
    for view in (tr("Step through"), tr("3-D surface")):
        pg.locator('[data-testid="stMain"] button').filter(has_text=view).first.click()
        settle(pg)
        pg.wait_for_timeout(800)
        assert english_on(pg) == [], view
