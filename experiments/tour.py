"""The lecture tour: presets that replay Hung-yi Lee's story (ML 2021, adaptive learning rate)
on the lecture's own error surface, one click each, each with a short explanation.

Plain data (scenario dicts in the cli.py / experiments/scenario.py format); tests/test_tour.py checks every
claim a text makes against the engine's numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

LECTURE_START = [-120.0, -4.0]
LR_EDGE = 1.1449e-6  # just below 2/λ_max = 1.14493e-6 for the lecture surface


@dataclass(frozen=True)
class Preset:
    key: str
    name: str  # the scene's name; a tour scene's number comes from its place in PRESETS
    text: str
    scenario: dict
    fit_view: bool = False  # widen the view to whole paths (they leave the surface window)
    tour: bool = True  # part of the numbered lecture tour
    inset: int = 0  # > 0: the map shows the most-moving coordinate against t for this many first steps

    def heading(self, tr=None) -> str:
        """"6 · The burst" for a tour scene (its number is its place in the tour), else the name;
        tr: the page's translator."""
        name = tr(self.name) if tr else self.name
        tour = [p.key for p in PRESETS if p.tour]
        return f"{tour.index(self.key) + 1} · {name}" if self.key in tour else name

    @property
    def title(self) -> str:
        return self.heading()


def _lecture(steps: int, runs: list[dict]) -> dict:
    return {"surface": "lecture_regression", "start": LECTURE_START, "steps": steps, "runs": runs}


PRESETS: list[Preset] = [
    Preset("stuck", "Stuck, but not at a critical point",
           "Plain gradient descent with a large fixed learning rate, η = 1.1449×10⁻⁶, just below 2/λ_max. "
           "The path bounces from wall to wall across the narrow valley: the loss hardly falls (watch the loss "
           "row), yet the gradient norm stays above 10⁷. Training is stuck, but this is no critical point. The stability row "
           "says why the bounce never ends: η·λ_max/2 = 0.99997, just under the edge at 1, so the swing across the valley "
           "neither grows nor dies out.",
           _lecture(1000, [{"optimizer": "SGD", "params": {"lr": LR_EDGE}, "label": "SGD, η = 1.1449e-6"}]),
           fit_view=True, inset=20),
    Preset("crawl", "A tiny learning rate crawls",
           "With η = 10⁻⁷ the bouncing stops, but the valley floor is almost flat: after 100,000 updates b has "
           "only moved from −120 to about −123.7; the minimum is at b = −188.4. No single fixed η suits both "
           "the steep walls and the flat floor.",
           _lecture(100_000, [{"optimizer": "SGD", "params": {"lr": 1e-7}, "label": "SGD, η = 1e-7"}])),
    Preset("rms", "RMS: a step size for each parameter",
           "The lecture's Root Mean Square: θ ← θ − (η/σ)·g, with σ the root mean square of all past gradients, "
           "per coordinate. Steep w gets a large σ and a small step, flat b a small σ and a large step: "
           "with η = 1 the path drops onto the valley floor in a few steps and then walks along it.",
           _lecture(300, [{"optimizer": "LectureRMS", "params": {"lr": 1.0}, "label": "Lecture RMS, η = 1"}])),
    Preset("rmsprop", "RMSProp: σ follows where the path is now",
           "RMS weighs every past gradient equally, so on the flat floor its σ still remembers the steep first steps and "
           "its steps stay short. RMSProp keeps a weight α on the past σ: with α = 0.9 the current gradient counts for "
           "10%, and by step 300 its σ is about a twentieth of RMS's. With the same η = 0.1, after 2,000 steps RMS has "
           "only reached b ≈ −127; RMSProp is at b ≈ −186, 2.4 from the minimum and at a lower loss. The stability row "
           "shows the price of reacting fast: from step 140 RMSProp's S_t/T crosses 1 again and again (short shaded "
           "stretches: σ drops, the step overshoots, σ catches up), while RMS stays below 0.07.",
           _lecture(2000, [{"optimizer": "LectureRMS", "params": {"lr": 0.1}, "label": "Lecture RMS, η = 0.1"},
                           {"optimizer": "LectureRMSProp", "params": {"lr": 0.1, "alpha": 0.9},
                            "label": "Lecture RMSProp, η = 0.1, α = 0.9"}])),
    Preset("adam", "Adam = RMSProp + momentum",
           "Three runs side by side. RMSprop (η = 1) adapts σ but zig-zags and bursts on the floor; momentum SGD "
           "(η = 10⁻⁶, μ = 0.9) is smooth but still crawls; Adam (η = 1), RMSProp's σ plus momentum's "
           "average direction (and a bias correction), goes straight to the minimum. In the stability row only RMSprop "
           "crosses 1 (first at step 82), and each of its bursts follows such a stretch; momentum keeps Adam below 0.3.",
           _lecture(3000, [{"optimizer": "RMSprop", "params": {"lr": 1.0}, "label": "RMSprop, η = 1"},
                           {"optimizer": "SGD", "params": {"lr": 1e-6, "momentum": 0.9}, "label": "SGD + momentum 0.9"},
                           {"optimizer": "Adam", "params": {"lr": 1.0}, "label": "Adam, η = 1"}]),
           fit_view=True),
    Preset("burst", "The burst",
           "Scene 3's RMS (η = 1), run longer. On the flat floor the w-gradients are tiny, so their average σ shrinks, η/σ grows, and "
           "around step 700 the path shoots out sideways, past the |w| = 5 edge of the window, before σ catches "
           "up and it falls back. Watch σ fall and η/σ rise in the rows below just before the long steps. The stability "
           "row sees it coming: S_t/T crosses 1 at step 513, 200 steps before the path shoots out at step 713.",
           _lecture(3000, [{"optimizer": "LectureRMS", "params": {"lr": 1.0}, "label": "Lecture RMS, η = 1"}]),
           fit_view=True),
    Preset("decay", "Learning-rate decay removes the bursts",
           "Learning-rate scheduling: let η shrink as training goes on, η_t = η/√(t+1). The decayed run "
           "(η = 10) has no burst at all and ends at the minimum; the constant-η run beside it bursts again "
           "and again along the way. (RMS with this decay is exactly torch's Adagrad with ε = 0.)",
           _lecture(10_000, [{"optimizer": "LectureRMS", "params": {"lr": 1.0}, "label": "RMS, η = 1 (constant)"},
                             {"optimizer": "LectureRMS", "params": {"lr": 10.0}, "schedule": {"name": "InverseSqrtLR"},
                              "label": "RMS, η = 10/√(t+1)"}]),
           fit_view=True),
    Preset("warmup", "Warm-up: rise, then decay",
           "At the start σ rests on one or two gradients and cannot be trusted. Adam with η = 20 and cosine decay "
           "takes its longest step first (28 units), which throws w out to 16, far outside the window. With warm-up, "
           "η rises from 0.2 to 20 over the first 100 steps and then decays: no step is longer than 2, and the "
           "path reaches the minimum sooner (the summary's steps to within tolerance).",
           _lecture(2000, [{"optimizer": "Adam", "params": {"lr": 20.0},
                            "schedule": {"name": "CosineAnnealingLR", "params": {"T_max": 2000}},
                            "label": "Adam, η = 20, cosine, no warm-up"},
                           {"optimizer": "Adam", "params": {"lr": 20.0}, "warmup": {"steps": 100, "start_factor": 0.01},
                            "schedule": {"name": "CosineAnnealingLR", "params": {"T_max": 1900}},
                            "label": "Adam, η = 20, warm-up 100 + cosine"}]),
           fit_view=True),
    # More scenes, outside the numbered tour.
    Preset("plateau", "Plateau: a small gradient, far from the minimum",
           "On a nearly flat plain the gradient is about 0.009: plain SGD (η = 0.1) barely moves in 3,000 steps, "
           "although the minimum is 9 units away. A small gradient does not mean a critical point. Adam divides "
           "by σ, so its steps do not shrink with the slope, and it crosses the plain.",
           {"surface": "plateau", "steps": 3000, "runs": [{"optimizer": "SGD", "params": {"lr": 0.1}, "label": "SGD, η = 0.1"},
                                                          {"optimizer": "Adam", "params": {"lr": 0.05}, "label": "Adam, η = 0.05"}]},
           tour=False),
    Preset("rmsprop_start", "Lecture RMSProp vs torch RMSprop: the first step",
           "The lecture starts σ at |g₀|; torch.optim.RMSprop starts its average at 0, so its first steps are "
           "1/√(1−α) = 10× longer (α = 0.99). Same η = 1, same surface: compare the first step lengths.",
           _lecture(300, [{"optimizer": "LectureRMSProp", "params": {"lr": 1.0, "alpha": 0.99}, "label": "Lecture RMSProp (σ₀ = |g₀|)"},
                          {"optimizer": "RMSprop", "params": {"lr": 1.0, "alpha": 0.99}, "label": "torch RMSprop (zero start)"}]),
           fit_view=True, tour=False),
    Preset("rosenbrock", "Rosenbrock's curved valley",
           "The classic banana valley. Momentum SGD (η = 10⁻³, μ = 0.9) first zig-zags across the valley, then rolls "
           "along its curved floor to the minimum. Adam (η = 0.05) follows the floor and arrives as soon (both within "
           "tolerance by step 1,300). RMSprop (η = 0.01) never settles: its steps stay about 0.014 long, it keeps jumping "
           "across the floor, and after 3,000 steps it is still 0.06 from the minimum.",
           {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 3000,
            "runs": [{"optimizer": "SGD", "params": {"lr": 1e-3, "momentum": 0.9}, "label": "SGD + momentum"},
                     {"optimizer": "RMSprop", "params": {"lr": 1e-2}, "label": "RMSprop"},
                     {"optimizer": "Adam", "params": {"lr": 0.05}, "label": "Adam"}]},
           tour=False),
]

BY_KEY = {p.key: p for p in PRESETS}
DEFAULT = "burst"
