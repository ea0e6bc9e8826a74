"""Disclosure control for the published tables (disclosure.md): what is withheld, cell by cell.

The tables are turned into *cells*: one teller cell per row, and one noemer cell per population
(a noemer is shared by every indicator of its population, so it is one cell, withheld or
published in every row at once). The additive relations link the cells: the municipalities sum
to U16, the U10 members to U10, M + V = T, the three age classes to T; for tellers and noemers
alike.

1. **Primary suppression** (`primary`): a population below `min_population` is withheld whole:
   its noemer and every teller of it. A teller, or noemer - teller, of 1 .. `small_group`
   withholds that teller.
2. **Secondary suppression** (`protect`): no relation may hold exactly one withheld cell (it
   would be the total minus the rest). Where one does, the cheapest published cell of that
   relation is withheld too: small cells before large ones, municipalities before regions,
   categories before their totals, and a teller before a whole population. Then cells that
   bound propagation pins (cheap, no LP), and after them those the attacker's audit
   (publish/audit.py) finds pinned by bounds and overlapping relations together: around each
   one the cheapest published neighbour is withheld, until the audit passes.
   Every choice is ordered by (cost, cell), and cells are numbered from the sorted keys, so the
   same tables give the same suppression whatever their row order.

A withheld noemer withholds the population's tellers with it: a published teller next to an
empty noemer and percentage would be hard to read, and a published teller plus a published
percentage would give the noemer back. A percentage is published only where both teller and
noemer are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, kron

from publish import optimal
from publish.audit import (
    AuditResult,
    Evidence,
    Pinned,
    Structure,
    audit,
    gather,
    pinned_by_bounds,
)
from publish.history import Earlier, History, JointResult, joint_audit, states, unchanged

# Why a cell is withheld: the primary rules, to protect another cell, or because an earlier
# release withheld it with the same value (publish/history.py).
NONE, PRIMARY, SECONDARY, KEPT = 0, 1, 2, 3
# Rows by their teller's tier (Cells.tier): the report's levels.
LEVELS = ("breakdown", "municipality_headline", "region_headline")
LEVEL_LABELS = {
    "breakdown": "breakdowns / uitsplitsingen",
    "municipality_headline": "municipality headline / gemeente, kop",
    "region_headline": "U16/U10 headline / regio, kop",
}
# Areas per audit window: a region of the U10 form fits whole.
WINDOW_AREAS = 20


@dataclass(frozen=True)
class Thresholds:
    """The policy's parameters; the defaults are those of disclosure.md."""

    min_population: int = 10
    small_group: int = 2
    min_possible_values: int = 2
    # Cost factor of a cell per dimension in which it is a total (U16, U10, T).
    aggregate_weight: float = 4.0
    max_rounds: int = 200
    # The optimiser's work per table (publish/optimal.py): rounds of cuts before a table
    # still pinned is repaired, and branch-and-bound nodes per program.
    optimiser_rounds: int = optimal.Limits.rounds
    optimiser_nodes: int = optimal.Limits.nodes
    # A block with a larger table gets the heuristic: the optimiser's LPs grow with the table
    # (a national-shape table of 4,632 cells took 6 to 22 s, a U16 one 50 ms).
    optimiser_cells: int = 1_000


@dataclass(frozen=True)
class Hierarchy:
    """The additive relations along one dimension: each total code with its part codes."""

    dimension: str
    totals: Mapping[str, tuple[str, ...]]

    @property
    def relations(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each total with its parts, and the relations they imply: a total whose parts hold
        other totals' parts is also the sum of those totals and its remaining parts (U16 = U10
        + the six others; a nation = its regions). The attacker can derive these; stated, they
        also let secondary suppression see that a withheld subtotal needs a partner."""
        relations = list(self.totals.items())
        by_size = sorted(self.totals.items(), key=lambda item: (-len(item[1]), item[0]))
        for total, parts in self.totals.items():
            inside, covered = [], set()
            for other, members in by_size:
                nested = len(members) < len(parts) and set(members) <= set(parts)
                if nested and covered.isdisjoint(members):
                    inside.append(other)
                    covered.update(members)
            if inside:
                relations.append((total, (*inside, *(p for p in parts if p not in covered))))
        return relations


@dataclass(frozen=True)
class Shape:
    """How a resource's rows form cells: blocks that never share a relation, the dimensions
    with their hierarchies, and which indicators share a population (and so a noemer)."""

    block: tuple[str, ...]
    hierarchies: tuple[Hierarchy, ...]
    populations: Mapping[str, str]

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(h.dimension for h in self.hierarchies)


@dataclass
class Cells:
    """The cells of all resources, numbered from their sorted keys."""

    structure: Structure
    value: np.ndarray
    # What withholding a cell costs: small before large, categories before totals, and a
    # headline cell (every breakdown at its total) only when nothing else will do: see _tiered.
    cost: np.ndarray
    resource: np.ndarray
    block: np.ndarray
    block_labels: list[str]
    resources: list[str]
    # The table of each cell: one per indicator (tellers) and per population (noemers) in a block.
    table: np.ndarray
    # 0 a breakdown, 1 a municipality's headline cell, 2 a region's headline cell.
    tier: np.ndarray
    # A cell at a bound (0, or a teller equal to its noemer) can move one way only.
    at_bound: np.ndarray
    # Each cell's place in its resource's grid of codes (one axis per dimension), and per
    # resource the grid's shape and each axis's elementary moves (see line_moves).
    position: np.ndarray
    lines: list[list[np.ndarray]]
    # Each cell's identity across releases: resource and block, teller of an indicator or
    # noemer of a population, and its codes.
    keys: np.ndarray
    # Per resource: the teller cell and the noemer cell of each input row, in row order.
    rows: dict[str, tuple[np.ndarray, np.ndarray]]
    # Groups of cells the audit covers first, a few areas of one block at a time.
    windows: list[np.ndarray] = field(default_factory=list)
    products: dict[int, csr_matrix] = field(default_factory=dict, repr=False)

    @property
    def noemer_of(self) -> np.ndarray:
        return self.structure.noemer_of

    def only(self, block: int) -> tuple[Cells, np.ndarray]:
        """The cells of one block alone, renumbered in the same order (no relation leaves a
        block), and their numbers here."""
        keep = np.flatnonzero(self.block == block)
        new = np.full(len(self.value), -1)
        new[keep] = np.arange(len(keep))
        structure = self.structure
        totals = structure.members[structure.ptr[:-1]]
        relations = np.flatnonzero(new[totals] >= 0)
        lengths = np.diff(structure.ptr)[relations]
        members = new[gather(structure.ptr, structure.members, relations)]
        noemer_of = structure.noemer_of[keep]
        for resource in set(self.resource[keep].tolist()):
            self._products(resource)
        return (
            Cells(
                structure=Structure(
                    members=members,
                    ptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                    noemer_of=np.where(noemer_of >= 0, new[np.maximum(noemer_of, 0)], -1),
                ),
                value=self.value[keep],
                cost=self.cost[keep],
                resource=self.resource[keep],
                block=self.block[keep],
                block_labels=self.block_labels,
                resources=self.resources,
                table=self.table[keep],
                tier=self.tier[keep],
                at_bound=self.at_bound[keep],
                position=self.position[keep],
                lines=self.lines,
                keys=self.keys[keep],
                rows={},
                windows=[new[w] for w in self.windows if self.block[w[0]] == block],
                products=self.products,
            ),
            keep,
        )

    def moves(self, cells: np.ndarray) -> csr_matrix:
        """Moves of one table's `cells` that keep every relation (one row each, entries +1 and
        -1): products of one elementary move per dimension, whose cells are all present.
        Tables over the resource's whole grid get one shared object."""
        resource = int(self.resource[cells[0]])
        product = self._products(resource)
        positions = self.position[cells]
        if len(positions) == product.shape[1] and (positions == np.arange(len(positions))).all():
            return product
        local = np.full(product.shape[1], -1)
        local[positions] = np.arange(len(cells))
        present = local >= 0
        whole = abs(product[:, ~present]).sum(axis=1).A1 == 0
        return product[whole][:, present][:, np.argsort(local[present])].tocsr()

    def _products(self, resource: int) -> csr_matrix:
        """Every product of one elementary move per dimension, over the resource's whole grid:
        the Kronecker product of the dimensions' moves, in the grid's order."""
        if resource not in self.products:
            lines = self.lines[resource]
            product = csr_matrix(lines[0]) if lines else csr_matrix((0, 0))
            for m in lines[1:]:
                product = kron(product, csr_matrix(m), format="csr")
            self.products[resource] = product
        return self.products[resource]


@dataclass
class Suppression:
    cells: Cells
    reason: np.ndarray
    rounds: int
    audit: AuditResult
    thresholds: Thresholds
    optimiser: list[optimal.BlockResult] = field(default_factory=list)
    # Cells an earlier release published with the same value, and the audit across releases.
    public: np.ndarray | None = None
    across: dict | None = None

    @property
    def withheld(self) -> np.ndarray:
        return self.reason != NONE


def area_hierarchy(municipalities: list[str], u10: list[str]) -> Hierarchy:
    return Hierarchy("gebied_code", {"U16": tuple(municipalities), "U10": tuple(u10)})


SEX = Hierarchy("geslacht", {"T": ("M", "V")})
AGE = Hierarchy("leeftijdsklasse", {"T": ("18-29", "30-49", "50-64")})


def cells_of(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape],
    weight: float = Thresholds.aggregate_weight,
) -> Cells:
    """Cells, relations and costs of the tables. Values may be missing (a published table:
    withheld cells are NaN), so the audit can rebuild the attacker's view from the files."""
    value_parts, noemer_parts, cost_parts, resource_parts, block_parts = [], [], [], [], []
    table_parts, tier_parts, bound_parts, position_parts, key_parts = [], [], [], [], []
    lines: list[list[np.ndarray]] = []
    tables = 0
    members, lengths = [], []
    block_labels: list[str] = []
    rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    windows: list[np.ndarray] = []
    offset = 0
    for r, name in enumerate(sorted(frames)):
        shape = shapes[name]
        frame = frames[name].reset_index(drop=True)
        if frame.empty:
            rows[name] = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
            lines.append([])
            continue
        dims = list(shape.dimensions)
        frame = frame.assign(_population=frame["indicator"].map(shape.populations))
        if frame["_population"].isna().any():
            unknown = sorted(set(frame.loc[frame["_population"].isna(), "indicator"]))
            raise ValueError(f"{name}: no population for indicator(s) {unknown}")

        block = frame[shape.block[0]].astype(str)
        for column in shape.block[1:]:
            block = block + "/" + frame[column].astype(str)
        labels = sorted(block.unique())
        block_code = block.map({b: len(block_labels) + i for i, b in enumerate(labels)})
        block_labels += [f"{name} {b}" for b in labels]
        frame = frame.assign(_block=block_code)

        noemer_keys = ["_block", "_population", *dims]
        noemers = frame.groupby(noemer_keys, sort=True)["noemer"].agg(["min", "max"]).reset_index()
        inconsistent = noemers["min"].notna() & (noemers["min"] != noemers["max"])
        if inconsistent.any():
            raise ValueError(f"{name}: rows of one population disagree on its noemer")
        noemers["_id"] = offset + np.arange(len(noemers))
        offset += len(noemers)

        teller_keys = ["_block", "indicator", *dims]
        order = frame.sort_values(teller_keys, kind="stable").index.to_numpy()
        tellers = frame.loc[order, [*teller_keys, "_population", "teller"]].reset_index()
        if tellers.duplicated(teller_keys).any():
            raise ValueError(f"{name}: more than one row per cell")
        tellers["_id"] = offset + np.arange(len(tellers))
        offset += len(tellers)
        tellers = tellers.merge(
            noemers[[*noemer_keys, "_id"]].rename(columns={"_id": "_noemer"}), on=noemer_keys
        )
        by_row = tellers.sort_values("index")
        rows[name] = (by_row["_id"].to_numpy(), by_row["_noemer"].to_numpy())
        tellers = tellers.sort_values("_id")

        windows += _windows(shape, noemers, tellers)
        # Each table (a population's noemers, an indicator's tellers, in a block) is a grid
        # with one axis per dimension, its codes sorted.
        axes = [
            np.array(sorted(frame[h.dimension].astype(str).unique())) for h in shape.hierarchies
        ]
        lines.append(
            [line_moves(h, list(codes)) for h, codes in zip(shape.hierarchies, axes, strict=True)]
        )
        areas = _areas(shape)
        for table, key in ((noemers, "_population"), (tellers, "indicator")):
            group = table.groupby(["_block", key], sort=True).ngroup().to_numpy()
            coords = [
                np.searchsorted(codes, table[h.dimension].astype(str).to_numpy())
                for h, codes in zip(shape.hierarchies, axes, strict=True)
            ]
            grid = np.full((group.max() + 1, *(len(c) for c in axes)), -1, dtype=np.int64)
            grid[(group, *coords)] = table["_id"].to_numpy()
            for axis, h in enumerate(shape.hierarchies, start=1):
                at = {code: i for i, code in enumerate(axes[axis - 1])}
                for total, parts in h.relations:
                    picked = [
                        np.take(grid, at[c], axis=axis)
                        if c in at
                        else np.full_like(np.take(grid, 0, axis=axis), -1)
                        for c in (total, *parts)
                    ]
                    matrix = np.stack(picked, axis=-1).reshape(-1, 1 + len(parts))
                    # A total published without any of its parts (plaatsing_regio is U16 only)
                    # is in no relation.
                    matrix = matrix[~(matrix[:, 1:] < 0).all(axis=1)]
                    if (matrix < 0).any():
                        raise ValueError(f"{name}: the grid lacks cells of {total} or its parts")
                    members.append(matrix.ravel())
                    lengths.append(np.full(len(matrix), 1 + len(parts)))
            position_parts.append(np.ravel_multi_index(coords, [len(c) for c in axes]))
            kind = "noemer" if key == "_population" else "teller"
            identity = np.array(block_labels, dtype=object)[table["_block"].to_numpy()] + (
                f"|{kind}|" + table[key].astype(str)
            )
            for h in shape.hierarchies:
                identity = identity + "|" + table[h.dimension].astype(str)
            key_parts.append(identity.to_numpy(dtype=object))
            table_parts.append(tables + group)
            tables = int(group.max()) + 1 + tables
            headline = np.ones(len(table), dtype=bool)
            for h in shape.hierarchies:
                if h is not areas:
                    headline &= table[h.dimension].isin(list(h.totals)).to_numpy()
            region = table[areas.dimension].isin(list(areas.totals)).to_numpy()
            tier_parts.append(np.where(headline, np.where(region, 2, 1), 0).astype(np.int8))
        noemer_values = noemers["min"].to_numpy(dtype=float, na_value=np.nan)
        teller_values = tellers["teller"].to_numpy(dtype=float, na_value=np.nan)
        value_parts += [noemer_values, teller_values]
        noemer_parts += [np.full(len(noemers), -1), tellers["_noemer"].to_numpy()]
        resource_parts += [np.full(len(noemers) + len(tellers), r)]
        block_parts += [noemers["_block"].to_numpy(), tellers["_block"].to_numpy()]
        noemer_by_teller = dict(zip(noemers["_id"], noemer_values, strict=True))
        ceiling = tellers["_noemer"].map(noemer_by_teller).to_numpy(dtype=float)
        for table, values, top in (
            (noemers, noemer_values, np.full(len(noemers), np.inf)),
            (tellers, teller_values, ceiling),
        ):
            totals = np.zeros(len(table))
            for h in shape.hierarchies:
                totals += table[h.dimension].isin(list(h.totals)).to_numpy()
            cost_parts.append((np.nan_to_num(values) + 1.0) * weight**totals)
            bound_parts.append((values == 0) | (values == top))

    if not value_parts:
        value_parts, noemer_parts, cost_parts = [np.empty(0)], [np.empty(0)], [np.empty(0)]
        resource_parts, block_parts = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        table_parts, tier_parts = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int8)]
        bound_parts = [np.empty(0, dtype=bool)]
        position_parts = [np.empty(0, dtype=np.int64)]
        key_parts = [np.empty(0, dtype=object)]
    table = np.concatenate(table_parts)
    tier = np.concatenate(tier_parts)
    structure = Structure(
        members=np.concatenate(members) if members else np.empty(0, dtype=np.int64),
        ptr=np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int64)
        if lengths
        else np.zeros(1, dtype=np.int64),
        noemer_of=np.concatenate(noemer_parts).astype(np.int64),
    )
    return Cells(
        structure=structure,
        value=np.concatenate(value_parts),
        cost=_tiered(np.concatenate(cost_parts), tier, table),
        resource=np.concatenate(resource_parts),
        block=np.concatenate(block_parts),
        block_labels=block_labels,
        resources=sorted(frames),
        table=table,
        tier=tier,
        at_bound=np.concatenate(bound_parts),
        position=np.concatenate(position_parts),
        lines=lines,
        keys=np.concatenate(key_parts),
        rows=rows,
        windows=windows,
    )


def line_moves(hierarchy: Hierarchy, codes: list[str], group: int = 20) -> np.ndarray:
    """The elementary moves along one dimension, one row each over `codes`: a part up with
    every total that holds it; and two parts of a total of at most `group` parts, one up and
    one down, with the totals that hold only one of them. Each keeps every relation of the
    dimension."""
    at = {code: i for i, code in enumerate(codes)}
    totals = {t: set(parts) for t, parts in hierarchy.totals.items() if t in at}
    leaves = [c for c in codes if c not in hierarchy.totals]
    moves = []
    for a in leaves:
        move = np.zeros(len(codes))
        move[at[a]] = 1.0
        for t, parts in totals.items():
            move[at[t]] += a in parts
        moves.append(move)
    for i, a in enumerate(leaves):
        for b in leaves[i + 1 :]:
            shared = [len(p) for p in totals.values() if a in p and b in p]
            if not shared or min(shared) > group:
                continue
            move = np.zeros(len(codes))
            move[at[a]], move[at[b]] = 1.0, -1.0
            for t, parts in totals.items():
                move[at[t]] += (a in parts) - (b in parts)
            moves.append(move)
    return np.array(moves).reshape(len(moves), len(codes))


def _tiered(base: np.ndarray, tier: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The headline cells last: within its table, a municipality's headline cell costs more
    than all breakdown cells together, and a region's more than all of those together."""
    if not len(base):
        return base
    size = int(table.max()) + 1
    first = 1.0 + np.bincount(table, base * (tier == 0), minlength=size)
    second = first + np.bincount(table, (base + first[table]) * (tier == 1), minlength=size)
    return base + np.where(tier == 1, first[table], 0.0) + np.where(tier == 2, second[table], 0.0)


def _areas(shape: Shape) -> Hierarchy:
    """The area dimension: the hierarchy with the most codes."""
    return max(shape.hierarchies, key=lambda h: len(h.totals) + sum(map(len, h.totals.values())))


def _windows(shape: Shape, noemers: pd.DataFrame, tellers: pd.DataFrame) -> list[np.ndarray]:
    """The cells of each block in each group of areas (_area_groups), group by group."""
    areas = _areas(shape)
    ids = np.concatenate([noemers["_id"].to_numpy(), tellers["_id"].to_numpy()])
    blocks = np.concatenate([noemers["_block"].to_numpy(), tellers["_block"].to_numpy()])
    codes = np.concatenate(
        [noemers[areas.dimension].astype(str).to_numpy(), tellers[areas.dimension].astype(str)]
    )
    windows = []
    for group in _area_groups(areas):
        inside = np.isin(codes, group)
        order = np.lexsort((ids[inside], blocks[inside]))
        cells, block = ids[inside][order], blocks[inside][order]
        windows += np.split(cells, np.flatnonzero(np.diff(block)) + 1)
    return [w for w in windows if len(w)]


def _area_groups(hierarchy: Hierarchy, size: int = WINDOW_AREAS) -> list[list[str]]:
    """Areas to cover together: each total of at most `size` parts with its parts (a region),
    and the parts in no such total in runs of `size`; each with the totals over any of its
    parts. A group of every area is left out: it is the whole block, which the audit covers
    anyway.
    """
    totals = sorted(hierarchy.totals.items(), key=lambda item: (len(item[1]), item[0]))
    groups = [[total, *parts] for total, parts in totals if len(parts) <= size]
    grouped = {code for group in groups for code in group}
    rest = list(dict.fromkeys(p for _, parts in totals for p in parts if p not in grouped))
    groups += [rest[i : i + size] for i in range(0, len(rest), size)]
    everything = set(hierarchy.totals).union(*hierarchy.totals.values())
    windows = []
    for group in groups:
        over = [t for t, parts in totals if t not in group and not set(parts).isdisjoint(group)]
        window = list(dict.fromkeys(group + over))
        if set(window) != everything and window not in windows:
            windows.append(window)
    return windows


def primary(cells: Cells, thresholds: Thresholds) -> np.ndarray:
    """The reason code per cell after the two primary rules."""
    reason = np.zeros(len(cells.value), dtype=np.int8)
    noemer_of = cells.noemer_of
    is_noemer = noemer_of < 0
    small_population = is_noemer & (cells.value < thresholds.min_population)
    reason[small_population] = PRIMARY
    tellers = np.flatnonzero(~is_noemer)
    teller = cells.value[tellers]
    rest = cells.value[noemer_of[tellers]] - teller
    small = ((teller >= 1) & (teller <= thresholds.small_group)) | (
        (rest >= 1) & (rest <= thresholds.small_group)
    )
    reason[tellers[small | small_population[noemer_of[tellers]]]] = PRIMARY
    return reason


def protect(
    cells: Cells,
    thresholds: Thresholds | None = None,
    workers: int = 1,
    history: History | None = None,
) -> Suppression:
    """Primary suppression, then secondary suppression, block by block: blocks share no
    relation, so each is suppressed on its own, `workers` threads taking them in turn (the
    number of threads does not change the result). With the `history` of earlier releases,
    each block starts from their state and is audited together with them."""
    thresholds = thresholds or Thresholds()
    history = history or History()
    public, kept = states(cells.value, history)
    blocks = np.unique(cells.block)
    # Threads, not processes: HiGHS solves without holding the GIL, and a process pool inside
    # a Dagster step (or a test run) would re-import the caller's main module.
    with ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(
            pool.map(
                lambda b: _protect_block(cells, int(b), thresholds, history, public, kept),
                blocks,
            )
        )
    reason = np.zeros(len(cells.value), dtype=np.int8)
    for part in parts:
        reason[part.cells] = part.reason
        part.outcome.label = cells.block_labels[part.block]
    merged = AuditResult(
        withheld=sum(p.audit.withheld for p in parts),
        components=sum(p.audit.components for p in parts),
        lps=sum(p.audit.lps for p in parts),
        pinned=[replace(x, cell=int(p.cells[x.cell])) for p in parts for x in p.audit.pinned],
    )
    rounds = max((p.rounds for p in parts), default=0)
    across = {
        "earlier_releases": [r.version for r in history.releases],
        "without_true_values": [r.version for r in history.releases if not r.known],
        "public_cells": int(public.sum()),
        "kept_cells": int((reason == KEPT).sum()),
        "blocks_audited_together": sum(p.joint is not None for p in parts),
        "pinned": sum(len(p.joint.pinned) for p in parts if p.joint is not None),
        "leaked": [
            str(cells.keys[p.cells[c]])
            for p in parts
            if p.joint is not None
            for c in p.joint.leaked
        ],
    }
    across["passed"] = all(p.joint is None or p.joint.passed for p in parts)
    suppression = Suppression(
        cells, reason, rounds, merged, thresholds, [p.outcome for p in parts], public, across
    )
    return suppression


@dataclass
class _Block:
    """One block's suppression, in its own numbering: `cells` are its numbers in the whole."""

    block: int
    cells: np.ndarray
    reason: np.ndarray
    audit: AuditResult
    rounds: int
    outcome: optimal.BlockResult
    joint: JointResult | None = None


def _protect_block(
    everything: Cells,
    block: int,
    thresholds: Thresholds,
    history: History,
    public_all: np.ndarray,
    kept_all: np.ndarray,
) -> _Block:
    """One block: the optimiser's pattern, proven by the exact audit; where the optimiser
    gives up, the heuristic in rounds, until the audit passes; then, with earlier releases,
    the audit of all of them together, widening until it passes too."""
    cells, keep = everything.only(block)
    public, kept = public_all[keep], kept_all[keep]
    earlier = [
        Earlier(r.version, r.value[keep], r.withheld[keep], r.present[keep])
        for r in history.audited
        if r.present[keep].any()
    ]
    reason = primary(cells, thresholds)
    reason[kept & (reason == NONE)] = KEPT
    reused = _reused(block, keep, cells.value, reason, public, history, earlier)
    if reused is not None:
        return reused
    too_large = np.bincount(cells.table).max(initial=0) > thresholds.optimiser_cells
    if too_large:
        outcome = optimal.BlockResult(
            secondary=None,
            method="heuristic",
            notes=[f"a table has more than {thresholds.optimiser_cells:,} cells"],
        )
    else:
        outcome = optimal.suppress_block(
            cells.structure,
            cells.value,
            cells.cost,
            cells.table,
            (reason != NONE) & ~public,
            optimal.Limits(thresholds.optimiser_rounds, thresholds.optimiser_nodes),
            cells.moves,
            public,
            earlier,
        )
    optimised = outcome.secondary is not None
    # The optimiser's moves span every release's copy of the block, the new release last; its
    # own audit takes the new release's part.
    witnesses = outcome.witnesses
    own = None
    if witnesses is not None:
        size = len(cells.value)
        own = witnesses[:, len(earlier) * size :]
    if optimised:
        reason[outcome.secondary] = SECONDARY
    chooser = _Chooser(cells, reason, public)
    evidence = Evidence.empty(len(cells.value))
    exact = False
    joint = None
    lps = 0
    for rounds in range(1, thresholds.max_rounds + 1):
        chooser.close_singletons()
        published = _published(cells, reason, public)
        # The optimiser's pattern goes straight to the exact audit: the quick one would count a
        # cell its covering LPs happen not to move as pinned, and widen a pattern that is safe.
        proving = optimised and rounds == 1
        # Leaks that bounds alone show are closed without LPs, as long as rounds remain.
        if rounds + 1 < thresholds.max_rounds and not exact and not proving:
            certain = pinned_by_bounds(cells.structure, published, thresholds.min_possible_values)
            if any([chooser.widen(int(c)) for c in certain]):
                continue
        # Then the quick audit: a cell it cannot move counts as pinned. Its pass is a proof;
        # when nothing more can be withheld, or rounds run out, the exact audit decides.
        result = audit(
            cells.structure,
            published,
            thresholds.min_possible_values,
            evidence,
            hint=cells.value,
            exact=exact or proving,
            windows=cells.windows,
            witnesses=own,
        )
        lps += result.lps
        if not result.passed and not exact:
            widened = [chooser.widen(p.cell) for p in result.pinned]
            exact = not any(widened) or rounds + 1 == thresholds.max_rounds
            continue
        if not result.passed or not earlier:
            break
        joint = joint_audit(
            cells.structure,
            cells.value,
            np.isnan(published),
            earlier,
            thresholds.min_possible_values,
            witnesses,
        )
        lps += joint.audit.lps
        if joint.passed:
            break
        # A cell pinned in some release, or published now while an earlier release withheld
        # its value: withhold it now, or the cheapest neighbour of a withheld one.
        widened = [chooser.withhold_or_widen(int(c)) for c in (*joint.leaked, *joint.pinned)]
        if not any(widened):
            break
        exact = False
    result.lps = lps  # every round's, not only the last audit's
    if joint is not None and not joint.passed:
        result.pinned += [Pinned(int(c), np.nan, np.nan) for c in (*joint.leaked, *joint.pinned)]
    if optimised and rounds > 1:
        outcome.notes.append(f"the audit widened it in {rounds - 1} more rounds")
    return _Block(block, keep, reason, result, rounds, outcome, joint)


def _reused(
    block: int,
    keep: np.ndarray,
    value: np.ndarray,
    reason: np.ndarray,
    public: np.ndarray,
    history: History,
    earlier: list[Earlier],
) -> _Block | None:
    """The latest release's pattern of a block whose true values it had, made under the same
    rules: every cell is public or kept already, and all releases together are the problem the
    latest release's audit solved (each new copy is one unknown with the latest's). None where
    anything differs. `earlier` are the audited releases, cut to the block."""
    latest = earlier[-1] if earlier else None
    if not (
        history.same_rules and latest is not None and latest.version == history.releases[-1].version
    ):
        return None
    withheld = reason != NONE
    if not unchanged(latest, value, withheld) or (withheld & public).any():
        return None
    count = int(withheld.sum())
    outcome = optimal.BlockResult(
        secondary=None, method="reused", notes=[f"its cells are those of {latest.version}"]
    )
    empty = np.empty(0, dtype=np.int64)
    joint = JointResult(AuditResult(count, 0, 0), empty, empty, len(earlier))
    return _Block(block, keep, reason, AuditResult(count, 0, 0), 0, outcome, joint)


def protect_tables(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape],
    thresholds: Thresholds | None = None,
    workers: int = 1,
    history: Callable[[Cells], History] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict, Suppression]:
    """Suppress and audit whole tables: the published tables, the disclosure report, and the
    suppression (its cells, to keep as history). `history` gives the earlier releases aligned
    with the cells."""
    thresholds = thresholds or Thresholds()
    start = time.perf_counter()
    cells = cells_of(frames, shapes, thresholds.aggregate_weight)
    suppression = protect(cells, thresholds, workers, history(cells) if history else None)
    result = report(suppression)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return published_frames(frames, suppression), result, suppression


def kept_cells(suppression: Suppression) -> pd.DataFrame:
    """The cells of a suppression as history keeps them (publish/history.py): key, true
    value, and whether the release withholds it."""
    return pd.DataFrame(
        {
            "key": suppression.cells.keys.astype(str),
            "value": suppression.cells.value,
            "withheld": suppression.withheld,
        }
    )


def published_frames(
    frames: Mapping[str, pd.DataFrame], suppression: Suppression
) -> dict[str, pd.DataFrame]:
    """The tables as published: withheld teller, noemer and percentage empty, `geheim` true."""
    out = {}
    withheld = suppression.withheld
    for name, frame in frames.items():
        teller_id, noemer_id = suppression.cells.rows[name]
        hide_teller = withheld[teller_id]
        hide_noemer = withheld[noemer_id]
        geheim = hide_teller | hide_noemer
        table = frame.reset_index(drop=True).copy()
        table["teller"] = table["teller"].astype("Int64").mask(hide_teller)
        table["noemer"] = table["noemer"].astype("Int64").mask(hide_noemer)
        table["percentage"] = table["percentage"].astype("Float64").mask(geheim)
        table["geheim"] = geheim
        out[name] = table
    return out


def audit_published(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape],
    min_values: int = 2,
    truth: Mapping[str, pd.DataFrame] | None = None,
) -> AuditResult:
    """The attacker's audit on the tables exactly as published (withheld values empty).

    `truth`, the unsuppressed tables, only gives the solver a known solution to start from.
    """
    cells = cells_of(frames, shapes)
    hint = None
    if truth is not None:
        known = cells_of(truth, shapes)
        if np.array_equal(known.structure.members, cells.structure.members):
            hint = known.value
    return audit(cells.structure, cells.value, min_values, hint=hint, windows=cells.windows)


def report(suppression: Suppression) -> dict:
    """The disclosure report: parameters, withheld cells, the audit, the information lost."""
    cells, reason = suppression.cells, suppression.reason
    is_noemer = cells.noemer_of < 0
    resources = {}
    for r, name in enumerate(cells.resources):
        mine = cells.resource == r
        teller_id, noemer_id = cells.rows[name]
        withheld_rows = suppression.withheld[teller_id] | suppression.withheld[noemer_id]
        primary_rows = (reason[teller_id] == PRIMARY) | (reason[noemer_id] == PRIMARY)
        levels = {}
        for tier, level in enumerate(LEVELS):
            at = cells.tier[teller_id] == tier
            if at.any():
                levels[level] = {
                    "rows": int(at.sum()),
                    "primary": _share((primary_rows & at).sum(), at.sum()),
                    "secondary": _share((withheld_rows & ~primary_rows & at).sum(), at.sum()),
                }
        resources[name] = {
            "rows": len(teller_id),
            "rows_geheim": int(withheld_rows.sum()),
            "cells": int(mine.sum()),
            "tellers": _counts(reason[mine & ~is_noemer]),
            "noemers": _counts(reason[mine & is_noemer]),
            "share_withheld": _share((reason[mine] != NONE).sum(), mine.sum()),
            "rows_withheld_by_level": levels,
        }
    per_block = np.bincount(cells.block[reason == SECONDARY], minlength=len(cells.block_labels))
    result = suppression.audit
    return {
        "parameters": asdict(suppression.thresholds),
        "resources": resources,
        "secondary_suppression": _optimiser_summary(suppression.optimiser),
        "across_releases": suppression.across or {"earlier_releases": [], "passed": True},
        "audit": {
            "passed": result.passed and (suppression.across or {}).get("passed", True),
            "withheld_cells": result.withheld,
            "components": result.components,
            "linear_programs": result.lps,
            "pinned": [asdict(p) for p in result.pinned],
            "rounds": suppression.rounds,
        },
        "information_loss": {
            "share_of_cells_withheld": _share(suppression.withheld.sum(), len(reason)),
            "secondary_cells_per_block": {
                label: int(n) for label, n in zip(cells.block_labels, per_block, strict=True)
            },
        },
    }


def _optimiser_summary(outcomes: list[optimal.BlockResult]) -> dict:
    """How each block's secondary cells were chosen, and how close to the cheapest pattern."""
    methods = [o.method for o in outcomes]
    cost = sum(o.cost for o in outcomes if o.secondary is not None)
    bound = sum(o.lower_bound for o in outcomes if o.secondary is not None)
    return {
        "blocks": len(outcomes),
        "optimal": methods.count("optimal"),
        "near_optimal": methods.count("near-optimal"),
        "heuristic": methods.count("heuristic"),
        "reused": methods.count("reused"),
        "cost": cost,
        "lower_bound": bound,
        "gap": round((cost - bound) / cost, 6) if cost else 0.0,
        "per_block": {
            o.label: {
                "method": o.method,
                "cost": o.cost,
                "lower_bound": o.lower_bound,
                **({"notes": o.notes} if o.notes else {}),
            }
            for o in outcomes
        },
    }


def summary(report: dict) -> str:
    """The report as Markdown, for people."""
    params = report["parameters"]
    audit_ = report["audit"]
    lines = [
        "# Disclosure control / Geheimhouding",
        "",
        f"- Population below {params['min_population']} withheld whole "
        f"(noemer, tellers, percentages) / populations under {params['min_population']} withheld.",
        f"- Teller or noemer - teller of 1 to {params['small_group']} withheld "
        "with its percentage.",
        "- Secondary suppression over the relations U16 = its municipalities, U10 = its members, "
        "M + V = T, 18-29 + 30-49 + 50-64 = T, and the shared noemer of a population.",
        f"- Audit: every withheld teller and noemer must keep at least "
        f"{params['min_possible_values']} possible whole values for an attacker who solves "
        "linear programs over the published tables.",
        "",
        "## Audit",
        "",
        f"**{'Passed / geslaagd' if audit_['passed'] else 'FAILED / gezakt'}**: "
        f"{audit_['withheld_cells']:,} withheld cells in {audit_['components']:,} linked groups, "
        f"{audit_['linear_programs']:,} linear programs, "
        f"{len(audit_['pinned'])} cells pinned to one value.",
        "",
        "## Withheld cells / Geheime cellen",
        "",
        "| resource | rows | rows geheim | tellers primary | tellers secondary "
        "| noemers primary | noemers secondary | kept from earlier releases "
        "| share of cells withheld |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in report["resources"].items():
        kept = r["tellers"].get("kept", 0) + r["noemers"].get("kept", 0)
        lines.append(
            f"| {name} | {r['rows']:,} | {r['rows_geheim']:,} | {r['tellers']['primary']:,} "
            f"| {r['tellers']['secondary']:,} | {r['noemers']['primary']:,} "
            f"| {r['noemers']['secondary']:,} | {kept:,} | {100 * r['share_withheld']:.1f}% |"
        )
    lines += [
        "",
        "## Rows withheld by level / Geheime rijen per niveau",
        "",
        "Headline rows are a region's or a municipality's cohort with geslacht T and "
        "leeftijdsklasse T; they are withheld only where the primary rules or the relations "
        "force it. / Koprijen (geslacht T, leeftijdsklasse T) worden alleen geheimgehouden waar "
        "de regels of de optellingen dat afdwingen.",
        "",
        "| resource | level / niveau | rows | primary | secondary |",
        "|---|---|---:|---:|---:|",
    ]
    for name, r in report["resources"].items():
        for level, counts in r.get("rows_withheld_by_level", {}).items():
            lines.append(
                f"| {name} | {LEVEL_LABELS[level]} | {counts['rows']:,} "
                f"| {100 * counts['primary']:.1f}% | {100 * counts['secondary']:.1f}% |"
            )
    chosen = report.get("secondary_suppression")
    if chosen:
        lines += [
            "",
            "## Secondary suppression / Secundaire geheimhouding",
            "",
            f"Per block the cheapest pattern is sought (a mixed-integer program, checked by the "
            f"attacker's linear programs): {chosen['optimal']} of {chosen['blocks']} blocks "
            f"optimal, {chosen['near_optimal']} within "
            f"{100 * chosen['gap']:.2f}% of a proven lower bound in all, "
            f"{chosen['heuristic']} by the heuristic"
            + (
                f", {chosen['reused']} unchanged since the latest release and kept as they were"
                if chosen.get("reused")
                else ""
            )
            + " (per block in disclosure.json).",
        ]
    across = report.get("across_releases")
    if across and across["earlier_releases"]:
        earlier = across["earlier_releases"]
        missing = across.get("without_true_values", [])
        lines += [
            "",
            "## Across releases / Over releases heen",
            "",
            f"The audit covered this release together with {len(earlier)} earlier "
            f"release(s) ({', '.join(earlier)}): "
            f"{'passed' if across['passed'] else 'FAILED'}, "
            f"{across['pinned']} cells pinned, {len(across['leaked'])} values an earlier "
            f"release withheld published now. {across['public_cells']:,} cells were published "
            f"before with the same value (public), {across['kept_cells']:,} stay withheld "
            "because an earlier release withheld the same value. / De controle dekte deze "
            "release samen met de eerdere.",
        ]
        if missing:
            lines.append(
                f"Release(s) {', '.join(missing)} predate the kept true values: their "
                "published values count, every cell they withheld stays withheld."
            )
    loss = report["information_loss"]
    per_block = list(loss["secondary_cells_per_block"].values())
    lines += [
        "",
        "## Information lost / Informatieverlies",
        "",
        f"{100 * loss['share_of_cells_withheld']:.1f}% of all cells withheld. Secondary cells "
        f"per block: mean {np.mean(per_block) if per_block else 0:.1f}, "
        f"max {max(per_block, default=0)} (per block in disclosure.json).",
        "",
    ]
    return "\n".join(lines)


def _counts(reasons: np.ndarray) -> dict[str, int]:
    return {
        "total": len(reasons),
        "primary": int((reasons == PRIMARY).sum()),
        "secondary": int((reasons == SECONDARY).sum()),
        "kept": int((reasons == KEPT).sum()),
    }


def _share(part: int, whole: int) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0


def _published(cells: Cells, reason: np.ndarray, public: np.ndarray | None = None) -> np.ndarray:
    """The values the attacker holds: published ones, and public ones (an earlier release
    published them with the same value) even where the primary rules withhold them now."""
    hidden = reason != NONE
    if public is not None:
        hidden &= ~public
    return np.where(hidden, np.nan, cells.value)


@dataclass
class _Chooser:
    """Picks secondary cells: the cheapest published cell, headline cells last and cells at a
    bound last within their tier, ties broken by cell number."""

    cells: Cells
    reason: np.ndarray
    # Cells the attacker holds already (publish/history.py): never chosen, never protected.
    public: np.ndarray | None = None
    rank: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        cells = self.cells
        order = np.lexsort((np.arange(len(cells.cost)), cells.cost, cells.at_bound, cells.tier))
        self.rank = np.empty(len(order), dtype=np.int64)
        self.rank[order] = np.arange(len(order))
        if self.public is None:
            self.public = np.zeros(len(cells.cost), dtype=bool)

    def _hidden(self) -> np.ndarray:
        return (self.reason != NONE) & ~self.public

    def close_singletons(self) -> None:
        """Until no relation holds exactly one withheld cell, except where every other cell of
        the relation is public (publish/history.py): nothing published now can change that, and
        the audit finds the cell pinned."""
        structure = self.cells.structure
        stuck = np.zeros(len(structure.ptr) - 1, dtype=bool)
        while True:
            withheld = self._hidden()
            counts = np.add.reduceat(withheld[structure.members], structure.ptr[:-1])
            lonely = np.flatnonzero((counts == 1) & ~stuck)
            if not len(lonely):
                return
            for r in lonely:
                members = structure.relation(r)
                if self._hidden()[members].sum() == 1 and not self._withhold_cheapest(members):
                    stuck[r] = True

    def withhold_or_widen(self, cell: int) -> bool:
        """A cell pinned across releases: withhold it if it is published, else widen."""
        if self.reason[cell] == NONE and not self.public[cell]:
            self.reason[cell] = SECONDARY
            return True
        return self.widen(cell)

    def widen(self, cell: int) -> bool:
        """A pinned cell: withhold the cheapest published cell of a relation it is in; else
        its noemer; else one relation further out."""
        structure = self.cells.structure
        candidates = structure.neighbours(np.array([cell]))
        if self._withhold_cheapest(candidates):
            return True
        noemer = self.cells.noemer_of[cell]
        if noemer >= 0 and self.reason[noemer] == NONE and not self.public[noemer]:
            self.reason[noemer] = SECONDARY
            return True
        if not len(candidates):
            return False
        return self._withhold_cheapest(structure.neighbours(candidates))

    def _withhold_cheapest(self, members: np.ndarray) -> bool:
        published = members[(self.reason[members] == NONE) & ~self.public[members]]
        if not len(published):
            return False
        self.reason[published[np.argmin(self.rank[published])]] = SECONDARY
        return True


def monitor_shapes(
    codelist: pd.DataFrame, municipalities: list[str], u10: list[str]
) -> dict[str, Shape]:
    """The monitor's two suppressed resources. Indicators with the same population text in the
    code list share a noemer; U16 and U10 are totals of their municipalities."""
    populations = {
        row.indicator: f"{row.resource}: {row.populatie_nl}" for row in codelist.itertuples()
    }
    areas = area_hierarchy(municipalities, u10)
    return {
        "indicatoren": Shape(("cohort_jaar", "duur_maanden"), (areas, SEX, AGE), populations),
        "doorgaande_lijn": Shape(("jaar",), (areas,), populations),
    }
