"""An attacker who holds every release, written apart from publish/ (its own relations, its own
LPs on highspy): for every withheld teller and noemer of every release, the interval of values
that the published values, the sums, counts >= 0, teller <= noemer and the equality of every
cell whose true value did not change allow.

Releases are given as indicatoren rows (the published teller and noemer, NaN where withheld)
with their true values, the way the warehouse and the release files hold them. Blocks (one
cohort and duration) share no sum, so each is solved on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import highspy
import numpy as np
import pandas as pd

CEILING = 1e6


def pinned_across(
    releases: Sequence[pd.DataFrame],
    hierarchies: Sequence[tuple[str, Mapping[str, Sequence[str]]]],
    populations: Mapping[str, str],
    only_changed_blocks: bool = True,
    blocks: Sequence[tuple[int, int]] | None = None,
) -> list[tuple]:
    """(release index, kind, name, block, codes) of every withheld cell whose interval holds
    fewer than two whole numbers, or whose value another release publishes unchanged.

    Each release: rows with cohort_jaar, duur_maanden, the dimensions of `hierarchies` (each
    a dimension with its totals and their parts), indicator, teller, noemer (published, NaN
    withheld) and true_teller, true_noemer. With `only_changed_blocks`, a block that is the
    same in every release (same published and true values) is skipped: combining identical
    copies tells the attacker nothing one release does not. `blocks`, (cohort_jaar,
    duur_maanden) pairs, limits the search to those.
    """
    dims = [d for d, _ in hierarchies]
    sums = [
        (i, total, tuple(parts))
        for i, (_, t) in enumerate(hierarchies)
        for total, parts in t.items()
    ]
    found = []
    if blocks is None:
        pairs = [set(zip(r.cohort_jaar, r.duur_maanden, strict=True)) for r in releases]
        blocks = sorted(set().union(*pairs))
    for block in blocks:
        parts = [r[(r.cohort_jaar == block[0]) & (r.duur_maanden == block[1])] for r in releases]
        cells = [_cells(p, populations, dims) for p in parts]
        if only_changed_blocks and all(c.equals(cells[0]) for c in cells[1:]):
            continue
        found += _pinned_block(block, cells, sums, populations, dims)
    return found


def _cells(rows: pd.DataFrame, populations: Mapping[str, str], dims: list[str]) -> pd.DataFrame:
    """One row per teller (kind t, name = indicator) and per noemer (kind n, name =
    population): published value (NaN withheld) and true value."""
    tellers = rows.assign(kind="t", name=rows["indicator"])[
        ["kind", "name", *dims, "teller", "true_teller", "indicator"]
    ].rename(columns={"teller": "published", "true_teller": "truth"})
    noemers = (
        rows.assign(kind="n", name=rows["indicator"].map(populations))[
            ["kind", "name", *dims, "noemer", "true_noemer"]
        ]
        .rename(columns={"noemer": "published", "true_noemer": "truth"})
        .drop_duplicates(["name", *dims])
    )
    cells = pd.concat([tellers, noemers], ignore_index=True)
    cells["published"] = pd.to_numeric(cells["published"], errors="coerce").astype(float)
    cells["truth"] = cells["truth"].astype(float)
    return cells.sort_values(["kind", "name", *dims]).reset_index(drop=True)


def _pinned_block(
    block: tuple,
    cells: list[pd.DataFrame],
    sums: list,
    populations: Mapping[str, str],
    dims: list[str],
) -> list[tuple]:
    # Unknowns: one per withheld copy, copies of a cell with the same true value merged; a copy
    # published in any release makes its group a constant.
    groups: dict[tuple, int] = {}
    value_of: dict[int, float] = {}
    known: dict[int, float] = {}
    where: list[dict[tuple, int]] = []
    for table in cells:
        mine = {}
        for row in table.to_dict("records"):
            identity = (row["kind"], row["name"], *(row[d] for d in dims))
            group = groups.setdefault((*identity, row["truth"]), len(groups))
            value_of[group] = row["truth"]
            if not np.isnan(row["published"]):
                known[group] = row["published"]
            mine[identity] = group
        where.append(mine)
    pinned = []
    for r, table in enumerate(cells):
        for row in table.to_dict("records"):
            identity = (row["kind"], row["name"], *(row[d] for d in dims))
            if np.isnan(row["published"]) and where[r][identity] in known:
                pinned.append((r, *identity[:2], block, identity[2:], "published elsewhere"))
    unknown = sorted(set(groups.values()) - set(known))
    column = {g: i for i, g in enumerate(unknown)}
    if not unknown:
        return pinned

    rows, lower, upper = [], [], []

    def add(terms: list[tuple[int, float]], low: float, high: float) -> None:
        constant = sum(coef * known[g] for g, coef in terms if g in known)
        free = [(column[g], coef) for g, coef in terms if g in column]
        if free:
            rows.append(free)
            lower.append(low - constant)
            upper.append(high - constant)

    for r, table in enumerate(cells):
        mine = where[r]
        for kind, name in table[["kind", "name"]].drop_duplicates().itertuples(index=False):
            codes = [
                table.loc[(table.kind == kind) & (table.name == name), d].unique() for d in dims
            ]
            for dim, total, parts in sums:
                others = [c for i, c in enumerate(codes) if i != dim]
                for rest in itertools.product(*others):
                    found = []
                    for code in (total, *parts):
                        full = [*rest[:dim], code, *rest[dim:]]
                        found.append(mine.get((kind, name, *full)))
                    if any(g is None for g in found):
                        continue
                    add([(found[0], -1.0), *((g, 1.0) for g in found[1:])], 0.0, 0.0)
        for row in table[table.kind == "t"].to_dict("records"):
            codes = tuple(row[d] for d in dims)
            teller = mine[("t", row["name"], *codes)]
            noemer = mine[("n", populations[row["name"]], *codes)]
            add([(teller, 1.0), (noemer, -1.0)], -highspy.kHighsInf, 0.0)

    n = len(unknown)
    matrix = [(r, column, coef) for r, terms in enumerate(rows) for column, coef in terms]
    r_index, c_index, coefs = (
        np.array(part) for part in (zip(*matrix, strict=True) if matrix else ([], [], []))
    )
    truth = np.array([value_of[g] for g in unknown])

    def model(extra: int = 0) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        # A ceiling far above any count keeps every LP bounded (it proves nothing narrower).
        h.addVars(n, np.zeros(n), np.full(n, CEILING))
        if extra:
            h.addVars(extra, np.full(extra, -highspy.kHighsInf), np.ones(extra))
        order = np.argsort(r_index, kind="stable")
        starts = np.searchsorted(r_index[order], np.arange(len(rows)))
        h.addRows(
            len(rows),
            np.array(lower),
            np.array(upper),
            len(order),
            starts.astype(np.int32),
            c_index[order].astype(np.int32),
            coefs[order],
        )
        return h

    low_seen, high_seen = truth.copy(), truth.copy()
    rng = np.random.default_rng(0)
    # Points that move many cells a whole unit at once first: t_i <= 1 and t_i <= d_i (x_i -
    # truth_i) for a direction d_i per cell (up where a cell is 0), maximise the sum of t.
    for attempt in range(12):
        todo = np.flatnonzero(high_seen - low_seen < 1 - 1e-6)
        if not len(todo):
            break
        k = len(todo)
        # Up, down, then at random: opposite moves of two cells cancel in one LP.
        way = [np.ones(k), -np.ones(k)][attempt] if attempt < 2 else rng.choice([-1.0, 1.0], k)
        way = np.where(truth[todo] < 1, 1.0, way)
        h = model(k)
        h.addRows(
            k,
            np.full(k, -highspy.kHighsInf),
            -way * truth[todo],
            2 * k,
            np.arange(0, 2 * k, 2, dtype=np.int32),
            np.column_stack([n + np.arange(k), todo]).ravel().astype(np.int32),
            np.column_stack([np.ones(k), -way]).ravel(),
        )
        h.changeColsCost(k, np.arange(n, n + k, dtype=np.int32), np.full(k, -1.0))
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value)[:n]
            low_seen, high_seen = np.minimum(low_seen, x), np.maximum(high_seen, x)
    # The cells still within one unit get their own min and max: first within one of the
    # true values (a small LP whose every point is a point of the whole problem), then over
    # the whole problem.
    boxed = model()
    boxed.changeColsBounds(n, np.arange(n, dtype=np.int32), np.maximum(truth - 1, 0.0), truth + 1)
    whole = model()
    for h in (boxed, whole):
        # Many objectives over one feasible set: primal simplex goes on from the last basis.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 4)
    everything = np.arange(n, dtype=np.int32)

    def solve(h: highspy.Highs, costs: np.ndarray) -> np.ndarray | None:
        h.changeColsCost(n, everything, costs)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)

    for i in np.flatnonzero(high_seen - low_seen < 1 - 1e-6):
        costs = np.zeros(n)
        for h in (boxed, whole):
            for sign in (1.0, -1.0):
                if high_seen[i] - low_seen[i] >= 1 - 1e-6:
                    break
                costs[i] = sign
                x = solve(h, costs)
                if x is not None:
                    low_seen, high_seen = np.minimum(low_seen, x), np.maximum(high_seen, x)
        if np.floor(high_seen[i] + 1e-6) - np.ceil(low_seen[i] - 1e-6) < 1:
            group = unknown[i]
            for r in range(len(cells)):
                for identity, g in where[r].items():
                    if g == group:
                        pinned.append((r, *identity[:2], block, identity[2:], "interval"))
    return pinned
