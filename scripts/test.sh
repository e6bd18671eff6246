#!/usr/bin/env bash
# Install what the tests need on a fresh machine, then lint and run the test suite.
# Browser tests use Debian's Chromium (/usr/bin/chromium) through Playwright; Playwright's own
# browser download is not used.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .
python3 -m pytest -q
