"""Engine results as data files: the JSON that `cli.py trace` prints and the page exports, and a
CSV with one row per run and step. NumPy only (no screen).

Row t of a run (t = 0 … n) holds the point θ_t and its loss L(θ_t); for t ≥ 1 also the update
that produced θ_t: the gradient g_t used (taken at θ_{t−1}), the learning rate η_t, and where
the rule has them σ_t, η_t/σ_t and the momentum m_t, per coordinate; and the stability lens
(experiments/stability.py): the curvature (the eigenvalues of H(θ_{t−1})), the effective sharpness
S_t and the stability S_t/T_t (null where the rule has no threshold). Non-finite numbers are
written as empty CSV cells and JSON nulls.
"""
from __future__ import annotations

import json
import math

import numpy as np

from .stability import stability_of

CSV_COLUMNS = ("run", "label", "optimizer", "schedule", "step", "x", "y", "loss", "grad_x", "grad_y", "lr",
               "sigma_x", "sigma_y", "effective_lr_x", "effective_lr_y", "momentum_x", "momentum_y",
               "curvature_min", "curvature_max", "effective_sharpness", "stability", "diverged_at")


def clean(a):
    """Array → nested lists with NaN/inf as None (strict JSON)."""
    if a is None:
        return None
    out = np.asarray(a, dtype=float).tolist()

    def fix(v):
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v if math.isfinite(v) else None
    return fix(out)


def trace_dict(scenario, results) -> dict:
    """{"scenario": …, "runs": [{"label", "optimizer", "schedule", "points", "loss", "grads", "lr",
    "sigma", "effective_lr", "momentum", "curvature", "effective_sharpness", "stability",
    "stability_threshold", "stability_note", "diverged_at", "reason"}]}"""
    runs = []
    for r in results:
        lens = stability_of(scenario.surface_obj, r)
        runs.append({"label": r.label, "optimizer": r.spec.optimizer, "schedule": r.spec.schedule,
                     "points": clean(r.points), "loss": clean(r.loss), "grads": clean(r.grads), "lr": clean(r.lr),
                     "sigma": clean(r.sigma), "effective_lr": clean(r.effective_lr), "momentum": clean(r.momentum),
                     "curvature": clean(lens.curvature), "effective_sharpness": clean(lens.effective_sharpness),
                     "stability": clean(lens.stability), "stability_threshold": clean(lens.threshold),
                     "stability_note": lens.note or None, "diverged_at": r.diverged_at, "reason": r.reason})
    return {"scenario": scenario.to_dict(), "runs": runs}


def row_count(results) -> int:
    return sum(max(len(r.points) - 1, r.steps_taken) + 1 for r in results)


def csv_cell(text) -> str:
    """A text cell that a spreadsheet will not read as a formula (=, +, −, @ first): user text
    (a run's label, perhaps from a stranger's link) stays text."""
    s = str(text)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def trace_json(scenario, results, progress=None) -> str:
    """trace_dict as JSON text, one run at a time so that progress(fraction) can be reported
    (100,000 steps take ~2 s)."""
    data = trace_dict(scenario, [])
    head = json.dumps(data, allow_nan=False)[: -len("[]}")]
    parts = []
    for i, r in enumerate(results):
        parts.append(json.dumps(trace_dict(scenario, [r])["runs"][0], allow_nan=False))
        if progress:
            progress((i + 1) / len(results))
    return head + "[" + ", ".join(parts) + "]}"


def trajectories_csv(surface, results, progress=None, chunk: int = 10_000) -> str:
    """Built column-wise with pandas and written in chunks of rows, so that progress(fraction)
    can be reported: formatting 1.2 million floats takes ~2 s for a 100,000-step run."""
    import pandas as pd
    frames = []
    for i, r in enumerate(results):
        n = max(len(r.points) - 1, r.steps_taken)
        block = np.full((n + 1, 16), np.nan)
        block[: len(r.points), 0:2] = r.points
        block[: len(r.loss), 2] = r.loss
        k = r.steps_taken
        block[1 : k + 1, 3:5] = r.grads[:k] if r.grads is not None else np.nan
        block[1 : k + 1, 5] = r.lr[:k]
        lens = stability_of(surface, r)
        for col, arr in ((6, r.sigma), (8, r.effective_lr), (10, r.momentum), (12, lens.curvature)):
            if arr is not None:
                block[1 : k + 1, col : col + 2] = arr[:k]
        block[1 : k + 1, 14] = lens.effective_sharpness[:k]
        if lens.stability is not None:
            block[1 : k + 1, 15] = lens.stability[:k]
        block[~np.isfinite(block)] = np.nan  # ±inf: an empty cell too
        df = pd.DataFrame(block, columns=CSV_COLUMNS[5:21])
        df.insert(0, "step", np.arange(n + 1))
        for j, (name, value) in enumerate((("run", i + 1), ("label", csv_cell(r.label)), ("optimizer", r.spec.optimizer),
                                           ("schedule", r.spec.schedule))):
            df.insert(j, name, value)
        df["diverged_at"] = "" if r.diverged_at is None else str(r.diverged_at)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CSV_COLUMNS)
    parts = []
    for a in range(0, max(len(table), 1), chunk):
        parts.append(table.iloc[a : a + chunk].to_csv(index=False, header=a == 0, lineterminator="\n", na_rep=""))
        if progress:
            progress(min(1.0, (a + chunk) / max(len(table), 1)))
    return "".join(parts)
