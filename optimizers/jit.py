"""Compile with numba when it is installed; otherwise the very same functions run as plain Python.

Every update rule, the gradient noise and clipping, and ReduceLROnPlateau are written once, as
scalar arithmetic over rows (optimizers/torch_rules.py, lecture_rules.py, extra_rules.py,
schedules.py, tables.py). numba makes them machine code (requirements.txt installs it); without it,
or with `simulate(..., compiled=False)`, the same code runs in the interpreter: the same numbers,
about a hundred times slower.
"""
from __future__ import annotations

try:
    import numba
except ImportError:  # pragma: no cover - requirements.txt installs numba
    numba = None

AVAILABLE = numba is not None


def jit(function):
    """numba.njit(cache=True, nogil=True) when numba is there, else the function itself.
    nogil: the compiled code runs without the interpreter's lock (other students' pages go on)."""
    if numba is None:
        return function
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # no writable place for numba's cache: compile in every process instead
        return numba.njit(nogil=True)(function)


def plain(function):
    """The Python function behind a compiled one (itself without numba)."""
    return getattr(function, "py_func", function)
