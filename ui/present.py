"""Presentation mode (for a projector) and the page's own CSS and small script.

The map's keys (space, ← →, Home, End) belong to its player (ui/player.js). The script carries no
user text.
"""
from __future__ import annotations

# The texts grow with the window (clamp: 1280 px wide gives the sizes a laptop shows, 1920 px half
# as large again), so that a projector's back row reads them at any resolution.
PRESENT_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 3.2rem !important; max-width: 100% !important;}
[data-testid="stMain"] p, [data-testid="stMain"] li {font-size: clamp(1.2rem, 0.5rem + 1.05vw, 2rem); line-height: 1.5;}
[data-testid="stMain"] h1 {font-size: clamp(1.3rem, 0.4rem + 1.1vw, 2rem); padding-top: 0; text-wrap: balance;}
[data-testid="stMain"] h3 {font-size: clamp(1.6rem, 0.6rem + 1.5vw, 2.6rem);}
[data-testid="stMain"] [data-testid="stSelectbox"] input, [data-testid="stMain"] button p, [data-testid="stMain"] [data-testid="stButtonGroup"] button,
[data-testid="stMain"] [data-testid="stButtonGroup"] button * {font-size: clamp(1.05rem, 0.4rem + 0.9vw, 1.7rem) !important;}
@media (max-width: 1600px) {  /* ◀ Previous | Next ▶ side by side: their key hints (PageUp, PageDown) would cut the labels */
  [data-testid="stColumn"] [data-testid="stColumn"] button kbd {display: none;}
}
[data-testid="stMain"] .dl-large .dl-button, [data-testid="stMain"] .dl-large .dl-readout {font-size: clamp(1.2rem, 0.5rem + 1vw, 1.9rem);}
</style>"""

# Always on. Streamlit 1.67's caption grey (#828180 on white, 3.9:1) and the shortcut hints on
# buttons fall short of WCAG AA's 4.5:1 (axe-core, tests/test_accessibility.py).
PAGE_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {color: #55555e !important; opacity: 1 !important;}
button kbd {color: inherit !important; opacity: 1 !important;}
</style>"""

KEYS_JS = """<script>
(function () {
  // Streamlit runs this script again on every rerun: install once, declare nothing global.
  // (The map's own keys, space and arrows, are the player's: ui/player.js.)
  if (window.__descentLabKeys) return;
  window.__descentLabKeys = true;
  setInterval(() => {
    // A formula wider than its column scrolls sideways: a keyboard must be able to scroll it too.
    for (const f of document.querySelectorAll('.katex-display:not([tabindex])')) {
      if (f.scrollWidth > f.clientWidth) f.setAttribute('tabindex', '0');
    }
  }, 300);
})();
</script>"""
