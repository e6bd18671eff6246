#!/usr/bin/env bash
# Install what the tests need on a fresh machine, then lint and run the test suite.
# Browser tests use Debian's Chromium (/usr/bin/chromium) through Playwright; Playwright's own
# browser download is not used. A CJK font (WenQuanYi Micro Hei) lets the browser tests and the
# GIF/PNG exports draw the Traditional Chinese texts. Caddy (and brotli) for scripts/serve.sh's
# replicas behind a proxy (tests/test_replicas.py); only the package, its service is not used.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ! command -v caddy >/dev/null \
        || ! command -v brotli >/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei caddy brotli >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt
python3 -m ruff check .
python3 -m pytest -q
