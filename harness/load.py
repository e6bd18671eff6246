"""Load benchmark: N students open one `streamlit run` server at the same moment.
Run: python bench/load.py [--sessions 30] [--rounds 3]     (needs: bash scripts/test.sh)
     python bench/load.py --replicas 2 --sessions 60       (through scripts/serve.sh: Caddy in front)

Each session is a websocket client speaking the browser's protocol (harness/stclient.py), started
together with the others. It opens the page (the default scene), clicks a lecture-tour button
(session i takes scene i mod 7), then types its own step count (different for every session, so
every session makes the engine and the figure builder work: no shared cache hit), and closes.
Time-to-chart is the time from the client's message until the server has sent the map; a session
counts as an error if anything fails, the page shows an exception, or the map does not have the
step count typed.

The server runs with the repository's .streamlit/config.toml (the production settings). Memory is
the server's resident set (VmRSS) after each round, once its sessions are closed and released;
closed sessions are kept for `server.disconnectedSessionTTL` (reconnects), which --ttl shortens so
that a round's sessions are released before the next one.

With --replicas N the sessions go through the proxy of `scripts/serve.sh --replicas N` (Caddy,
harness/replicas.py), which spreads them over the replicas (each websocket without a cookie gets a
random one, as a new browser does). Server CPU is then summed over the replicas, memory is given
per replica, and with N > 1 the same rounds are run first through `serve.sh --replicas 1`, so
that the throughput of N replicas (sessions per second of a round) is compared with one replica
in the same run. The last line is `p95 X s, errors E, sessions S` (of the N replicas).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments.tour import PRESETS  # noqa: E402
from harness.browser import streamlit_server  # noqa: E402
from harness.stclient import ProtocolError, Session  # noqa: E402

TOUR = [p.title for p in PRESETS if p.tour]
ACTIONS = ("open", "preset", "steps")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server has used so far: a figure less noisy than wall time
    on a shared machine, to compare changes by."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def student(url: str, i: int, steps: int, timeout: float) -> dict:
    """One session: open, click tour scene i mod 7, type `steps`. Returns times or the error."""
    times = {}
    try:
        t0 = time.perf_counter()
        async with Session(url, timeout=timeout) as s:
            reply = await s.open()
            times["open"] = time.perf_counter() - t0  # connect + first run, until the map arrives
            if reply.map_steps is None:
                raise ProtocolError("the page has no map")
            reply = await s.click(TOUR[i % len(TOUR)])
            times["preset"] = reply.seconds_to_map
            reply = await s.set_int("Steps", steps)
            times["steps"] = reply.seconds_to_map
            if reply.map_steps != steps:
                raise ProtocolError(f"the map shows {reply.map_steps} steps, not the {steps} typed")
    except (ProtocolError, OSError, TimeoutError) as e:
        return {"error": f"session {i}: {type(e).__name__}: {e}"}
    except Exception as e:  # a closed socket etc.: counted, not fatal to the other sessions
        return {"error": f"session {i}: {type(e).__name__}: {e}"}
    return times


async def one_round(url: str, n: int, first: int, timeout: float) -> list[dict]:
    """n sessions at once; session i types 1000 + first + i steps. The caller numbers the sessions
    of a run so that no two type the same count (no cache hit) and every round does about the
    same work (1000 to ~1300 steps), so rounds can be compared for time and memory."""
    return await asyncio.gather(*(student(url, i, 1000 + first + i, timeout) for i in range(n)))


def percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def warm_up(url: str, timeout: float) -> None:
    """One visitor goes through the whole tour: the server has imported everything and computed
    every scene (it also does so by itself in the background when it starts: ui/compute.py)."""
    async with Session(url, timeout=timeout) as s:
        await s.open()
        for title in TOUR:
            await s.click(title)


def run_load(url: str, pid: int | Callable[[], list[int]], sessions: int, rounds: int, ttl: int, timeout: float = 120.0,
             log=print, proxy_pid: int | None = None, warm_urls: list[str] | None = None,
             sessions_opened: Callable[[], dict] | None = None) -> dict:
    """Warm up, then `rounds` rounds of `sessions` simultaneous sessions. `pid` is the server's
    process id, or a function giving the replicas' (their CPU is summed, their memory kept one by
    one); `proxy_pid`, the proxy's, whose CPU is reported on its own; `warm_urls`, the servers to
    warm up one by one (behind a proxy: each replica at its own address; by default `url`);
    `sessions_opened`, each replica's count of sessions so far, to say how a round was split."""
    pids = pid if callable(pid) else lambda: [pid]
    cpu_now = lambda: sum(cpu_seconds(p) for p in pids())  # noqa: E731
    for u in warm_urls or [url]:
        asyncio.run(warm_up(u, timeout))
    time.sleep(ttl + 1)
    per_replica = [("after warm-up", [rss_mb(p) for p in pids()])]
    results, cpu, walls, proxy_cpu, client_cpu, splits = [], [], [], [], [], []
    for r in range(rounds):
        opened = sessions_opened() if sessions_opened else {}
        t, c = time.perf_counter(), cpu_now()
        pc = cpu_seconds(proxy_pid) if proxy_pid else 0.0
        me = resource.getrusage(resource.RUSAGE_SELF)
        out = asyncio.run(one_round(url, sessions, r * (sessions + 1), timeout))
        walls.append(time.perf_counter() - t)
        cpu.append(cpu_now() - c)
        proxy_cpu.append(cpu_seconds(proxy_pid) - pc if proxy_pid else 0.0)
        now = resource.getrusage(resource.RUSAGE_SELF)  # the clients (this process) share the machine's cores
        client_cpu.append(now.ru_utime + now.ru_stime - me.ru_utime - me.ru_stime)
        if sessions_opened:
            splits.append([n - opened[k] for k, n in sessions_opened().items()])
        results.extend(out)
        time.sleep(ttl + 1)  # closed sessions are kept ttl seconds for reconnects
        # a visit, which lets the server evict them (the next number after this round's sessions)
        asyncio.run(one_round(url, 1, r * (sessions + 1) + sessions, timeout))
        per_replica.append((f"after round {r + 1}", [rss_mb(p) for p in pids()]))
        errors = [o["error"] for o in out if "error" in o]
        ok = [o for o in out if "error" not in o]
        worst = max((max(o.values()) for o in ok), default=float("nan"))
        log(f"round {r + 1}: {sessions} sessions in {walls[-1]:.1f} s, slowest time-to-chart {worst:.2f} s, "
            f"{len(errors)} errors, server {sum(per_replica[-1][1]):.0f} MB, server CPU {cpu[-1]:.1f} s"
            + (f", sessions per replica {' + '.join(map(str, splits[-1]))}" if splits else ""))
        for e in errors[:5]:
            log("   ", e)
    ok = [o for o in results if "error" not in o]
    stats = {}
    for a in ACTIONS:
        values = [o[a] for o in ok]
        if values:
            stats[a] = (statistics.median(values), percentile(values, 0.95), max(values))
    every = [v for o in ok for v in o.values()]
    if every:
        stats["all"] = (statistics.median(every), percentile(every, 0.95), max(every))
    return {"stats": stats, "errors": [o["error"] for o in results if "error" in o], "sessions": len(results),
            "memory": [(name, sum(mbs)) for name, mbs in per_replica], "memory_per_replica": per_replica,
            "cpu_per_session": sum(cpu) / (rounds * sessions), "proxy_cpu_per_session": sum(proxy_cpu) / (rounds * sessions),
            "client_cpu_per_session": sum(client_cpu) / (rounds * sessions), "seconds": sum(walls), "splits": splits,
            "throughput": rounds * sessions / sum(walls)}


def report(out: dict, title: str) -> None:
    print(f"\n{title}")
    print(f"{'time-to-chart':28s} {'median':>8s} {'p95':>8s} {'max':>8s}   (target: p95 ≤ 5 s)")
    names = {"open": "open the page", "preset": "click a tour scene", "steps": "type a step count", "all": "all three"}
    for key, (med, p95, mx) in out["stats"].items():
        print(f"  {names[key]:26s} {med:7.2f}s {p95:7.2f}s {mx:7.2f}s")
    print(f"errors: {len(out['errors'])} of {out['sessions']} sessions")
    print(f"throughput: {out['throughput']:.2f} sessions/s (a round's sessions over its wall time)")
    print(f"server CPU per session (open + click + type): {out['cpu_per_session'] * 1e3:.0f} ms"
          + (f" (summed over the replicas); proxy CPU per session {out['proxy_cpu_per_session'] * 1e3:.0f} ms"
             if out["proxy_cpu_per_session"] else ""))
    print(f"client CPU per session (this process: the websocket clients): {out['client_cpu_per_session'] * 1e3:.0f} ms; "
          f"all of it together used {(out['cpu_per_session'] + out['proxy_cpu_per_session'] + out['client_cpu_per_session']) * out['sessions'] / out['seconds']:.2f} "
          f"of the machine's {os.cpu_count()} cores during the rounds")
    for e in out["errors"][:10]:
        print("   ", e)
    base = out["memory"][1][1] if len(out["memory"]) > 1 else out["memory"][0][1]
    print("server memory (VmRSS): " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in out["memory"]))
    if any(len(split) > 1 for split in out["splits"]):
        print("sessions per replica in each round (the proxy gives a new browser the least busy replica): "
              + ", ".join(" + ".join(map(str, split)) for split in out["splits"]))
    if len(out["memory_per_replica"][0][1]) > 1:
        print("memory per replica (VmRSS): " + ", ".join(f"{name} " + " + ".join(f"{mb:.0f}" for mb in mbs) + " MB"
                                                         for name, mbs in out["memory_per_replica"]))
    print(f"growth from round 1 to round {len(out['memory']) - 1}: {out['memory'][-1][1] - base:+.1f} MB "
          f"({(out['memory'][-1][1] / base - 1) * 100:+.1f}%)")


def page_bytes(url: str) -> dict | None:
    """A fresh Chromium's first page through the proxy (harness/replicas.py), if Chromium is here."""
    from harness.browser import CHROMIUM, launch
    from harness.replicas import first_page_bytes
    if not os.path.exists(CHROMIUM):
        return None
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = launch(p)
        try:
            return first_page_bytes(browser, url)
        finally:
            browser.close()


def through_proxy(replicas: int, args, env: dict, measure_page: bool = False) -> dict:
    """The rounds through `scripts/serve.sh --replicas N` (Caddy in front); with `measure_page`,
    then the bytes of a fresh browser's first page."""
    from harness.replicas import replica_set
    env = dict(env, STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(args.ttl))
    with replica_set(replicas, env=env) as rs:
        warm = [f"http://127.0.0.1:{rs.replica_port(i)}" for i in range(1, replicas + 1)]
        out = run_load(rs.url, lambda: list(rs.replica_pids().values()), args.sessions, args.rounds, args.ttl,
                       proxy_pid=rs.caddy_pid(), warm_urls=warm, sessions_opened=rs.sessions_opened)
        page = page_bytes(rs.url) if measure_page else None
    report(out, f"{args.sessions} simultaneous sessions × {args.rounds} rounds through Caddy on {rs.url.split('//')[1]}, "
                f"{replicas} replica{'s' * (replicas > 1)} (open the page, click a tour scene, type a step count)")
    if page:
        js = [f for f in page["files"] if "javascript" in f[1]]
        print(f"a fresh browser's first page through the proxy: {(page['http'] + page['ws']) / 1e6:.2f} MB "
              f"(target ≤ 2.5 MB): {page['http'] / 1e6:.2f} MB over HTTP in {len(page['files'])} files "
              f"({page['decoded'] / 1e6:.2f} MB decoded; JavaScript {sum(f[3] for f in js) / 1e6:.2f} MB of "
              f"{sum(f[4] for f in js) / 1e6:.2f} MB), {page['ws'] / 1e6:.2f} MB over the websocket")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ttl", type=int, default=3, help="server.disconnectedSessionTTL for this run, seconds")
    ap.add_argument("--malloc-arenas", default="4", help="MALLOC_ARENA_MAX for the server ('' for glibc's default)")
    ap.add_argument("--replicas", type=int, default=0,
                    help="go through scripts/serve.sh with this many replicas (0: one `streamlit run`, no proxy)")
    ap.add_argument("--no-baseline", action="store_true", help="with --replicas N > 1: skip the rounds with one replica")
    ap.add_argument("--no-page", action="store_true", help="with --replicas: skip measuring a fresh page's bytes in Chromium")
    args = ap.parse_args()
    # MALLOC_ARENA_MAX=4 as in the Dockerfile: with glibc's default (an arena per thread, up to 8
    # per core; Streamlit runs a thread per session) the resident set crept up round after round.
    env = {"MALLOC_ARENA_MAX": args.malloc_arenas} if args.malloc_arenas else {}
    if args.replicas:
        one = through_proxy(1, args, env) if args.replicas > 1 and not args.no_baseline else None
        out = through_proxy(args.replicas, args, env, measure_page=not args.no_page)
        if one:
            print(f"\nthroughput, {args.replicas} replicas against 1 in this run: {out['throughput']:.2f} / "
                  f"{one['throughput']:.2f} sessions/s = {out['throughput'] / one['throughput']:.2f}×")
    else:
        with streamlit_server(extra=["--server.disconnectedSessionTTL", str(args.ttl)], env=env) as url:
            out = run_load(url, url.pid, args.sessions, args.rounds, args.ttl)
        report(out, f"{args.sessions} simultaneous sessions × {args.rounds} rounds on {url.split('//')[1]} "
                    f"(open the page, click a tour scene, type a step count)")
    p95 = out["stats"]["all"][1] if "all" in out["stats"] else float("nan")
    print(f"p95 {p95:.2f} s, errors {len(out['errors'])}, sessions {out['sessions']}")


if __name__ == "__main__":
    main()
