"""The API server's life: before the first release, across a release switch, under a rate
limit, and started by `statushouders serve`. Each test runs its own server process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import httpx

from tests.api_server import ROOT, running_api, server_log
from tests.release_fixture import build_release, read_csv, small_tables, switch_latest


def test_the_server_starts_without_a_release_says_so_and_serves_the_first_one(tmp_path):
    data_dir = tmp_path / "data"
    with running_api(data_dir) as base, httpx.Client(base_url=base) as api:
        health = api.get("/v1/health")
        assert health.status_code == 200
        assert health.json()["data"]["release"] is None
        assert "no release" in health.json()["data"]["message"]
        for path in ("/v1", "/v1/datasets/indicatoren/rows", "/download/latest/"):
            response = api.get(path)
            assert response.status_code == 503
            assert response.json()["error"]["message"] == "no release has been published yet"
        assert api.get("/v1/releases").json()["data"] == []

        build_release(data_dir / "releases", "1.0.0")

        assert api.get("/v1/health").json()["data"]["release"] == "1.0.0"
        assert api.get("/v1").json()["data"]["release"]["version"] == "1.0.0"


def test_the_server_runs_its_start_up_and_loads_the_live_release_before_a_request(tmp_path):
    """The app's lifespan (load the live release in the background, freeze the start-up
    objects out of the garbage collector's way) ran in no server: the answer cache read a
    path from the lifespan scope, which has none, and uvicorn went on as if the app did not
    speak the protocol ("ASGI 'lifespan' protocol appears unsupported")."""
    data_dir = tmp_path / "data"
    build_release(data_dir / "releases", "1.0.0")
    with running_api(data_dir):
        wait_until(lambda: "Application startup complete" in server_log(data_dir))
        log = server_log(data_dir)
        assert "Application startup complete" in log
        assert "appears unsupported" not in log
        assert "Traceback" not in log


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_release_switched_live_is_served_at_once_without_one_failed_request(tmp_path):
    """Four clients hammer the API while 1.1.0 is written and `latest` is replaced."""
    data_dir = tmp_path / "data"
    releases = data_dir / "releases"
    build_release(releases, "1.0.0", small_tables(seed=1))
    url = "/v1/datasets/indicatoren/rows?gebied_code=U16&indicator=werk"
    stop = threading.Event()
    seen: list[list[str]] = [[] for _ in range(4)]
    failures: list[str] = []

    def hammer(base: str, versions: list[str]) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                    continue
                versions.append(response.json()["meta"]["release"])

    with running_api(data_dir) as base:
        threads = [threading.Thread(target=hammer, args=(base, s)) for s in seen]
        for thread in threads:
            thread.start()
        wait_until(lambda: all(seen))
        build_release(releases, "1.1.0", small_tables(seed=2))
        wait_until(lambda: all(s[-1] == "1.1.0" for s in seen))
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()
        after = httpx.get(f"{base}{url}&limit=1000").json()
        switch_latest(releases, "1.0.0")  # and back: no answer of 1.1.0 may stick
        back = httpx.get(f"{base}{url}").json()

    assert failures == []
    assert sum(map(len, seen)) >= 100, "enough requests to call it load"
    for versions in seen:
        assert versions[0] == "1.0.0" and versions[-1] == "1.1.0"
        switched = versions.index("1.1.0")
        assert set(versions[switched:]) == {"1.1.0"}, "once switched, never the old release"
    expected = [
        r
        for r in read_csv(releases / "1.1.0", "indicatoren")
        if r["gebied_code"] == "U16" and r["indicator"] == "werk"
    ]
    assert sorted(map(str, after["data"])) == sorted(map(str, expected))
    assert back["meta"]["release"] == "1.0.0"
    assert "Traceback" not in server_log(data_dir)


def test_paging_through_latest_keeps_to_one_release_across_a_switch(tmp_path):
    data_dir = tmp_path / "data"
    releases = data_dir / "releases"
    build_release(releases, "1.0.0", small_tables(seed=1))
    with running_api(data_dir) as base, httpx.Client(base_url=base) as api:
        params = {"gebied_code": "GM0344", "limit": 40}
        first = api.get("/v1/datasets/indicatoren/rows", params=params).json()
        build_release(releases, "1.1.0", small_tables(seed=2))
        rows, following = first["data"], first["links"]["next"]
        while following:
            page = api.get(following).json()
            assert page["meta"]["release"] == "1.0.0"
            rows += page["data"]
            following = page["links"]["next"]
        fresh = api.get("/v1/datasets/indicatoren/rows", params=params).json()
    assert fresh["meta"]["release"] == "1.1.0"
    expected = [
        r for r in read_csv(releases / "1.0.0", "indicatoren") if r["gebied_code"] == "GM0344"
    ]
    assert len(rows) == len(expected) == first["meta"]["matched"]
    assert sorted(map(str, rows)) == sorted(map(str, expected))


def test_too_many_requests_from_one_client_get_429_with_retry_after(tmp_path):
    """Clients are told apart by address; behind a proxy on the same host (here: the test)
    uvicorn takes it from X-Forwarded-For."""
    data_dir = tmp_path / "data"
    build_release(data_dir / "releases", "1.0.0")
    limits = {"STATUSHOUDERS_API_RATE_LIMIT": "60", "STATUSHOUDERS_API_RATE_BURST": "5"}
    url = "/v1/codelists/geslachten/rows"

    def client(address: str) -> dict[str, str]:
        return {"X-Forwarded-For": address}

    with running_api(data_dir, limits) as base, httpx.Client(base_url=base) as api:
        assert api.get(url, headers=client("10.0.0.9")).status_code == 200  # loads the release
        statuses = [api.get(url, headers=client("10.0.0.1")).status_code for _ in range(6)]
        refused = api.get(url, headers=client("10.0.0.1"))
        other_client = api.get(url, headers=client("10.0.0.2"))
        health = api.get("/v1/health", headers=client("10.0.0.1"))
        wait = int(refused.headers["retry-after"])
        time.sleep(wait)
        again = api.get(url, headers=client("10.0.0.1"))
    assert statuses == [200] * 5 + [429]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= wait <= 2
    assert other_client.status_code == 200
    assert health.status_code == 200, "health checks are not rate limited"
    assert again.status_code == 200


def test_statushouders_serve_prints_its_urls_and_refuses_a_taken_port_in_one_line(tmp_path):
    data_dir = tmp_path / "data"
    build_release(data_dir / "releases", "1.0.0")
    command = [sys.executable, "-m", "cli.commands", "serve", "--data-dir", str(data_dir)]
    with running_api(data_dir, command=[*command, "--port", "0"]) as base:
        assert httpx.get(f"{base}/v1").json()["data"]["release"]["version"] == "1.0.0"
        assert f"Download page: {base}/download/latest/" in server_log(data_dir)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*command, "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"statushouders: cannot serve on 127.0.0.1:{port}: Address already in use"
    ]


def test_a_release_that_cannot_be_read_is_a_503_and_the_others_are_still_served(tmp_path):
    data_dir = tmp_path / "data"
    releases = data_dir / "releases"
    build_release(releases, "1.0.0")
    broken = build_release(releases, "1.1.0")
    (broken / "data" / "indicatoren.parquet").write_bytes(b"not parquet")
    with running_api(data_dir) as base, httpx.Client(base_url=base) as api:
        for _ in range(2):
            response = api.get("/v1/datasets/indicatoren/rows")
            assert response.status_code == 503
            assert response.json()["error"]["message"] == (
                "the latest release 1.1.0 cannot be read"
            )
        assert api.get("/v1/health").status_code == 200
        older = api.get("/v1/releases/1.0.0/datasets/indicatoren/rows")
        assert older.status_code == 200 and older.json()["meta"]["release"] == "1.0.0"
    assert "Traceback" not in server_log(data_dir)
