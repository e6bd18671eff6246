"""What a run is and what it leaves: its settings (RunSpec) and its per-step records (RunResult)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

DEFAULT_BOUND = 1e6  # |θ| beyond this in any coordinate: the run has diverged


@dataclass(frozen=True)
class RunSpec:
    """One run: validated optimizer settings, a schedule and a start point."""
    optimizer: str
    params: dict
    start: tuple[float, float]
    schedule: str = "none"
    schedule_params: dict = field(default_factory=dict)
    label: str = ""
    clip: tuple[str, float] | None = None  # ("norm", max_norm) or ("value", clip_value), as torch.nn.utils
    noise: tuple[float, int] | None = None  # (std, seed): Gaussian noise added to the gradient, a minibatch stand-in


@dataclass
class RunResult:
    spec: RunSpec
    points: np.ndarray  # (k+1, 2), or (k, 2) when diverged at k
    loss: np.ndarray  # one per point
    grads: np.ndarray  # (steps taken, 2): the gradient used at step t
    lr: np.ndarray  # (steps taken,): η_t
    sigma: np.ndarray | None  # (steps taken, 2) per-coordinate σ_t, None if the rule has none
    effective_lr: np.ndarray | None  # (steps taken, 2) η_t/σ_t
    momentum: np.ndarray | None  # (steps taken, 2) m_t, None if the rule keeps none
    diverged_at: int | None = None
    reason_text: str | None = None  # why it stopped: a template in English …
    reason_values: dict | None = None  # … and its values (the page translates the template)

    @property
    def reason(self) -> str | None:
        return None if self.reason_text is None else self.reason_text.format(**self.reason_values)

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.optimizer

    @property
    def steps_taken(self) -> int:
        return len(self.lr)

    def path_only(self) -> RunResult:
        """The same run without its per-step records (gradient, σ, η/σ, m): what a picture of the
        path needs, a third of the bytes to send to another process."""
        return replace(self, grads=None, sigma=None, effective_lr=None, momentum=None)


@dataclass
class FinalState:
    """Where every run ended (record="final"): points (R, 2) and loss (R,), in the caller's order."""
    points: np.ndarray
    loss: np.ndarray


class Records:
    """The per-step records of R runs over n steps, stored step-major ((n+1, R, 2) points, (n+1, R)
    losses, (n, R, 2) gradients, σ_t, η_t/σ_t and m_t) as the loops write them. record: "full",
    "path" (points and losses) or "final" (none). filled=False leaves them uninitialised: the
    compiled loop writes every number (NaN where it stops early), so 77 MB for the largest page run
    are not first filled with NaN."""

    def __init__(self, n: int, R: int, record: str, filled: bool = True):
        new = (lambda shape: np.full(shape, np.nan)) if filled else np.empty
        self.n, self.full = n, record == "full"
        self.points = self.loss = self.grads = self.sigma = self.eff = self.mom = None
        if record != "final":
            self.points, self.loss = new((n + 1, R, 2)), new((n + 1, R))
        if self.full:
            self.grads, self.sigma, self.eff, self.mom = (new((n, R, 2)) for _ in range(4))

    def arrays(self) -> tuple:
        return self.points, self.loss, self.grads, self.sigma, self.eff, self.mom

    def result(self, i: int, spec: RunSpec, lr: np.ndarray, diverged_at: int | None, reason,
               has_sigma: bool, has_mom: bool) -> RunResult:
        """Row i as one run's result, cut where it diverged. Views into the step-major records, not
        copies: the largest page run holds 61 MB of records, and copying them run by run doubled
        the peak. A view is pickled (to the worker's caller) as its own contiguous array."""
        k, full = diverged_at, self.full
        taken = self.n if k is None else max(k, 0)
        npts = self.n + 1 if k is None else max(k, 0)
        return RunResult(spec, self.points[:npts, i], self.loss[:npts, i],
                         self.grads[:taken, i] if full else None, np.array(lr[:taken], dtype=float),
                         self.sigma[:taken, i] if full and has_sigma else None,
                         self.eff[:taken, i] if full else None,
                         self.mom[:taken, i] if full and has_mom else None,
                         k, *(reason or (None, None)))

