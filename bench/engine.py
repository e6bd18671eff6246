"""Engine benchmark: prints per-step costs and ratios. Run: python bench/engine.py

Measured in one process, best of 3 (these machines are shared and noisy), with the rules compiled
(numba: optimizers/*_rules.py, optimizers/loop.py, surfaces/compiled.py) and, for comparison, the
same rules run as plain Python (what a machine without numba gets):
  * 1, 8 and 100 runs of Adam on Rosenbrock (full records),
  * 8 runs for SGD, RMSprop and a mix of 8 different optimizers,
  * a 100×100 grid of start points × 500 steps (points and loss only, as maps need),
  * when torch is importable: the same 8 Adam trajectories through torch.optim (one optimizer
    per run, gradients set from the same NumPy surface), and the ratio.
  * a 200×200 fate map × 500 steps on Himmelblau (issue 6), with its peak memory (tracemalloc, a
    second run: tracing slows NumPy down).
  * a reference measured in the same run: a minimal hand-written numba loop of Adam on
    Rosenbrock (the same arithmetic, no records, nothing else), and the engine's ratio to it for
    8 runs × 100,000 steps with every record (`engine/compiled-reference: X×`).
Targets (issue 2): 8 runs × 10,000 steps ≤ 0.15 s; 10,000 starts × 500 steps ≤ 1 s; ≥ 20× torch.
Target (issue 6): the 200×200 × 500-step fate map ≤ 3 s.
Targets (issue 16): X ≤ 5; Adam 1 run × 10,000 steps ≤ 2 ms; 8 runs × 100,000 steps ≤ 0.15 s.
Target (issue 17): the stability lens (curvature, effective sharpness, stability per step) costs
≤ 1.5× the run without it: printed as `run + lens / run: Y×` for Adam, 8 runs × 100,000 steps.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from optimizers import OPTIMIZERS, RunSpec, simulate  # noqa: E402
from surfaces import get_surface  # noqa: E402

SURFACE = get_surface("rosenbrock")


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_floor(steps, ops=27, rows=8):
    """Reference measured in the same run: `ops` bare NumPy additions on (rows, 2) arrays per
    step, the number of array operations one step of Adam on Rosenbrock needs (objective 11–13,
    update 14). No per-step engine can be faster than this without leaving NumPy."""
    a, b = np.random.rand(rows, 2), np.random.rand(rows, 2)

    def go():
        for _ in range(steps):
            for _ in range(ops):
                a + b
    return best_of(go)


def runs_of(name, k, start=(-1.5, 2.0)):
    return [RunSpec(name, OPTIMIZERS[name].validate({"lr": 1e-3 * (i + 1)}), start) for i in range(k)]


def engine_case(label, runs, steps, record="full", compiled=None):
    sec = best_of(lambda: simulate(SURFACE.objective, runs, steps, record=record, compiled=compiled))
    print(f"{label:44s} {sec:8.3f} s   {sec / steps * 1e6:8.1f} µs/step")
    return sec


def fate_case():
    import tracemalloc

    from optimizers.fate import fate_map
    s = get_surface("himmelblau")
    spec = RunSpec("Adam", OPTIMIZERS["Adam"].validate({"lr": 0.05}), (0.0, 0.0))
    minima = [(m.x, m.y) for m in s.minima]
    sec = best_of(lambda: fate_map(s.objective, spec, s.domain, 200, 500, minima, 0.05))
    tracemalloc.start()
    fate_map(s.objective, spec, s.domain, 200, 500, minima, 0.05)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"{'Adam fate map 200×200 starts × 500 steps':44s} {sec:8.3f} s   {sec / 500 * 1e3:8.2f} ms/step   peak {peak:.0f} MB")
    return sec, peak


def reference_adam(runs: int, steps: int) -> float:
    """Best-of-3 seconds of the reference loop: Adam (torch's defaults but lr) on Rosenbrock,
    written out by hand in numba, one point at a time, keeping nothing but the points."""
    import math

    import numba

    from surfaces.standard import _rosenbrock
    rosenbrock = numba.njit(_rosenbrock)

    @numba.njit
    def adam(theta, n, lr, b1, b2, eps):
        m, v = np.zeros_like(theta), np.zeros_like(theta)
        for t in range(1, n + 1):
            step_size, bc2_sqrt = lr / (1 - b1 ** t), math.sqrt(1 - b2 ** t)
            for r in range(theta.shape[0]):
                _, gx, gy = rosenbrock(theta[r, 0], theta[r, 1])
                for c in range(2):
                    gi = gx if c == 0 else gy
                    m[r, c] += (1 - b1) * (gi - m[r, c])
                    v[r, c] = v[r, c] * b2 + (1 - b2) * gi * gi
                    theta[r, c] -= step_size * m[r, c] / (math.sqrt(v[r, c]) / bc2_sqrt + eps)
        return theta
    start = np.tile([-1.5, 2.0], (runs, 1))
    adam(start.copy(), 2, 1e-3, 0.9, 0.999, 1e-8)  # compiled before timing
    return best_of(lambda: adam(start.copy(), steps, 1e-3, 0.9, 0.999, 1e-8))


def torch_loop(k, steps):
    import torch
    torch.set_default_dtype(torch.float64)
    params = [torch.tensor([-1.5, 2.0], requires_grad=True) for _ in range(k)]
    opts = [torch.optim.Adam([p], lr=1e-3 * (i + 1), foreach=False) for i, p in enumerate(params)]

    def go():
        for _ in range(steps):
            for p, o in zip(params, opts):
                _, g = SURFACE.objective(p.detach().numpy()[None, :])
                p.grad = torch.from_numpy(g[0])
                o.step()
    return best_of(go)


def lens_case(t_run):
    """The stability lens (experiments/stability.py) of the 8 × 100,000-step Adam runs, against
    the run itself (t_run, measured in the same process)."""
    from experiments.stability import stability_of
    results = simulate(SURFACE.objective, runs_of("Adam", 8), 100_000)
    stability_of(SURFACE, results[0])  # compiled before timing
    t_lens = best_of(lambda: [stability_of(SURFACE, r) for r in results])
    print(f"{'stability lens of those 8 runs':44s} {t_lens:8.3f} s")
    print(f"run + lens / run: {(t_run + t_lens) / t_run:.2f}× (target ≤ 1.5×)")


def main():
    print(f"numpy {np.__version__}; surface: rosenbrock; best of 3\n")
    from optimizers.loop import compiled_loop
    compiled_loop(SURFACE.objective.point[0])  # loaded (or compiled) before timing, as the server's warm-up does
    t1 = engine_case("Adam, 1 run × 10,000 steps", runs_of("Adam", 1), 10_000)
    t_big = engine_case("Adam, 8 runs × 100,000 steps, every record", runs_of("Adam", 8), 100_000)
    t_ref = reference_adam(8, 100_000)
    lens_case(t_big)
    print(f"{'reference: hand-written numba Adam, 8 × 100,000':44s} {t_ref:8.3f} s")
    print(f"engine/compiled-reference: {t_big / t_ref:.1f}×")
    t8 = engine_case("Adam, 8 runs × 10,000 steps", runs_of("Adam", 8), 10_000)
    engine_case("SGD, 8 runs × 10,000 steps", runs_of("SGD", 8), 10_000)
    engine_case("RMSprop, 8 runs × 10,000 steps", runs_of("RMSprop", 8), 10_000)
    mix = [RunSpec(n, OPTIMIZERS[n].validate({}), (-1.5, 2.0)) for n in ["SGD", "Adam", "RMSprop", "Adagrad", "NAdam", "AdamW", "LectureRMS", "Rprop"]]
    engine_case("8 different optimizers × 10,000 steps", mix, 10_000)
    engine_case("Adam, 100 runs × 10,000 steps", runs_of("Adam", 100), 10_000)
    xs, ys = np.meshgrid(np.linspace(-2, 2, 100), np.linspace(-1, 3, 100))
    grid = [RunSpec("Adam", OPTIMIZERS["Adam"].validate({"lr": 0.01}), (float(x), float(y))) for x, y in zip(xs.ravel(), ys.ravel())]
    tg = engine_case("Adam, 100×100 starts × 500 steps (path only)", grid, 500, record="path")
    tf, peak = fate_case()
    t_plain = best_of(lambda: simulate(SURFACE.objective, runs_of("Adam", 8), 1_000, compiled=False), repeat=1)
    print(f"{'Adam, 8 runs × 1,000 steps, plain Python':44s} {t_plain:8.3f} s")
    print(f"compiled vs the same rules as plain Python, same run: {t_plain * 10 / t8:.0f}× faster (8 runs, per step)")
    floor = numpy_floor(10_000)
    print(f"{'reference: 27 bare NumPy ops × 10,000 steps':44s} {floor:8.3f} s   {floor / 10_000 * 1e6:8.1f} µs/step"
          f"   (Adam 8 runs = {t8 / floor:.2f}× this floor)")
    print()
    print(f"target engine/compiled-reference ≤ 5×: {t_big / t_ref:.1f}× ({'met' if t_big / t_ref <= 5 else 'NOT met'})")
    print(f"target Adam 1 run × 10,000 steps ≤ 2 ms: {t1 * 1e3:.2f} ms ({'met' if t1 <= 0.002 else 'NOT met'})")
    print(f"target 8 runs × 100,000 steps ≤ 0.15 s: {t_big:.3f} s ({'met' if t_big <= 0.15 else 'NOT met'})")
    print(f"target 8 runs × 10,000 steps ≤ 0.15 s: Adam {t8:.3f} s ({'met' if t8 <= 0.15 else 'NOT met'})")
    print(f"target 10,000 starts × 500 steps ≤ 1 s: {tg:.3f} s ({'met' if tg <= 1 else 'NOT met'})")
    print(f"target fate map 200×200 × 500 steps ≤ 3 s: {tf:.3f} s ({'met' if tf <= 3 else 'NOT met'}), peak memory {peak:.0f} MB")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: skipping the torch.optim comparison (pip install torch==2.13.0)")
        return
    steps = 1000
    tt = torch_loop(8, steps)
    te = best_of(lambda: simulate(SURFACE.objective, runs_of("Adam", 8), steps))
    print(f"torch.optim Adam, 8 runs × {steps} steps: {tt:.3f} s ({tt / steps * 1e6:.1f} µs/step); "
          f"engine {te:.3f} s ({te / steps * 1e6:.1f} µs/step): engine is {tt / te:.1f}× faster per step (target ≥ 20×)")


if __name__ == "__main__":
    main()
