"""Descent Lab from the command line.

    python cli.py trace SCENARIO.json     trajectories as JSON on stdout
    python cli.py list                    surfaces, optimizers and schedules with their parameters
    python cli.py export SCENARIO.json --html out.html --gif out.gif --csv out.csv --png out.png
                                          [--json F] [--mp4 F] [--frames N] [--step K] [--fit] [--lang zh-TW]
    python cli.py formula "x^2 + 10*y^2" [--domain X0 X1 Y0 Y1]
                                          a typed surface: its exact gradient and estimated minima, as JSON

A scenario file's "surface" is a name from `list` or {"formula": "…", "domain": [[x0, x1], [y0, y1]]}.

A bad scenario exits with status 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from records import trace_dict, trajectories_csv
from scenario import MAX_FILE_BYTES, parse_surface, read_scenario_json, run_scenario
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
        write(args.csv, trajectories_csv(results))
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
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            print(listing())
        elif args.cmd == "formula":
            json.dump(formula(args.text, args.domain), sys.stdout, allow_nan=False, ensure_ascii=False)
            sys.stdout.write("\n")
        elif args.cmd == "export":
            print("\n".join(export(args)))
        else:
            json.dump(trace(args.scenario), sys.stdout, allow_nan=False)
            sys.stdout.write("\n")
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
