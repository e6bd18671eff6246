"""Descent Lab from the command line.

    python cli.py trace SCENARIO.json     trajectories as JSON on stdout
    python cli.py list                    surfaces, optimizers and schedules with their parameters

A bad scenario exits with status 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from scenario import parse_scenario, run_scenario
from surfaces import SURFACES

MAX_FILE_BYTES = 1_000_000


def _clean(a):
    """Arrays → nested lists with NaN/inf as null (strict JSON)."""
    if a is None:
        return None
    out = np.asarray(a, dtype=float).tolist()

    def fix(v):
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v if math.isfinite(v) else None
    return fix(out)


def trace(path: str) -> dict:
    scenario = load_scenario(path)
    runs = []
    for r in run_scenario(scenario):
        runs.append({"label": r.label, "optimizer": r.spec.optimizer, "schedule": r.spec.schedule,
                     "points": _clean(r.points), "loss": _clean(r.loss), "grads": _clean(r.grads), "lr": _clean(r.lr),
                     "sigma": _clean(r.sigma), "effective_lr": _clean(r.effective_lr), "momentum": _clean(r.momentum),
                     "diverged_at": r.diverged_at, "reason": r.reason})
    return {"scenario": scenario.to_dict(), "runs": runs}


def load_scenario(path: str):
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ValidationError(f"cannot read {path}: {e.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=lambda c: float(c))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValidationError(f"{path} is not valid JSON: {str(e)[:100]}") from None
    return parse_scenario(data)


def listing() -> str:
    lines = ["SURFACES"]
    for s in SURFACES.values():
        lines.append(f"  {s.name:20s} {s.description}")
    lines.append("\nOPTIMIZERS (name: parameter=default, allowed range)")
    for o in OPTIMIZERS.values():
        lines.append(f"  {o.name} [{o.source}]")
        for k, p in o.params.items():
            lines.append(f"      {k + '=' + repr(p.default):34} {p.range_text():36} {p.doc}")
    lines.append("\nSCHEDULES")
    for sc in SCHEDULES.values():
        lines.append(f"  {sc.name} [{sc.source}]  {(sc.__doc__ or '').strip().splitlines()[0]}")
        for k, p in sc.params.items():
            lines.append(f"      {k + '=' + repr(p.default):34} {p.range_text():36} {p.doc}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="cli.py", description="Descent Lab: optimizer trajectories on 2-D surfaces")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trace", help="run a scenario and print its trajectories as JSON")
    t.add_argument("scenario")
    sub.add_parser("list", help="list surfaces, optimizers, schedules and their parameters")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            print(listing())
        else:
            json.dump(trace(args.scenario), sys.stdout, allow_nan=False)
            sys.stdout.write("\n")
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
