"""Update rules, learning-rate schedules and the batched trajectory engine.

Imports neither Streamlit nor Plotly, nor the surfaces: the engine steps any objective
θ (R, 2) → (loss (R,), gradient (R, 2)).
"""
from .base import Optimizer
from .engine import RunResult, RunSpec, simulate
from .params import Param, Phrase, ValidationError
from .registry import OPTIMIZERS
from .schedules import SCHEDULES, Schedule

__all__ = ["OPTIMIZERS", "SCHEDULES", "Optimizer", "Schedule", "Param", "Phrase", "ValidationError",
           "RunSpec", "RunResult", "simulate"]
