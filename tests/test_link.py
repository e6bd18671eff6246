"""Share links: compact, versioned, restoring the same view; tampered links fall back with notes."""
import base64
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from experiments.scenario import parse_scenario
from experiments.tour import BY_KEY
from ui.link import LINK_VERSION, decode_scenario, encode_scenario, link_params, read_link

SCENE = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,
         "runs": [{"optimizer": "Adam", "params": {"lr": 0.05, "betas": [0.9, 0.999]},
                   "schedule": {"name": "CosineAnnealingLR", "params": {"T_max": 500}}, "label": "Adam + 餘弦"},
                  {"optimizer": "SGD", "params": {"lr": 0.001, "momentum": 0.9}, "label": "SGD"}]}


def packed(obj) -> str:
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(obj).encode())).decode().rstrip("=")


def texts(state):
    return " | ".join(t.format(**v) for t, v in state.notes)


def test_a_link_round_trips_the_whole_view():
    params = link_params(SCENE, ["#0072b2", "#E69F00"], "zh-TW", True, "3d", True)
    state = read_link(params, BY_KEY)
    assert state.notes == []
    assert parse_scenario(state.scenario) == parse_scenario(SCENE)
    assert state.colours == ["#0072B2", "#E69F00"]
    assert (state.lang, state.fit, state.view, state.present) == ("zh-TW", True, "3d", True)
    assert params["v"] == str(LINK_VERSION)


def test_links_are_compact_and_leave_defaults_out():
    params = link_params(BY_KEY["adam"].scenario, ["#0072B2", "#E69F00", "#009E73"], "en", False, "map", False)
    assert set(params) == {"v", "s", "c"}
    assert len("&".join(f"{k}={v}" for k, v in params.items())) < 400


@pytest.mark.parametrize("params, expect", [
    ({"s": "not base64!!"}, "could not be read"),
    ({"s": packed([1, 2])}, "not a JSON object"),
    ({"s": packed({"surface": "nowhere", "runs": []})}, "unknown surface nowhere"),
    ({"v": "0", "s": encode_scenario(SCENE)}, "link version 0"),
    ({"lang": "klingon"}, "language klingon"),
    ({"view": "4d"}, "view=4d"),
    ({"fit": "yes"}, "fit=yes"),
    ({"p": "nope"}, "no tour scene nope"),
    ({"c": "red-blue"}, "colours could not be read"),
    ({"zzz": "1"}, "unknown link parameter zzz"),
    ({"s": "A" * 9000}, "longer than"),
    ({"s": base64.urlsafe_b64encode(zlib.compress(b"[" * 10 + b"0" * 1_000_000)).decode()}, "more than"),
])
def test_what_cannot_be_read_is_named_and_dropped(params, expect):
    state = read_link(params, BY_KEY)
    assert expect in texts(state)


def test_a_bad_run_is_dropped_and_the_rest_is_kept():
    data = json.loads(json.dumps(SCENE))
    data["runs"].insert(1, {"optimizer": "Adam", "params": {"lr": -1}})
    data["steps"] = 1e300
    data["start"] = ["x", 1]
    data["extra"] = 1
    state = read_link({"s": packed(data)}, BY_KEY)
    notes = texts(state)
    assert "run 2 was ignored" in notes and "lr" in notes
    assert "steps must be an integer" in notes and "default start" in notes and "unknown scenario key extra" in notes
    assert [r["label"] for r in state.scenario["runs"]] == ["Adam + 餘弦", "SGD"]
    assert state.scenario["steps"] == 200
    parse_scenario(state.scenario)


@settings(max_examples=150, deadline=None)
@given(hs.dictionaries(hs.sampled_from(["v", "s", "c", "lang", "fit", "view", "present", "p", "x"]),
                       hs.one_of(hs.text(max_size=200), hs.lists(hs.text(max_size=20), max_size=3)), max_size=9))
def test_any_query_never_raises(params):
    state = read_link(params, BY_KEY)
    if state.scenario is not None:
        parse_scenario(state.scenario)


@settings(max_examples=150, deadline=None)
@given(hs.recursive(hs.none() | hs.booleans() | hs.floats() | hs.integers() | hs.text(max_size=30),
                    lambda kids: hs.lists(kids, max_size=4) | hs.dictionaries(hs.text(max_size=10), kids, max_size=4),
                    max_leaves=30))
def test_any_packed_json_never_raises(obj):
    try:
        text = encode_scenario(obj if not isinstance(obj, dict) else dict(obj, surface="booth"))
    except ValueError:  # NaN: not JSON
        return
    state = read_link({"s": text}, BY_KEY)
    if state.scenario is not None:
        parse_scenario(state.scenario)


def test_decode_refuses_what_is_not_a_packed_scenario():
    for bad in ["", "%%%", base64.urlsafe_b64encode(b"plain").decode()]:
        with pytest.raises(ValueError):
            decode_scenario(bad)
    assert decode_scenario(encode_scenario(SCENE)) == SCENE


# ---------------------------------------------------------------- the page
st = pytest.importorskip("streamlit")
from tests.apptest import fresh, plain, widget  # noqa: E402


def page(params):
    return fresh(params)


def test_opening_a_link_restores_the_scenario_colours_language_and_view():
    at = page(link_params(SCENE, ["#CC79A7", "#000000"], "zh-TW", True, "map", False))
    assert not at.exception and not at.warning
    assert widget(at, "selectbox", "surface").value == "rosenbrock"
    assert at.number_input(key="steps").value == 500
    assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == (-1.5, 2.0)
    state = at.session_state["page"]
    assert [r.label for r in state.runs] == ["Adam + 餘弦", "SGD"]
    assert [at.text_input(key=f"run{r.id}.label").value for r in state.runs] == ["Adam + 餘弦", "SGD"]
    assert [r.colour for r in state.runs] == ["#CC79A7", "#000000"]
    assert widget(at, "selectbox", f"run{state.runs[0].id}.schedule").value == "CosineAnnealingLR"
    assert state.lang == "zh-TW" and state.fit is True and at.toggle(key="fit_view").value is True
    # the page writes the same state back into the address bar
    state = read_link(dict(at.query_params), BY_KEY)
    assert parse_scenario(state.scenario) == parse_scenario(SCENE) and state.lang == "zh-TW"


def test_the_address_follows_the_page():
    at = page({})
    at.number_input(key="steps").set_value(1234).run()
    assert read_link(dict(at.query_params), BY_KEY).scenario["steps"] == 1234


def test_a_tampered_link_shows_what_was_ignored_and_the_default_scene():
    at = page({"v": "1", "s": "garbage", "lang": "xx", "fit": "2"})
    assert not at.exception
    warning = plain(at.warning[0].value)
    assert "language xx" in warning and "fit=2" in warning and "could not be read" in warning
    assert BY_KEY["burst"].title in at.info[0].value  # the default scene
    at.button(key="dismiss_notes").click().run()
    assert not at.warning
