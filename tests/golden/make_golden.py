"""Produce tests/golden/torch_trajectories.json with real torch.optim + lr_scheduler.

    pip install torch==2.13.0   # CPU build; not a requirement of the app
    python tests/golden/make_golden.py

Each case is a Descent Lab scenario run (optimizer, params, schedule, start, surface). torch
steps a float64 parameter whose .grad is set from the surface's analytic gradient, so only the
optimizer and schedule arithmetic are compared. The canonical loop: opt.step(); sched.step()
(ReduceLROnPlateau: sched.step(loss at the step's starting point)).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from surfaces import get_surface  # noqa: E402

torch.set_default_dtype(torch.float64)  # torch keeps step counters in the default dtype
OUT = Path(__file__).with_name("torch_trajectories.json")
STEPS = 120

OPT_CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.005, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.004, "momentum": 0.8, "nesterov": True}),
    ("Adagrad", {"lr": 0.3}),
    ("Adagrad", {"lr": 0.5, "lr_decay": 0.01, "weight_decay": 0.02, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.003, "momentum": 0.7}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.03, "betas": [0.8, 0.99], "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.04, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.08, "betas": [0.7, 0.95], "weight_decay": 0.01}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.03, "momentum_decay": 0.01, "weight_decay": 0.02, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.04, "betas": [0.85, 0.99], "weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-4, 0.5]}),
]

SCHED_CASES = [
    ("SGD", {"lr": 0.01}, {"name": "StepLR", "params": {"step_size": 30, "gamma": 0.5}}),
    ("Adam", {"lr": 0.05}, {"name": "MultiStepLR", "params": {"milestones": [20, 50, 50, 90], "gamma": 0.5}}),
    ("Adam", {"lr": 0.05}, {"name": "ExponentialLR", "params": {"gamma": 0.98}}),
    ("Adam", {"lr": 0.05}, {"name": "CosineAnnealingLR", "params": {"T_max": 40, "eta_min": 0.001}}),
    ("SGD", {"lr": 0.01, "momentum": 0.5}, {"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 10, "T_mult": 2, "eta_min": 0.0001}}),
    ("Adam", {"lr": 0.05}, {"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 25}}),
    ("Adam", {"lr": 0.05}, {"name": "LinearLR", "params": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 30}}),
    ("Adam", {"lr": 0.05}, {"name": "LinearLR", "params": {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 60}}),
    ("Adam", {"lr": 0.05}, {"name": "ConstantLR", "params": {"factor": 0.25, "total_iters": 15}}),
    ("Adam", {"lr": 0.05}, {"name": "PolynomialLR", "params": {"total_iters": 100, "power": 2.0}}),
    ("SGD", {"lr": 0.01}, {"name": "OneCycleLR", "params": {"max_lr": 0.01, "total_steps": STEPS}}),
    ("Adam", {"lr": 0.05}, {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 150, "anneal_strategy": "linear", "three_phase": True}}),
    ("RMSprop", {"lr": 0.01}, {"name": "OneCycleLR", "params": {"max_lr": 0.01, "total_steps": STEPS, "pct_start": 0.25}}),
    ("Adagrad", {"lr": 0.3}, {"name": "OneCycleLR", "params": {"max_lr": 0.5, "total_steps": STEPS, "cycle_momentum": False}}),
    ("SGD", {"lr": 0.001, "momentum": 0.9}, {"name": "CyclicLR", "params": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 15}}),
    ("Adam", {"lr": 0.01}, {"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.08, "step_size_up": 10, "step_size_down": 20, "mode": "triangular2"}}),
    ("SGD", {"lr": 0.001}, {"name": "CyclicLR", "params": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 12, "mode": "exp_range", "gamma": 0.99, "cycle_momentum": False}}),
    ("Adam", {"lr": 0.05}, {"name": "SequentialLR", "params": {"schedulers": [
        {"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 20}},
        {"name": "CosineAnnealingLR", "params": {"T_max": 100, "eta_min": 0.001}}], "milestones": [20]}}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}, {"name": "SequentialLR", "params": {"schedulers": [
        {"name": "ConstantLR", "params": {"factor": 0.5, "total_iters": 10}},
        {"name": "ExponentialLR", "params": {"gamma": 0.97}},
        {"name": "StepLR", "params": {"step_size": 10, "gamma": 0.5}}], "milestones": [15, 60]}}),
    ("Adam", {"lr": 0.05}, {"name": "ReduceLROnPlateau", "params": {"factor": 0.5, "patience": 3, "threshold": 0.01, "cooldown": 2}}),
    ("SGD", {"lr": 0.02, "momentum": 0.9}, {"name": "ReduceLROnPlateau", "params": {"factor": 0.3, "patience": 2, "threshold_mode": "abs", "threshold": 0.05, "min_lr": 0.001}}),
    ("Adam", {"lr": 0.05}, {"name": "InverseSqrtLR", "params": {}}),
    ("Adam", {"lr": 0.05}, {"name": "NoamLR", "params": {"warmup_steps": 25}}),
]

SURFACE_STARTS = [("himmelblau", (-0.5, -0.5)), ("beale", (1.0, 1.5)), ("booth", (-8.0, -6.0))]

TORCH_CLASSES = {n: getattr(torch.optim, n) for n in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "Rprop"]}


def make_scheduler(opt, sched, steps):
    if sched is None:
        return None
    name, p = sched["name"], dict(sched["params"])
    S = torch.optim.lr_scheduler
    if name == "SequentialLR":
        subs = [make_scheduler(opt, s, steps) for s in p["schedulers"]]
        return S.SequentialLR(opt, subs, milestones=p["milestones"])
    if name == "InverseSqrtLR":
        return S.LambdaLR(opt, lambda t: 1 / math.sqrt(t + 1))
    if name == "NoamLR":
        w = p["warmup_steps"]
        return S.LambdaLR(opt, lambda t: math.sqrt(w) * min((t + 1) ** -0.5, (t + 1) * w**-1.5))
    if name == "OneCycleLR" and "pct_start" in p:
        p["pct_start"] = float(p["pct_start"])
    return getattr(S, name)(opt, **p)


def torch_trajectory(surface_name, start, optimizer, params, schedule=None, steps=STEPS, torch_optimizer=None):
    surface = get_surface(surface_name)
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}
    opt = (torch_optimizer or TORCH_CLASSES[optimizer])([theta], foreach=False, **kw)
    sched = make_scheduler(opt, schedule, steps)
    points, lrs = [list(start)], []
    for _ in range(steps):
        x = theta.detach().numpy().copy()
        f, g = surface.objective(x[None, :])
        theta.grad = torch.tensor(g[0], dtype=torch.float64)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(float(f[0]))
        elif sched is not None:
            sched.step()
        points.append(theta.detach().numpy().tolist())
    return np.array(points), np.array(lrs, dtype=float)


def all_cases():
    cases = []
    for surface, start in SURFACE_STARTS:
        for opt, params in OPT_CASES:
            cases.append({"surface": surface, "start": start, "optimizer": opt, "params": params, "schedule": None})
        for opt, params, sched in SCHED_CASES:
            cases.append({"surface": surface, "start": start, "optimizer": opt, "params": params, "schedule": sched})
    # The lecture's RMS with the η/√(t+1) decay is exactly torch's Adagrad with ε = 0.
    cases.append({"surface": "himmelblau", "start": (-0.5, -0.5), "optimizer": "Adagrad",
                  "params": {"lr": 0.5, "eps": 0.0}, "schedule": None, "as": {"optimizer": "LectureRMS", "params": {"lr": 0.5},
                  "schedule": {"name": "InverseSqrtLR", "params": {}}}})
    return cases


def main():
    out = []
    for case in all_cases():
        pts, lrs = torch_trajectory(case["surface"], case["start"], case["optimizer"], case["params"], case["schedule"])
        out.append({**case, "steps": STEPS, "points": pts.tolist(), "lr": lrs.tolist()})
    meta = {"torch": torch.__version__, "numpy": np.__version__, "steps": STEPS, "generator": "tests/golden/make_golden.py"}
    OUT.write_text(json.dumps({"meta": meta, "cases": out}))
    print(f"wrote {len(out)} cases to {OUT}")


if __name__ == "__main__":
    main()
