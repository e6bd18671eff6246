"""Step-through explainer (issue 8): the numbers are the engine's, bursts are found and explained,
arrows stay readable, and the page steps (AppTest; Chromium in test_browser.py)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from experiments.analysis import view_diagonal
from experiments.scenario import parse_scenario, run_scenario
from experiments.tour import BY_KEY
from i18n import translator
from optimizers import OPTIMIZERS, RunSpec, simulate
from surfaces import get_surface
from tests.apptest import fresh, plain
from views.stepfig import arrow_scale, bursts_of, clip_to_view, explain_step, panel_latex, sigma_bar, sigma_range, step_figure

ROSEN = get_surface("rosenbrock")
CASES = [("SGD", {"lr": 1e-3, "momentum": 0.9}), ("Adam", {"lr": 0.05}), ("RMSprop", {"lr": 0.01}),
         ("Adagrad", {"lr": 0.3}), ("LectureRMS", {"lr": 0.05}), ("NAdam", {"lr": 0.02}), ("Rprop", {"lr": 0.01})]


def numbers(latex: str) -> list[float]:
    """The numbers of one panel line, as written: 1.2\\times10^{-3} → 0.0012; the subscripts are skipped."""
    body = latex.split("=")[-1]
    body = re.sub(r"\\times\s*10\^\{(-?\d+)\}", r"e\1", body)
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", body)]


@pytest.mark.parametrize("name, params", CASES, ids=[c[0] for c in CASES])
def test_the_panel_shows_the_engines_numbers(name, params):
    (r,) = simulate(ROSEN.objective, [RunSpec(name, OPTIMIZERS[name].validate(params), (-1.5, 2.0))], 60)
    for t in (1, 7, 60):
        ex = explain_step(r, t, ROSEN.domain)
        k = t - 1
        assert np.array_equal(ex.grad, r.grads[k]) and ex.lr == r.lr[k]
        assert np.array_equal(ex.before, r.points[k]) and np.array_equal(ex.step, r.points[t] - r.points[k])
        assert (ex.momentum is None) == (r.momentum is None) and (ex.sigma is None) == (r.sigma is None)
        lines = {line.split("=")[0].strip(): numbers(line) for line in panel_latex(ex)}
        expect = {rf"\theta_{{{k}}}": r.points[k], rf"g_{{{t}}}": r.grads[k], rf"\eta_{{{t}}}": [r.lr[k]],
                  rf"-\eta_{{{t}}}\, g_{{{t}}}": -r.lr[k] * r.grads[k], r"\Delta\theta": r.points[t] - r.points[k]}
        if r.momentum is not None:
            expect[rf"m_{{{t}}}"] = r.momentum[k]
        if r.sigma is not None:
            expect[rf"\sigma_{{{t}}}"] = r.sigma[k]
            expect[rf"\eta_{{{t}}} / \sigma_{{{t}}}"] = r.effective_lr[k]
        assert set(expect) <= set(lines), lines.keys()
        for key, values in expect.items():
            np.testing.assert_allclose(lines[key], values, rtol=6e-5, atol=1e-300, err_msg=f"{name} t={t} {key}")


def burst_run():
    sc = parse_scenario(BY_KEY["burst"].scenario)
    return sc.surface_obj, run_scenario(sc)[0]


def test_a_burst_step_is_flagged_and_its_cause_is_sigma_small_next_to_g():
    surface, r = burst_run()
    bursts = bursts_of(r, view_diagonal(surface))
    assert len(bursts) and 600 < bursts[0] < 900  # the lecture's burst, around step 700
    ex = explain_step(r, int(bursts[0]), surface.domain, surface.axis_names)
    assert ex.burst and ex.burst_ratio >= 10
    template, values = ex.cause
    assert "σ_t" in template and values["axis"] == "w"  # it shoots out along w, in the surface's own name
    assert explain_step(r, int(bursts[0]), surface.domain).cause[1]["axis"] == "y"  # unnamed axes: x and y
    k = int(bursts[0]) - 1
    assert float(values["ratio"]) == pytest.approx(abs(r.grads[k, 1]) / r.sigma[k, 1], rel=1e-2)
    assert float(values["jump"].replace(",", "")) > 10  # g/σ jumped far above its recent level
    quiet = explain_step(r, int(bursts[0]) - 60, surface.domain)
    assert not quiet.burst and quiet.cause is None


def test_a_burst_of_plain_gradient_descent_blames_the_gradient():
    surface = get_surface("plateau")
    runs = [RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 5.0}), surface.default_start)]
    (r,) = simulate(surface.objective, runs, 400)
    bursts = bursts_of(r, view_diagonal(surface))
    assert len(bursts) == 1  # SGD falls off the plateau's edge into the bowl: one long step
    template, values = explain_step(r, int(bursts[0]), surface.domain).cause
    assert "gradient is large" in template and float(values["ratio"]) >= 10


def test_tiny_steps_are_magnified_by_a_round_factor_and_huge_ones_are_cut():
    view = ((-2.0, 2.0), (-1.0, 3.0))
    assert arrow_scale(np.array([1.0, 0.0]), view) == 1.0
    f = arrow_scale(np.array([1e-6, 0.0]), view)
    assert f == 1_000_000 and 0.05 <= f * 1e-6 / 4 <= 0.25
    end, cut = clip_to_view(np.array([0.0, 0.0]), np.array([10.0, 1.0]), view)
    assert cut and end[0] == pytest.approx(2.0) and end[1] == pytest.approx(0.2)
    end, cut = clip_to_view(np.array([0.0, 0.0]), np.array([1.0, -0.5]), view)
    assert not cut and np.allclose(end, [1.0, -0.5])
    (r,) = simulate(ROSEN.objective, [RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 1e-6}), (-1.5, 2.0))], 5)
    fig = step_figure(ROSEN, r, 3, ROSEN.domain, "#0072B2")
    assert fig.layout.meta["factor"] > 1 and "magnified" in fig.layout.annotations[-1].text
    surface, big = burst_run()
    fig = step_figure(surface, big, 1, surface.domain, "#0072B2")  # η·g is ~10⁷ at the lecture's start
    assert fig.layout.meta["clipped"] and "cut at the edge" in fig.layout.annotations[-1].text


def test_sigma_bars_shrink_with_sigma_on_a_fixed_scale():
    surface, r = burst_run()
    span = sigma_range(r)
    early, floor = sigma_bar(r.sigma[0], span), sigma_bar(r.sigma[600], span)
    assert r.sigma[600, 1] < r.sigma[0, 1] and floor[1] < early[1]
    assert np.all((0.03 <= early) & (early <= 0.2))


def page(params=None):
    return fresh(params, clear=False)


def test_the_page_steps_through_a_run_and_its_panel_matches_the_engine():
    at = page({"p": "burst", "view": "step"})
    assert not at.exception and at.session_state["page"].view == "step"
    surface, r = burst_run()
    assert at.number_input(key="step_t").value == 1
    for _ in range(3):
        at.button(key="step_next").click().run()
    assert at.number_input(key="step_t").value == 4
    at.button(key="step_prev").click().run()
    t = at.number_input(key="step_t").value
    assert t == 3
    lines = [e.body.strip("$\n ") for e in at.main.latex]
    g = next(numbers(x) for x in lines if x.startswith("g_{3}"))
    np.testing.assert_allclose(g, r.grads[2], rtol=6e-5)
    assert not any("Burst" in w.body for w in at.warning)
    at.button(key="step_burst").click().run()
    first = int(bursts_of(r, view_diagonal(surface))[0])
    assert at.number_input(key="step_t").value == first
    assert any("Burst" in w.body and "Cause:" in w.body and "along w" in plain(w.body) for w in at.warning)
    at.button(key="step_last").click().run()
    assert at.number_input(key="step_t").value == r.steps_taken
    at.button(key="step_first").click().run()
    assert at.number_input(key="step_t").value == 1
    assert dict(at.query_params).get("view") == "step"


def test_step_through_in_chinese_and_in_presentation_mode():
    at = page({"p": "burst", "view": "step", "lang": "zh-TW", "present": "1"})
    assert not at.exception
    labels = {b.key: b.label for b in at.button}
    zh = translator("zh-TW")
    for key, english in (("step_next", "Next ▶"), ("step_prev", "◀ Previous"), ("step_burst", "Next burst ⚡")):
        assert labels[key] == zh(english) != english
    at.button(key="step_burst").click().run()
    assert any("暴衝" in w.body and "原因" in w.body for w in at.warning)
    chart = at.get("plotly_chart")[0]
    assert '"height":700' in chart.proto.spec.replace(" ", "")
