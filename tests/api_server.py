"""The real API server in a subprocess (uvicorn, one worker) on a free port, for the tests.

The server binds port 0 itself and prints its URL (api.main.serve), so there is no race
for a port between choosing it and binding it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVE = "import sys; from api.main import serve; serve(sys.argv[1], '127.0.0.1', 0)"
# Generous limits unless a test is about them.
TEST_SETTINGS = {"STATUSHOUDERS_API_RATE_LIMIT": "0", "STATUSHOUDERS_API_ACCESS_LOG": "false"}


@contextmanager
def running_api(
    data_dir: Path, settings: dict[str, str] | None = None, command: list[str] | None = None
) -> Iterator[str]:
    """Start the server on `data_dir`; yield its base URL (http://127.0.0.1:<port>)."""
    env = {**os.environ, **TEST_SETTINGS, **(settings or {})}
    log = data_dir.parent / f"{data_dir.name}-server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            command or [sys.executable, "-c", SERVE, str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = _wait_until_up(process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen, log: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    base = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        if base is None:
            for line in log.read_text().splitlines():
                if line.startswith("API:"):
                    base = line.split()[1].removesuffix("/v1")
        if base is not None:
            try:
                if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not come up:\n{log.read_text()}")


def server_log(data_dir: Path) -> str:
    return (data_dir.parent / f"{data_dir.name}-server.log").read_text()
