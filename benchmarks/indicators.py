"""`dbt build` at national scale, against one hand-written DuckDB query as the lower bound.

Ingests a generated national landing (300,000+ persons) with the `ingest` job, then times
`dbt build` as the monitor's dbt step runs it (every model, seed and data test up to the
marts; not the published layer, which follows disclosure control, nor the unit tests, which
the test suite runs) and its peak memory,
and times a single hand-written query computing the `werk` teller and noemer for every grid
cell. The two must
agree cell for cell; the ratio says what the layered dbt project costs over the bare query.
Targets on 2 cores: dbt build <= 2 minutes, peak memory <= 4 GiB.

    uv run python benchmarks/indicators.py [--scale 20] [--landing DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"

INGEST = """
import sys
from pathlib import Path
from cli.commands import run_pipeline
sys.exit(run_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), "ingest"))
"""

# The werk indicator straight from the raw tables, written independently of the dbt models.
WERK_BY_HAND = """
with
p as (
    select min(peildatum) as p from (
        select peildatum, kind, deliverer, counts_for_peildatum,
               row_number() over (partition by kind, deliverer
                                  order by period desc, received_seq desc) as r
        from (select * from raw.coa__deliveries union all select * from raw.duo__deliveries
              union all select * from raw.werk_inkomen__deliveries
              union all select * from raw.taalscholen__deliveries)
        where status = 'accepted'
    ) where r = 1 and counts_for_peildatum
),
housed as (
    select k.v_nummer_pseudoniem as id, k.bsn_pseudoniem as bsn, k.geslacht, k.gemeente_code,
           k.geboortedatum, k.datum_huisvesting as h
    from raw.coa__koppelingen k, p
    where k.datum_huisvesting <= p.p
      and k.gemeente_code in (select gemeente_code from reference.gemeenten)
),
first_year as (select min(year(h)) as y from housed),
pd as (
    select housed.*, d.d, cast(h + to_months(d.d) as date) as ref
    from housed, p, (select unnest([6, 12, 18, 24, 30, 36, 48, 60]) as d) d
    where cast(make_date(year(h), 12, 31) + to_months(d.d) as date) <= p.p
),
aged as (
    select *, year(ref) - year(geboortedatum)
              - (strftime(ref, '%m%d') < strftime(geboortedatum, '%m%d'))::int as age
    from pd
),
pop as (
    select *, case when age < 30 then '18-29' when age < 50 then '30-49' else '50-64' end as k
    from aged where age between 18 and 64
),
werk as (
    select distinct pop.id, pop.d
    from pop join raw.werk_inkomen__dienstverbanden w on w.bsn_pseudoniem = pop.bsn
    where w.datum_start <= pop.ref and (w.datum_einde is null or w.datum_einde >= pop.ref)
),
areas as (
    select gemeente_code, gemeente_code as gebied from reference.gemeenten
    union all select gemeente_code, 'U10' from reference.gemeenten where u10 = 'J'
    union all select gemeente_code, 'U16' from reference.gemeenten
)
select year(pop.h) as cohort_jaar, pop.d as duur_maanden, areas.gebied as gebied_code,
       coalesce(pop.geslacht, 'T') as geslacht, coalesce(pop.k, 'T') as leeftijdsklasse,
       count(werk.id) as teller, count(*) as noemer
from pop join areas using (gemeente_code)
left join werk on werk.id = pop.id and werk.d = pop.d
group by grouping sets ((1, 2, 3, pop.geslacht, pop.k), (1, 2, 3, pop.geslacht),
                        (1, 2, 3, pop.k), (1, 2, 3))
"""


def run_measured(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall time, peak resident memory (MiB) and output of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        print(output[-3000:])
        raise SystemExit(f"{command[0]} failed")
    return elapsed, usage.ru_maxrss / 1024, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0, help="20 gives about 313,000 persons")
    parser.add_argument("--landing", type=Path, help="reuse a generated landing folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as tmp:
        landing = args.landing
        if landing is None:
            from synthetic import generate

            landing = Path(tmp) / "landing"
            generate(landing, scale=args.scale)
        data_dir = Path(tmp) / "data"
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        subprocess.run(
            [sys.executable, "-c", INGEST, str(landing), str(data_dir)],
            check=True,
            capture_output=True,
            env=env,
        )
        warehouse = data_dir / "warehouse.duckdb"
        env["STATUSHOUDERS_WAREHOUSE"] = str(warehouse)
        dbt = str(Path(sys.executable).parent / "dbt")
        # What the monitor's dbt step builds: all but the published layer, which reads the
        # tables disclosure control writes after it.
        from pipelines.defs.indicators import BUILD, PUBLISHED_LAYER

        seconds, peak_mib, output = run_measured(
            [dbt, *BUILD, "--exclude", PUBLISHED_LAYER, "--profiles-dir", str(DBT_DIR)],
            env,
            DBT_DIR,
        )
        summary = [line for line in output.splitlines() if "Done. PASS=" in line]

        with duckdb.connect(str(warehouse)) as con:
            persons = con.execute("select count(*) from raw.coa__koppelingen").fetchall()[0][0]
            started = time.perf_counter()
            by_hand = con.execute(WERK_BY_HAND).fetchall()
            hand_seconds = time.perf_counter() - started
            mart = con.execute(
                "select cohort_jaar, duur_maanden, gebied_code, geslacht, leeftijdsklasse, "
                "teller, noemer from marts.indicatoren where indicator = 'werk' and noemer > 0"
            ).fetchall()
            cells = con.execute("select count(*) from marts.indicatoren").fetchall()[0][0]

    agree = sorted(by_hand) == sorted(mart)
    print(f"persons: {persons:,}; indicator cells: {cells:,}")
    print(f"dbt build: {seconds:.1f} s, peak memory {peak_mib:,.0f} MiB ({summary[-1].strip()})")
    print(f"hand-written werk query: {hand_seconds:.2f} s for {len(by_hand):,} non-empty cells")
    print(f"ratio dbt build / hand query: {seconds / hand_seconds:.0f}x")
    print(f"hand query and mart agree on every werk cell: {agree}")
    print(
        f"targets: build <= 120 s {'met' if seconds <= 120 else 'NOT met'}, "
        f"memory <= 4096 MiB {'met' if peak_mib <= 4096 else 'NOT met'}"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
