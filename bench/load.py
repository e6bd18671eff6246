"""Load benchmark: a class of students on one server. Run: python bench/load.py --help
(the sessions, rounds and figures are harness/load.py's, which tests/test_load.py also drives)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.load import main  # noqa: E402

if __name__ == "__main__":
    main()
