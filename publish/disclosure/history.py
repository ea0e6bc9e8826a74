"""Protection across releases (disclosure.md, "Across releases").

The attacker holds every release ever published: the API serves them all and downloads are
kept. A cell whose true value did not change between two releases is one unknown in both (the
pipeline knows which; the attacker is assumed to guess right). Two things follow.

1. **A new release starts from the state of the ones before it** (`states`). A cell that an
   earlier release published with the same true value is *public*: a constant the attacker
   holds, nothing to protect. A cell that an earlier release withheld with the same true value
   is *kept* withheld: publishing it would give its value for that release too. Only new and
   changed cells are chosen afresh, so a pattern moves only where the data moved.
2. **The audit covers every release together** (`joint_audit`, per block): the cells of all
   releases, each release's relations and published values, and one unknown for all copies of
   a cell whose true value is the same (a teller's copies merge only where their noemers do;
   elsewhere an equation says they are equal). A withheld cell pinned by that problem, or a
   published cell whose value an earlier release withheld, fails the release.

Each release's true values and which cells it withheld are kept in the warehouse
(`history.cells`), never in a release. A release made before they were kept has only its
files: its published values count (a cell it published unchanged is public), and each cell it
withheld is kept withheld, since whether its value changed cannot be known; it is not in the
joint audit, whose equations need the true values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, vstack

from publish.disclosure.audit import CEILING, AuditResult, Structure, audit
from publish.disclosure.optimal import WITHHELD_MOVE_COST, Mover


@dataclass(frozen=True)
class Earlier:
    """One earlier release, aligned with the cells of the new one: per new cell its true value
    then (NaN where unknown or absent) and whether that release withheld it. Without true
    values (`known` False) only its published values count."""

    version: str
    value: np.ndarray
    withheld: np.ndarray
    present: np.ndarray
    known: bool = True


@dataclass
class History:
    """The releases before the new one, oldest first."""

    releases: list[Earlier] = field(default_factory=list)
    # The latest release was made under the same thresholds: a block whose true values it had
    # keeps its pattern without a new audit (publish/disclosure/suppress.py, `_reused`).
    same_rules: bool = False
    # The latest release's moves over the new cells, one row each (deltas from the true
    # values): the optimiser's proof that its withheld cells move. A table nothing changed in
    # takes them instead of being solved again; the audits check each before it counts.
    moves: csr_matrix | None = None
    # The latest release, when its true values are the new release's: it is left out, and the
    # new release is made against the releases before it, as the latest was (same pattern).
    same_figures_as: str | None = None

    def __bool__(self) -> bool:
        return bool(self.releases)

    @property
    def audited(self) -> list[Earlier]:
        """The earlier releases whose true values are known: those the joint audit covers."""
        return [r for r in self.releases if r.known]


def align(keys: np.ndarray, version: str, stored: pd.DataFrame, known: bool = True) -> Earlier:
    """An earlier release's stored cells (columns key, value, withheld) in the order of `keys`."""
    at = pd.Index(stored["key"]).get_indexer(keys)
    present = at >= 0
    value = np.where(present, stored["value"].to_numpy(dtype=float)[np.maximum(at, 0)], np.nan)
    withheld = present & stored["withheld"].to_numpy(dtype=bool)[np.maximum(at, 0)]
    return Earlier(version, value, withheld, present, known)


def moves_matrix(move: np.ndarray, cell: np.ndarray, delta: np.ndarray, size: int) -> csr_matrix:
    """Moves over `size` cells from their entries (move number, cell, delta), one row per
    move. A cell of -1 is one the cells lack: its move is left out whole."""
    lost = np.unique(move[cell < 0])
    kept = ~np.isin(move, lost)
    rows, row = np.unique(move[kept], return_inverse=True)
    return csr_matrix((delta[kept], (row, cell[kept])), shape=(len(rows), size))


def align_moves(keys: np.ndarray, earlier_keys: np.ndarray, kept: pd.DataFrame) -> csr_matrix:
    """An earlier release's moves as `kept_moves` gives them (move, cell, delta; cells
    numbered as its `earlier_keys`) over the cells `keys`, matched by key. The warehouse does
    the same lookup in SQL (pipelines/defs/disclosure_control.py)."""
    at = pd.Index(keys).get_indexer(earlier_keys)[kept["cell"].to_numpy()]
    return moves_matrix(kept["move"].to_numpy(), at, kept["delta"].to_numpy(), len(keys))


def states(value: np.ndarray, history: History) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the new release: public (an earlier release published it, value unchanged)
    and kept (an earlier release withheld it, value unchanged, or withheld it and its value is
    unknown); a public cell is never kept."""
    public = np.zeros(len(value), dtype=bool)
    kept = np.zeros(len(value), dtype=bool)
    for earlier in history.releases:
        same = earlier.present & (earlier.value == value)
        public |= same & ~earlier.withheld
        kept |= same & earlier.withheld
        if not earlier.known:
            kept |= earlier.present & earlier.withheld
    return public, kept & ~public


@dataclass
class JointResult:
    """The joint audit of one block: its result over the merged unknowns; the places (cell
    numbers in the block) where a copy in some release is pinned; the cells the new release
    publishes whose value an earlier release withheld; and how many earlier releases it
    covered."""

    audit: AuditResult
    pinned: np.ndarray
    leaked: np.ndarray
    releases: int
    # The problem it solved (None where the block is as it was): `free_across` moves in it.
    problem: _Merged | None = None

    @property
    def passed(self) -> bool:
        return self.audit.passed and not len(self.leaked)


@dataclass
class _Merged:
    """The attacker's problem over one block of every release at once: each copy of a cell
    (release j's cell c is j * n + c, the new release last) is the merged unknown `node`, -1
    where the release lacks the cell; the relations of every release over the unknowns, and
    which unknowns the attacker holds."""

    n: int
    k: int
    node: np.ndarray
    present: np.ndarray
    structure: Structure
    value: np.ndarray  # per unknown, its true value
    published: np.ndarray  # per unknown, its value where any release published a copy, else NaN
    published_before: np.ndarray  # per unknown, whether an earlier release published a copy
    withheld: np.ndarray  # per cell of the new release, whether it withholds it

    @property
    def size(self) -> int:
        return len(self.value)

    @classmethod
    def of(
        cls, structure: Structure, value: np.ndarray, withheld: np.ndarray, releases: list[Earlier]
    ) -> _Merged:
        n = len(value)
        k = len(releases) + 1
        values = np.concatenate([*(e.value for e in releases), value])
        hidden = np.concatenate([*(e.withheld for e in releases), withheld])
        present = np.concatenate([*(e.present for e in releases), np.ones(n, dtype=bool)])
        noemer_of = structure.noemer_of
        roots, equations = _merged_copies(noemer_of, values, present, n, k)
        used = present.copy()
        labels, rep = np.unique(roots[used], return_inverse=True)
        node = np.full(k * n, -1)
        node[used] = rep
        size = len(labels)

        # A merged unknown is known when any copy is published.
        published_copy = np.zeros(size, dtype=bool)
        np.logical_or.at(published_copy, node[used], ~hidden[used])
        published_before = np.zeros(size, dtype=bool)
        earlier_copies = used.copy()
        earlier_copies[(k - 1) * n :] = False
        np.logical_or.at(published_before, node[earlier_copies], ~hidden[earlier_copies])
        merged_value = np.zeros(size)
        merged_value[node[used]] = values[used]
        published = np.where(published_copy, merged_value, np.nan)

        # Every release's relations over the merged unknowns (identical ones once), the
        # equations between copies that could not merge, and each teller's noemer.
        rows = [row for j in range(k) for row in _relations(structure, node[j * n :][:n])]
        rows += [(int(node[g]), int(node[h])) for g, h in equations if node[g] != node[h]]
        unique = list(dict.fromkeys(rows))
        merged_noemer = np.full(size, -1)
        for j in range(k):
            tellers = np.flatnonzero((noemer_of >= 0) & present[j * n : (j + 1) * n])
            merged_noemer[node[j * n + tellers]] = node[j * n + noemer_of[tellers]]
        merged = Structure(
            members=np.array([m for row in unique for m in row], dtype=np.int64),
            ptr=np.concatenate([[0], np.cumsum([len(row) for row in unique])]).astype(np.int64),
            noemer_of=merged_noemer,
        )
        return cls(n, k, node, present, merged, merged_value, published, published_before, withheld)


def joint_audit(
    structure: Structure,
    value: np.ndarray,
    withheld: np.ndarray,
    earlier: list[Earlier],
    min_values: int = 2,
    witnesses: csr_matrix | None = None,
) -> JointResult:
    """The attacker's problem over one block of the new release and the same block of every
    earlier release with known true values.

    `structure`, `value` and `withheld` describe the new release's block (withheld:
    withheld and not public); each earlier release is aligned with it. A block's relations are
    the same in every release (its cells are the same grid), so each release's copy of the
    block uses `structure`. `witnesses` are moves of the new release's cells (deltas); the
    audit checks them over the merged problem before they count.
    """
    n = len(value)
    releases = [e for e in earlier if e.present.any()]
    if all(unchanged(e, value, withheld) for e in releases):
        # The block as it was: the same values withheld the same way, so the same problem as
        # the new release's own (whose audit passed).
        return JointResult(
            AuditResult(int(withheld.sum()), 0, 0), np.empty(0, dtype=np.int64), [], len(releases)
        )
    problem = _Merged.of(structure, value, withheld, releases)
    node, k, size = problem.node, problem.k, problem.size
    merged = problem.structure
    # A copy the new release publishes whose value an earlier release withheld is a leak of
    # that release's cell.
    leaked = set()
    for j, e in enumerate(releases):
        for cell in np.flatnonzero(e.present & e.withheld & ~withheld):
            same = node[j * n + cell]
            if same == node[(k - 1) * n + cell] and not problem.published_before[same]:
                leaked.add(int(cell))
    moves = None
    if witnesses is not None and witnesses.shape[0]:
        moves = _merged_moves(witnesses.tocoo(), node, problem.present, n, k, size)
    result = audit(merged, problem.published, min_values, hint=problem.value, witnesses=moves)
    pinned_nodes = np.array(sorted({p.cell for p in result.pinned}), dtype=np.int64)
    places = np.unique(np.flatnonzero(np.isin(node, pinned_nodes)) % n)
    leaks = np.array(sorted(leaked), dtype=np.int64)
    return JointResult(result, places, leaks, len(releases), problem)


def _merged_copies(
    noemer_of: np.ndarray, values: np.ndarray, present: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Which copies of the cells are one unknown: each copy (release j's cell c is j * n + c)
    joins the latest earlier copy of its cell with the same true value, a teller's only where
    their noemers joined (noemers first); the root of each unknown is its earliest copy. The
    pairs of equal teller copies that could not join are equations (later copy, earlier one),
    by cell and then release."""
    roots = np.arange(k * n)
    copy = np.flatnonzero(present)
    cell, release, value = copy % n, copy // n, values[copy]
    # Copies of one cell with one value, in release order: each pair of neighbours is a copy
    # and the latest earlier copy with its value.
    order = np.lexsort((release, value, cell))
    later, earlier = order[1:], order[:-1]
    equal = (cell[later] == cell[earlier]) & (value[later] == value[earlier])
    teller = noemer_of[cell[later]] >= 0

    def join(joined: np.ndarray) -> None:
        # Joined neighbours form runs in `order`; each run's root is its first copy.
        starts = np.concatenate([[True], ~joined])
        first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
        roots[copy[order]] = copy[order[first]]

    join(equal & ~teller)  # noemer copies
    noemer = np.maximum(noemer_of[cell[later]], 0)  # a noemer's own is never read
    same_noemer = roots[release[later] * n + noemer] == roots[release[earlier] * n + noemer]
    join(equal & ~teller | equal & teller & same_noemer)
    apart = np.flatnonzero(equal & teller & ~same_noemer)
    apart = apart[np.lexsort((release[later[apart]], cell[later[apart]]))]
    equations = list(zip(copy[later[apart]].tolist(), copy[earlier[apart]].tolist(), strict=True))
    return roots, equations


def _relations(structure: Structure, node: np.ndarray) -> list[tuple[int, ...]]:
    """One release's relations over the merged unknowns (`node` of each of its cells, -1 where
    absent): those whose every cell is present, each as its unknowns."""
    mapped = node[structure.members]
    absent = np.zeros(len(structure.ptr) - 1, dtype=bool)
    np.logical_or.at(absent, structure.owner, mapped < 0)
    flat, ptr = mapped.tolist(), structure.ptr.tolist()
    return [tuple(flat[ptr[r] : ptr[r + 1]]) for r in np.flatnonzero(~absent).tolist()]


def _merged_moves(
    moves, node: np.ndarray, present: np.ndarray, n: int, k: int, size: int
) -> csr_matrix:
    """The moves over the merged unknowns: each as given (columns j * n + cell), and each that
    moves the new release's cells only also made in every release's copy of the block at once
    (the copies share their relations): it keeps merged unknowns equal and counts where every
    copy it moves is withheld and has room. Merged copies move once."""
    rows = moves.row
    newest = moves.col >= (k - 1) * n
    only_new = np.bincount(rows, ~newest, minlength=moves.shape[0]) == 0
    cell = moves.col % n
    entries = [np.column_stack([rows, node[moves.col], np.arange(len(rows))])]
    copy = only_new[rows]
    for j in range(k - 1):
        ok = copy & present[j * n + cell]
        entries.append(
            np.column_stack([moves.shape[0] + rows[ok], node[j * n + cell[ok]], np.flatnonzero(ok)])
        )
    # Made in every copy: the new release's own entries, under the replicated row too.
    entries.append(
        np.column_stack([moves.shape[0] + rows[copy], node[moves.col[copy]], np.flatnonzero(copy)])
    )
    pairs = np.concatenate(entries)
    # One entry per (row, unknown), the first: as one number each, which np.unique sorts in a
    # fraction of the time it takes for rows (axis=0).
    _, first = np.unique(pairs[:, 0] * (size + 1) + pairs[:, 1] + 1, return_index=True)
    pairs = pairs[first]
    return csr_matrix(
        (moves.data[pairs[:, 2]], (pairs[:, 0], pairs[:, 1])), shape=(2 * moves.shape[0], size)
    )


def unchanged(earlier: Earlier, value: np.ndarray, withheld: np.ndarray) -> bool:
    """Whether an earlier release had every cell, with these values, withheld this way."""
    return bool(
        earlier.present.all()
        and np.array_equal(earlier.value, value)
        and np.array_equal(earlier.withheld, withheld)
    )


def free_across(problem: _Merged, cost: np.ndarray, cell: int) -> np.ndarray:
    """The cells the new release publishes of which `cell` needs some withheld to move a
    whole unit in the attacker's problem over every release: those of its cheapest move,
    published cells costing what withholding them costs. Empty when no move frees it.

    The joint audit pins a cell through copies in earlier releases, whose relations the cells
    around it now do not show; widening through the new release's neighbours can miss the
    cells that hold it. This is the LP the optimiser's repair solves (publish/disclosure/
    optimal.py), over the merged unknowns of every release: what an earlier release published
    is held, the new release's published cells may move at their cost. `problem` is the one
    the joint audit solved (JointResult.problem)."""
    n, size = problem.n, problem.size
    new = problem.node[(problem.k - 1) * n :]
    now = np.flatnonzero(~problem.withheld)
    choosable = np.zeros(size, dtype=bool)
    choosable[new[now]] = True
    choosable &= ~problem.published_before
    held = ~np.isnan(problem.published) & ~choosable
    v = problem.value
    up = np.where(held, 0.0, CEILING - v)
    down = np.where(held, 0.0, v)
    unit = np.full(size, WITHHELD_MOVE_COST)
    unit[new[now]] = np.where(choosable[new[now]], cost[now], WITHHELD_MOVE_COST)

    # z = p - m: every relation keeps -total + parts = 0, every teller stays <= its noemer.
    merged = problem.structure
    relations = merged.matrix
    tellers = np.flatnonzero(merged.noemer_of >= 0)
    links = csr_matrix(
        (
            np.tile([1.0, -1.0], len(tellers)),
            (
                np.repeat(np.arange(len(tellers)), 2),
                np.column_stack([tellers, merged.noemer_of[tellers]]).ravel(),
            ),
        ),
        shape=(len(tellers), size),
    )
    row_low = np.concatenate(
        [np.zeros(relations.shape[0]), np.full(len(tellers), -highspy.kHighsInf)]
    )
    row_high = np.concatenate(
        [np.zeros(relations.shape[0]), v[merged.noemer_of[tellers]] - v[tellers]]
    )
    rows = vstack([relations, links]).tocsr()
    z = Mover(rows, row_low, row_high, up, down).cheapest(unit, new[cell])
    if z is None:
        return np.empty(0, dtype=np.int64)
    moved = np.abs(z) > 1e-9
    return now[choosable[new[now]] & moved[new[now]]]
