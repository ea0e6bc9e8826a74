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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import repeat

import numpy as np
import pandas as pd

from publish.audit import AuditResult, Evidence, Structure, audit, pinned_by_bounds

NONE, PRIMARY, SECONDARY = 0, 1, 2
AT_BOUND_COST = 1e6
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
    cost: np.ndarray
    resource: np.ndarray
    block: np.ndarray
    block_labels: list[str]
    resources: list[str]
    # Per resource: the teller cell and the noemer cell of each input row, in row order.
    rows: dict[str, tuple[np.ndarray, np.ndarray]]
    # Groups of cells the audit covers first, a few areas of one block at a time.
    windows: list[np.ndarray] = field(default_factory=list)

    @property
    def noemer_of(self) -> np.ndarray:
        return self.structure.noemer_of


@dataclass
class Suppression:
    cells: Cells
    reason: np.ndarray
    rounds: int
    audit: AuditResult
    thresholds: Thresholds

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

        for table, key in ((noemers, "_population"), (tellers, "indicator")):
            for h in shape.hierarchies:
                others = ["_block", key, *(d for d in dims if d != h.dimension)]
                wide = table.pivot(index=others, columns=h.dimension, values="_id")
                for total, parts in h.relations:
                    matrix = wide.reindex(columns=[total, *parts]).to_numpy(dtype=float)
                    # A total published without any of its parts (plaatsing_regio is U16 only)
                    # is in no relation.
                    matrix = matrix[~np.isnan(matrix[:, 1:]).all(axis=1)]
                    if np.isnan(matrix).any():
                        raise ValueError(f"{name}: the grid lacks cells of {total} or its parts")
                    members.append(matrix.astype(np.int64).ravel())
                    lengths.append(np.full(len(matrix), 1 + len(parts)))

        windows += _windows(shape, noemers, tellers)
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
            cost = (np.nan_to_num(values) + 1.0) * weight**totals
            # A cell at a bound (0, or a teller equal to its noemer) can move one way only and
            # rarely protects anything: choose it last.
            cost[(values == 0) | (values == top)] += AT_BOUND_COST
            cost_parts.append(cost)

    if not value_parts:
        value_parts, noemer_parts, cost_parts = [np.empty(0)], [np.empty(0)], [np.empty(0)]
        resource_parts, block_parts = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
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
        cost=np.concatenate(cost_parts),
        resource=np.concatenate(resource_parts),
        block=np.concatenate(block_parts),
        block_labels=block_labels,
        resources=sorted(frames),
        rows=rows,
        windows=windows,
    )


def _windows(shape: Shape, noemers: pd.DataFrame, tellers: pd.DataFrame) -> list[np.ndarray]:
    """The cells of each block in each group of areas (_area_groups), group by group."""
    areas = max(shape.hierarchies, key=lambda h: len(h.totals) + sum(map(len, h.totals.values())))
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


def protect(cells: Cells, thresholds: Thresholds | None = None) -> Suppression:
    """Primary suppression, then secondary suppression until the audit finds nothing pinned."""
    thresholds = thresholds or Thresholds()
    reason = primary(cells, thresholds)
    chooser = _Chooser(cells, reason)
    evidence = Evidence.empty(len(cells.value))
    exact = False
    lps = 0
    for rounds in range(1, thresholds.max_rounds + 1):
        chooser.close_singletons()
        published = _published(cells, reason)
        # Leaks that bounds alone show are closed without LPs, as long as rounds remain.
        if rounds + 1 < thresholds.max_rounds and not exact:
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
            exact=exact,
            windows=cells.windows,
        )
        lps += result.lps
        if result.passed or exact:
            break
        widened = [chooser.widen(p.cell) for p in result.pinned]
        exact = not any(widened) or rounds + 1 == thresholds.max_rounds
    result.lps = lps  # every round's, not only the last audit's
    return Suppression(cells, reason, rounds, result, thresholds)


def protect_tables(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape],
    thresholds: Thresholds | None = None,
    workers: int = 1,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Suppress and audit whole tables: the published tables and the disclosure report.

    Blocks share no relation, so each is suppressed on its own, `workers` threads taking them
    in turn: the number of threads does not change the result.
    """
    thresholds = thresholds or Thresholds()
    start = time.perf_counter()
    chunks = _split(frames, shapes)
    # Threads, not processes: HiGHS solves without holding the GIL, and a process pool inside
    # a Dagster step (or a test run) would re-import the caller's main module.
    with ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(pool.map(_protect_chunk, chunks, repeat(shapes), repeat(thresholds)))
    published = {
        name: pd.concat([tables[name] for tables, _ in parts])
        .sort_values("_row")
        .drop(columns="_row")
        .reset_index(drop=True)
        for name in frames
    }
    merged = _merge_reports([r for _, r in parts])
    merged["seconds"] = round(time.perf_counter() - start, 2)
    return published, merged


def _split(
    frames: Mapping[str, pd.DataFrame], shapes: Mapping[str, Shape]
) -> list[dict[str, pd.DataFrame]]:
    """One chunk per block of each resource, the other resources empty in it. A block alone
    needs fewer suppression rounds than several together: its rounds end when it is safe."""
    numbered = {
        name: frame.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
        for name, frame in frames.items()
    }
    empty = {name: frame.iloc[:0] for name, frame in numbered.items()}
    chunks = [
        {**empty, name: part}
        for name, frame in numbered.items()
        for _, part in frame.groupby(list(shapes[name].block), sort=True, dropna=False)
    ]
    return chunks or [empty]


def _protect_chunk(
    frames: dict[str, pd.DataFrame], shapes: Mapping[str, Shape], thresholds: Thresholds
) -> tuple[dict[str, pd.DataFrame], dict]:
    suppression = protect(cells_of(frames, shapes, thresholds.aggregate_weight), thresholds)
    return published_frames(frames, suppression), report(suppression)


def _merge_reports(parts: list[dict]) -> dict:
    first = parts[0]
    resources = {}
    for name in first["resources"]:
        rs = [p["resources"][name] for p in parts]
        merged = {k: sum(r[k] for r in rs) for k in ("rows", "rows_geheim", "cells")}
        for kind in ("tellers", "noemers"):
            merged[kind] = {k: sum(r[kind][k] for r in rs) for k in rs[0][kind]}
        withheld = sum(
            r[kind][k]
            for r in rs
            for kind in ("tellers", "noemers")
            for k in ("primary", "secondary")
        )
        merged["share_withheld"] = _share(withheld, merged["cells"])
        resources[name] = merged
    cells = sum(r["cells"] for r in resources.values())
    withheld = sum(p["audit"]["withheld_cells"] for p in parts)
    per_block = {
        k: v for p in parts for k, v in p["information_loss"]["secondary_cells_per_block"].items()
    }
    return {
        "parameters": first["parameters"],
        "resources": resources,
        "audit": {
            "passed": all(p["audit"]["passed"] for p in parts),
            "withheld_cells": withheld,
            "components": sum(p["audit"]["components"] for p in parts),
            "linear_programs": sum(p["audit"]["linear_programs"] for p in parts),
            "pinned": [x for p in parts for x in p["audit"]["pinned"]],
            "rounds": max(p["audit"]["rounds"] for p in parts),
        },
        "information_loss": {
            "share_of_cells_withheld": _share(withheld, cells),
            "secondary_cells_per_block": dict(sorted(per_block.items())),
        },
    }


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
        resources[name] = {
            "rows": len(teller_id),
            "rows_geheim": int(withheld_rows.sum()),
            "cells": int(mine.sum()),
            "tellers": _counts(reason[mine & ~is_noemer]),
            "noemers": _counts(reason[mine & is_noemer]),
            "share_withheld": _share((reason[mine] != NONE).sum(), mine.sum()),
        }
    per_block = np.bincount(cells.block[reason == SECONDARY], minlength=len(cells.block_labels))
    result = suppression.audit
    return {
        "parameters": asdict(suppression.thresholds),
        "resources": resources,
        "audit": {
            "passed": result.passed,
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
        "| noemers primary | noemers secondary | share of cells withheld |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in report["resources"].items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['rows_geheim']:,} | {r['tellers']['primary']:,} "
            f"| {r['tellers']['secondary']:,} | {r['noemers']['primary']:,} "
            f"| {r['noemers']['secondary']:,} | {100 * r['share_withheld']:.1f}% |"
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
    }


def _share(part: int, whole: int) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0


def _published(cells: Cells, reason: np.ndarray) -> np.ndarray:
    return np.where(reason != NONE, np.nan, cells.value)


@dataclass
class _Chooser:
    """Picks secondary cells: the cheapest published cell, ties broken by cell number."""

    cells: Cells
    reason: np.ndarray
    tellers_of: dict[int, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        noemer_of = self.cells.noemer_of
        tellers = np.flatnonzero(noemer_of >= 0)
        order = np.argsort(noemer_of[tellers], kind="stable")
        tellers = tellers[order]
        bounds = np.searchsorted(noemer_of[tellers], np.arange(len(noemer_of) + 1))
        self.tellers_of = {
            int(n): tellers[bounds[n] : bounds[n + 1]] for n in np.flatnonzero(noemer_of < 0)
        }

    def close_singletons(self) -> None:
        """Until no relation holds exactly one withheld cell."""
        structure = self.cells.structure
        while True:
            withheld = self.reason != NONE
            counts = np.add.reduceat(withheld[structure.members], structure.ptr[:-1])
            lonely = np.flatnonzero(counts == 1)
            if not len(lonely):
                return
            for r in lonely:
                members = structure.relation(r)
                if (self.reason[members] != NONE).sum() == 1:
                    self._withhold_cheapest(members)

    def widen(self, cell: int) -> bool:
        """A pinned cell: withhold the cheapest published cell of a relation it is in; else
        its noemer; else one relation further out."""
        structure = self.cells.structure
        candidates = structure.neighbours(np.array([cell]))
        if self._withhold_cheapest(candidates):
            return True
        noemer = self.cells.noemer_of[cell]
        if noemer >= 0 and self.reason[noemer] == NONE:
            self._withhold(int(noemer))
            return True
        if not len(candidates):
            return False
        return self._withhold_cheapest(structure.neighbours(candidates))

    def _withhold_cheapest(self, members: np.ndarray) -> bool:
        published = members[self.reason[members] == NONE]
        if not len(published):
            return False
        costs = [(self._cost(int(c)), int(c)) for c in published]
        self._withhold(min(costs)[1])
        return True

    def _cost(self, cell: int) -> float:
        cost = self.cells.cost[cell]
        if cell in self.tellers_of:
            tellers = self.tellers_of[cell]
            cost += self.cells.cost[tellers[self.reason[tellers] == NONE]].sum()
        return float(cost)

    def _withhold(self, cell: int) -> None:
        self.reason[cell] = SECONDARY
        if cell in self.tellers_of:
            tellers = self.tellers_of[cell]
            self.reason[tellers[self.reason[tellers] == NONE]] = SECONDARY


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
