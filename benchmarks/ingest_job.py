"""Ingestion at national scale: 300,000+ persons' deliveries through the `ingest` job.

Generates a landing folder (or reuses --landing), runs the Dagster `ingest` job in a child
process against a fresh data dir, and prints the wall time, rows per second and the child's
peak memory. Target: under 60 s on 2 cores.

    uv run python benchmarks/ingest_job.py [--scale 20] [--landing DIR]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

RUN_INGEST = """
import sys
from pathlib import Path
from cli.commands import run_pipeline
sys.exit(run_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), "ingest"))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0, help="20 gives about 313,000 persons")
    parser.add_argument("--landing", type=Path, help="reuse a generated landing folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        landing = args.landing
        if landing is None:
            from synthetic import generate

            landing = Path(tmp) / "landing"
            started = time.perf_counter()
            summary = generate(landing, seed=args.seed, scale=args.scale, with_errors=True)
            print(f"generated {summary.persons:,} persons in {time.perf_counter() - started:.1f} s")
        data_dir = Path(tmp) / "data"
        landing_bytes = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())

        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", RUN_INGEST, str(landing), str(data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            print(completed.stdout[-2000:], completed.stderr[-2000:])
            return 1
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
            tables = con.execute(
                "select table_name, estimated_size from duckdb_tables() "
                "where schema_name = 'raw' and table_name not like '%deliveries'"
            ).fetchall()
            rows = sum(
                con.execute(f'select count(*) from raw."{name}"').fetchall()[0][0]
                for name, _ in tables
            )
            persons = con.execute("select count(*) from raw.coa__koppelingen").fetchall()[0][0]

    print(f"landing: {landing_bytes / 2**20:,.0f} MiB")
    print(f"ingested {rows:,} rows ({persons:,} persons) in {elapsed:.1f} s (incl. start-up)")
    print(f"throughput: {rows / elapsed:,.0f} rows/s")
    print(f"peak memory (ingest process): {peak_mib:,.0f} MiB")
    print(f"target: < 60 s -> {'met' if elapsed < 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
