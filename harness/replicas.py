"""Several replicas behind Caddy, as a class gets them: scripts/serve.sh itself, run on loopback
(tests/test_replicas.py and bench/load.py --replicas drive it; nothing here starts a replica or
the proxy another way, so what is measured and tested is the command the README gives).

    with replica_set(2) as rs:
        rs.url            # the proxy, http://127.0.0.1:PORT
        rs.replica_pids() # {1: pid, 2: pid}: the running `streamlit run` processes
        rs.replica_of(cookie_value)  # which replica Caddy's sticky cookie names
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from harness.browser import ROOT

SERVE = ROOT / "scripts" / "serve.sh"
COOKIE = "descent_lab_replica"  # deploy/Caddyfile's lb_policy cookie name
PORTS = range(8600, 8700)  # where the test and bench sets look for free ports


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block(n: int, ports: range = PORTS) -> int:
    """The first port p in `ports` with p … p+n-1 all free."""
    for p in ports:
        if p + n - 1 < ports.stop and all(_free(q) for q in range(p, p + n)):
            return p
    raise RuntimeError(f"no {n} consecutive free ports in {ports.start}-{ports.stop - 1}")


def _ok(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


@dataclass
class ReplicaSet:
    url: str
    port: int
    replicas: int
    run_dir: Path
    secret: str
    proc: subprocess.Popen

    def replica_port(self, i: int) -> int:
        return self.port + i  # serve.sh's default: PORT+1 … PORT+N

    def replica_pids(self) -> dict[int, int]:
        """The replicas' current process ids (serve.sh writes one file per replica, anew when it
        starts a replica again)."""
        return {i: int((self.run_dir / f"replica-{i}.pid").read_text()) for i in range(1, self.replicas + 1)}

    def caddy_pid(self) -> int:
        return int((self.run_dir / "caddy.pid").read_text())

    def replica_of(self, cookie: str) -> int | None:
        """The replica a sticky cookie names: Caddy's cookie is the HMAC-SHA256 of the upstream's
        address under the secret (deploy/Caddyfile: lb_policy cookie NAME SECRET)."""
        for i in range(1, self.replicas + 1):
            address = f"127.0.0.1:{self.replica_port(i)}".encode()
            if hmac.compare_digest(hmac.new(self.secret.encode(), address, hashlib.sha256).hexdigest(), cookie):
                return i
        return None

    def log(self, name: str = "serve") -> str:
        """serve.sh's own messages ("serve"), or a replica's ("replica-1") or Caddy's ("caddy") log."""
        path = self.run_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sessions_opened(self) -> dict[int, int]:
        """Each replica's count of sessions opened so far (Streamlit's /_stcore/metrics, asked of
        the replica directly)."""
        out = {}
        for i in range(1, self.replicas + 1):
            with urllib.request.urlopen(f"http://127.0.0.1:{self.replica_port(i)}/_stcore/metrics", timeout=10) as r:
                text = r.read().decode()
            out[i] = int(re.search(r'^session_events_total\{type="connect"\} (\d+)', text, re.M).group(1))
        return out

    def healthy(self, i: int) -> bool:
        return _ok(f"http://127.0.0.1:{self.replica_port(i)}")


@contextlib.contextmanager
def replica_set(replicas: int = 2, env: dict | None = None, timeout: float = 180.0, port: int | None = None):
    """scripts/serve.sh --replicas N on 127.0.0.1 (free ports from PORTS), until its proxy answers;
    stopped with SIGTERM afterwards (what Ctrl-C does), which stops every replica and Caddy."""
    port = port or free_block(replicas + 1)
    run_dir = Path(tempfile.mkdtemp(prefix="descent-lab-replicas-"))
    secret = secrets.token_hex(16)
    env = dict(os.environ, COOKIE_SECRET=secret, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **(env or {}))
    with open(run_dir / "serve.log", "wb") as log:
        proc = subprocess.Popen(["bash", str(SERVE), "--replicas", str(replicas), "--port", str(port), "--bind", "127.0.0.1",
                                 "--run-dir", str(run_dir)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                # SIGINT as a terminal has it (a shell may have started us with it ignored)
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    rs = ReplicaSet(f"http://127.0.0.1:{port}", port, replicas, run_dir, secret, proc)
    try:
        deadline = time.monotonic() + timeout
        while not ((run_dir / "ready").exists() and _ok(rs.url)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve.sh did not start:\n" + rs.log()[-3000:])
            time.sleep(0.2)
        yield rs
    finally:
        stop(rs)
    shutil.rmtree(run_dir, ignore_errors=True)  # its logs and pid files (kept when something failed)


def stop(rs: ReplicaSet, timeout: float = 30.0) -> int:
    """SIGINT to serve.sh, as Ctrl-C in its terminal; its exit status. Kills what is left if it
    has not stopped within `timeout` (and then raises: that is a bug in serve.sh)."""
    if rs.proc.poll() is None:
        rs.proc.send_signal(signal.SIGINT)
        try:
            rs.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rs.proc.kill()
            for pid in [*rs.replica_pids().values(), rs.caddy_pid()]:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            raise RuntimeError("serve.sh did not stop on SIGINT") from None
    return rs.proc.returncode


def first_page_bytes(browser, url: str) -> dict:
    """What a fresh browser (no cache, no cookies) downloads to show the page at `url` with its map:
    `http` the responses as they came over the wire (headers and bodies, compressed where the
    proxy compressed them), `ws` the websocket messages received (as sent: Streamlit does not
    compress them), `decoded` the responses' bodies uncompressed, and `files`, one
    (url, content type, content encoding, bytes on the wire, bytes decoded) per response."""
    from harness.browser import wait_for_map
    context = browser.new_context()
    try:
        page = context.new_page()
        done, ws_bytes, deflated = [], [0], []
        page.on("requestfinished", lambda request: done.append(request))
        # Browsers report websocket messages inflated. When the handshake agreed on
        # permessage-deflate (.streamlit/config.toml), a message's wire size is counted as zlib's
        # raw deflate of it alone with the server's settings (websockets: 12-bit window, memLevel
        # 5): an upper bound, since the real stream also reuses the previous messages' window.
        cdp = context.new_cdp_session(page)
        cdp.on("Network.webSocketHandshakeResponseReceived", lambda e: deflated.append(
            "permessage-deflate" in str(e["response"].get("headers", {})).lower()))
        cdp.send("Network.enable")

        def wire(payload) -> int:
            data = payload if isinstance(payload, bytes) else payload.encode()
            if not (deflated and deflated[-1]):
                return len(data)
            z = zlib.compressobj(6, zlib.DEFLATED, -12, 5)
            return len(z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)) - 4  # the 4-byte tail the protocol drops

        def on_ws(ws):
            ws.on("framereceived", lambda payload: ws_bytes.__setitem__(0, ws_bytes[0] + wire(payload)))
        page.on("websocket", on_ws)
        page.goto(url, timeout=90_000)
        wait_for_map(page)
        page.wait_for_timeout(2000)  # fonts and images the map's drawing asked for
        files = []
        for request in done:
            if request.url.startswith(("blob:", "data:")):  # made in the page (a component's script), not fetched
                continue
            sizes, response = request.sizes(), request.response()
            if response is None:
                continue
            headers = response.headers
            files.append((request.url, headers.get("content-type", ""), headers.get("content-encoding", ""),
                          sizes["responseHeadersSize"] + sizes["responseBodySize"], len(response.body())))
        return {"http": sum(f[3] for f in files), "ws": ws_bytes[0], "decoded": sum(f[4] for f in files), "files": files}
    finally:
        context.close()
