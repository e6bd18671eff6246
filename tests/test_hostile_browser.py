"""Hostile links in real Chromium against `streamlit run`: every link of tests/hostile_links.py
gives a page with its note and no error box, a beacon on loopback that every text field points at
receives nothing (page, step-through, exported HTML), and the server's memory is flat afterwards."""
from __future__ import annotations

import http.server
import os
import threading
from urllib.parse import urlencode

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from harness.browser import launch, require_chromium, wait_for_map  # noqa: E402
from harness.monkey import monkey_server, tracebacks  # noqa: E402
from tests.hostile_links import corpus  # noqa: E402

pytestmark = pytest.mark.e2e
require_chromium()


class Beacon(http.server.ThreadingHTTPServer):
    """Counts every request it gets (it should get none)."""

    def __init__(self):
        self.hits: list[str] = []
        beacon = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                beacon.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def settle(pg) -> None:
    pg.wait_for_timeout(300)
    pg.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def test_hostile_links_in_chromium(tmp_path):
    beacon = Beacon()
    links = corpus(beacon.url)
    every = links[:: int(os.environ.get("HOSTILE_EVERY", "1"))]  # a quicker look while developing: every k-th link
    with monkey_server() as server, sync_api.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server.url)
        wait_for_map(pg)
        settle(pg)
        before = rss_mb(server.pid)
        failures = []
        for name, params, expect in every:
            pg.goto(server.url + "/?" + urlencode(params))
            try:
                wait_for_map(pg, timeout=60_000)
                settle(pg)
            except Exception as e:  # noqa: BLE001 (reported with the link's name below)
                failures.append(f"{name}: no map ({type(e).__name__})")
                continue
            if pg.locator('[data-testid="stException"]').count() or pg.get_by_text("This app has encountered an error").count():
                failures.append(f"{name}: error box")
            if expect and pg.get_by_text(expect, exact=False).count() == 0:
                failures.append(f"{name}: no note with {expect!r}")
        # files whose every text field points at the beacon: a valid one (labels) and a refused one (echoed names)
        import json

        from tests.hostile_links import MARKUP
        texts = [m.format(b=beacon.url) for m in MARKUP]
        good = tmp_path / "labels.json"
        good.write_text(json.dumps({"surface": "rosenbrock", "steps": 100, "runs": [
            {"optimizer": "Adam", "params": {"lr": 0.05}, "label": t[:80]} for t in texts[:7]]}))
        bad = tmp_path / "names.json"
        bad.write_text(json.dumps({"surface": texts[0], "runs": [{"optimizer": texts[1], "params": {texts[2]: 1}}]}))
        pg.goto(server.url)
        wait_for_map(pg)
        pg.get_by_text("Share, save, load").click()
        upload = pg.locator('[data-testid="stFileUploader"] input[type=file]')
        upload.set_input_files(str(bad))
        pg.get_by_text("That file is not a valid scenario", exact=False).wait_for(timeout=30_000)
        upload.set_input_files(str(good))
        pg.wait_for_function("(() => { const gd = document.querySelector('.dl-plot');"
                             " return gd && gd.data && gd.data.filter(t => t.mode === 'lines+markers').length === 7; })()",
                             timeout=60_000)
        settle(pg)
        if pg.locator('[data-testid="stException"]').count():
            failures.append("files: error box")
        # the step-through and the exported HTML of a link whose labels point at the beacon
        marked = next(params for name, params, _ in links if name == "markup label 0")
        pg.goto(server.url + "/?" + urlencode(dict(marked, view="step")))
        settle(pg)
        pg.goto(server.url + "/?" + urlencode(marked))
        wait_for_map(pg)
        settle(pg)
        pg.get_by_text("Export: data, standalone page, pictures").click()
        with pg.expect_download() as download:
            pg.get_by_role("button", name="Animated map (HTML)").click()
        html = tmp_path / "export.html"
        download.value.save_as(html)
        offline = context.new_page()
        offline.goto(html.as_uri())
        offline.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        offline.wait_for_timeout(1500)
        pg.wait_for_timeout(1000)
        log = server.log()
        import gc
        gc.collect()
        pg.wait_for_timeout(31_000)  # the server collects garbage every 30 s (ui/compute.py)
        after = rss_mb(server.pid)
        browser.close()
    beacon.shutdown()
    print(f"server memory: {before:.0f} MB before {len(every)} hostile links, {after:.0f} MB after")
    assert failures == []
    assert errors == []
    assert tracebacks(log) == []
    assert beacon.hits == []
    assert after - before < 150, (before, after)
