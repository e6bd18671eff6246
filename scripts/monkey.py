"""Monkey test of the page from the command line: random user actions in a real Chromium against
a real `streamlit run`, with the page's health checked after every action (harness/monkey.py).

    python3 scripts/monkey.py --seed 1 --actions 25            # one seed
    python3 scripts/monkey.py --seed 1 --actions 25 --seeds 3  # seeds 1, 2, 3
    python3 scripts/monkey.py --script "language(); tour(0)"   # exactly these actions (as printed)
    python3 scripts/monkey.py --plan --seed 1 --actions 25     # only print the sequence a seed makes
    python3 scripts/monkey.py --root /tmp/other-checkout ...    # against another copy of the app

Every failure is printed with its seed, the action's number, the sequence so far and what was
wrong; the last line is "N passed, M failed" (actions whose checks passed / failed).
Exit status 1 when any action failed.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.monkey import ROOT, distinct, monkey_server, parse_actions, plan, run_seed  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="the first seed (default 1)")
    ap.add_argument("--actions", type=int, default=25, help="actions per seed (default 25)")
    ap.add_argument("--seeds", type=int, default=1, help="how many seeds, from --seed on (default 1)")
    ap.add_argument("--script", action="append",
                    help="run these actions instead of random ones, e.g. \"language(); tour(0)\" (repeatable: each script "
                         "runs in a fresh browser context, numbered as seeds 1, 2, …)")
    ap.add_argument("--plan", action="store_true", help="print each seed's action sequence and exit (no browser)")
    ap.add_argument("--root", default=str(ROOT), help="the app's directory (default: this repository)")
    ap.add_argument("--log", help="keep the server's stderr in this file (default: a temporary file)")
    ap.add_argument("--settle-timeout", type=float, default=60.0, help="seconds an action may keep the app running (default 60)")
    ap.add_argument("--artifacts", help="save a screenshot of the page at each failure in this directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every action as it is done")
    args = ap.parse_args(argv)

    scripts = [parse_actions(text) for text in args.script or []]
    seeds = list(range(1, len(scripts) + 1)) if scripts else list(range(args.seed, args.seed + max(1, args.seeds)))
    if args.plan:
        for s in seeds:
            sequence = scripts[s - 1] if scripts else plan(random.Random(s), args.actions)
            print(f"seed {s}: " + "; ".join(map(str, sequence)))
        return 0

    from playwright.sync_api import sync_playwright

    from harness.browser import launch

    say = (lambda s: print(s, flush=True)) if args.verbose else None
    passed = failed = skipped = 0
    failures = []
    t0 = time.monotonic()
    with monkey_server(args.root, log_path=args.log) as server, sync_playwright() as p:
        browser = launch(p)
        try:
            for s in seeds:
                script = scripts[s - 1] if scripts else None
                report = run_seed(browser, server.url, s, args.actions, server_log=server.log, verbose=say, script=script,
                                  artifacts=args.artifacts, settle_timeout=args.settle_timeout)
                failures += report.failures
                for f in report.failures:
                    print(f.format(), flush=True)
                print(f"# seed {s}: {report.passed} passed, {report.failed} failed, {report.skipped} skipped, "
                      f"{report.seconds:.0f} s", flush=True)
                passed, failed, skipped = passed + report.passed, failed + report.failed, skipped + report.skipped
        finally:
            browser.close()
    groups = distinct(failures)
    if groups:
        print(f"# {len(groups)} distinct problem(s):")
        for sig, fs in groups.items():
            first = fs[0]
            print(f"#   {sig}  — {len(fs)}×, first: seed {first.seed} action {first.index + 1} ({first.actions[-1]})")
    print(f"# {len(seeds)} seed(s), {skipped} action(s) skipped (their widget was not on the page), "
          f"{time.monotonic() - t0:.0f} s in all; server log: {server.log_path}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
