"""Whole tables in blocks of areas (audit windows), solved in threads; a block whose cells did
not change since the earlier release reuses its result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from publish.disclosure.audit import (
    AuditResult,
    audit,
)
from publish.disclosure.cells import (
    KEPT,
    Cells,
    Shape,
    Thresholds,
    cells_of,
)
from publish.disclosure.history import History, states
from publish.disclosure.report import report
from publish.disclosure.suppress import Suppression, _protect_block


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
    history = history if history is not None else History()
    public, kept = states(cells.value, history)
    blocks = np.unique(cells.block)
    stored = _by_block(history.moves, cells.block) if history.moves is not None else {}
    # Threads, not processes: HiGHS solves without holding the GIL, and a process pool inside
    # a Dagster step (or a test run) would re-import the caller's main module.
    with ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(
            pool.map(
                lambda b: _protect_block(
                    cells, int(b), thresholds, history, public, kept, stored.get(int(b))
                ),
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
        **({"same_figures_as": history.same_figures_as} if history.same_figures_as else {}),
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
        cells,
        reason,
        rounds,
        merged,
        thresholds,
        [p.outcome for p in parts],
        public,
        across,
        _moves(parts, len(cells.value)),
    )
    return suppression


def _by_block(moves: csr_matrix, block: np.ndarray) -> dict[int, csr_matrix]:
    """Each block's moves over its own cells, numbered as `Cells.only` numbers them (a move
    that would span blocks is none of theirs)."""
    entries = moves.tocoo()
    order = np.argsort(block, kind="stable")
    local = np.empty(len(block), dtype=np.int64)
    local[order] = np.arange(len(block)) - np.searchsorted(block[order], block[order])
    of = block[entries.col]
    lowest = np.full(moves.shape[0], np.iinfo(np.int64).max)
    highest = np.full(moves.shape[0], -1)
    np.minimum.at(lowest, entries.row, of)
    np.maximum.at(highest, entries.row, of)
    one = (lowest == highest)[entries.row]
    found = {}
    sizes = np.bincount(block)
    by = np.argsort(of[one], kind="stable")
    row, col, data, of = (a[one][by] for a in (entries.row, entries.col, entries.data, of))
    for part in np.split(np.arange(len(of)), np.flatnonzero(np.diff(of)) + 1):
        if not len(part):
            continue
        b = int(of[part[0]])
        rows, renumbered = np.unique(row[part], return_inverse=True)
        found[b] = csr_matrix(
            (data[part], (renumbered, local[col[part]])), shape=(len(rows), int(sizes[b]))
        )
    return found


def _moves(parts: list, size: int) -> csr_matrix:
    """Every block's moves over all cells, one row each, each move once."""
    rows, columns, deltas, count = [], [], [], 0
    for part in parts:
        if part.moves is None or not part.moves.shape[0]:
            continue
        moves = _distinct(part.moves).tocoo()
        rows.append(count + moves.row)
        columns.append(part.cells[moves.col])
        deltas.append(moves.data)
        count += moves.shape[0]
    if not count:
        return csr_matrix((0, size))
    return csr_matrix(
        (np.concatenate(deltas), (np.concatenate(rows), np.concatenate(columns))),
        shape=(count, size),
    )


def _distinct(moves: csr_matrix) -> csr_matrix:
    """The moves without repeats. The optimiser's witnesses can hold one move more than once,
    and the latest release's moves come back among them, so repeats piled up release after
    release: 58,364 moves in the first U16 release, 525,512 (57,282 distinct) in the seventh,
    27.6 million rows in the warehouse."""
    moves = moves.tocsr(copy=True)
    moves.sum_duplicates()
    ptr, cells, deltas = moves.indptr, moves.indices, moves.data
    first: dict[tuple[bytes, bytes], int] = {}
    for row in range(moves.shape[0]):
        span = slice(ptr[row], ptr[row + 1])
        first.setdefault((cells[span].tobytes(), deltas[span].tobytes()), row)
    if len(first) == moves.shape[0]:
        return moves
    return moves[sorted(first.values())]


def kept_cells(suppression: Suppression) -> pd.DataFrame:
    """The cells of a suppression as history keeps them (publish/disclosure/history.py): key, true
    value, and whether the release withholds it."""
    return pd.DataFrame(
        {
            "key": suppression.cells.keys.astype(str),
            "value": suppression.cells.value,
            "withheld": suppression.withheld,
        }
    )


def kept_moves(suppression: Suppression) -> pd.DataFrame:
    """The moves of a suppression as history keeps them (History.moves): move number, cell
    (its row in `kept_cells`), delta; one row per cell a move moves."""
    moves = suppression.moves
    if moves is None:
        moves = csr_matrix((0, len(suppression.cells.value)))
    moves = moves.tocoo()
    return pd.DataFrame(
        {
            "move": moves.row.astype(np.int64),
            "cell": moves.col.astype(np.int64),
            "delta": moves.data,
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
