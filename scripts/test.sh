#!/usr/bin/env bash
# Install what the tests need on a fresh machine, then lint and run the test suite.
# Browser tests use Debian's Chromium (/usr/bin/chromium) through Playwright; Playwright's own
# browser download is not used. A CJK font (WenQuanYi Micro Hei) lets the browser tests and the
# GIF/PNG exports draw the Traditional Chinese texts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .
python3 -m pytest -q
