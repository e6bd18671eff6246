"""The map's player on the page: a Streamlit component (components v2, no iframe) running
ui/player.js, which draws the map with plotly.js from `static/` and plays it in the browser.
The same element draws the page's other first chart (the diagnostics) as a still chart, so a
first visit loads one plotly.js, not two.

The server sends the map once per change as one cached JSON text (views/player.py); playing,
pausing, speeds, the slider and the keys cost it nothing. A click on the map comes back as the
component's `start` trigger.

The JSON goes as bytes (UTF-8), not as a str: Streamlit serialises a str payload with json.dumps
twice on every rerun (the message and the element's identity), escaping every quote of a 200 kB
text, where bytes are sent as they are and hashed once (a tenth of a session's server CPU)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

_HERE = Path(__file__).parent
_JS = (_HERE / "player.js").read_text(encoding="utf-8")
_PLAYER = st.components.v2.component("descent_lab_player", js=_JS, css=(_HERE / "player.css").read_text(encoding="utf-8"),
                                     isolate_styles=False)
# The player's own loader of plotly.js, run as soon as the page's first elements arrive (st.html,
# before the title): the 1.5 MB library downloads and compiles meanwhile, instead of after the map's
# element has come. The same promise then serves the player.
_LOADER = _JS[_JS.index("// loader:"):_JS.index("// end of loader")]
PRELOAD = f"<script>\n(function () {{  // run again on every rerun: declare nothing global\n{_LOADER}plotlyLibrary().catch(() => {{}});\n}})();\n</script>"
KEY = "map"


def chart(spec_json: bytes, key: str) -> None:
    """A still chart (views/player.chart_spec), drawn by the same plotly.js as the map."""
    _PLAYER(key=key, data=spec_json, width="stretch", height="content")


def map_player(spec_json: bytes, on_start) -> None:
    """The map with its player. on_start(x, y): a click (or tap) on the map there."""
    def clicked() -> None:
        value = st.session_state.get(KEY) or {}
        start = value.get("start") if hasattr(value, "get") else None
        if isinstance(start, dict) and all(isinstance(start.get(a), (int, float)) for a in "xy"):
            on_start(float(start["x"]), float(start["y"]))

    _PLAYER(key=KEY, data=spec_json, on_start_change=clicked, width="stretch", height="content")
