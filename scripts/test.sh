#!/usr/bin/env bash
# Install what the tests need on a fresh machine, then lint and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .
python3 -m pytest -q
