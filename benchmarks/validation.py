"""Great Expectations on a national-scale landing: every delivery suite, then every mart suite.

Parses and types each delivery of a generated landing (300,000+ persons), then times only the
suites (`expectations.validate_delivery`), per suite. GX 1.x has no DuckDB dialect, so suites
run on pandas DataFrames; each suite reads only the columns its rules name. `--all-columns`
converts whole tables instead, to measure what that choice saves. Target: <= 60 s on 2 cores.

    uv run python benchmarks/validation.py [--scale 20] [--landing DIR] [--all-columns]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--all-columns", action="store_true")
    args = parser.parse_args()

    import expectations.gate as gate
    from contract.tables import cast_table
    from expectations import validate_delivery
    from expectations.context import _context
    from ingest.deliveries import discover
    from sources import all_sources

    if args.all_columns:
        original = gate._frame

        def whole_frame(file, table_name, table, rules):
            frame = original(file, table_name, table, rules)
            rest = table.drop_columns([c for c in frame.columns if c in table.column_names])
            return frame.join(rest.to_pandas(date_as_object=False))

        gate._frame = whole_frame

    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        landing = args.landing
        if landing is None:
            from synthetic import generate

            landing = Path(tmp) / "landing"
            generate(landing, scale=args.scale)
        _context()  # GX start-up is paid once per process, not per suite
        per_suite: dict[str, float] = defaultdict(float)
        rows = files = 0
        total = 0.0
        for source in all_sources():
            for file in discover(landing, source):
                if file.kind is None:
                    continue
                try:
                    parsed = file.kind.parse(file.path, file)
                except Exception:
                    continue  # refused on structure: no suite runs on it
                typed = {}
                for table in file.kind.tables:
                    typed[table.name], problems = cast_table(table, parsed.tables[table.name])
                if problems:
                    continue
                started = time.perf_counter()
                validation = validate_delivery(file, typed)
                elapsed = time.perf_counter() - started
                total += elapsed
                files += 1
                rows += sum(validation.rows.values())
                per_suite[f"{file.source}/{file.kind.name} ({', '.join(typed)})"] += elapsed

    mode = "all columns" if args.all_columns else "only the columns the rules name"
    print(f"validated {files} deliveries, {rows:,} rows, in {total:.1f} s ({mode})")
    print("time per delivery kind (its suites together):")
    for name, seconds in sorted(per_suite.items(), key=lambda kv: -kv[1]):
        print(f"  {name:70s} {seconds:6.1f} s")
    print(f"throughput: {rows / total:,.0f} rows/s")
    print(f"target: <= 60 s -> {'met' if total <= 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
