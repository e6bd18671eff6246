"""The deployment recipe: .streamlit/config.toml's production settings are in force, and the
Dockerfile's image (as far as this machine can check without a Docker daemon or Docker Hub) is
slim, runs as a user other than root, and its CMD and HEALTHCHECK work on the files it copies."""
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from experiments.scenario import MAX_FILE_BYTES
from harness.browser import free_port, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions():
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_production_config():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["maxUploadSize"] * 1_000_000 >= MAX_FILE_BYTES  # the app's own 1 MB cap gives the message
    assert cfg["server"]["maxUploadSize"] <= 2
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["runner"]["postScriptGC"] is False and cfg["runner"]["magicEnabled"] is False


@pytest.mark.e2e
def test_the_running_server_refuses_an_upload_without_the_xsrf_token():
    with streamlit_server() as url:
        req = urllib.request.Request(url + "/_stcore/upload_file/abc/def", data=b"--x--", method="PUT",
                                     headers={"Content-Type": "multipart/form-data; boundary=x"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code in (400, 403)


def test_dockerfile_is_slim_non_root_with_a_healthcheck():
    steps = instructions()
    assert re.fullmatch(r"python:3\.1[1-3]-slim(-\w+)?", steps[0][1])
    users = [arg for op, arg in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    ops = [op for op, _ in steps]
    last_user = len(ops) - 1 - ops[::-1].index("USER")
    assert ops.index("CMD") > last_user  # the server runs as that user
    # what runs after USER (filling numba's cache) runs as that user too, in a folder it owns
    assert all("pip" not in arg and "apt" not in arg for op, arg in steps[last_user:] if op == "RUN")
    health = next(arg for op, arg in steps if op == "HEALTHCHECK")
    assert "/_stcore/health" in health
    cmd = next(arg for op, arg in steps if op == "CMD")
    assert "streamlit" in cmd and "app.py" in cmd and "0.0.0.0" in cmd


def build_context(dest: Path) -> None:
    """What `docker build .` sends and `COPY . .` puts in the image: the build context made by
    Docker's own Python SDK (docker.utils.tar with the .dockerignore patterns, as its
    APIClient.build makes it), unpacked into dest. No Docker daemon runs on these machines."""
    import docker  # requirements-dev.txt
    from docker.api.build import process_dockerfile
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    exclude = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]  # as APIClient.build reads it
    context = docker.utils.tar(str(ROOT), exclude=exclude, dockerfile=process_dockerfile(None, str(ROOT)))
    with tarfile.open(fileobj=context) as archive:
        archive.extractall(dest, filter="data")


@pytest.mark.e2e
def test_the_image_files_serve_the_app_and_pass_the_healthcheck(tmp_path):
    build_context(tmp_path)
    assert (tmp_path / "app.py").exists() and (tmp_path / ".streamlit" / "config.toml").exists()
    assert not (tmp_path / "tests").exists() and not (tmp_path / "bench").exists()
    steps = instructions()
    cmd = [a.strip('"') for a in next(arg for op, arg in steps if op == "CMD").strip("[]").split(", ")]
    port = free_port()
    cmd = [sys.executable if c == "python" else c for c in cmd]
    cmd = [f"--server.port={port}" if c.startswith("--server.port") else c for c in cmd]
    user = []  # (the image's user has no home: so here neither; this Python lives under /root, so root runs it)
    env = {k: v for k, v in os.environ.items() if k != "HOME"} | {"MALLOC_ARENA_MAX": "4", "HOME": "/nonexistent"}
    # The image's NUMBA_CACHE_DIR, here a fresh folder, filled by the RUN steps after USER
    cache = next(arg for op, arg in steps if op == "ENV" and arg.startswith("NUMBA_CACHE_DIR=")).split("=", 1)[1]
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache" / Path(cache).name)
    os.makedirs(env["NUMBA_CACHE_DIR"])
    ops = [op for op, _ in steps]
    for op, arg in steps[len(ops) - 1 - ops[::-1].index("USER"):]:
        if op == "RUN":
            run = [sys.executable if t == "python" else t for t in shlex.split(arg)]
            subprocess.run(run, cwd=tmp_path, env=env, check=True, timeout=300)
    assert list(Path(env["NUMBA_CACHE_DIR"]).rglob("*.nbi")), "the kernels were not compiled into the image's cache"
    proc = subprocess.Popen(user + cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        health = next(arg for op, arg in steps if op == "HEALTHCHECK").split("CMD", 1)[1].strip()
        health = health.replace("8501", str(port))
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run([sys.executable if t == "python" else t for t in shlex.split(health)], capture_output=True)
            if check.returncode == 0 or time.monotonic() > deadline or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert check.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.poll() is not None else check.stderr
        from harness.stclient import Session

        async def open_page():
            async with Session(f"http://127.0.0.1:{port}") as s:
                return await s.open()
        import asyncio
        assert asyncio.run(open_page()).map_steps == 3000  # the default scene, drawn from the image's files
    finally:
        proc.terminate()
        proc.wait(10)
