"""The cell model: tables as teller and noemer cells, the additive relations between them
(hierarchies of areas and categories), and the moves that keep every relation balanced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, kron

from publish.disclosure import optimal
from publish.disclosure.audit import (
    Structure,
    gather,
)

# Why a cell is withheld: the primary rules, to protect another cell, or because an earlier
# release withheld it with the same value (publish/disclosure/history.py).
NONE, PRIMARY, SECONDARY, KEPT = 0, 1, 2, 3
# Rows by their teller's tier (Cells.tier): the report's levels.
LEVELS = ("breakdown", "municipality_headline", "region_headline")
LEVEL_LABELS = {
    "breakdown": "breakdowns / uitsplitsingen",
    "municipality_headline": "municipality headline / gemeente, kop",
    "region_headline": "U16/U10 headline / regio, kop",
}


@dataclass(frozen=True)
class Thresholds:
    """The policy's parameters; the defaults are those of disclosure.md."""

    min_population: int = 10
    small_group: int = 2
    min_possible_values: int = 2
    # Cost factor of a cell per dimension in which it is a total (U16, U10, T).
    aggregate_weight: float = 4.0
    max_rounds: int = 200
    # The optimiser's work per table (publish/disclosure/optimal.py): rounds of cuts before a table
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
    # Each table's listed moves by the places of its cells (see `moves`).
    listed: dict[tuple[int, bytes], csr_matrix] = field(default_factory=dict, repr=False)

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
        Tables whose cells sit in the same places get one object, kept for the life of these
        cells: the optimiser shares a library of moves between such tables by the object's
        identity, and an object freed early could lend its identity to another table's."""
        resource = int(self.resource[cells[0]])
        positions = self.position[cells]
        key = (resource, positions.tobytes())
        if key not in self.listed:
            product = self._products(resource)
            if (
                len(positions) == product.shape[1]
                and (positions == np.arange(len(positions))).all()
            ):
                self.listed[key] = product
            else:
                local = np.full(product.shape[1], -1)
                local[positions] = np.arange(len(cells))
                present = local >= 0
                whole = abs(product[:, ~present]).sum(axis=1).A1 == 0
                self.listed[key] = product[whole][:, present][:, np.argsort(local[present])].tocsr()
        return self.listed[key]

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


# Areas per audit window: a region of the U10 form fits whole.
WINDOW_AREAS = 20


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
