"""Helpers for tests that drive the page through Streamlit's AppTest.

Widgets are found by the name part of their key: a choice widget's key ends in "~" and a digest
of the labels it shows (ui/bind.py), which a test need not know.
"""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


_COMPONENTS = []


def app_test(default_timeout: float = 120) -> AppTest:
    """An AppTest of app.py that shares one registry of Streamlit components. AppTest scans the
    metadata of every installed package for components (v2) once per AppTest: a third of a simple
    page test's time on a machine with torch installed. The registry only lists what is installed,
    which does not change while the tests run; the page's own component registers itself in it."""
    from streamlit.components.v2.component_manager import BidiComponentManager
    if not _COMPONENTS:
        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _COMPONENTS.append(manager)
    at = AppTest.from_file(APP, default_timeout=default_timeout)
    at._bidi_component_manager = _COMPONENTS[0]  # Streamlit 1.67's own reuse of it between runs
    return at


def fresh(query: dict | None = None, clear: bool = True) -> AppTest:
    if clear:
        st.cache_resource.clear()
    at = app_test()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def open_section(at: AppTest, study: str | None = None, export: bool | None = None) -> AppTest:
    """Open a tab of "Beyond one path" (fate, sweep, tune) and/or the export section, as a click on
    it does (the page writes it to its state and reruns): only open ones have their widgets drawn."""
    if study is not None:
        page(at).study = study
    if export is not None:
        page(at).export_open = export
    return at.run()


def widget(at: AppTest, kind: str, name: str):
    """The widget of this kind ("selectbox", "number_input", "button_group", …) whose key is `name`
    or `name~digest`."""
    found = [w for w in getattr(at, kind) if w.key is not None and (w.key == name or w.key.split("~")[0] == name)]
    assert len(found) == 1, f"{len(found)} {kind} widgets named {name!r}: {[w.key for w in getattr(at, kind)]}"
    return found[0]


def page(at: AppTest):
    """The page's state (ui/page.py Page)."""
    return at.session_state["page"]


def run_ids(at: AppTest) -> list[int]:
    return [r.id for r in page(at).runs]


def drawn(at: AppTest) -> list:
    """The charts the page's own element draws (ui/player.py): the map's player, the diagnostics."""
    return [e for e in at.get("bidi_component") if e.proto.component_name == "descent_lab_player"]


def charts(at: AppTest) -> list:
    """Every chart on the page: those of ui/player.py and every st.plotly_chart."""
    return drawn(at) + list(at.get("plotly_chart"))


def maps(at: AppTest) -> list:
    return [e for e in drawn(at) if e.key == "map"]


def sent(element) -> dict:
    """What ui/player.py's element was sent (views/player.py): its JSON, sent as UTF-8 bytes."""
    return json.loads(element.proto.bytes)


def player(at: AppTest) -> dict:
    (element,) = maps(at)
    return sent(element)


def figure_specs(at: AppTest) -> list[dict]:
    """Every chart's figure (data, layout)."""
    return [sent(e)["figure"] for e in drawn(at)] + [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def map_spec(at: AppTest) -> dict:
    return player(at)["figure"]


def legend(at: AppTest) -> list[str]:
    return [t["name"] for t in map_spec(at)["data"] if t.get("showlegend") is not False and t.get("mode") == "lines+markers"]


def plain(markdown: str) -> str:
    """What a Markdown message shows: user text in it is backslash-escaped (views/text.py md)."""
    import re
    return re.sub(r"\\(.)", r"\1", markdown)
