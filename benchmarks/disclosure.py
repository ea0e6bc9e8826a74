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

from publish import disclosure as dc

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
    from pipelines.reference import load_reference

    if warehouse is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
        run = [sys.executable, "-m", "pipelines.cli"]
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
    return frames, dc.monitor_shapes(codelist, list(ref.gemeenten), list(ref.u10))


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


def measure(label: str, frames: dict, shapes: dict) -> None:
    rows = sum(len(f) for f in frames.values())
    start = time.perf_counter()
    _, report = dc.protect_tables(frames, shapes, workers=2)
    seconds = time.perf_counter() - start
    audit = report["audit"]
    loss = report["information_loss"]
    per_block = list(loss["secondary_cells_per_block"].values())
    print(f"\n{label}: {rows:,} rows, {seconds:.1f} s")
    print(
        f"  audit {'passed' if audit['passed'] else 'FAILED'}: {audit['withheld_cells']:,} "
        f"withheld cells, {audit['linear_programs']:,} LPs, {audit['rounds']} rounds, "
        f"{len(audit['pinned'])} pinned"
    )
    for name, r in report["resources"].items():
        print(
            f"  {name}: {r['rows_geheim']:,} of {r['rows']:,} rows geheim; tellers withheld "
            f"{r['tellers']['primary']:,} primary + {r['tellers']['secondary']:,} secondary; "
            f"noemers {r['noemers']['primary']:,} + {r['noemers']['secondary']:,}; "
            f"{100 * r['share_withheld']:.1f}% of cells"
        )
    print(
        f"  information lost: {100 * loss['share_of_cells_withheld']:.1f}% of cells withheld; "
        f"secondary cells per block mean {np.mean(per_block or [0]):.0f}, "
        f"max {max(per_block, default=0)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a warehouse with the U16 marts")
    parser.add_argument("--national-blocks", type=int, default=8, help="(cohort, duration) pairs")
    args = parser.parse_args()
    measure("U16 release (target <= 30 s)", *u16_marts(args.warehouse))
    if args.national_blocks:
        measure(
            f"national shape, 386 areas x {args.national_blocks} blocks (target <= 300 s)",
            *national_table(args.national_blocks),
        )


if __name__ == "__main__":
    main()
