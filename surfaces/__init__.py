"""Error surfaces: value, analytic gradient, view domain and known critical points.

Imports neither Streamlit nor Plotly, nor the optimizers.
"""
from __future__ import annotations

from .base import GLOBAL_MIN, LOCAL_MAX, LOCAL_MIN, SADDLE, CriticalPoint, Objective, Surface
from .custom import CUSTOM, FormulaSpec, formula_surface, parse_domain
from .lecture import LECTURE
from .parse import FormulaError
from .standard import STANDARD

SURFACES: dict[str, Surface] = {s.name: s for s in LECTURE + STANDARD}


def _compiled(value_and_grad, form: str):
    """The compiled form ("point", "into", "hessian" or "lens") of a built-in surface's formula; None for a typed
    formula, or without numba (or a writable cache for it). Imported on first use: numba's
    import and loading the compiled objectives cost ~0.5 s that `cli.py list` need not pay."""
    try:
        from . import compiled
    except (ImportError, RuntimeError, OSError):
        return None
    return {"point": compiled.point_for, "into": compiled.into_for, "hessian": compiled.hessian_for, "lens": compiled.lens_for}[form](value_and_grad)


Objective.compiled = staticmethod(_compiled)


def get_surface(name: str) -> Surface:
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}") from None


__all__ = ["CUSTOM", "FormulaSpec", "FormulaError", "formula_surface", "parse_domain", "SURFACES", "Surface", "CriticalPoint", "get_surface", "GLOBAL_MIN", "LOCAL_MIN", "SADDLE", "LOCAL_MAX"]
