"""Numbers as a person reads them: significant digits, thousands separators, "—" for nothing."""
from __future__ import annotations

import math

NOTHING = "—"


def count(n) -> str:
    """A whole number with thousands separators (12,345), or "—"."""
    return NOTHING if n is None else f"{int(n):,}"


def sig(v, digits: int = 4) -> str:
    """A real number to `digits` significant digits (104,148 · 0.00123 · 1.5e-10), or "—" for
    nothing and for a number that is not finite."""
    if v is None or not math.isfinite(float(v)):
        return NOTHING
    v = float(v)
    if v != 0 and (abs(v) >= 1e9 or abs(v) < 1e-4):
        mantissa, exponent = f"{v:.{max(digits - 1, 0)}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}e{int(exponent)}"
    if abs(float(f"{v:.{digits}g}")) >= 10 ** digits:  # all the digits left of the point: 104,148, not 1.041e+05
        return f"{round(v):,}"
    return f"{v:,.{digits}g}"
