"""Hostile links opened by the page itself (AppTest): never an exception, always a computed map,
a note naming what was dropped, and user text shown as text. The browser side, with a beacon
that must receive nothing, is tests/test_hostile_browser.py."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

pytest.importorskip("streamlit")
from tests.apptest import figure_specs, fresh, maps, plain  # noqa: E402
from tests.hostile_links import corpus, pack, put  # noqa: E402
from ui.link import encode_scenario, read_link  # noqa: E402

CORPUS = corpus()
UNESCAPED_LINK = re.compile(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)<(img|a)\b|(?<!\\):red\[")


def shows_only_text(at) -> None:
    """No user markup reaches Markdown or the figures unescaped."""
    for kind in ("markdown", "caption", "warning", "error", "info", "expander", "subheader"):
        for e in at.get(kind):
            body = getattr(e, "body", None) or getattr(e, "label", None) or ""
            assert not UNESCAPED_LINK.search(str(body)), (kind, body[:200])
    for spec in figure_specs(at):
        for trace in spec["data"]:
            for field in ("name", "hovertemplate"):
                assert "<img" not in str(trace.get(field, "")) and "<a " not in str(trace.get(field, "")), trace.get(field)


@pytest.mark.parametrize("name, params, expect", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_hostile_link_gives_a_page_and_a_note(name, params, expect):
    at = fresh(params, clear=False)
    assert not at.exception, at.exception[0].value
    assert maps(at), "no map"
    notes = " ".join(plain(w.value) for w in at.warning)
    if expect:
        assert expect in notes, notes[:500]
    shows_only_text(at)


# Any JSON value at any place of a scenario: the link reader and the page take it.
JSON = hs.recursive(hs.none() | hs.booleans() | hs.integers(-10**400, 10**400) | hs.floats(allow_nan=True) | hs.text(max_size=30),
                    lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(hs.text(max_size=10), inner, max_size=3),
                    max_leaves=8)
BASE = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 50,
        "runs": [{"optimizer": "Adam", "params": {"lr": 0.05, "betas": [0.9, 0.999]},
                  "schedule": {"name": "StepLR", "params": {"step_size": 10}}, "warmup": {"steps": 5},
                  "noise": {"std": 0.1, "seed": 1}, "clip": {"max_norm": 1.0}, "label": "a"}],
        "map": {"run": 0, "cells": 4, "steps": 20}}
PATHS = [(), ("surface",), ("start",), ("start", 0), ("steps",), ("runs",), ("runs", 0), ("runs", 0, "optimizer"),
         ("runs", 0, "params"), ("runs", 0, "params", "lr"), ("runs", 0, "params", "betas"), ("runs", 0, "params", "betas", 1),
         ("runs", 0, "schedule"), ("runs", 0, "schedule", "params", "step_size"), ("runs", 0, "warmup"),
         ("runs", 0, "warmup", "steps"), ("runs", 0, "noise", "std"), ("runs", 0, "clip"), ("runs", 0, "label"),
         ("map",), ("map", "cells"), ("sweep",)]


def _link(data) -> dict:
    try:
        return {"v": "1", "s": encode_scenario(data)}
    except ValueError:  # NaN or an integer json cannot write with allow_nan=False: write it as text
        return {"v": "1", "s": pack(json.dumps(data))}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(path=hs.sampled_from(PATHS), value=JSON)
def test_any_value_anywhere_gives_a_computed_map_or_a_note(path, value):
    params = _link(put(BASE, path, value))
    link = read_link(params)  # never raises
    at = fresh(params, clear=False)
    assert not at.exception, at.exception[0].value
    assert maps(at)
    if link.scenario is None or link.notes:
        assert at.warning
    shows_only_text(at)
