"""The stability lens: why a run bounces, bursts or settles, as numbers per step.

For the update at step t (its gradient taken at θ_{t−1}):
  curvature             the two eigenvalues of the surface's Hessian H(θ_{t−1}), ascending
  effective_sharpness   S_t = λ_max(E_t · H'), E_t = diag(η_t/σ_t) the effective learning rate the
                        engine records (with Adam's bias correction where the rule applies it), and
                        H' = H + λI for coupled L2 weight decay λ (the Hessian the rule sees)
  threshold             T_t, the rule's linear stability threshold (Optimizer.thresholds)
  stability             S_t / T_t: above 1 the oscillation along the top direction of E·H' grows
                        (for a plain step by |1 − S_t| per step), below 1 it shrinks
  growth                how much that oscillation is multiplied per step: the spectral radius of
                        the rule's linear iteration at S_t (Optimizer.iteration)
Rules that step by a sign alone (Rprop, Lion) have no threshold: their stability is None, and
`note` says why. Sources: J. Cohen et al., "Gradient Descent on Neural Networks Typically Occurs at
the Edge of Stability", ICLR 2021; J. Cohen et al., "Adaptive Gradient Methods at the Edge of
Stability", arXiv:2207.14484; G. Goh, "Why Momentum Really Works", Distill 2017.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.jit import jit
from surfaces import Objective
from surfaces.curvature import curvature_and_sharpness

NEAR_EDGE = 0.8  # stability from here to 1: "near the edge" on the map


@dataclass
class Stability:
    curvature: np.ndarray  # (n, 2)
    effective_sharpness: np.ndarray  # (n,)
    threshold: np.ndarray | None  # (n,)
    stability: np.ndarray | None  # (n,)
    growth: np.ndarray | None = None  # (n,)
    note: str = ""  # why there is no threshold, where there is none


def eigenvalues(H: np.ndarray) -> np.ndarray:
    """The eigenvalues of symmetric 2×2 matrices (..., 2, 2), ascending (..., 2); NaN stays NaN."""
    a, b, c = H[..., 0, 0], H[..., 0, 1], H[..., 1, 1]
    mean, half = (a + c) / 2, (a - c) / 2
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.hypot(half, b)
    return np.stack([mean - r, mean + r], axis=-1)


def effective_sharpness(H: np.ndarray, effective_lr: np.ndarray) -> np.ndarray:
    """λ_max(diag(e)·H) for e ≥ 0, of matrices (..., 2, 2): stability_of's arithmetic (_lens)."""
    H = np.asarray(H, dtype=float)
    flat_H = np.ascontiguousarray(H.reshape(-1, 2, 2))
    e = np.ascontiguousarray(np.broadcast_to(np.asarray(effective_lr, dtype=float), H.shape[:-1]).reshape(-1, 2))
    curvature, sharp = np.empty((len(flat_H), 2)), np.empty(len(flat_H))
    _lens(flat_H, e, 0.0, curvature, sharp)
    return sharp.reshape(H.shape[:-2])


@jit
def _lens(H, e, shift, curvature, sharp):
    """curvature[i] = the eigenvalues of H[i]; sharp[i] = λ_max(diag(e[i])·(H[i] + shift·I)): the
    lens's pass over given Hessians (a typed formula's exact ones; a built-in surface's are taken
    inside surfaces/compiled.py's lens_into, with the same arithmetic)."""
    for i in range(H.shape[0]):
        curvature[i, 0], curvature[i, 1], sharp[i] = curvature_and_sharpness(H[i, 0, 0], H[i, 0, 1], H[i, 1, 1], e[i, 0], e[i, 1], shift)


def cycled_values(spec, steps: int) -> np.ndarray | None:
    """The momentum or β1 a schedule sets at each step (OneCycleLR, CyclicLR), or None."""
    if OPTIMIZERS[spec.optimizer].cycles is None:
        return None
    return SCHEDULES[spec.schedule](spec.schedule_params, steps).momenta(steps)


HUGE_PAGE = 1 << 21  # bytes: a transparent huge page (Linux, x86-64)
HUGE_PAGE_ARRAYS = 1 << 22  # bytes: NumPy asks the kernel for huge pages (madvise) from here on


def _new_block(size: int) -> np.ndarray:
    """np.empty(size) of floats, starting on a huge-page boundary when it is large enough to be
    given huge pages: only whole aligned 2 MB pages are. The lens's arrays are written once, just
    after they are made, so new memory is much of their cost: a page fault per 4 kB page costs
    0.3–0.5 ms per MB on a virtual machine. Measured there, the lenses of 8 runs × 100,000 steps:
    31 ms in a block anywhere, 24 ms in one aligned (and 35 ms in separate arrays)."""
    if size * 8 < HUGE_PAGE_ARRAYS:
        return np.empty(size)
    raw = np.empty(size + HUGE_PAGE // 8)  # the part before the boundary is never touched
    start = (-raw.ctypes.data % HUGE_PAGE) // 8
    return raw[start : start + size]


def stability_of(surface, result) -> Stability:
    """The lens for one run (a RunResult with its full records). Its arrays are views into one
    block (_new_block): 4.8 MB for 100,000 steps, where five separate arrays would get no huge
    pages."""
    n = result.steps_taken
    cls = OPTIMIZERS[result.spec.optimizer]
    settings = result.spec.params
    points, e, shift = result.points[:n], result.effective_lr[:n], cls.hessian_shift(settings)
    # the rule's linear iteration, once for both its threshold and its growth (Optimizer.thresholds
    # and Optimizer.growth), written straight into the block
    iteration = cls.iteration(settings, n, cycled_values(result.spec, n))
    block = _new_block((3 if iteration is None else 6) * n)
    curvature, sharp = block[: 2 * n].reshape(n, 2), block[2 * n : 3 * n]
    fused = None if surface.second_derivatives is not None else Objective.compiled(surface.value_and_grad, "lens")
    with np.errstate(all="ignore"):
        if fused is not None:  # a built-in surface, compiled: its Hessians taken on the spot
            fused(points, e, shift, curvature, sharp)
        else:
            _lens(surface.hessian(points), np.ascontiguousarray(e), shift, curvature, sharp)
        if iteration is None:
            return Stability(curvature, sharp, None, None, None, cls.no_threshold)
        threshold, ratio, growth = block[3 * n :].reshape(3, n)
        threshold[:] = iteration.threshold()
        np.divide(sharp, threshold, out=ratio)
        iteration.radius(sharp, out=growth)
    return Stability(curvature, sharp, threshold, ratio, growth, cls.no_threshold)


def top_direction(H: np.ndarray, effective_lr, shift: float = 0.0) -> np.ndarray:
    """The unit eigenvector of E·(H + shift·I) with the largest eigenvalue (E = diag(e)): the
    direction along which the step overshoots first."""
    e = np.maximum(np.asarray(effective_lr, dtype=float), 0.0)
    root = np.sqrt(e)
    sym = root[:, None] * (np.asarray(H, dtype=float) + shift * np.eye(2)) * root[None, :]
    _, vectors = np.linalg.eigh(sym)
    v = root * vectors[:, 1]  # E^{1/2}·u is an eigenvector of E·H when u is one of E^{1/2}·H·E^{1/2}
    norm = np.hypot(*v)
    return v / norm if norm > 0 else np.array([np.nan, np.nan])


def unstable_stretches(stability: np.ndarray | None) -> list[tuple[int, int]]:
    """(first, last) update numbers (1-based) of each stretch with stability > 1."""
    if stability is None or not len(stability):
        return []
    above = np.concatenate([[False], np.asarray(stability) > 1, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    return [(int(a) + 1, int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


MINIMUM, SADDLE, MAXIMUM, NOT_CRITICAL, FLAT = "minimum", "saddle", "maximum", "not a critical point", "flat"
POINT_KINDS = (MINIMUM, SADDLE, MAXIMUM, NOT_CRITICAL, FLAT)  # texts the page translates


ZERO_GRADIENT = 1e-6  # ‖g‖ this small against the run's largest gradient: a critical point


def point_kind(gradient, curvature, scale: float) -> str:
    """What kind of point θ is, from its gradient and the eigenvalues of its Hessian: the lecture's
    "is it really a critical point?". The gradient counts as zero when ‖g‖ ≤ ZERO_GRADIENT·scale,
    scale being the largest gradient along the run (a run stuck in the lecture's valley keeps
    3·10⁻⁵ of it, one that crawls on the plateau 0.7: neither is at a critical point); an
    eigenvalue counts as zero when |λ| ≤ 1e-6·max|λ|."""
    g = float(np.hypot(*gradient))
    if not np.isfinite(g) or g > ZERO_GRADIENT * scale:
        return NOT_CRITICAL
    lo, hi = (float(v) for v in curvature)
    tiny = 1e-6 * max(abs(lo), abs(hi))
    if lo > tiny:
        return MINIMUM
    if hi < -tiny:
        return MAXIMUM
    if lo < -tiny and hi > tiny:
        return SADDLE
    return FLAT


def burst_leads(stretches: list[tuple[int, int]], burst_steps) -> list[int | None]:
    """For each burst (a 1-based step), how many steps before it the unstable stretch it belongs
    to began (the last one begun by then), or None when none had."""
    out = []
    for b in burst_steps:
        begun = [a for a, _ in stretches if a <= b]
        out.append(int(b - begun[-1]) if begun else None)
    return out


def ended_at(surface, result) -> str:
    """The kind of point the run ended at (point_kind), judged against its largest gradient."""
    if not len(result.points):
        return NOT_CRITICAL
    end = np.asarray(result.points[-1], dtype=float)
    _, g = surface.objective(end[None])
    grads = np.hypot(*np.asarray(result.grads, dtype=float).T) if result.grads is not None and len(result.grads) else np.array([])
    scale = float(np.nanmax(np.concatenate([grads, [np.hypot(*g[0])]])))
    return point_kind(g[0], eigenvalues(surface.hessian(end)), scale)


def sweep_edge(surface, spec, name: str, values) -> np.ndarray | None:
    """For a sweep of lr × `name`: at each value, the lr at which the run's linear iteration at the
    surface's (first global) minimum θ* becomes unstable, T / λ_max(H(θ*) + λI). Only where E = η
    (SGD, whose step has no normaliser: for an adaptive rule E depends on the σ the run reaches);
    None otherwise, or when the surface lists no minimum."""
    from optimizers.fate import with_value
    minima = surface.global_minima or surface.minima
    if spec.optimizer != "SGD" or not minima:
        return None
    cls = OPTIMIZERS[spec.optimizer]
    top = float(eigenvalues(surface.hessian(np.array([minima[0].x, minima[0].y])))[1])
    edges = []
    for v in np.asarray(values, dtype=float):
        settings = cls.validate(with_value(dict(spec.params), name, float(v)))
        curvature = top + cls.hessian_shift(settings)
        edges.append(cls.thresholds(settings, 1)[0] / curvature if curvature > 0 else np.nan)
    return np.asarray(edges, dtype=float)
