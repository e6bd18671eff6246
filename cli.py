"""Descent Lab from the command line.

    python cli.py trace SCENARIO.json     trajectories as JSON on stdout
    python cli.py list                    surfaces, optimizers and schedules with their parameters
    python cli.py export SCENARIO.json --html out.html --gif out.gif --csv out.csv --png out.png
                                          [--json F] [--mp4 F] [--frames N] [--step K] [--fit] [--lang zh-TW]
    python cli.py map SCENARIO.json --json F --png F [--cells N] [--steps N] [--run I]
                                          fate map: where one run's settings lead from every start
    python cli.py sweep SCENARIO.json --json F --png F [--param NAME] [--lr LOW HIGH N] [--values LOW HIGH N]
                                          learning rate × a second parameter: final loss, steps, diverged
    python cli.py tune SCENARIO.json [--by loss|steps]
                                          a fair comparison: each run's best learning rate (a log-spaced
                                          search, diverged runs excluded), as JSON
    python cli.py formula "x^2 + 10*y^2" [--domain X0 X1 Y0 Y1]
                                          a typed surface: its exact gradient and estimated minima, as JSON

A scenario file's "surface" is a name from `list` or {"formula": "…", "domain": [[x0, x1], [y0, y1]]}.

A bad scenario exits with status 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from experiments.records import trace_dict, trajectories_csv
from experiments.scenario import MAX_FILE_BYTES, parse_surface, read_scenario_json, run_scenario, run_tune, tune_dict
from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from surfaces import SURFACES


def trace(path: str) -> dict:
    scenario = load_scenario(path)
    return trace_dict(scenario, run_scenario(scenario))


def load_scenario(path: str):
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ValidationError(f"cannot read {path}: {e.strerror}") from None
    return read_scenario_json(raw, path)


def export(args) -> list[str]:
    """Write the files asked for; returns one line per file written."""
    from i18n import translator
    from views import export as ex
    from views.mapfig import fit_view, map_figure

    scenario = load_scenario(args.scenario)
    results = run_scenario(scenario)
    surface, tr = scenario.surface_obj, translator(args.lang)
    view = fit_view(surface, results) if args.fit else surface.domain
    title = args.title or tr(surface.title)
    done = []

    def write(path, data: bytes | str):
        mode = "w" if isinstance(data, str) else "wb"
        with open(path, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            fh.write(data)
        done.append(f"wrote {path} ({len(data.encode() if isinstance(data, str) else data):,} bytes)")

    if args.json:
        write(args.json, json.dumps(trace_dict(scenario, results), allow_nan=False))
    if args.csv:
        write(args.csv, trajectories_csv(scenario.surface_obj, results))
    if args.html:
        write(args.html, ex.html_bytes(map_figure(surface, results, None, view, tr=tr), title, tr(surface.description), args.lang))
    if args.png:
        write(args.png, ex.png_bytes(ex.frame_image(surface, results, None, view, step=args.step, tr=tr, title=title)))
    if args.gif or args.mp4:
        frames = ex.animation_frames(surface, results, None, view, frames=args.frames, tr=tr, title=title)
        if args.gif:
            write(args.gif, ex.gif_bytes(frames))
        if args.mp4:
            if not ex.mp4_available():
                raise ValidationError("MP4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg)")
            write(args.mp4, ex.mp4_bytes(frames))
    if not done:
        raise ValidationError("nothing to export: give at least one of --json, --csv, --html, --png, --gif, --mp4")
    return done


def _with(scenario, key: str, changes: dict):
    """The scenario with its map/sweep section updated from command-line options (validated)."""
    from experiments.scenario import parse_scenario
    data = scenario.to_dict()
    section = dict(data.get(key) or {})
    section.update({k: v for k, v in changes.items() if v is not None})
    data[key] = section
    return parse_scenario(data)


def _write_all(args, payload: dict, png) -> list[str]:
    done = []
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, allow_nan=False)
        done.append(f"wrote {args.json}")
    if args.png:
        data = png()
        with open(args.png, "wb") as fh:
            fh.write(data)
        done.append(f"wrote {args.png} ({len(data):,} bytes)")
    if not done:
        raise ValidationError("nothing to write: give --json and/or --png")
    return done


def fate(args) -> list[str]:
    from experiments.scenario import outcome_dict, run_fate_map
    from views.fatefig import fate_png
    scenario = _with(load_scenario(args.scenario), "map", {"cells": args.cells, "steps": args.steps, "run": args.run})
    fm, minima, settings = run_fate_map(scenario)
    payload = {"settings": settings, "x": fm.xs.tolist(), "y": fm.ys.tolist(), "minima": [list(m) for m in minima],
               "legend": {"-1": "diverged", "-2": "still moving", "k >= 0": "reached minimum k"},
               **outcome_dict(fm.outcome, (len(fm.ys), len(fm.xs)))}
    return _write_all(args, payload, lambda: fate_png(scenario.surface_obj, fm, minima))


def sweep(args) -> list[str]:
    from experiments.scenario import outcome_dict, run_sweep
    from views.fatefig import sweep_png
    scenario = _with(load_scenario(args.scenario), "sweep", {"param": args.param, "steps": args.steps, "run": args.run,
                                                             "lr": args.lr, "values": args.values})
    sw, settings = run_sweep(scenario)
    payload = {"settings": settings, "lr": sw.lrs.tolist(), "param": sw.name, "values": sw.values.tolist(),
               **outcome_dict(sw.outcome, (len(sw.values), len(sw.lrs)))}
    return _write_all(args, payload, lambda: sweep_png(sw))


def formula(text: str, domain) -> dict:
    """A typed surface as JSON: the formula as read, its gradient (text and LaTeX), minima estimates."""
    from surfaces.parse import FUNCTIONS

    spec = parse_surface({"formula": text, "domain": [domain[:2], domain[2:]]})
    s = spec.surface
    return {"formula": s.description.removeprefix("f(x, y) = "), "domain": spec.to_dict()["domain"],
            "latex": s.formula, "gradient_latex": list(s.gradient_formula),
            "default_start": list(s.default_start), "functions": sorted(FUNCTIONS),
            "estimated_minima": [{"x": p.x, "y": p.y, "value": p.value, "kind": p.kind} for p in s.minima]}


def listing() -> str:
    lines = ["SURFACES"]
    for s in SURFACES.values():
        lines.append(f"  {s.name:20s} {s.description}")
    lines.append(f"  {'(typed)':20s} {{\"formula\": \"x^2 + 10*y^2\", \"domain\": [[-3, 3], [-3, 3]]}}: "
                 "+ - * / ^ **, x, y, pi, e, sin cos tan exp log log10 sqrt abs tanh sinh cosh atan min max")
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
    fm = sub.add_parser("formula", help="read a typed surface f(x, y): print its gradient and estimated minima as JSON")
    fm.add_argument("text", help='the formula, e.g. "x^2 + 10*y^2" (quote it for the shell)')
    fm.add_argument("--domain", type=float, nargs=4, default=[-3.0, 3.0, -3.0, 3.0], metavar=("X0", "X1", "Y0", "Y1"),
                    help="the view (default -3 3 -3 3)")
    e = sub.add_parser("export", help="run a scenario and write data files, a standalone HTML page, pictures")
    e.add_argument("scenario")
    for ext, what in (("json", "trajectories as JSON (as `trace` prints)"), ("csv", "trajectories, one row per run and step"),
                      ("html", "the animated map, a standalone page that plays offline"), ("png", "one frame (see --step)"),
                      ("gif", "the animation"), ("mp4", "the animation as H.264 video (needs imageio-ffmpeg)")):
        e.add_argument(f"--{ext}", metavar="FILE", help=what)
    e.add_argument("--frames", type=int, default=150, help="frames in the GIF/MP4, 2–300 (default 150 = 6 s)")
    e.add_argument("--step", type=int, default=None, help="the step the PNG shows (default: the last)")
    e.add_argument("--fit", action="store_true", help="widen the view to the whole paths")
    e.add_argument("--lang", choices=["en", "zh-TW"], default="en", help="language of the texts in the pictures")
    e.add_argument("--title", default="", help="title drawn in the pictures (default: the surface's name)")
    for name, what in (("map", "fate map of one run's settings over a grid of starts"),
                       ("sweep", "learning rate × a second parameter for one run")):
        m = sub.add_parser(name, help=what)
        m.add_argument("scenario")
        m.add_argument("--json", metavar="FILE", help="the grid of outcomes as JSON")
        m.add_argument("--png", metavar="FILE", help="the grid as a picture")
        m.add_argument("--run", type=int, default=None, help="which run's settings (default: the scenario's, else 0)")
        m.add_argument("--steps", type=int, default=None, help="steps per start (≤ 5,000)")
        if name == "map":
            m.add_argument("--cells", type=int, default=None, help="cells per side (2–200, default 60)")
        else:
            m.add_argument("--param", default=None, help="the second parameter (e.g. momentum, beta1, alpha)")
            m.add_argument("--lr", type=float, nargs=3, default=None, metavar=("LOW", "HIGH", "N"), help="log-spaced")
            m.add_argument("--values", type=float, nargs=3, default=None, metavar=("LOW", "HIGH", "N"), help="linear")
    tn = sub.add_parser("tune", help="each run's best learning rate: a log-spaced search, printed as JSON")
    tn.add_argument("scenario")
    tn.add_argument("--by", choices=["loss", "steps"], default="loss",
                    help="lowest final loss (default) or fewest steps to within the tolerance of a minimum")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            print(listing())
        elif args.cmd == "map":
            print("\n".join(fate(args)))
        elif args.cmd == "sweep":
            print("\n".join(sweep(args)))
        elif args.cmd == "formula":
            json.dump(formula(args.text, args.domain), sys.stdout, allow_nan=False, ensure_ascii=False)
            sys.stdout.write("\n")
        elif args.cmd == "export":
            print("\n".join(export(args)))
        elif args.cmd == "tune":
            scenario = load_scenario(args.scenario)
            json.dump(tune_dict(scenario, run_tune(scenario, args.by), args.by), sys.stdout, allow_nan=False)
            sys.stdout.write("\n")
        else:
            json.dump(trace(args.scenario), sys.stdout, allow_nan=False)
            sys.stdout.write("\n")
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
