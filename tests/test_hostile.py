"""Share links and scenario files are untrusted input: whatever arrives, the validator answers with
a message (and the page with its defaults), never a traceback, and nothing is rendered as HTML."""
import ast
import base64
import json
import math
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from experiments.scenario import MAX_JSON_DEPTH, SCENARIO_KEYS, json_depth, parse_scenario, read_scenario_json
from optimizers import ValidationError
from tests.hostile_links import put
from ui.link import encode_scenario, read_link

ROOT = Path(__file__).resolve().parents[1]
VALID = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 50, "runs": [{"optimizer": "Adam", "params": {"lr": 0.05}}]}

# The hostile values the issue names: wrong types, huge numbers, NaN/inf, 1 MB strings.
HOSTILE_SCALARS = [None, True, "", "x" * 1_000_000, "Adam", -1, 0, 10**400, -(10**400), 1e308, -1e308, 5e-324,
                   math.nan, math.inf, -math.inf, 3.5, [], {}, [1.0, 2.0], [math.nan, 0.0], {"lr": math.inf}]
hostile = hs.recursive(hs.sampled_from(HOSTILE_SCALARS) | hs.text(max_size=20) | hs.integers() | hs.floats(),
                       lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(max_size=8), inner, max_size=4),
                       max_leaves=12)
# A valid scenario with one part replaced by something hostile, or an unknown key added.
PATHS = [("surface",), ("start",), ("steps",), ("runs",), ("runs", 0), ("runs", 0, "optimizer"), ("runs", 0, "params"),
         ("runs", 0, "params", "lr"), ("runs", 0, "params", "betas"), ("runs", 0, "schedule"), ("runs", 0, "label"),
         ("runs", 0, "start"), ("runs", 0, "noise"), ("runs", 0, "clip"), ("map",), ("sweep",), ("version",),
         ("unknown_key",), ("runs", 0, "unknown_key")]


def with_value(path, value):
    return put(VALID, path, value)


def file_bytes(data) -> bytes:
    return json.dumps(data, allow_nan=True).encode()


def link_for(data) -> dict:
    return {"s": base64.urlsafe_b64encode(zlib.compress(json.dumps(data, allow_nan=True).encode(), 9)).decode().rstrip("=")}


def accepted_or_refused_by_file(raw: bytes):
    """A file is either a valid scenario with finite numbers, or a ValidationError with a message."""
    try:
        sc = read_scenario_json(raw)
    except ValidationError as e:
        assert str(e) and "Traceback" not in str(e)
        return None
    assert math.isfinite(sc.start[0]) and math.isfinite(sc.start[1]) and 1 <= sc.steps <= 100_000
    return sc


def accepted_or_noted_by_link(params):
    """A link never raises: what it keeps is a valid scenario, and what it drops is named."""
    state = read_link(params)
    if state.scenario is not None:
        parse_scenario(state.scenario)
    return state


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(path=hs.sampled_from(PATHS), value=hostile)
def test_a_hostile_part_is_refused_with_a_message_by_files_and_links(path, value):
    data = with_value(path, value)
    accepted_or_refused_by_file(file_bytes(data))
    state = accepted_or_noted_by_link(link_for(data))
    if state.scenario is None:
        assert state.notes  # the page shows why it fell back to the default scene


@settings(max_examples=200, deadline=None)
@given(obj=hostile)
def test_any_json_value_at_all_is_refused_or_accepted_never_raised(obj):
    accepted_or_refused_by_file(file_bytes(obj))
    accepted_or_noted_by_link(link_for(obj))


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000,
                                  json.dumps(dict(VALID, runs=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]))])
def test_deeply_nested_json_is_refused_before_parsing(text):
    assert json_depth(text) > MAX_JSON_DEPTH
    with pytest.raises(ValidationError, match=f"nests more than {MAX_JSON_DEPTH} levels"):
        read_scenario_json(text.encode())
    state = read_link(link_for(json.loads(text)) if len(text) < 10_000 else {"s": base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode()})
    assert state.scenario is None and any("nests more than" in str(v) for _, v in state.notes)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert json_depth(json.dumps({"label": "[[[[{{{{" * 100})) == 1


@pytest.mark.parametrize("path,value,needle", [
    (("steps",), 10**400, "steps"), (("steps",), math.nan, "steps"), (("start",), [math.inf, 0.0], "start"),
    (("runs", 0, "params", "lr"), math.nan, "lr"), (("runs", 0, "params", "lr"), -math.inf, "lr"),
    (("runs", 0, "label"), "x" * 1_000_000, "larger than"), (("surface",), {"formula": "x" * 600, "domain": [[-1, 1], [-1, 1]]}, "500"),
    (("runs", 0, "optimizer"), ["Adam"], "optimizer"), (("unknown_key",), 1, "unknown"),
])
def test_the_message_names_what_is_wrong(path, value, needle):
    with pytest.raises(ValidationError) as e:
        read_scenario_json(file_bytes(with_value(path, value)))
    assert needle in str(e.value)


def test_unknown_keys_are_named_in_a_link_and_the_rest_is_kept():
    state = read_link({"s": encode_scenario(dict(VALID, colour_me="red")), "evil": "<script>"})
    texts = [t.format(**v) for t, v in state.notes]
    assert any("colour_me" in t for t in texts) and any("evil" in t for t in texts)
    assert state.scenario is not None and set(state.scenario) <= set(SCENARIO_KEYS)


def test_no_text_is_rendered_as_html_unless_it_is_a_constant_of_the_app():
    """unsafe_allow_html / st.html only ever get the app's own constant strings, never user text."""
    for f in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "views").glob("*.py"))]:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            unsafe = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                         for k in node.keywords)
            if unsafe or name == "html":
                arg = node.args[0] if node.args else None
                constant = isinstance(arg, ast.Constant) or (isinstance(arg, ast.Name) and arg.id.isupper())
                assert constant, f"{f.name}:{node.lineno} renders a non-constant as HTML"


def test_the_nesting_check_is_linear_on_the_adversarial_strings():
    """A quote followed by n escaped quotes once took a backtracking regex quadratic time, holding
    the server (issue: a 301-character link froze it for minutes). Compared as a ratio, in one run."""
    import time

    from experiments.scenario import json_depth

    def best(n):
        text = '"' + '\\"' * n
        times = []
        for _ in range(3):
            t = time.perf_counter()
            json_depth(text)
            times.append(time.perf_counter() - t)
        return min(times)
    small, large = best(25_000), best(200_000)
    assert large / small < 20  # 8× the input: linear is ~8×, quadratic would be ~64×
