"""The stability lens (experiments/stability.py): Hessians, each rule's threshold, and the ratio a
run reports, checked against closed forms, torch's autodiff and real runs on quadratics."""
import numpy as np
import pytest

from experiments import stability as lens_module
from experiments.stability import effective_sharpness, eigenvalues, point_kind, stability_of, unstable_stretches
from optimizers import OPTIMIZERS, RunSpec, simulate
from surfaces import formula_surface, get_surface
from surfaces.lecture import HESSIAN
from tests.apptest import app_test, open_section


def test_the_lecture_surface_hessian_is_its_closed_form():
    s = get_surface("lecture_regression")
    pts = np.array([[-150.0, 4.0], [-10.0, 2.5], [200.0, -1.0], [0.0, 0.0]])
    H = s.hessian(pts)
    assert np.abs(H - HESSIAN).max() <= 1e-6 * np.abs(HESSIAN).max()
    lo, hi = eigenvalues(H[0])
    assert lo == pytest.approx(5.5735, rel=1e-4) and hi == pytest.approx(1.746830e6, rel=1e-6)
    assert 2 / hi == pytest.approx(1.14493e-6, rel=1e-5)  # scene 1 runs at 1.1449e-6: just below


def test_a_typed_formula_uses_its_exact_second_derivatives():
    s = formula_surface("x^2*y + sin(x)*y^3")
    assert s.second_derivatives is not None
    x, y = 0.7, -1.3
    expected = [[2 * y - np.sin(x) * y**3, 2 * x + 3 * np.cos(x) * y**2],
                [2 * x + 3 * np.cos(x) * y**2, 6 * np.sin(x) * y]]
    assert np.allclose(s.hessian(np.array([x, y])), expected, rtol=1e-14, atol=0)


# The same surfaces written in torch, for torch's autodiff Hessian.
def _torch_forms(torch):
    pi, tau = np.pi, 2 * np.pi
    lx = torch.tensor([338.0, 333.0, 328.0, 207.0, 226.0, 25.0, 179.0, 60.0, 208.0, 606.0], dtype=torch.float64)
    ly = torch.tensor([640.0, 633.0, 619.0, 393.0, 428.0, 27.0, 193.0, 66.0, 226.0, 1591.0], dtype=torch.float64)
    from surfaces.lecture import VALLEY_A, VALLEY_B
    return {
        "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        "himmelblau": lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
        "rastrigin": lambda x, y: 20 + x * x - 10 * torch.cos(tau * x) + y * y - 10 * torch.cos(tau * y),
        "ackley": lambda x, y: (-20 * torch.exp(-0.2 * torch.sqrt(0.5 * (x * x + y * y)))
                                - torch.exp(0.5 * (torch.cos(tau * x) + torch.cos(tau * y))) + 20 + np.e),
        "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        "goldstein_price": lambda x, y: ((1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2))
                                         * (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2))),
        "levi13": lambda x, y: (torch.sin(3 * pi * x) ** 2 + (x - 1) ** 2 * (1 + torch.sin(3 * pi * y) ** 2)
                                + (y - 1) ** 2 * (1 + torch.sin(tau * y) ** 2)),
        "easom": lambda x, y: -torch.cos(x) * torch.cos(y) * torch.exp(-((x - pi) ** 2 + (y - pi) ** 2)),
        "lecture_regression": lambda b, w: ((ly - b - w * lx) ** 2).sum(),
        "narrow_valley": lambda x, y: 0.5 * (VALLEY_A * x * x + VALLEY_B * y * y),
        "curved_valley": lambda x, y: 0.5 * 100 * (y - torch.sin(x)) ** 2 + 0.5 * x * x,
        "plateau": lambda x, y: 1 - torch.exp(-((x - 2) ** 2 + y**2) / 2) + 1e-3 * (x - 2) ** 2 / 2,
    }


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "himmelblau", "rastrigin", "ackley", "six_hump_camel",
                                  "goldstein_price", "levi13", "easom", "lecture_regression", "narrow_valley",
                                  "curved_valley", "plateau"])
def test_hessians_agree_with_torch_autodiff(name):
    torch = pytest.importorskip("torch")
    form = _torch_forms(torch)[name]
    s = get_surface(name)
    (x0, x1), (y0, y1) = s.domain
    rng = np.random.default_rng(sum(map(ord, name)))
    for x, y in zip(rng.uniform(x0, x1, 6), rng.uniform(y0, y1, 6), strict=True):
        exact = torch.autograd.functional.hessian(lambda p: form(p[0], p[1]), torch.tensor([x, y], dtype=torch.float64)).numpy()
        ours = s.hessian(np.array([x, y]))
        assert np.abs(ours - exact).max() <= 1e-6 * np.abs(exact).max(), (name, x, y, ours, exact)


QUADRATIC = formula_surface("x^2 + y^2")  # H = 2I: S_t = 2·E_t on both axes
BIG_EPS = 1e8  # the adaptive rules' normaliser ≈ ε ≫ |g|: frozen, as the threshold assumes

# (rule, settings without lr, E/lr late in the run): each family of threshold, μ or β1 in {0, 0.5, 0.9}
CASES = [("SGD", {"momentum": m}, 1.0) for m in (0.0, 0.5, 0.9)]
CASES += [("SGD", {"momentum": m, "nesterov": True}, 1.0) for m in (0.5, 0.9)]
CASES += [("SGD", {"momentum": 0.5, "dampening": 0.5}, 1.0)]
CASES += [("RMSprop", {"momentum": m, "eps": BIG_EPS}, 1 / BIG_EPS) for m in (0.0, 0.5, 0.9)]
CASES += [("Adagrad", {"eps": BIG_EPS}, 1 / BIG_EPS), ("Adadelta", {"eps": BIG_EPS}, 1.0)]
for _rule in ("Adam", "AdamW", "Adamax"):  # (AdamW without its decay: λ·η < 2 is a condition of its own)
    CASES += [(_rule, {"betas": (b, 0.999), "eps": BIG_EPS, "weight_decay": 0.0}, 1 / BIG_EPS) for b in (0.0, 0.5, 0.9)]
CASES += [("Adam", {"betas": (0.5, 0.999), "eps": BIG_EPS, "amsgrad": True}, 1 / BIG_EPS)]
CASES += [("NAdam", {"betas": (b, 0.999), "eps": BIG_EPS, "momentum_decay": 0.0}, 1 / BIG_EPS) for b in (0.0, 0.5, 0.9)]
# RAdam's first steps have no normaliser (ρ_t ≤ 5): a huge ε would make them huge steps. With ε = 1
# and |g| ~ 10⁻¹⁰⁰ its σ is frozen at 1 all the same (β2 = 0.9: r_t is within 1% of 1 by step 60).
CASES += [("RAdam", {"betas": (b, 0.9), "eps": 1.0}, 1.0) for b in (0.0, 0.5, 0.9)]


@pytest.mark.parametrize("rule, settings, scale", CASES, ids=[f"{r}-{s}" for r, s, _ in CASES])
def test_each_threshold_is_the_edge_a_real_run_crosses(rule, settings, scale):
    """On x² + y² (H = 2I) the lr at the edge is T / (2·scale); a run at 0.95× of it reports
    stability ≈ 0.95 and settles, one at 1.05× reports ≈ 1.05 and its oscillation grows. (Grown
    to |g| ~ ε, an adaptive rule's σ then rises until the stability is 1: the edge of stability.
    So the ratio is read at step 60, past the bias corrections' transient (0.9^60 < 0.002), or at
    the last step of a run that diverged before, and the growth as the run's largest |θ|.)"""
    cls, steps = OPTIMIZERS[rule], 3000
    T = cls.thresholds(cls.validate(settings), steps)[-1]
    edge = T / (2 * scale)
    start = (1e-100, -0.7e-100)  # Adam's first steps are up to 1/(1−β1) times longer: room to grow
    for factor in (0.95, 1.05):
        spec = RunSpec(rule, cls.validate({**settings, "lr": factor * edge}), start)
        (r,) = simulate(QUADRATIC.objective, [spec], steps)
        lens = stability_of(QUADRATIC, r)
        k = min(60, len(lens.stability) - 1)
        assert lens.stability[k] == pytest.approx(factor, rel=0.02), (factor, k, lens.stability[k - 5 : k + 5])
        if factor < 1:
            assert np.hypot(*r.points[-1]) < 1e-2 * np.hypot(*start), r.points[-1]
            # the growth factor per step is the error's real rate of decay (over steps 300 … 1300)
            size = np.hypot(*r.points.T)
            assert (size[1300] / size[300]) ** (1 / 1000) == pytest.approx(lens.growth[1000], rel=0.01)
        else:
            assert np.hypot(*r.points.T).max() > 1e2 * np.hypot(*start), r.points[-1]


@pytest.mark.parametrize("rule", ["Rprop", "Lion"])
def test_sign_rules_have_no_threshold_and_say_why(rule):
    (r,) = simulate(QUADRATIC.objective, [RunSpec(rule, OPTIMIZERS[rule].validate({}), (1.0, 1.0))], 50)
    lens = stability_of(QUADRATIC, r)
    assert lens.stability is None and lens.threshold is None and "sign" in lens.note
    assert np.allclose(lens.curvature, 2.0)


def test_weight_decay_adds_to_the_hessian_the_rule_sees():
    cls = OPTIMIZERS["SGD"]
    (r,) = simulate(QUADRATIC.objective, [RunSpec("SGD", cls.validate({"lr": 0.1, "weight_decay": 3.0}), (1.0, 1.0))], 5)
    assert np.allclose(stability_of(QUADRATIC, r).effective_sharpness, 0.1 * (2 + 3))
    (w,) = simulate(QUADRATIC.objective, [RunSpec("AdamW", OPTIMIZERS["AdamW"].validate({"lr": 0.1}), (1.0, 1.0))], 5)
    e = w.effective_lr[:, 0]
    assert np.allclose(stability_of(QUADRATIC, w).effective_sharpness, 2 * e)  # decoupled: H itself


def test_effective_sharpness_is_the_top_eigenvalue_of_E_times_H():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a = rng.normal(size=(2, 2))
        H = a + a.T
        e = rng.uniform(0, 2, size=2)
        expected = max(np.linalg.eigvals(np.diag(e) @ H).real)
        assert effective_sharpness(H, e) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _diverging_run(surface):
    """SGD past its edge on Rosenbrock, its records continued as far as the lens can meet: a point
    whose gradient overflows (1e120), points at ∞ and NaN, an η/σ of NaN and one below 0."""
    from dataclasses import replace
    (r,) = simulate(surface.objective, [RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 0.05}), (-1.5, 2.0))], 50, bound=np.inf)
    far = [[1e120, 3.0], [np.inf, 1.0], [1.0, -np.inf], [np.nan, 1.0], [0.5, 0.5], [0.5, 0.5]]
    e = [[0.05, 0.05]] * 4 + [[np.nan, 0.05], [-1.0, 0.05]]
    n = r.steps_taken
    return replace(r, points=np.concatenate([r.points[:n], far, r.points[n:]]), lr=np.full(n + len(far), 0.05),
                   effective_lr=np.concatenate([r.effective_lr, e]))


@pytest.mark.parametrize("name, rule, settings", [
    ("rosenbrock", "Adam", {"lr": 0.01}), ("rosenbrock", "SGD", None), ("himmelblau", "NAdam", {"lr": 0.05}),
    ("lecture_regression", "SGD", {"lr": 1e-6}), ("six_hump_camel", "SGD", {"lr": 0.01, "weight_decay": 0.5})])
def test_the_fused_lens_is_the_eigenvalues_of_the_plain_hessian(name, rule, settings, monkeypatch):
    """stability_of on a built-in surface takes its Hessians inside one compiled pass
    (surfaces/compiled.py lens_into). Its numbers against the plain computation: Surface.hessian
    by NumPy's differences (nothing compiled), numpy.linalg for the eigenvalues of H and of
    diag(e)·(H + λI). Where H is not finite (a gradient that overflows), NaN stays NaN and the
    rest is what NumPy's formula for the eigenvalues gives."""
    from surfaces import Objective
    s = get_surface(name)
    if settings is None:
        r = _diverging_run(s)
    else:
        (x0, x1), (y0, y1) = s.domain
        spec = RunSpec(rule, OPTIMIZERS[rule].validate(settings), ((x0 + 2 * x1) / 3, (2 * y0 + y1) / 3))
        (r,) = simulate(s.objective, [spec], 3000)
    lens = stability_of(s, r)
    n, cls = r.steps_taken, OPTIMIZERS[r.spec.optimizer]
    monkeypatch.setattr(Objective, "compiled", staticmethod(lambda value_and_grad, form: None))
    with np.errstate(all="ignore"):
        H = s.hessian(r.points[:n])
    e, shift = r.effective_lr[:n], cls.hessian_shift(r.spec.params)
    finite = np.isfinite(H).all(axis=(1, 2)) & np.isfinite(e).all(axis=1)
    scale = np.abs(H[finite]).max(axis=(1, 2))
    expected = np.linalg.eigvalsh(H[finite])
    assert (np.abs(lens.curvature[finite] - expected).max(axis=1) <= 1e-9 * scale).all()
    E = np.maximum(e[finite], 0.0)[:, :, None] * (H[finite] + shift * np.eye(2))
    top = np.linalg.eigvals(E).real.max(axis=1)
    assert (np.abs(lens.effective_sharpness[finite] - top) <= 1e-9 * np.maximum(np.abs(E).max(axis=(1, 2)), 1e-300)).all()
    assert np.array_equal(lens.stability, lens.effective_sharpness / cls.thresholds(r.spec.params, n), equal_nan=True)
    if settings is None:  # the continued records: the lens is NaN or ±∞ where NumPy's formula is
        assert (~finite).sum() == 5
        with np.errstate(all="ignore"):
            assert np.array_equal(lens.curvature[~finite], eigenvalues(H[~finite]), equal_nan=True)
        assert np.isnan(lens.effective_sharpness[np.isnan(H).any(axis=(1, 2)) | np.isnan(e).any(axis=1)]).all()
        assert np.isfinite(lens.effective_sharpness[-1])  # a negative η/σ counts as 0


def test_unstable_stretches_and_point_kinds():
    assert unstable_stretches(np.array([0.5, 1.2, 1.3, 0.9, 1.1])) == [(2, 3), (5, 5)]
    assert unstable_stretches(None) == [] and unstable_stretches(np.array([0.2, 0.3])) == []
    assert point_kind((0.0, 0.0), (1.0, 2.0), 1.0) == lens_module.MINIMUM
    assert point_kind((0.0, 0.0), (-1.0, 2.0), 1.0) == lens_module.SADDLE
    assert point_kind((0.0, 0.0), (-2.0, -1.0), 1.0) == lens_module.MAXIMUM
    assert point_kind((1e-2, 0.0), (1.0, 2.0), 1.0) == lens_module.NOT_CRITICAL  # the lecture's "small, not zero"


def test_tune_picks_the_best_lr_that_does_not_diverge_by_loss_and_by_steps():
    """x² + 10y² (λ = 2 and 20): SGD's edge is η = 2/20 = 0.1. The search around η = 0.01 (4 per
    decade) tries 0.0562 and 0.1: 0.1 sits on the edge (the y-swing never dies) and every larger
    one diverges, so the lowest loss is at 0.0562; by steps, the fewest steps to the tolerance."""
    from optimizers.fate import tune
    s = formula_surface("x^2 + 10*y^2")
    spec = RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 0.01}), (2.0, 1.0))
    (by_loss,) = tune(s.objective, [spec], 400, [(0.0, 0.0)], 1e-3, "loss")
    assert by_loss.best == pytest.approx(0.01 * 10**0.75)
    assert by_loss.diverged[by_loss.lrs > 0.11].all() and not by_loss.diverged[by_loss.lrs < 0.09].any()
    assert np.isnan(by_loss.loss[by_loss.diverged]).all()  # diverged runs are excluded from the choice
    (by_steps,) = tune(s.objective, [spec], 400, [(0.0, 0.0)], 1e-3, "steps")
    fewest = np.nanmin(by_steps.steps)
    assert by_steps.steps[by_steps.lrs == by_steps.best][0] == fewest


def test_cli_tune_prints_each_runs_chosen_lr_and_search_curve():
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "cli.py", "tune", "scenarios/adam_cosine_rosenbrock.json", "--by", "loss"],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["by"] == "loss" and len(d["runs"]) == 3
    for r in d["runs"]:
        assert len(r["lrs"]) == len(r["final_loss"]) == len(r["diverged"]) == 25
        losses = [x for x in r["final_loss"] if x is not None]
        assert r["best_lr"] in r["lrs"] and r["final_loss"][r["lrs"].index(r["best_lr"])] == min(losses)


def test_the_page_tunes_every_run_sets_the_chosen_lrs_and_the_link_carries_them():
    """Tune all on the scene of three optimizers: each run's lr becomes the one the tuner chose
    (the same as cli.py tune's), the table and curve are shown, and the share link holds the new lrs."""

    from experiments.scenario import parse_scenario, run_tune
    from experiments.tour import BY_KEY
    from ui.link import read_link
    at = app_test(default_timeout=180)
    at.query_params["p"] = "rosenbrock"
    at.run()
    before = [dict(r.params) for r in at.session_state["page"].runs]
    open_section(at, study="tune")
    at.button(key="tune_go").click().run()
    assert not at.exception
    expected = [t.best for t in run_tune(parse_scenario(BY_KEY["rosenbrock"].scenario), "loss")]
    after = [r.params["lr"] for r in at.session_state["page"].runs]
    assert after == pytest.approx(expected) and after != [b["lr"] for b in before]
    assert any("set on the runs above" in c.body for c in at.caption)
    link = read_link(dict(at.query_params), BY_KEY)
    assert [r["params"]["lr"] for r in link.scenario["runs"]] == pytest.approx(expected)


def test_the_sweeps_theoretical_edge_is_where_sgd_runs_stop_settling():
    """SGD on x² + 10y² (λ_max = 20 at the minimum): the edge over μ is 2(1+μ)/20; a sweep's runs
    just left of it converge and those just right of it do not (they diverge)."""
    from experiments.stability import sweep_edge
    from optimizers.fate import DIVERGED, sweep
    s = formula_surface("x^2 + 10*y^2")
    spec = RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 0.01}), (2.0, 1.0))
    mus = np.array([0.0, 0.5, 0.9])
    edge = sweep_edge(s, spec, "momentum", mus)
    assert np.allclose(edge, 2 * (1 + mus) / 20)
    for mu, e in zip(mus, edge, strict=True):
        sw = sweep(s.objective, spec, [0.95 * e, 1.05 * e], "momentum", [mu], 3000, [(0.0, 0.0)], 1e-3)
        below, above = sw.grid("fate")[0]
        assert below == 0 and above == DIVERGED, (mu, below, above)
    assert sweep_edge(s, RunSpec("Adam", OPTIMIZERS["Adam"].validate({}), (2.0, 1.0)), "beta1", mus) is None
