"""Shared helpers for browser tests and bench/app.py: a real `streamlit run` on loopback and
Debian's Chromium driven by Playwright."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART = ".js-plotly-plot .main-svg"
GD = "document.querySelectorAll('.js-plotly-plot')[{i}]"


def require_chromium() -> None:
    """Skip the calling test module when Debian's Chromium is not installed."""
    import pytest
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (bash scripts/test.sh installs it)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The server's URL, which also knows the server's process id (for memory figures)."""
    pid: int


@contextlib.contextmanager
def streamlit_server(timeout: float = 60.0, extra: list[str] | tuple = (), env: dict | None = None,
                     root: str | Path = ROOT, log_path: str | None = None):
    """Start `streamlit run app.py` in `root` on 127.0.0.1 (with the repository's
    .streamlit/config.toml and any `extra` command-line options) and yield its URL; stop it
    afterwards. With `log_path`, the server's stderr goes to that file (else it is discarded)."""
    root = Path(root)
    port = free_port()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **(env or {}))
    err = open(log_path, "wb") if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.headless", "true",
                                 "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
                                 *extra], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err)
    finally:
        if log_path:
            err.close()
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                said = Path(log_path).read_text(errors="replace")[-2000:] if log_path else "(stderr not kept)"
                raise RuntimeError("streamlit did not start: " + said)
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def collect_errors(page, errors: list) -> None:
    """Append every page error and console error of `page` to `errors`."""
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console error: {m.text}") if m.type == "error" else None)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


MAP = ".dl-map .dl-plot"  # the map's plotly.js chart inside its player (ui/player.js)
PLAYER = "window.__descentLabPlayer"


def wait_for_map(page, timeout: float = 90_000, after: int = 0) -> int:
    """The map is drawn by its player (its spec number is above `after`, e.g. a new map after a
    click). Returns that number."""
    page.wait_for_selector(".dl-map[data-ready] .dl-plot .main-svg", timeout=timeout)
    page.wait_for_function(f"Number(document.querySelector('.dl-map').dataset.ready) > {int(after)}", timeout=timeout)
    return int(page.evaluate("Number(document.querySelector('.dl-map').dataset.ready)"))


def active_frame(page) -> int:
    return page.evaluate(f"{PLAYER}.frame")


def map_box(page):
    """The plot area of the map (the drag layer over the axes)."""
    return page.locator(MAP).locator(".nsewdrag[data-subplot=xy]").first.bounding_box()
