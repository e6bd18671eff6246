"""Run the page's hypothesis state machine (tests/test_page_state.py) for longer than CI does.

    python3 scripts/stateful.py --examples 200 --steps 8 --seed 7

Prints pytest's outcome and, last, one line "N passed, M failed" (examples run; a failure
stops the run with hypothesis's shrunk sequence of actions printed above).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--steps", type=int, default=8, help="actions per example")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    env = dict(os.environ, STATEFUL_EXAMPLES=str(a.examples), STATEFUL_STEPS=str(a.steps))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
                          f"--hypothesis-seed={a.seed}", "tests/test_page_state.py::test_the_page_holds_together"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    text = out.stdout + out.stderr
    print("\n".join(line for line in text.splitlines() if "ScriptRunContext" not in line))
    m = re.search(r"(\d+) passing examples, (\d+) failing examples", text)
    passed, failed = (int(m.group(1)), int(m.group(2))) if m else (0, 1 if out.returncode else 0)
    print(f"{passed} passed, {failed} failed")
    return 1 if out.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
