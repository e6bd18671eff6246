"""Each rule is written once (optimizers/torch_rules.py, lecture_rules.py, extra_rules.py): compiled
with numba it gives the same bits as the very same code run as plain Python (compiled=False),
and the golden tests compare it with torch. The compiled objectives (surfaces/compiled.py) give
the numbers of the NumPy ones."""
import numpy as np
import pytest

pytest.importorskip("numba")

from optimizers import OPTIMIZERS, SCHEDULES, RunSpec, simulate  # noqa: E402
from optimizers.groups import use_compiled  # noqa: E402
from optimizers.jit import plain  # noqa: E402
from surfaces import LECTURE, STANDARD, formula_surface, get_surface  # noqa: E402

RECORDS = ("points", "loss", "grads", "lr", "sigma", "effective_lr", "momentum")
# Surfaces whose compiled form is the same arithmetic as the NumPy one, bit for bit. The others
# call exp/sin/cos (NumPy has its own vectorised versions) or x**3, x**4 (NumPy calls pow(),
# numba multiplies): they agree to ~1e-13 (test below).
EXACT = {"rosenbrock", "beale", "booth", "himmelblau", "rastrigin", "matyas", "three_hump_camel",
         "six_hump_camel", "goldstein_price", "saddle", "levi13", "mccormick", "lecture_regression",
         "narrow_valley", "curved_valley"}

OPTIONS = {  # settings beyond the defaults that take other branches of a rule
    "SGD": [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {"momentum": 0.5, "dampening": 0.3}],
    "Adagrad": [{"lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}],
    "RMSprop": [{"centered": True}, {"momentum": 0.9, "weight_decay": 0.01}, {"centered": True, "momentum": 0.5}],
    "Adam": [{"amsgrad": True}, {"weight_decay": 0.01}, {"decoupled_weight_decay": True, "weight_decay": 0.1}],
    "AdamW": [{"amsgrad": True, "weight_decay": 0.05}],
    "Adamax": [{"weight_decay": 0.01, "betas": (0.8, 0.99)}],
    # (momentum_decay the same within a group: NumPy's vectorised pow, used when runs differ in
    # it, may differ from C's pow by an ulp; the kernels and torch call C's pow)
    "NAdam": [{"decoupled_weight_decay": True, "weight_decay": 0.01, "momentum_decay": 0.01}],
    "RAdam": [{"weight_decay": 0.01}, {"decoupled_weight_decay": True, "weight_decay": 0.01, "betas": (0.9, 0.9)}],
    "Adadelta": [{"rho": 0.5, "weight_decay": 0.01}],
    "Rprop": [{"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)}],
    "LectureRMS": [{}],
    "LectureRMSProp": [{"alpha": 0.5}],
    "Lion": [{"betas": (0.95, 0.98), "weight_decay": 0.0}],
}


def same(a, b):
    """Every record equal, bit for bit (NaN where NaN), and the same divergence."""
    for ra, rb in zip(a, b, strict=True):
        for k in RECORDS:
            x, y = getattr(ra, k), getattr(rb, k)
            assert (x is None) == (y is None), (ra.label, k)
            if x is not None:
                assert np.array_equal(x, y, equal_nan=True), (ra.label, k, np.nanmax(np.abs(x - y)))
        assert (ra.diverged_at, ra.reason) == (rb.diverged_at, rb.reason), ra.label


def both(objective, runs, steps, **kw):
    return simulate(objective, runs, steps, compiled=True, **kw), simulate(objective, runs, steps, compiled=False, **kw)


def cycle(steps):
    return SCHEDULES["OneCycleLR"].validate({"total_steps": steps}, steps)


def run(name, params, start=(-1.5, 2.0), **kw):
    return RunSpec(name, OPTIMIZERS[name].validate(params), start, label=f"{name} {params}", **kw)


def test_every_rule_has_a_compiled_kernel_and_its_plain_python_form():
    for cls in OPTIMIZERS.values():
        assert hasattr(cls.kernel, "py_func"), cls.name  # compiled by numba
        assert plain(cls.kernel) is not cls.kernel and callable(plain(cls.kernel)), cls.name
    assert use_compiled(None) is True and use_compiled(False) is False


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "lecture_regression"])
def test_every_rule_and_option_gives_the_same_bits(surface):
    s = get_surface(surface)
    runs = []
    for name, extra in OPTIONS.items():
        for params in [{}] + extra:
            lr = 1.0 if surface == "lecture_regression" and name.startswith("Lecture") else 1e-2
            runs.append(run(name, {"lr": lr, **params}, s.default_start))
    same(*both(s.objective, runs, 400))


def test_per_run_hyperparameters_schedules_and_cycling():
    """Runs of one rule that differ in lr and β (per-row columns), cycled β1/momentum, a
    plateau schedule learning its lr from the loss, and several groups side by side."""
    s = get_surface("rosenbrock")
    runs = [run("Adam", {"lr": 0.01 * (i + 1), "betas": (0.9 - 0.1 * i, 0.999)}) for i in range(3)]
    runs += [run("Adam", {"lr": 0.02}, schedule="OneCycleLR", schedule_params=cycle(300)),
             run("SGD", {"lr": 1e-3}, schedule="OneCycleLR", schedule_params=cycle(300)),
             run("SGD", {"lr": 2e-3, "momentum": 0.9}, schedule="ReduceLROnPlateau",
                 schedule_params=SCHEDULES["ReduceLROnPlateau"].validate({"patience": 5}, 300)),
             run("RMSprop", {"lr": 1e-3}, schedule="CosineAnnealingLR",
                 schedule_params=SCHEDULES["CosineAnnealingLR"].validate({"T_max": 100}, 300)),
             run("Rprop", {"lr": 0.01 * 3}), run("Rprop", {"lr": 0.01})]
    same(*both(s.objective, runs, 300))


def test_noise_clipping_and_divergence():
    s = get_surface("rosenbrock")
    runs = [run("Adam", {"lr": 0.05}, noise=(5.0, 3)), run("SGD", {"lr": 1e-3}, clip=("norm", 1.0)),
            run("Adagrad", {"lr": 0.5}, clip=("value", 0.5), noise=(1.0, 4)),
            run("SGD", {"lr": 0.05}),  # diverges within a few steps
            run("LectureRMS", {"lr": 1e6})]
    a, b = both(s.objective, runs, 200)
    assert a[3].diverged_at is not None
    same(a, b)


def test_path_and_final_records_and_observers():
    s = get_surface("himmelblau")
    starts = [(x, y) for x in np.linspace(-4, 4, 7) for y in np.linspace(-4, 4, 7)]
    settings = OPTIMIZERS["Adam"].validate({"lr": 0.05})
    runs = [RunSpec("Adam", settings, p) for p in starts]
    same(*both(s.objective, runs, 150, record="path"))
    seen = {True: [], False: []}
    finals = {c: simulate(s.objective, runs, 150, record="final", compiled=c,
                          observe=lambda t, th, f, c=c: seen[c].append((th.copy(), f.copy()))) for c in (True, False)}
    assert np.array_equal(finals[True].points, finals[False].points)
    assert len(seen[True]) == 151
    assert all(np.array_equal(p, q) and np.array_equal(f, h) for (p, f), (q, h) in zip(seen[True], seen[False]))


def test_a_typed_formula_keeps_its_numpy_objective_and_the_kernels_step_it():
    s = formula_surface("(x - 1)^2 + 3*sin(y)^2")
    assert s.objective.into is None
    same(*both(s.objective, [run("Adam", {"lr": 0.05}, (2.0, 1.0)), run("NAdam", {"lr": 0.05}, (2.0, 1.0))], 200))


@pytest.mark.parametrize("surface", STANDARD + LECTURE, ids=lambda s: s.name)
def test_compiled_surfaces_match_their_numpy_form(surface):
    rng = np.random.default_rng(7)
    (x0, x1), (y0, y1) = surface.domain
    theta = np.column_stack([rng.uniform(x0, x1, 3000), rng.uniform(y0, y1, 3000)])
    theta[:len(surface.critical_points)] = [(p.x, p.y) for p in surface.critical_points]
    f, g = np.empty(3000), np.empty((3000, 2))
    surface.objective.into(theta, f, g)
    f_np, g_np = surface.objective(theta)
    if surface.name in EXACT:
        assert np.array_equal(f, f_np) and np.array_equal(g, g_np)
    else:  # compare to the size of the terms: a gradient near 0 is a difference of large ones
        scale = 1 + np.abs(f_np)
        assert np.max(np.abs(f - f_np) / scale) < 1e-12
        assert np.max(np.abs(g - g_np) / (scale[:, None] * 10)) < 1e-12


def test_ackley_tip_has_a_zero_gradient_when_compiled():
    s = get_surface("ackley")
    f, g = np.empty(1), np.empty((1, 2))
    s.objective.into(np.zeros((1, 2)), f, g)
    assert abs(f[0]) < 1e-15 and np.array_equal(g, [[0.0, 0.0]])


def test_the_whole_step_loop_is_compiled_for_a_built_in_surface(monkeypatch):
    """Per-row learning rates and schedules, cycled momentum and β1, ReduceLROnPlateau (three
    settings), noise streams, both clips and a diverging run, stepped by optimizers/loop.py (the
    Python loop is made to fail), give the bits of the same rules run as plain Python."""
    import optimizers.engine as engine
    s = get_surface("rosenbrock")
    runs = [run("Adam", {"lr": 0.01 * (i + 1), "betas": (0.9 - 0.1 * i, 0.999)}) for i in range(3)]
    runs += [run("Adam", {"lr": 0.02}, schedule="OneCycleLR", schedule_params=cycle(300), noise=(2.0, 7)),
             run("SGD", {"lr": 1e-3, "momentum": 0.5}, schedule="OneCycleLR", schedule_params=cycle(300), clip=("norm", 1.0)),
             run("SGD", {"lr": 2e-3, "momentum": 0.9}, clip=("value", 0.3), noise=(2.0, 7)),
             run("RMSprop", {"lr": 1e-3}, schedule="CosineAnnealingLR",
                 schedule_params=SCHEDULES["CosineAnnealingLR"].validate({"T_max": 100}, 300)),
             run("SGD", {"lr": 0.05}),  # diverges
             run("NAdam", {"lr": 0.01}), run("Lion", {"lr": 1e-3}), run("Rprop", {"lr": 0.01})]
    plateau = SCHEDULES["ReduceLROnPlateau"]
    runs += [run("SGD", {"lr": 2e-3, "momentum": 0.9}, schedule="ReduceLROnPlateau",  # learns η from the loss
                 schedule_params=plateau.validate({"patience": 3, "cooldown": 2, "factor": 0.5}, 300)),
             run("Adam", {"lr": 0.05}, schedule="ReduceLROnPlateau",
                 schedule_params=plateau.validate({"patience": 0, "threshold_mode": "abs", "threshold": 0.01}, 300)),
             run("RMSprop", {"lr": 0.01}, schedule="ReduceLROnPlateau",
                 schedule_params=plateau.validate({"mode": "max", "patience": 5, "min_lr": 1e-4}, 300))]
    reference = {rec: simulate(s.objective, runs, 300, compiled=False, record=rec) for rec in ("full", "path")}

    def refuse(*args, **kw):
        raise AssertionError("the Python step loop ran")
    from optimizers.loop import compiled_loop
    compiled_loop(s.objective.point[0])  # loaded first: until it is, small runs take the Python loop (engine.LOOP_WORK)
    monkeypatch.setattr(engine, "python_loop", refuse)
    for rec, expected in reference.items():
        got = simulate(s.objective, runs, 300, compiled=True, record=rec)
        assert got[7].diverged_at is not None
        assert all(len(set(r.lr)) >= 2 for r in got[-3:])  # each plateau row did cut its lr
        same(got, expected)


@pytest.mark.parametrize("record", ["full", "path"])
def test_the_compiled_loop_stops_when_every_run_has_left_and_leaves_nan_behind(record):
    """Every run diverges (one to infinity, one past the bound): the compiled loop stops at the
    first look after that (every 512 steps), and its records, NaN from there on, and the
    divergence it found as it went equal the plain-Python run's and its scan of the records."""
    s = get_surface("rosenbrock")
    runs = [run("SGD", {"lr": 0.05}), run("Adam", {"lr": 1e5})]
    a, b = both(s.objective, runs, 1500, record=record)
    assert all(r.diverged_at is not None and r.diverged_at < 512 for r in a)
    same(a, b)


def test_the_compiled_loop_is_safe_to_ask_for_from_many_threads_at_once():
    """The server's warm-up thread and a first page may both ask for the loop: numba refuses to
    compile while compilation is disabled, so the asking is serialised (it raised without that)."""
    import threading

    from optimizers import loop
    from surfaces.compiled import point
    loop.compiled_loop(point)
    errors = []

    def ask():
        for _ in range(200):
            loop._compiled.clear()  # as in a new process: each ask goes through compile()
            try:
                loop.compiled_loop(point)
            except Exception as e:  # noqa: BLE001 (any failure is the finding)
                errors.append(e)
    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and point.nopython_signatures[0] in loop._compiled


def test_without_numba_the_same_rules_run_as_plain_python_and_give_the_same_bits():
    """A machine without numba: the import fails (sys.modules["numba"] = None), every rule's
    kernel is then its plain Python function, and the paths equal the compiled ones bit for bit."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    script = """
import json, sys
sys.modules["numba"] = None
from optimizers import OPTIMIZERS, RunSpec, simulate
from optimizers.jit import AVAILABLE
from surfaces import get_surface
s = get_surface("rosenbrock")
runs = [RunSpec(n, OPTIMIZERS[n].validate({"lr": 1e-2}), s.default_start) for n in OPTIMIZERS]
print(json.dumps({"available": AVAILABLE, "points": [r.points.tolist() for r in simulate(s.objective, runs, 60)]}))
"""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=True)
    plain_run = json.loads(out.stdout)
    assert plain_run["available"] is False
    s = get_surface("rosenbrock")
    compiled = simulate(s.objective, [run(n, {"lr": 1e-2}, s.default_start) for n in OPTIMIZERS], 60, compiled=True)
    assert len(plain_run["points"]) == len(compiled) == len(OPTIMIZERS)
    for r, pts in zip(compiled, plain_run["points"], strict=True):
        assert np.array_equal(r.points, np.array(pts).reshape(-1, 2)), r.label
