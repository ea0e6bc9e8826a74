"""Disclosure control across releases at U16: a year of monthly releases with corrections.

Month 1 is the U16 marts of a pipeline run on the generated landing (`--warehouse`, or a fresh
run as benchmarks/disclosure.py makes one) without its last few (cohort, duration) pairs. Each
later month adds the next pair, as P moves on, and corrects the Werk & Inkomen workbooks of two
municipalities: in three blocks (`--blocks`; 0 for every block, as when a workbook corrects
jobs of every cohort) their `werk` counts move by up to two persons per sex and age class (never
past the noemer), and every total is summed again. Each month is suppressed twice:

- alone, as if no release came before it (the single-release run);
- starting from every release before it, and audited together with them
  (publish/disclosure/history.py);
  a block unchanged since the latest release keeps its pattern, and a table unchanged since
  then takes the latest release's moves instead of a new solve, as in the pipeline.

Targets: a month with its history in at most 2 x the time of the same month alone, and rows
withheld within 10% of the month alone. Prints each month, then the figures for 2 and for 12
releases.

    uv run python benchmarks/history.py [--warehouse FILE] [--months 12]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from publish import disclosure as dc
from publish.disclosure.history import History, align, align_moves

SEXES = ("M", "V")
AGES = ("18-29", "30-49", "50-64")


def months(frames: dict, count: int, u10: list[str], blocks: int = 3, seed: int = 0) -> list[dict]:
    """The marts of `count` monthly releases: a pair added each month, and corrections."""
    rng = np.random.default_rng(seed)
    table = frames["indicatoren"]
    pairs = sorted(set(zip(table.cohort_jaar, table.duur_maanden, strict=True)))
    held_back = pairs[len(pairs) - (count - 1) :] if count > 1 else []
    municipalities = sorted(c for c in table.gebied_code.unique() if c.startswith("GM"))
    out = []
    for month in range(count):
        if month:
            areas = list(rng.choice(municipalities, size=2, replace=False))
            table = correct(table, areas, municipalities, u10, rng, blocks)
        shown = set(pairs) - set(held_back[month:])
        visible = [p in shown for p in zip(table.cohort_jaar, table.duur_maanden, strict=True)]
        out.append({**frames, "indicatoren": table[visible].reset_index(drop=True)})
    return out


def correct(
    table: pd.DataFrame,
    areas: list[str],
    municipalities: list[str],
    u10: list[str],
    rng: np.random.Generator,
    blocks: int = 3,
) -> pd.DataFrame:
    """Move the `werk` counts of `areas` in `blocks` blocks (0: all) by -2..2 per sex and age class,
    within 0..noemer, and sum every total of those blocks again."""
    table = table.copy()
    werk = table[table.indicator == "werk"]
    pairs = sorted(set(zip(werk.cohort_jaar, werk.duur_maanden, strict=True)))
    for index in rng.choice(len(pairs), size=blocks or len(pairs), replace=False):
        cohort, duration = pairs[index]
        rows = table.index[
            (table.cohort_jaar == cohort)
            & (table.duur_maanden == duration)
            & (table.indicator == "werk")
        ]
        part = table.loc[rows]
        # The finest counts as an array: municipality x sex x age class.
        counts = np.zeros((len(municipalities), len(SEXES), len(AGES)))
        ceiling = np.zeros_like(counts)
        finest = part[part.gebied_code.isin(municipalities) & part.geslacht.isin(SEXES)]
        finest = finest[finest.leeftijdsklasse.isin(AGES)]
        at = (
            [municipalities.index(g) for g in finest.gebied_code],
            [SEXES.index(s) for s in finest.geslacht],
            [AGES.index(a) for a in finest.leeftijdsklasse],
        )
        counts[at] = finest.teller.to_numpy()
        ceiling[at] = finest.noemer.to_numpy()
        moved = [municipalities.index(a) for a in areas]
        counts[moved] = np.clip(
            counts[moved] + rng.integers(-2, 3, counts[moved].shape), 0, ceiling[moved]
        )
        members = {
            "U16": list(range(len(municipalities))),
            "U10": [municipalities.index(g) for g in u10],
        }
        tellers = []
        for row in part.itertuples():
            where = members.get(
                row.gebied_code,
                [municipalities.index(row.gebied_code)]
                if row.gebied_code in municipalities
                else [],
            )
            sexes = range(len(SEXES)) if row.geslacht == "T" else [SEXES.index(row.geslacht)]
            ages = (
                range(len(AGES))
                if row.leeftijdsklasse == "T"
                else [AGES.index(row.leeftijdsklasse)]
            )
            tellers.append(counts[np.ix_(where, list(sexes), list(ages))].sum())
        table.loc[rows, "teller"] = np.array(tellers).astype(table["teller"].dtype)
        noemer = table.loc[rows, "noemer"].astype(float)
        table.loc[rows, "percentage"] = (
            100 * table.loc[rows, "teller"] / noemer.where(noemer > 0)
        ).round(1)
    return table


def geheim(suppression: dc.Suppression) -> int:
    teller, noemer = suppression.cells.rows["indicatoren"]
    return int((suppression.withheld[teller] | suppression.withheld[noemer]).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a warehouse with the U16 marts")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--blocks", type=int, default=3, help="blocks corrected a month; 0: all")
    args = parser.parse_args()
    from disclosure import u16_marts  # benchmarks/disclosure.py, beside this script

    from contract.reference import load_reference

    frames, shapes = u16_marts(args.warehouse)
    kept: list[tuple[str, pd.DataFrame]] = []
    latest: dc.Suppression | None = None  # its moves go with it, as in the warehouse
    figures = []
    for month, marts in enumerate(
        months(frames, args.months, list(load_reference().u10), args.blocks), 1
    ):
        start = time.perf_counter()
        alone = dc.protect(dc.cells_of(marts, shapes), workers=2)
        seconds_alone = time.perf_counter() - start
        start = time.perf_counter()
        cells = dc.cells_of(marts, shapes)
        history = History(
            [align(cells.keys, version, stored) for version, stored in kept], same_rules=True
        )
        if latest is not None:
            history.moves = align_moves(cells.keys, latest.cells.keys, dc.kept_moves(latest))
        aware = dc.protect(cells, workers=2, history=history)
        seconds = time.perf_counter() - start
        rows, rows_alone = geheim(aware), geheim(alone)
        passed = aware.audit.passed and aware.across["passed"]
        figures.append((seconds, seconds_alone, rows, rows_alone))
        print(
            f"month {month:2d}: {seconds:5.1f} s with {month - 1} earlier release(s), "
            f"{seconds_alone:5.1f} s alone ({seconds / seconds_alone:.2f}x); rows geheim "
            f"{rows:,} against {rows_alone:,} ({100 * (rows - rows_alone) / rows_alone:+.1f}%); "
            f"audit {'passed' if passed else 'FAILED'}; {aware.across['public_cells']:,} "
            f"cells public, {aware.across['kept_cells']:,} kept",
            flush=True,
        )
        if passed:  # a release whose audit fails is not published: it is no one's history
            kept.append((f"1.{len(kept)}.0", dc.kept_cells(aware)))
            latest = aware
    for count in sorted({2, args.months}):
        seconds, alone, rows, rows_alone = figures[count - 1]
        print(
            f"{count} releases: {seconds:.1f} s against {alone:.1f} s alone "
            f"({seconds / alone:.2f}x, target <= 2); rows geheim {rows:,} against {rows_alone:,} "
            f"({100 * (rows - rows_alone) / rows_alone:+.1f}%, target within 10%)"
        )


if __name__ == "__main__":
    main()
