"""Error surfaces: value, analytic gradient, view domain and known critical points.

Imports neither Streamlit nor Plotly, nor the optimizers.
"""
from __future__ import annotations

from .base import GLOBAL_MIN, LOCAL_MAX, LOCAL_MIN, SADDLE, CriticalPoint, Surface
from .custom import CUSTOM, FormulaSpec, formula_surface, parse_domain
from .lecture import LECTURE
from .parse import FormulaError
from .standard import STANDARD

SURFACES: dict[str, Surface] = {s.name: s for s in LECTURE + STANDARD}


def get_surface(name: str) -> Surface:
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}") from None


__all__ = ["CUSTOM", "FormulaSpec", "FormulaError", "formula_surface", "parse_domain", "SURFACES", "Surface", "CriticalPoint", "get_surface", "GLOBAL_MIN", "LOCAL_MIN", "SADDLE", "LOCAL_MAX"]
