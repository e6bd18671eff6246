"""Heavy work in a worker process, so that it never holds the server.

The engine's step loop is Python: a run of many steps, a fate map, a sweep or a 300-frame GIF
holds the interpreter's lock for seconds, and while it does every other session (and
`/_stcore/health`) waits. Such work goes to one worker process (started on first use, forked
from a clean fork server: the server is threaded), which has a core to itself on a two-core
machine; the session that asked waits for it with a progress bar, the others are not slowed.

A job is a top-level function of this module and plain arguments (JSON text, numbers); it
reports progress by writing a float into a small file that the waiting session reads. The
worker stops after IDLE seconds without a job (its memory goes back to the system) and is
restarted when it dies (e.g. killed): the job then fails with JobFailed, not a traceback.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.spawn
import os
import pickle
import struct
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

IDLE = 120.0  # s without a job before the worker stops
POLL = 0.2  # s between progress reads
HEAVY_WORK = 200_000  # run-steps (scenario.work) above which a run goes to the worker

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_last_used = 0.0
_running = 0


class JobFailed(RuntimeError):
    """The worker died or could not be started: the page says so and keeps working."""


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=_context(), initializer=_worker_start)
            threading.Thread(target=_stop_when_idle, name="descent-lab-jobs-idle", daemon=True).start()
        return _pool


def _context():
    """"forkserver": each worker is forked from a small clean process that has imported only this
    module (a plain fork would copy a threaded server)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def _preparation_without_main(name):
    """multiprocessing.spawn.get_preparation_data without the parent's __main__. Under `streamlit
    run`, __main__ is the page script app.py: every new worker imported it, and with it Streamlit,
    the figure builders and the page's caches (a worker began at 297 MB instead of 15 MB). The
    jobs are functions of this module and need none of that. (Set here, in the server, where the
    data is made: the fork server's own preload of this module depends on its working folder.)"""
    data = _get_preparation_data(name)
    data.pop("init_main_from_path", None)
    data.pop("init_main_from_name", None)
    return data


_get_preparation_data = multiprocessing.spawn.get_preparation_data
multiprocessing.spawn.get_preparation_data = _preparation_without_main


def _stop_when_idle() -> None:
    global _pool
    while True:
        time.sleep(IDLE / 4)
        with _lock:
            if _pool is None:
                return
            if _running == 0 and time.monotonic() - _last_used > IDLE:
                _pool.shutdown(wait=False)
                _pool = None
                return


def _reset() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def run(job, *args, progress=None):
    """job(*args) in the worker, waiting here; progress(fraction) as the worker reports it."""
    global _last_used, _running
    fd, path = tempfile.mkstemp(prefix="descent-lab-progress-")
    try:
        os.write(fd, struct.pack("d", 0.0))
        with _lock:
            _running += 1
        try:
            future = _executor().submit(_in_worker, job, path, *args)
        except (BrokenProcessPool, RuntimeError, OSError) as e:
            _reset()
            raise JobFailed(str(e)) from None
        while True:
            try:
                future.result(timeout=POLL)
                with open(path + ".out", "rb") as f:
                    return _read(f)
            except FutureTimeout:
                if progress is not None:
                    progress(max(0.0, min(1.0, struct.unpack("d", os.pread(fd, 8, 0))[0])))
            except BrokenProcessPool as e:
                _reset()
                raise JobFailed(str(e)) from None
    finally:
        with _lock:
            _running -= 1
            _last_used = time.monotonic()
        os.close(fd)
        for name in (path, path + ".out"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def _worker_start() -> None:
    from ui.memory import return_freed_memory
    return_freed_memory()


def _in_worker(job, path: str, *args) -> None:
    """Runs job; its result goes to a file beside the progress file (pickle protocol 5 writes
    an array's buffer straight through, and the server reads it back into one array: the
    executor's own return path would hold the whole result as bytes on both sides, 2 × 61 MB
    for the largest run)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        result = job(*args, progress=lambda f: os.pwrite(fd, struct.pack("d", float(f)), 0))
    finally:
        os.close(fd)
    with open(path + ".out", "wb") as f:
        _write(result, f)
    del result
    _release()


def _write(result, f) -> None:
    """A list item by item: a pickler keeps everything it made while pickling (the contiguous copy
    of each strided record array) until its dump ends, +61 MB for the largest run in one dump."""
    if isinstance(result, list):
        pickle.dump(("list", len(result)), f, protocol=5)
        for item in result:
            pickle.dump(item, f, protocol=5)
    else:
        pickle.dump(("one", result), f, protocol=5)


def _read(f):
    kind, value = pickle.load(f)
    return [pickle.load(f) for _ in range(value)] if kind == "list" else value


def _release() -> None:
    """Between jobs the worker gives back what the last one used (a largest run's records and
    their pickling left ~100 MB of free heap that glibc kept)."""
    import gc

    from ui.memory import trim
    gc.collect()
    trim()


# ------------------------------------------------------------------------------ the jobs

def results_job(key: str, progress=None):
    """Engine results of a scenario (scenario_key's JSON). No progress: the page shows a spinner."""
    import json

    from experiments.scenario import parse_scenario, run_scenario
    return run_scenario(parse_scenario(json.loads(key)))


def bundles_job(key: str, paths, progress=None):
    """The noise bundles of a scenario; paths: scenario.bundled_paths (not the whole results)."""
    import json

    from experiments.scenario import parse_scenario, run_bundles
    from views.sampling import path_indices
    return run_bundles(parse_scenario(json.loads(key)), paths, path_indices, progress=progress)


def fate_job(key: str, progress=None):
    import json

    from experiments.scenario import parse_scenario, run_fate_map
    return run_fate_map(parse_scenario(json.loads(key)), progress=progress)


def sweep_job(key: str, progress=None):
    import json

    from experiments.scenario import parse_scenario, run_sweep
    return run_sweep(parse_scenario(json.loads(key)), progress=progress)


def animation_job(kind: str, key: str, results, colours, view, frames: int, lang: str, title: str, progress=None):
    """GIF or MP4 bytes of the animation, each frame encoded as it is drawn. results: the paths
    suffice (RunResult.path_only)."""
    import json

    from experiments.scenario import parse_scenario
    from i18n import translator
    from views import export as ex
    surface = parse_scenario(json.loads(key)).surface_obj
    images = ex.iter_frames(surface, results, colours, view, frames=frames, tr=translator(lang), title=title,
                                 progress=progress)
    return ex.gif_bytes(images) if kind == "GIF" else ex.mp4_bytes(images)


def tune_job(key: str, by: str, runs: list[int], tolerance: float | None, progress=None):
    """The learning-rate search for runs (indices) of the scenario `key`, as tune_dict."""
    import json

    from experiments.scenario import parse_scenario, run_tune, tune_dict
    scenario = parse_scenario(json.loads(key))
    return tune_dict(scenario, run_tune(scenario, by, runs, tolerance, progress=progress), by, runs)
