"""Typed surfaces (issue 5): a safe parser, exact gradients, estimated minima, gaps where f is not finite."""
from __future__ import annotations

import builtins
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.scenario import parse_scenario, read_scenario_json, run_scenario
from optimizers import OPTIMIZERS, RunSpec, ValidationError, simulate
from surfaces import FormulaError, formula_surface, get_surface
from surfaces.expr import to_text
from surfaces.parse import parse_formula
from views.background import render_image

ROOT = Path(__file__).resolve().parents[1]
CANARY = Path("/tmp/descent-lab-formula-canary")

from harness.hostile import HOSTILE  # noqa: E402


@pytest.fixture
def spies(monkeypatch):
    """eval/exec/compile/os.system/subprocess record any call made on this thread during a parse
    (none may be). Other threads (a server left by another test) go through to the real ones."""
    calls, here = [], threading.get_ident()

    def spy(name, real):
        def record(*a, **k):
            if threading.get_ident() != here:
                return real(*a, **k)
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return record

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, spy(name, getattr(builtins, name)))
    monkeypatch.setattr(os, "system", spy("os.system", os.system))
    monkeypatch.setattr(subprocess, "Popen", spy("subprocess.Popen", subprocess.Popen))
    return calls


def test_the_hostile_corpus_is_large():
    assert len(HOSTILE) >= 50 and len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_input_is_refused_quickly_with_no_side_effect(text, spies):
    modules = set(sys.modules)
    began = time.perf_counter()
    with pytest.raises(FormulaError) as e:
        formula_surface(text)
    elapsed = time.perf_counter() - began
    assert elapsed < 0.1, f"{elapsed:.3f} s"  # refused before anything is computed (µs in practice)
    assert spies == [] and set(sys.modules) == modules and not CANARY.exists()
    line = str(e.value)
    assert "\n" not in line and len(line) < 400
    if e.value.position is not None:  # where, in the text
        assert line.startswith(f"position {e.value.position}:") and 1 <= e.value.position <= len(text) + 1


@pytest.mark.parametrize("text, pos, words", [
    ("x + os", 5, "unknown name 'os'"), ("x^2 + __import__('os')", 18, "quotes"), ("x^2 + __import__(1)", 7, "'__import__' is not a function"), ("x.real", 2, "attribute"),
    ("2 * foo(x)", 5, "'foo' is not a function"), ("9**9**9", 2, "exponent"), ("x ++", 5, "the end of the formula"),
    ("х", 1, "CYRILLIC SMALL LETTER HA"), ("sin x", 1, "followed by ("), ("x = 1", 3, "without ="), ("3xy", 2, "x*y"),
])
def test_a_rejection_says_what_and_where(text, pos, words):
    with pytest.raises(FormulaError) as e:
        parse_formula(text)
    assert e.value.position == pos and words in str(e.value)


def test_the_parser_never_hands_text_to_python():
    """The formula modules call no eval/exec/compile builtin and import neither ast nor sympy."""
    import ast
    for name in ("parse.py", "expr.py", "custom.py", "minima.py"):
        tree = ast.parse((ROOT / "surfaces" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__", "getattr"}, (name, node.func.id)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not {m.split(".")[0] for m in modules} & {"ast", "sympy", "importlib", "builtins"}, (name, modules)


@pytest.mark.parametrize("text, x, y, expected", [
    ("-x^2", 2, 0, -4), ("2^3^2", 0, 0, 512), ("2x", 3, 0, 6), ("2(x + 1)", 3, 0, 8), ("(x + 1)(x - 1)", 3, 0, 8),
    ("x y", 2, 5, 10), ("x²+y³", 2, 2, 12), ("−x × 2", 1, 0, -2), ("π", 0, 0, math.pi), ("e", 0, 0, math.e),
    ("ln(e)", 0, 0, 1), ("log10(100)", 0, 0, 2), ("atan(1)", 0, 0, math.pi / 4), ("arctan(x)", 1, 0, math.pi / 4),
    ("min(x, y) + max(x, y)", 2, 7, 9), ("1.5e-3*x", 2, 0, 3e-3), ("x^-2", 2, 0, 0.25), ("-2^2", 0, 0, -4),
    ("x/2/2", 8, 0, 2), ("x - y - 1", 5, 1, 3), ("abs(x - y)", 1, 4, 3), ("sqrt(x) ** 2", 9, 0, 9),
    ("tanh(0) + sinh(0) + cosh(0)", 0, 0, 1), ("2 ** x", 10, 0, 1024), ("x ^ y", 2, 3, 8), ("exp(log(x))", 5, 0, 5),
])
def test_ordinary_notation_means_what_it_says(text, x, y, expected):
    s = formula_surface(text)
    assert float(s.value(x, y)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


SMOOTH = ["x^2 + 10*y^2", "(1 - x)^2 + 100*(y - x^2)^2", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "sin(x)*cos(y) + x*y/3",
          "exp(-(x^2 + y^2)/2) * (x - 2y)", "log(1 + x^2 + y^2)", "sqrt(1 + x^2 + 3y^2)", "tanh(x - y)^2 + atan(x*y)",
          "x^3 - 3*x*y^2", "1/(1 + x^2 + y^2)", "(x + 2)^2.5 + y^4", "cosh(x/3) + sinh(y/3) + tan(x/4)",
          "log10(2 + sin(x*y))", "x^y", "2^(x + y)", "abs(x - 5) + y^2", "max(x^2, 1 + y) + min(x, y^2)",
          "e^(x/2) - pi*y", "(x - y)^2 / (1 + x^2)", "0.26*(x^2 + y^2) - 0.48*x*y"]


@pytest.mark.parametrize("text", SMOOTH)
def test_the_derived_gradient_equals_finite_differences(text):
    s = formula_surface(text)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0.2, 2.5, 200), rng.uniform(0.2, 2.5, 200)
    f, gx, gy = s.value_and_grad(x, y)
    h = 1e-6
    fdx = (s.value(x + h, y) - s.value(x - h, y)) / (2 * h)
    fdy = (s.value(x, y + h) - s.value(x, y - h)) / (2 * h)
    # away from kinks of abs/min/max, where a central difference straddles two pieces
    ok = np.isfinite(f) & (np.abs(x - 5) > 1e-3) & (np.abs(x * x - 1 - y) > 1e-3) & (np.abs(x - y * y) > 1e-3)
    assert ok.sum() > 150
    scale = 1 + np.abs(gx) + np.abs(gy)
    assert np.max(np.abs(gx - fdx)[ok] / scale[ok]) < 1e-5
    assert np.max(np.abs(gy - fdy)[ok] / scale[ok]) < 1e-5


def _expressions():
    leaf = st.sampled_from(["x", "y", "1", "2", "0.5", "pi", "3.25"])
    def grow(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})/(2 + ({t[1]})^2)"),
            st.tuples(st.sampled_from(["sin", "cos", "exp", "tanh", "atan"]), inner).map(lambda t: f"{t[0]}({t[1]}/4)"),
            st.tuples(inner, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]})^{t[1]}"),
            st.tuples(inner).map(lambda t: f"log(1 + ({t[0]})^2)"),
        )
    return st.recursive(leaf, grow, max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_smooth_formulas_have_exact_gradients(text, x, y):
    graph, root = parse_formula(text)
    dx, dy = graph.derivative(root, "x"), graph.derivative(root, "y")
    h = 1e-6
    f, gx, gy = (float(v) for v in graph.evaluate([root, dx, dy], x, y))
    if not (math.isfinite(f) and abs(f) < 1e8 and abs(gx) < 1e8 and abs(gy) < 1e8):
        return
    value = lambda a, b: float(graph.evaluate([root], a, b)[0])  # noqa: E731
    fdx, fdy = (value(x + h, y) - value(x - h, y)) / (2 * h), (value(x, y + h) - value(x, y - h)) / (2 * h)
    assert abs(gx - fdx) <= 1e-4 * (1 + abs(gx) + abs(f)) and abs(gy - fdy) <= 1e-4 * (1 + abs(gy) + abs(f))
    # and the derivative printed as text reads back as the same function
    reread, node = parse_formula(to_text(graph, dx))
    assert float(reread.evaluate([node], x, y)[0]) == pytest.approx(gx, rel=1e-9, abs=1e-9)


TOKENS = ["x", "y", "+", "-", "*", "/", "^", "**", "(", ")", "2", "0.5", "1e3", "sin", "log", "sqrt", "min", "max", ",",
          "pi", "e", " ", "abs", "exp", ".", "_", "9", "[", "'", "π", "²", "х", "\x00", "lambda", "__class__"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=120), st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)))
def test_random_text_gives_a_surface_or_a_formula_error_and_nothing_else(text):
    try:
        graph, root = parse_formula(text)
    except FormulaError as e:
        assert str(e) and "\n" not in str(e)
        return
    graph.evaluate([root, graph.derivative(root, "x"), graph.derivative(root, "y")], np.linspace(-2, 2, 5), 0.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(TOKENS[:25]), min_size=1, max_size=25).map("".join))
def test_random_token_strings_build_whole_surfaces_or_are_refused(text):
    try:
        s = formula_surface(text)
    except FormulaError:
        return
    assert s.estimated and len(s.gradient_formula) == 2
    assert all(np.isfinite([m.x, m.y, m.value]).all() for m in s.minima)


def test_latex_of_the_formula_and_its_gradient():
    s = formula_surface("x^2 + 10*y^2")
    assert s.formula == r"f(x, y) = x^{2} + 10\,y^{2}" and s.gradient_formula == (r"2\,x", r"20\,y")
    s = formula_surface("sqrt(x)/log10(y)")
    assert r"\sqrt{x}" in s.formula and r"\log_{10}" in s.formula
    long = formula_surface("+".join(f"sin({i}*x)*cos({i}*y)" for i in range(1, 18)))
    assert all(g is None or len(g) <= 3000 for g in long.gradient_formula)


def test_minima_are_estimated_and_marked():
    s = formula_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", ((-5, 5), (-5, 5)))
    known = get_surface("himmelblau").minima
    assert s.estimated and len(s.minima) == 4
    for m in known:
        assert min(math.hypot(m.x - e.x, m.y - e.y) for e in s.minima) < 1e-6
    assert [m.x for m in formula_surface("x^2 + 10*y^2").minima] == [pytest.approx(0, abs=1e-9)]
    two = formula_surface("(x^2 - 1)^2 + 0.5*y^2 + 0.2*x").minima
    assert [m.kind for m in two] == ["global minimum", "local minimum"] and two[0].x < 0 < two[1].x
    assert formula_surface("x + y").minima == ()  # no minimum inside the view
    assert formula_surface("x^2 - y^2").minima == ()  # a saddle is not a minimum
    ros = formula_surface("(1 - x)^2 + 100*(y - x^2)^2").minima
    assert len(ros) == 1 and math.hypot(ros[0].x - 1, ros[0].y - 1) < 1e-6


def test_where_f_is_not_finite_the_map_has_gaps_and_a_run_stops_there():
    s = formula_surface("x - log(x) + y^2", ((-1, 3), (-2, 2)))
    image, _ = render_image(s, s.domain, 80, 40)
    alpha = np.asarray(image)[:, :, 3]
    xs = np.linspace(-1, 3, 80)
    assert (alpha[:, xs < -0.01] == 0).all() and (alpha[:, xs > 0.01] == 255).all()
    run = RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 6.0}), (3.0, 0.0))
    (r,) = simulate(s.objective, [run], 20)
    assert r.diverged_at == 1 and "loss is nan" in r.reason and len(r.points) == 1


def test_a_scenario_file_holds_a_typed_surface(tmp_path):
    data = {"surface": {"formula": "x^2 + 10*y^2", "domain": [[-3, 3], [-2, 2]]}, "steps": 50,
            "runs": [{"optimizer": "Adam", "params": {"lr": 0.1}}]}
    sc = read_scenario_json(json.dumps(data).encode())
    assert sc.to_dict()["surface"] == {"formula": "x^2 + 10*y^2", "domain": [[-3.0, 3.0], [-2.0, 2.0]]}
    assert parse_scenario(sc.to_dict()) == sc
    (r,) = run_scenario(sc)
    assert r.loss[-1] < r.loss[0]
    for bad, where in ((dict(formula="x.__class__"), "surface.formula: position 2"),
                       (dict(formula="x", domain=[[1, 0], [0, 1]]), "surface.domain"),
                       (dict(formula="x", code="1"), "unknown key 'code'"), (dict(formula=3), "must be text")):
        with pytest.raises(ValidationError, match=where.replace("(", r"\(").replace(".", r"\.")):
            parse_scenario(dict(data, surface=bad))


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_cli_traces_a_typed_surface_and_explains_one(tmp_path):
    path = tmp_path / "typed.json"
    path.write_text(json.dumps({"surface": {"formula": "(x - 1)^2 + 3*y^2", "domain": [[-2, 2], [-2, 2]]}, "steps": 30,
                                "start": [-1.5, 1], "runs": [{"optimizer": "SGD", "params": {"lr": 0.1}}]}))
    out = _cli("trace", str(path))
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout)["runs"][0]["points"]
    assert points[0] == [-1.5, 1.0] and points[1] == pytest.approx([-1.0, 0.4])  # θ − 0.1·(2(x − 1), 6y)
    out = _cli("formula", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "--domain", "-5", "5", "-5", "5")
    info = json.loads(out.stdout)
    assert len(info["estimated_minima"]) == 4 and info["gradient_latex"][1].startswith(r"2\,\left(x^{2}")
    out = _cli("formula", "x + __import__('os')")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "position" in out.stderr and "Traceback" not in out.stderr
    path.write_text(json.dumps({"surface": {"formula": "9**9**9"}, "runs": [{"optimizer": "SGD"}]}))
    out = _cli("trace", str(path))
    assert out.returncode == 2 and "exponent" in out.stderr and out.stderr.count("\n") == 1


# ---------------------------------------------------------------------- links and the page
TYPED = {"surface": {"formula": "(x^2 - 1)^2 + 0.5*y^2 + 0.2*x", "domain": [[-2, 2], [-1.5, 1.5]]}, "start": [1.5, 1.0],
         "steps": 80, "runs": [{"optimizer": "SGD", "params": {"lr": 0.05, "momentum": 0.9}, "label": "SGD"}]}


def test_a_share_link_carries_a_typed_surface():
    from experiments.tour import BY_KEY
    from ui.link import link_params, read_link
    state = read_link(link_params(TYPED, ["#000000"], "en", False, "map", False), BY_KEY)
    assert state.notes == [] and parse_scenario(state.scenario) == parse_scenario(TYPED)
    hostile = dict(TYPED, surface={"formula": "().__class__.__bases__", "domain": [[-2, 2], [-1, 1]]})
    state = read_link(link_params(hostile, [], "en", False, "map", False), BY_KEY)
    assert state.scenario is None
    assert "typed surface was refused" in state.notes[0][0] and "position 3" in str(state.notes[0][1]["error"])


def _page(params=None):
    from tests.apptest import fresh
    return fresh(params, clear=False)


def plain(text):
    from tests.apptest import plain
    return plain(text)


def widget(at, kind, name):
    from tests.apptest import widget
    return widget(at, kind, name)


def charts(at):
    from tests.apptest import charts
    return charts(at)


def test_the_page_reads_a_formula_shows_its_gradient_and_keeps_the_last_valid_one():
    from experiments.tour import BY_KEY
    from ui.link import read_link
    at = _page()
    at.number_input(key="steps").set_value(321).run()
    widget(at, "selectbox", "surface").set_value("custom").run()
    at.text_input(key="formula_text").set_value("x^2 + 3*y^2 + sin(x)").run()
    assert not at.exception and not at.sidebar.error
    latex = [e.body for e in at.main.latex]
    assert r"\frac{\partial f}{\partial x} = 2\,x + \cos\left(x\right)" in latex[1] and "6\\,y" in latex[2]
    link = read_link(dict(at.query_params), BY_KEY).scenario
    assert link["surface"]["formula"] == "x^2 + 3*y^2 + sin(x)" and link["steps"] == 321
    # a refused formula: one line under the box; the map, the steps and the runs stay as they were
    runs_before = [r.optimizer for r in at.session_state["page"].runs]
    at.text_input(key="formula_text").set_value("x^2 + y.__class__").run()
    assert not at.exception
    (error,) = at.sidebar.error
    assert plain(error.body) == "position 8: a dot that is not part of a number (attribute access) is not allowed"
    assert "x^2 + 3*y^2 + sin(x)" in plain(" ".join(c.body for c in at.sidebar.caption))
    assert len(charts(at)) >= 2 and at.number_input(key="steps").value == 321
    assert [r.optimizer for r in at.session_state["page"].runs] == runs_before
    assert read_link(dict(at.query_params), BY_KEY).scenario["surface"]["formula"] == "x^2 + 3*y^2 + sin(x)"
    # a view that no longer holds the start moves the start inside it
    at.number_input(key="formula_x0").set_value(5.0).run()
    assert at.sidebar.error and "surface.domain" not in plain(at.sidebar.error[0].body) and "from < to" in plain(at.sidebar.error[0].body)
    at.text_input(key="formula_text").set_value("x - log(x) + y^2").run()
    at.number_input(key="formula_x1").set_value(9.0).run()
    assert not at.sidebar.error
    assert 5 <= at.number_input(key="start_x").value <= 9
    estimated = [m.body for m in at.markdown if "Estimated minima" in m.body]
    assert estimated and "(1, " not in estimated[0]  # x = 1 is outside the view [5, 9]: none there


def test_a_link_with_a_formula_opens_it_in_the_box_and_in_chinese_errors_are_chinese():
    from ui.link import link_params
    at = _page(link_params(TYPED, ["#000000"], "zh-TW", False, "map", False))
    assert not at.exception and not at.warning
    assert widget(at, "selectbox", "surface").value == "custom"
    assert at.text_input(key="formula_text").value == TYPED["surface"]["formula"]
    assert (at.number_input(key="formula_x0").value, at.number_input(key="formula_y1").value) == (-2.0, 1.5)
    assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == (1.5, 1.0)
    at.text_input(key="formula_text").set_value("x +").run()
    assert plain(at.sidebar.error[0].body) == "第 4 個字元：這裡應為數字、x、y、函數或 (，卻是 公式結尾"
