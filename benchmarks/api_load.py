"""The API under load, against Datasette serving the same release, on the same machine.

Builds a release of realistic size (indicatoren: 54 cohort/duration pairs × 18 areas ×
3 geslacht × 4 leeftijdsklassen × 9 indicators = 104,976 rows) with the test fixture
builder, converts its CSV to SQLite for Datasette (with an index on every dimension and one
on (gebied_code, indicator), so Datasette's query is an index look-up too), and loads both
servers with wrk: 32 connections for `--duration` seconds, the typical dashboard query
"one area, one indicator, every duration", rotating over all 18 × 9 area/indicator pairs
(648 rows per answer, one page of up to 1000), three runs of 10 s each, the
median reported (the machine may be shared). Each server is one uvicorn process, access
log off, pinned to core 0; wrk runs on core 1. Datasette answers with `_shape=array`,
its leanest JSON (no count, no facets), and facet suggestions off.
Targets: p99 at most 25 ms, and at least Datasette's requests per second.

    apt-get install wrk    # once
    uv run --group bench python benchmarks/api_load.py [--duration 10] [--repeat 3]
        [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api_server import SERVE, running_api  # noqa: E402
from tests.release_fixture import (  # noqa: E402
    COHORT_INDICATORS,
    COLUMNS,
    PRIMARY_KEYS,
    all_areas,
    build_release,
    codelists,
    doorgaande_lijn,
    huisvesting,
    indicatoren,
    planresultaten,
    read_csv,
)

DURATIONS = (6, 12, 18, 24, 30, 36, 48, 60)
PEILDATUM = (2025, 6)
SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}

DATASETTE = """
import sys, uvicorn
from datasette.app import Datasette
db, port = sys.argv[1], int(sys.argv[2])
settings = {"suggest_facets": False, "default_page_size": 100, "max_returned_rows": 1000}
app = Datasette(immutables=[db], settings=settings).app()
uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
"""

WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"non2xx": %%d, "socket_errors": %%d, "bytes": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, summary.bytes))
end
"""


def published_pairs() -> list[tuple[int, int]]:
    """(cohort, duration) pairs observed in full by the peildatum, as the monitor publishes."""
    year, month = PEILDATUM
    return [
        (cohort, d)
        for cohort in range(2016, year)
        for d in DURATIONS
        # 31 December of the cohort + d months is a month's end, and so is the peildatum.
        if cohort * 12 + 11 + d <= year * 12 + month - 1
    ]


def build(data_dir: Path) -> Path:
    areas = all_areas()
    tables = {
        "indicatoren": indicatoren(published_pairs(), areas, COHORT_INDICATORS, seed=7),
        "huisvesting": huisvesting(areas),
        "doorgaande_lijn": doorgaande_lijn(areas),
        "planresultaten": planresultaten(areas),
        **codelists(areas),
    }
    return build_release(data_dir / "releases", "1.0.0", tables)


def to_sqlite(release: Path, database: Path) -> None:
    """The release's indicatoren CSV as a typed SQLite table, indexed on every dimension."""
    columns = COLUMNS["indicatoren"]
    with sqlite3.connect(database) as con:
        definitions = ", ".join(f"{c} {SQLITE_TYPES[t]}" for c, t in columns)
        con.execute(
            f"create table indicatoren ({definitions}, "
            f"primary key ({', '.join(PRIMARY_KEYS['indicatoren'])}))"
        )
        marks = ", ".join("?" * len(columns))
        con.executemany(
            f"insert into indicatoren values ({marks})",
            ([row[c] for c, _ in columns] for row in read_csv(release, "indicatoren")),
        )
        for column in PRIMARY_KEYS["indicatoren"]:  # the six dimensions
            con.execute(f"create index ix_{column} on indicatoren ({column})")
        con.execute("create index ix_area_indicator on indicatoren (gebied_code, indicator)")
        con.execute("analyze")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(core: int, command: list[str], pin: bool) -> list[str]:
    return ["taskset", "-c", str(core), *command] if pin else command


def start_datasette(database: Path, pin: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = pinned(0, [sys.executable, "-c", DATASETTE, str(database), str(port)], pin)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("Datasette did not start")


def load(base: str, paths: list[str], args: argparse.Namespace, pin: bool) -> dict:
    """wrk against `base`, `args.repeat` times; the median of each figure, and every run."""
    for path in paths:  # warm: every answer once, so the runs measure the steady state
        assert httpx.get(base + path, timeout=30).status_code == 200
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    wrk = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "-s", script.name, base]
    runs = []
    for _ in range(args.repeat):
        output = subprocess.run(pinned(1, wrk, pin), capture_output=True, text=True, check=True)
        line = next(x for x in output.stdout.splitlines() if x.startswith("RESULT "))
        run = json.loads(line.removeprefix("RESULT "))
        run["rps"] = run["requests"] / (run["duration_us"] / 1e6)
        run["errors"] = run["non2xx"] + run["socket_errors"]
        runs.append(run)
    os.unlink(script.name)
    summary = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_us", "p99_us")}
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["mb_s"] = statistics.median(r["bytes"] / r["duration_us"] for r in runs)
    summary["runs"] = runs
    return summary


def same_rows(api: str, datasette: str, area: str, indicator: str) -> int:
    """Both servers answer the query with the same rows; returns how many."""
    ours = httpx.get(
        f"{api}/v1/datasets/indicatoren/rows",
        params={"gebied_code": area, "indicator": indicator, "limit": 1000},
    ).json()["data"]
    theirs = httpx.get(
        f"{datasette}/bench/indicatoren.json",
        params={"gebied_code": area, "indicator": indicator, "_size": 1000, "_shape": "array"},
    ).json()
    for row in theirs:
        row["geheim"] = bool(row["geheim"])
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(map(key, ours)) == sorted(map(key, theirs)), "the two answers differ"
    return len(ours)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server (median)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and wrk")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmarks/api_load.py: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    pin = not args.no_pin and shutil.which("taskset") is not None and os.cpu_count() > 1
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        release = build(data_dir)
        rows = sum(1 for _ in (release / "data" / "indicatoren.csv").open()) - 1
        database = Path(tmp) / "bench.db"
        to_sqlite(release, database)
        print(
            f"release 1.0.0: indicatoren {rows:,} rows, built with SQLite copy in "
            f"{time.perf_counter() - started:.1f} s"
        )
        pairs = [(code, i) for code, _ in all_areas() for i in COHORT_INDICATORS]
        api_paths = [
            f"/v1/datasets/indicatoren/rows?gebied_code={a}&indicator={i}&limit=1000"
            for a, i in pairs
        ]
        datasette_paths = [
            f"/bench/indicatoren.json?gebied_code={a}&indicator={i}&_size=1000&_shape=array"
            for a, i in pairs
        ]
        settings = {"STATUSHOUDERS_API_RATE_LIMIT": "0", "STATUSHOUDERS_API_ACCESS_LOG": "false"}
        command = pinned(0, [sys.executable, "-c", SERVE, str(data_dir)], pin)
        datasette, datasette_base = start_datasette(database, pin)
        results = {}
        try:
            for label, extra in (
                ("API", {}),
                ("API, no response cache", {"STATUSHOUDERS_API_RESPONSE_CACHE_MB": "0"}),
            ):
                with running_api(data_dir, {**settings, **extra}, command=command) as api:
                    per_answer = same_rows(api, datasette_base, "GM0344", "werk")
                    results[label] = load(api, api_paths, args, pin)
            results["Datasette"] = load(datasette_base, datasette_paths, args, pin)
        finally:
            datasette.terminate()
            datasette.wait()
    print(
        f"query: one area, one indicator, every duration ({per_answer} rows), rotating over "
        f"{len(pairs)} area/indicator pairs; {args.connections} connections, "
        f"{args.repeat} × {args.duration} s per server"
        + (", server on core 0, wrk on core 1" if pin else "")
    )
    print(f"load average before: {before:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(
        f"{'median of ' + str(args.repeat) + ' runs':24} {'req/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7} {'MB/s':>7}   (each run: req/s, p99 ms)"
    )
    for name, r in results.items():
        each = ", ".join(f"{x['rps']:,.0f}/{x['p99_us'] / 1000:.1f}" for x in r["runs"])
        print(
            f"{name:24} {r['rps']:9,.0f} {r['p50_us'] / 1000:8.2f} {r['p99_us'] / 1000:8.2f} "
            f"{r['errors']:7} {r['mb_s']:7.1f}   ({each})"
        )
    ours, theirs = results["API"], results["Datasette"]
    print(
        "API / Datasette throughput: "
        + ", ".join(
            f"{name} {r['rps'] / theirs['rps']:.1f}x"
            for name, r in results.items()
            if name != "Datasette"
        )
    )
    ratio = ours["rps"] / theirs["rps"]
    ok = ours["p99_us"] <= 25_000 and ratio >= 1 and ours["errors"] == 0
    print("targets (p99 <= 25 ms, throughput >= Datasette): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
