"""A lecture hall at once (README: "Running it for a class"): scripts/serve.sh runs N replicas
behind Caddy with deploy/Caddyfile. Here it runs for real on loopback (harness/replicas.py):
sessions stick to a replica by cookie, not by address; the proxy compresses what Streamlit sends
uncompressed; a fresh page costs ≤ 2.5 MB; a page whose replica is killed comes back on another
with its scenario; Ctrl-C stops everything. compose.yaml and deploy/kubernetes.yaml cannot run
here (no Docker, no cluster): they are read and checked to say what serve.sh does."""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from harness.browser import ROOT, require_chromium

SERVE = ROOT / "scripts" / "serve.sh"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
needs_caddy = pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is missing (bash scripts/test.sh installs it)")


# ----------------------------------------------------------------------------- without servers


@pytest.mark.parametrize("args", [["--replicas", "two"], ["--replicas", "0"], ["--port"], ["--frobnicate"]])
def test_serve_sh_refuses_bad_options_before_starting_anything(args):
    out = subprocess.run(["bash", str(SERVE), *args], capture_output=True, text=True, timeout=20)
    assert out.returncode == 2, out.stderr
    assert "serve.sh" in out.stderr and "replica" not in out.stdout


def caddy_config(upstreams: str, port: str = "8600", secret: str = "s", **more) -> dict:
    env = dict(os.environ, PORT=port, BIND="127.0.0.1", UPSTREAMS=upstreams, LB_COOKIE_SECRET=secret, **more)
    out = subprocess.run(["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"], capture_output=True,
                         text=True, env=env, timeout=30, check=True)
    return json.loads(out.stdout)


def walk(routes):
    """Every handler in Caddy's JSON routes, subroutes included."""
    for route in routes:
        for h in route.get("handle", []):
            yield h
            yield from walk(h.get("routes", []))


@needs_caddy
def test_the_caddyfile_is_sticky_by_cookie_compresses_and_checks_health():
    cfg = caddy_config("127.0.0.1:8601 127.0.0.1:8602 127.0.0.1:8603", secret="xyz")
    server, = cfg["apps"]["http"]["servers"].values()
    assert server["listen"] == ["127.0.0.1:8600"]
    handlers = {h["handler"]: h for h in walk(server["routes"])}
    assert set(handlers["encode"]["encodings"]) == {"zstd", "gzip"}
    assert set(handlers["file_server"]["precompressed"]) == {"br", "gzip"}  # Streamlit's static files, compressed ahead
    proxy = handlers["reverse_proxy"]
    assert [u["dial"] for u in proxy["upstreams"]] == ["127.0.0.1:8601", "127.0.0.1:8602", "127.0.0.1:8603"]
    policy = proxy["load_balancing"]["selection_policy"]
    assert policy == {"policy": "cookie", "name": "descent_lab_replica", "secret": "xyz"}  # not ip_hash: a class shares one NAT
    assert proxy["load_balancing"]["try_duration"] > 0  # a request whose replica died is retried on another
    assert proxy["health_checks"]["active"]["uri"] == "/_stcore/health"
    assert proxy["health_checks"]["passive"]["fail_duration"] > 0


@needs_caddy
def test_new_browsers_go_to_the_least_busy_replica_with_the_cookie_that_names_it(tmp_path):
    """With NEW_BROWSERS (serve.sh sets it), a request without the sticky cookie is proxied by
    least_conn and answered with the cookie of the replica that served it, from REPLICA_COOKIES;
    without it (compose.yaml) there is no such route."""
    cookies = tmp_path / "replica-cookies"
    cookies.write_text("127.0.0.1:8601 aaa\n127.0.0.1:8602 bbb\n")
    cfg = caddy_config("127.0.0.1:8601 127.0.0.1:8602", NEW_BROWSERS=str(ROOT / "deploy" / "new-browsers.caddy"),
                       REPLICA_COOKIES=str(cookies))
    server, = cfg["apps"]["http"]["servers"].values()
    handlers = list(walk(server["routes"]))
    names = [h for h in handlers if h["handler"] == "map"]
    assert [(m["input"], m["outputs"]) for m in names[0]["mappings"]] == [("127.0.0.1:8601", ["aaa"]), ("127.0.0.1:8602", ["bbb"])]
    assert names[0]["source"] == "{http.reverse_proxy.upstream.hostport}" and names[0]["destinations"] == ["{replica_cookie}"]
    proxies = [h for h in handlers if h["handler"] == "reverse_proxy"]
    assert [p["load_balancing"]["selection_policy"]["policy"] for p in proxies] == ["least_conn", "cookie"]
    assert proxies[0]["headers"]["response"]["add"]["Set-Cookie"] == ["descent_lab_replica={replica_cookie}; Path=/"]
    assert proxies[0]["health_checks"] == proxies[1]["health_checks"]  # one snippet, both routes
    routes = json.dumps(server["routes"])
    assert '"not": [{"header_regexp": {"Cookie": {"pattern": "descent_lab_replica="}}}]' in routes
    plain, = caddy_config("127.0.0.1:8601 127.0.0.1:8602")["apps"]["http"]["servers"].values()
    assert [h["load_balancing"]["selection_policy"]["policy"] for h in walk(plain["routes"]) if h["handler"] == "reverse_proxy"] == ["cookie"]


def test_compose_and_kubernetes_say_what_serve_sh_does():
    """Not run here (no Docker, no cluster): the same Caddyfile, the same secret in every replica,
    the image's port and health check, cookie affinity."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    apps = sorted(name for name, s in services.items() if s.get("build") == ".")
    assert len(apps) >= 2 and all(services[a]["image"] == "descent-lab" for a in apps)
    secrets_used = {services[a]["environment"]["STREAMLIT_SERVER_COOKIE_SECRET"] for a in apps}
    assert len(secrets_used) == 1 and secrets_used.pop().startswith("${COOKIE_SECRET:?")
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["command"][-4:] == ["--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
    assert proxy["environment"]["UPSTREAMS"].split() == [f"{a}:8501" for a in apps]  # the Dockerfile's port
    assert proxy["environment"]["LB_COOKIE_SECRET"].startswith("${COOKIE_SECRET:?")
    assert set(proxy["depends_on"]) == set(apps)
    assert "EXPOSE 8501" in (ROOT / "Dockerfile").read_text()
    if shutil.which("caddy"):  # the proxy's settings parse with compose's values
        caddy_config(proxy["environment"]["UPSTREAMS"], proxy["environment"]["PORT"])

    kinds = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())}
    container, = kinds["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert "secretKeyRef" in env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert kinds["Deployment"]["spec"]["replicas"] >= 2
    notes = kinds["Ingress"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"] == "descent_lab_replica"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-change-on-failure"] == "true"


# ----------------------------------------------------------------------------- serve.sh, for real


@pytest.fixture(scope="module")
def two():
    if shutil.which("caddy") is None:
        pytest.skip("caddy is missing (bash scripts/test.sh installs it)")
    from harness.replicas import replica_set
    with replica_set(2) as rs:
        yield rs


def open_pages(url: str, n: int, headers: dict | None = None):
    from harness.stclient import Session

    async def one():
        async with Session(url, timeout=120, headers=headers) as s:
            return (await s.open()).map_steps

    async def all_of_them():
        return await asyncio.gather(*(one() for _ in range(n)))
    with ThreadPoolExecutor(1) as pool:  # its own thread: Playwright's sync API runs an event loop in this one
        return pool.submit(asyncio.run, all_of_them()).result()


def fresh_cookie(url: str) -> str:
    """The sticky cookie the proxy gives a browser that has none."""
    with urllib.request.urlopen(url + "/", timeout=10) as r:
        set_cookie = r.headers.get_all("Set-Cookie") or []
    values = [c.split(";")[0].split("=", 1)[1] for c in set_cookie if c.startswith("descent_lab_replica=")]
    assert len(values) == 1, set_cookie
    return values[0]


@pytest.mark.e2e
def test_new_browsers_from_one_address_are_spread_and_each_sticks_to_its_replica(two):
    """A class behind one NAT: every request here comes from 127.0.0.1, yet new browsers land on
    both replicas; a browser's pages (its cookie) all go to the replica the cookie names."""
    named = [two.replica_of(fresh_cookie(two.url)) for _ in range(16)]
    assert None not in named and set(named) == {1, 2}, named  # P(all 16 on one) = 2⁻¹⁵
    before = two.sessions_opened()
    open_pages(two.url, 8)  # websockets without a cookie, at once: the least busy replica each
    spread = two.sessions_opened()
    assert sum(spread.values()) - sum(before.values()) == 8, (before, spread)
    assert all(spread[i] - before[i] >= 3 for i in (1, 2)), (before, spread)  # at random, 6 + 2 or worse: 29%
    for i in (1, 2):
        cookie = next(c for c in (fresh_cookie(two.url) for _ in range(40)) if two.replica_of(c) == i)
        before = two.sessions_opened()
        assert open_pages(two.url, 4, headers={"Cookie": f"descent_lab_replica={cookie}"}) == [3000] * 4
        after = two.sessions_opened()
        assert after[i] - before[i] == 4 and after[3 - i] == before[3 - i], (i, before, after)


@pytest.mark.e2e
def test_the_proxy_compresses_streamlits_javascript(two):
    html = urllib.request.urlopen(two.url + "/", timeout=10).read().decode()
    script = re.search(r'src="\.?/?(static/js/index[^"]+\.js)"', html).group(1)
    plain = urllib.request.urlopen(f"http://127.0.0.1:{two.replica_port(1)}/{script}", timeout=10).read()  # the replica itself
    req = urllib.request.Request(f"{two.url}/{script}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        body = r.read()
    assert gzip.decompress(body) == plain
    assert len(body) < 0.4 * len(plain), (len(body), len(plain))


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import launch
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def first_page(two, browser):
    from harness.replicas import first_page_bytes
    got = first_page_bytes(browser, two.url)
    print(f"first page through the proxy: {got['http']:,} bytes over HTTP ({got['decoded']:,} decoded), "
          f"{got['ws']:,} over the websocket, {len(got['files'])} files")
    return got


@pytest.mark.e2e
def test_a_fresh_page_costs_at_most_2_5_mb(first_page):
    """Everything a new browser downloads until the map is drawn: files as sent through the proxy,
    websocket messages as deflated (harness/replicas.py first_page_bytes)."""
    assert first_page["ws"] > 50_000  # the page's elements and figures came over the websocket
    assert first_page["http"] + first_page["ws"] <= 2_500_000
    assert not any("PlotlyChart" in f[0] for f in first_page["files"])  # one plotly.js: the player's


@pytest.mark.e2e
def test_every_text_file_of_a_fresh_page_arrives_compressed(first_page):
    js = [f for f in first_page["files"] if "javascript" in f[1]]
    assert sum(f[4] for f in js) > 3_000_000  # Streamlit's JavaScript and the player's plotly.js: the page really loaded
    text = [f for f in first_page["files"] if re.search(r"javascript|css|html|json", f[1]) and f[4] > 1024]
    assert text and all(f[2] in ("br", "zstd", "gzip") for f in text), [f for f in text if f[2] not in ("br", "zstd", "gzip")]
    assert sum(f[3] for f in js) < 0.3 * sum(f[4] for f in js)  # brotli 11 ahead of time: ~22% (Caddy's on-the-fly zstd ~29%)


@pytest.mark.e2e
def test_the_load_bench_goes_through_the_proxy_and_counts_every_replica(two):
    """bench/load.py --replicas in small: sessions through the proxy, CPU summed over the replicas,
    memory per replica, the proxy's CPU on its own."""
    from harness.load import cpu_seconds, run_load
    pids = list(two.replica_pids().values())
    before = [cpu_seconds(p) for p in pids]
    with ThreadPoolExecutor(1) as pool:  # its own thread: Playwright's sync API runs an event loop in this one
        out = pool.submit(run_load, two.url, lambda: list(two.replica_pids().values()), sessions=6, rounds=1, ttl=0,
                          log=lambda *a: None, proxy_pid=two.caddy_pid(),
                          warm_urls=[f"http://127.0.0.1:{two.replica_port(i)}" for i in (1, 2)],
                          sessions_opened=two.sessions_opened).result()
    assert out["errors"] == [] and out["sessions"] == 6 and out["throughput"] > 0
    assert all(cpu_seconds(p) > b for p, b in zip(pids, before))  # both were warmed up and worked
    assert [len(mbs) for _, mbs in out["memory_per_replica"]] == [2, 2]
    split, = out["splits"]
    assert len(split) == 2 and sum(split) == 6  # the round's sessions, counted by the replicas that served them
    assert out["memory"][-1][1] == pytest.approx(sum(out["memory_per_replica"][-1][1]))
    assert 0 < out["proxy_cpu_per_session"] < out["cpu_per_session"]


@pytest.mark.e2e
def test_a_page_whose_replica_is_killed_comes_back_on_another_with_its_scenario(two, browser):
    """Open a page, change the scenario, kill that page's replica: the page reconnects through the
    proxy to the other replica, which runs it from its URL (same scene, same address), with no
    error box and no page error, and the page works there (the next click changes the scene);
    serve.sh starts the killed replica again."""
    from harness.monkey import Monkey
    m = Monkey(browser, two.url)
    try:
        assert m.open() == []
        m.do_tour(2)  # scene 3 · RMS
        assert m.settle() == [] and m.check() == []
        url = m.page.url
        assert "s=" in url
        body = m.page.inner_text("[data-testid='stMain']")
        assert "3 · RMS" in body

        def cookie():
            return next(c["value"] for c in m.context.cookies() if c["name"] == "descent_lab_replica")
        mine = two.replica_of(cookie())
        assert mine in (1, 2)
        sockets = []  # frames received on each websocket the page opens from now on

        def opened(ws):
            sockets.append(0)
            n = len(sockets) - 1
            ws.on("framereceived", lambda _: sockets.__setitem__(n, sockets[n] + 1))
        m.page.on("websocket", opened)
        dead = two.replica_pids()[mine]
        served_before = two.sessions_opened()[3 - mine]
        os.kill(dead, signal.SIGKILL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10 and not (sockets and sockets[-1] > 0 and m._state()[1] == "CONNECTED"):
            m.page.wait_for_timeout(100)
        assert sockets and sockets[-1] > 0, "the page did not reconnect and rerun within 10 s"
        assert m.settle() == [] and m.check() == []
        seconds = time.monotonic() - t0
        print(f"reconnected to replica {3 - mine} and drawn again {seconds:.1f} s after replica {mine} was killed")
        assert two.replica_of(cookie()) == 3 - mine  # the cookie now names the replica that is alive
        assert two.sessions_opened()[3 - mine] == served_before + 1  # a new session there, for this page
        assert m.page.url == url and "3 · RMS" in m.page.inner_text("[data-testid='stMain']")
        assert seconds < 10
        m.do_tour(4)  # the page is live on its new replica: the first click after the move counts
        assert m.settle() == [] and m.check() == []
        assert m.page.url != url and "5 · Adam" in m.page.inner_text("[data-testid='stMain']")
        m.page.screenshot(path=str(ROOT / "tests" / "artifacts" / "replica-reconnect.png"))
    finally:
        m.close()
    deadline = time.monotonic() + 90
    while not (two.replica_pids()[mine] != dead and two.healthy(mine)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert two.replica_pids()[mine] != dead and two.healthy(mine), two.log()


@pytest.mark.e2e
def test_ctrl_c_stops_every_replica_and_the_proxy():
    if shutil.which("caddy") is None:
        pytest.skip("caddy is missing (bash scripts/test.sh installs it)")
    from harness.replicas import replica_set, stop
    with replica_set(1) as rs:
        pids = [*rs.replica_pids().values(), rs.caddy_pid()]
        assert open_pages(rs.url, 1) == [3000]
        assert stop(rs) == 0  # SIGINT, as Ctrl-C
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), pid
    with pytest.raises(OSError):
        urllib.request.urlopen(rs.url + "/_stcore/health", timeout=2)
