"""Disclosure control at U16 and at national shape: suppression plus the attacker's audit.

1. U16: the marts of a pipeline run on the generated U16 landing (`--warehouse`, or a fresh
   `statushouders run` on a generated landing in a temporary folder), suppressed and audited
   in full as the `disclosure_control` asset does. Target on 2 cores: <= 30 s.
2. National shape: a generated table of 350 municipalities in 35 regions of 10 (the U10 form)
   and a national total (the U16 form), with the same sexes, age classes and indicators.
   Target on 2 cores: <= 5 minutes.

Prints the time, the cells withheld and the information lost for each.

    uv run python benchmarks/disclosure.py [--warehouse FILE] [--national-blocks 8]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.defs.disclosure_control import monitor_shapes
from publish import disclosure as dc
from publish.disclosure import optimal

ROOT = Path(__file__).resolve().parents[1]
INDICATORS = {
    # indicator: (population, rate at 6 months, rate at 60 months)
    "werk": ("alle", 0.05, 0.45),
    "bijstand": ("alle", 0.85, 0.45),
    "werk_zonder_bijstand": ("alle", 0.02, 0.35),
    "activering": ("alle", 0.05, 0.10),
    "onderwijs": ("alle", 0.10, 0.15),
    "taalles": ("alle", 0.60, 0.20),
    "participatie": ("alle", 0.70, 0.70),
    "inburgering_voldaan": ("inburgering", 0.01, 0.60),
    "taalniveau_b1": ("alle", 0.01, 0.30),
}
SEXES = {"M": 0.6, "V": 0.4}
AGES = {"18-29": 0.5, "30-49": 0.4, "50-64": 0.1}
DURATIONS = [6, 12, 18, 24, 30, 36, 48, 60]


def u16_marts(warehouse: Path | None) -> tuple[dict[str, pd.DataFrame], dict[str, dc.Shape]]:
    from contract.reference import load_reference

    if warehouse is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
        run = [sys.executable, "-m", "cli.commands"]
        subprocess.run([*run, "generate", "--out", str(tmp / "landing")], check=True)
        subprocess.run(
            [*run, "run", "--landing", str(tmp / "landing"), "--data-dir", str(tmp / "data")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        warehouse = tmp / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {
            name: con.sql(f"select * from marts.{name}").df()
            for name in ("indicatoren", "doorgaande_lijn")
        }
        codelist = con.sql(
            "select indicator, resource, populatie_nl from reference.indicatoren_codelijst"
        ).df()
    ref = load_reference()
    return frames, monitor_shapes(codelist, list(ref.gemeenten), list(ref.u10))


def national_table(blocks: int, seed: int = 0) -> tuple[dict[str, pd.DataFrame], dict]:
    """Person counts per municipality x sex x age class, summed up to every total."""
    rng = np.random.default_rng(seed)
    municipalities = [f"GM{i:04d}" for i in range(350)]
    regions = {f"R{r:02d}": tuple(municipalities[r * 10 : r * 10 + 10]) for r in range(35)}
    hierarchy = dc.Hierarchy("gebied_code", {"NL": tuple(municipalities), **regions})
    size = rng.lognormal(mean=3.6, sigma=1.0, size=len(municipalities))
    cells = list(itertools.product(SEXES, AGES))
    share = np.array([SEXES[s] * AGES[a] for s, a in cells])
    rows = []
    pairs = [(2018 + b // len(DURATIONS), DURATIONS[b % len(DURATIONS)]) for b in range(blocks)]
    for cohort, duration in pairs:
        noemer = rng.poisson(size[:, None] * share[None, :])  # municipality x (sex, age)
        inburgering = rng.binomial(noemer, 0.8)
        progress = DURATIONS.index(duration) / (len(DURATIONS) - 1)
        tellers = {}
        for name, (population, early, late) in INDICATORS.items():
            base = inburgering if population == "inburgering" else noemer
            tellers[name] = rng.binomial(base, early + (late - early) * progress)
        for area, members in [(m, (i,)) for i, m in enumerate(municipalities)] + [
            (code, tuple(municipalities.index(m) for m in parts))
            for code, parts in hierarchy.totals.items()
        ]:
            for sex, age in itertools.product([*SEXES, "T"], [*AGES, "T"]):
                cols = [i for i, (s, a) in enumerate(cells) if sex in (s, "T") and age in (a, "T")]
                for name, (population, _, _) in INDICATORS.items():
                    base = inburgering if population == "inburgering" else noemer
                    rows.append(
                        (
                            cohort,
                            duration,
                            area,
                            sex,
                            age,
                            name,
                            int(tellers[name][np.ix_(members, cols)].sum()),
                            int(base[np.ix_(members, cols)].sum()),
                        )
                    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "cohort_jaar",
            "duur_maanden",
            "gebied_code",
            "geslacht",
            "leeftijdsklasse",
            "indicator",
            "teller",
            "noemer",
        ],
    )
    frame["percentage"] = (
        100 * frame["teller"] / frame["noemer"].where(frame["noemer"] > 0)
    ).round(1)
    populations = {name: population for name, (population, _, _) in INDICATORS.items()}
    shape = dc.Shape(("cohort_jaar", "duur_maanden"), (hierarchy, dc.SEX, dc.AGE), populations)
    return {"indicatoren": frame}, {"indicatoren": shape}


def measure(label: str, frames: dict, shapes: dict) -> tuple[dict, dc.Suppression | None]:
    rows = sum(len(f) for f in frames.values())
    start = time.perf_counter()
    cells = dc.cells_of(frames, shapes)
    suppression = dc.protect(cells, workers=2)
    seconds = time.perf_counter() - start
    report = dc.report(suppression)
    audit = report["audit"]
    loss = report["information_loss"]
    chosen = report["secondary_suppression"]
    per_block = list(loss["secondary_cells_per_block"].values())
    print(f"\n{label}: {rows:,} rows, {seconds:.1f} s")
    print(
        f"  audit {'passed' if audit['passed'] else 'FAILED'}: {audit['withheld_cells']:,} "
        f"withheld cells, {audit['linear_programs']:,} LPs, {audit['rounds']} rounds, "
        f"{len(audit['pinned'])} pinned"
    )
    print(
        f"  secondary suppression: {chosen['optimal']} of {chosen['blocks']} blocks optimal, "
        f"{chosen['near_optimal']} near-optimal, {chosen['heuristic']} heuristic; cost "
        f"{chosen['cost']:,.0f}, proven lower bound {chosen['lower_bound']:,.0f} "
        f"(gap {100 * chosen['gap']:.2f}%)"
    )
    for name, r in report["resources"].items():
        print(
            f"  {name}: {r['rows_geheim']:,} of {r['rows']:,} rows geheim; tellers withheld "
            f"{r['tellers']['primary']:,} primary + {r['tellers']['secondary']:,} secondary; "
            f"noemers {r['noemers']['primary']:,} + {r['noemers']['secondary']:,}; "
            f"{100 * r['share_withheld']:.1f}% of cells"
        )
        for level, counts in r["rows_withheld_by_level"].items():
            print(
                f"    {dc.LEVEL_LABELS[level]:40s} {counts['rows']:7,} rows: primary "
                f"{100 * counts['primary']:5.1f}%, secondary {100 * counts['secondary']:5.1f}%"
            )
    print(
        f"  information lost: {100 * loss['share_of_cells_withheld']:.1f}% of cells withheld; "
        f"secondary cells per block mean {np.mean(per_block or [0]):.0f}, "
        f"max {max(per_block, default=0)}"
    )
    return report, suppression


def forced(suppression: dc.Suppression) -> None:
    """How many headline rows any protecting pattern must withhold beyond the primary rules.

    Per teller table, the cheapest pattern against the weakest attacker (the table's own
    relations and counts >= 0: optimal.single_table_model) with the monitor's costs, which put
    every headline cell after all breakdown cells and a region's after a municipality's. Any
    pattern that protects the release protects each table against that attacker, so its
    fewest region (then municipality) headline cells are a lower bound; each is its own row.
    """
    cells = suppression.cells
    primary = dc.primary(cells, suppression.thresholds) != dc.NONE
    ours = suppression.reason == dc.SECONDARY
    bound = {1: 0, 2: 0}
    zeros = {1: 0, 2: 0}
    found = {1: 0, 2: 0}
    start = time.perf_counter()
    unproven = 0
    indicatoren = cells.resources.index("indicatoren")
    for table in np.unique(cells.table[cells.resource == indicatoren]):
        members = np.flatnonzero(cells.table == table)
        if cells.noemer_of[members[0]] < 0:
            continue
        model = optimal.single_table_model(
            cells.structure, cells.value, cells.cost, members, primary
        )
        model.moves = cells.moves(members)
        result = optimal.solve(model, optimal.Limits(rounds=30))
        unproven += not result.optimal
        extra = result.withheld & ~model.must
        for tier in (1, 2):
            at = extra & (cells.tier[members] == tier)
            bound[tier] += int(at.sum())
            zeros[tier] += int((at & (cells.value[members] == 0)).sum())
            found[tier] += int((ours[members] & (cells.tier[members] == tier)).sum())
    took = time.perf_counter() - start
    print(f"\nforced headline tellers (lower bound, single tables, {took:.0f} s):")
    for tier, level in ((2, "region_headline"), (1, "municipality_headline")):
        rows = int(
            ((cells.tier == tier) & (cells.noemer_of >= 0) & (cells.resource == indicatoren)).sum()
        )
        print(
            f"  {dc.LEVEL_LABELS[level]:40s} at least {bound[tier]:,} of {rows:,} "
            f"({100 * bound[tier] / rows:.1f}%; {zeros[tier]:,} of them 0); withheld "
            f"{found[tier]:,} ({100 * found[tier] / rows:.1f}%)"
        )
    if unproven:
        print(f"  ({unproven} tables not proven optimal: their counts are not bounds)")


# Blocks compared with Tau-Argus: the six, cohorts and durations across the range.
TAU_BLOCKS = [(2016, 12), (2017, 24), (2018, 36), (2019, 48), (2020, 12), (2021, 24)]
TAU_TABLES = ("werk", "participatie", "noemer")


def compare_with_tauargus(frames: dict, suppression: dc.Suppression) -> None:
    """Tau-Argus OPT on each single table of TAU_BLOCKS (werk, participatie and the noemers
    of their population), with our primary cells and costs and one unit of upper protection;
    against our secondary cells in the same tables, and our own single-table optimum."""
    from tauargus import tau_opt  # benchmarks/tauargus.py, beside this script

    try:
        import pytauargus  # noqa: F401
    except ImportError:
        print("\nTau-Argus: not installed (uv run --group bench)")
        return
    from contract.reference import load_reference

    ref = load_reference()
    hierarchies = {
        "gebied_code": {"U16": list(ref.gemeenten), "U10": list(ref.u10)},
        "geslacht": {"T": ["M", "V"]},
        "leeftijdsklasse": {"T": ["18-29", "30-49", "50-64"]},
    }
    cells = suppression.cells
    table = frames["indicatoren"].reset_index(drop=True)
    teller_id, noemer_id = cells.rows["indicatoren"]
    primary = dc.primary(cells, suppression.thresholds) != dc.NONE
    ours_total = tau_total = single_total = 0
    seconds = 0.0
    print("\nTau-Argus OPT per single table (same primaries and costs, 1 unit up) against ours:")
    for cohort, duration in TAU_BLOCKS:
        rows = table[(table.cohort_jaar == cohort) & (table.duur_maanden == duration)]
        for name in TAU_TABLES:
            part = rows[rows.indicator == ("werk" if name == "noemer" else name)]
            ids = (noemer_id if name == "noemer" else teller_id)[part.index.to_numpy()]
            frame = (
                part[list(hierarchies)]
                .astype(str)
                .assign(
                    value=cells.value[ids].astype(int),
                    primary=primary[ids],
                    cost=cells.cost[ids].astype(np.int64),
                )
            )
            secondary, took, info = tau_opt(frame, hierarchies)
            model = optimal.single_table_model(
                cells.structure, cells.value, cells.cost, np.sort(ids), primary
            )
            model.moves = cells.moves(np.sort(ids))
            single = optimal.solve(model, optimal.Limits(rounds=30))
            ours = int((suppression.reason[ids] == dc.SECONDARY).sum())
            alone = int((single.withheld & ~model.must).sum())
            ours_total, tau_total, single_total = (
                ours_total + ours,
                tau_total + int(secondary.sum()),
                single_total + alone,
            )
            seconds += took
            print(
                f"  {cohort}/{duration:>2} {name:13s} primary {int(frame.primary.sum()):3d}  "
                f"Tau-Argus {int(secondary.sum()):3d}{'' if info['optimal'] else '*'}  "
                f"ours alone {alone:3d}  ours linked {ours:3d}"
            )
    print(
        f"  total: Tau-Argus {tau_total} ({seconds:.1f} s), ours on single tables {single_total}, "
        f"ours in the linked release {ours_total}: ratio {ours_total / tau_total:.2f} "
        f"(target <= 1.25). Linking costs {ours_total - single_total} cells (a noemer is at "
        f"least each of its tellers, a teller at most its noemer); our rule (a whole unit up "
        f"or down, for every withheld cell) against Tau-Argus' (one unit up, primaries only) "
        f"makes {single_total - tau_total:+d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a warehouse with the U16 marts")
    parser.add_argument("--national-blocks", type=int, default=8, help="(cohort, duration) pairs")
    parser.add_argument("--bounds", action="store_true", help="the forced headline rows too")
    args = parser.parse_args()
    frames, shapes = u16_marts(args.warehouse)
    _, suppression = measure("U16 release (target <= 30 s)", frames, shapes)
    compare_with_tauargus(frames, suppression)
    if args.bounds:
        forced(suppression)
    if args.national_blocks:
        measure(
            f"national shape, 386 areas x {args.national_blocks} blocks (target <= 300 s)",
            *national_table(args.national_blocks),
        )


if __name__ == "__main__":
    main()
