"""The update of one step, in the lecture's notation θ_t = θ_{t−1} − (η_t/σ_t)·m_t, with the
run's own numbers (for st.latex)."""
from __future__ import annotations

import math

import numpy as np


def num(v: float, digits: int = 4) -> str:
    """A number for LaTeX: 1.234\\times10^{-6} rather than 1.234e-06."""
    v = float(v)
    if not math.isfinite(v):
        return r"\text{" + str(v) + "}"
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.{digits - 1}e}"
    if "e" not in text:
        return text
    mant, exp = text.split("e")
    return rf"{mant}\times10^{{{int(exp)}}}"


def _col(values, digits: int = 4) -> str:
    return r"\begin{pmatrix}" + r"\\ ".join(num(v, digits) for v in values) + r"\end{pmatrix}"


def update_rule_latex(result, t: int, axis_names=("x", "y")) -> tuple[str, str, bool]:
    """(equation, quantities, exact) for update t (1-based) of a run.

    exact: whether θ_t = θ_{t−1} − (η_t/σ_t)⊙m_t holds for this rule to rounding (Adam, RMSprop,
    Adagrad, SGD, the lecture's forms). Rules whose update has another shape (NAdam, RAdam,
    Adadelta, Rprop, Lion, momentum RMSprop) get the actual step instead of '='."""
    k = t - 1
    before, after = result.points[k], result.points[t]
    eff = np.broadcast_to(np.asarray(result.effective_lr[k], dtype=float), (2,)) if result.effective_lr is not None \
        else np.full(2, float(result.lr[k]))
    m = result.momentum[k] if result.momentum is not None else result.grads[k]
    m_name = "m_t" if result.momentum is not None else "g_t"
    predicted = before - eff * m
    scale = max(float(np.abs(after - before).max()), 1e-300)
    exact = bool(np.all(np.isfinite(predicted))) and float(np.abs(predicted - after).max()) <= 1e-9 * scale + 1e-15 * float(np.abs(after).max())
    theta = r"\theta_{" + str(t) + "}"
    rel = "=" if exact else r"\approx"
    eq = (rf"{theta} = \theta_{{{k}}} - \frac{{\eta_t}}{{\sigma_t}} \odot {m_name}:\quad "
          rf"{_col(after, 7)} {rel} {_col(before, 7)} - {_col(eff)} \odot {_col(m)}")
    parts = [rf"\eta_t = {num(result.lr[k])}", rf"g_t = {_col(result.grads[k])}"]
    if result.sigma is not None:
        parts.append(rf"\sigma_t = {_col(result.sigma[k])}")
    if not exact:
        parts.append(rf"\Delta\theta = {_col(after - before)}")
    return eq, r",\quad ".join(parts), exact
