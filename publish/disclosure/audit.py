"""The attacker's audit: can any withheld count be computed back from what is published?

The attacker of disclosure.md knows every published value, the additive relations (areas,
M + V = T, the age classes), that counts are whole numbers >= 0 and that teller <= noemer. For
every withheld cell we compute the interval of values the linear relaxation of that knowledge
allows, min and max by linear programming (HiGHS). A cell is *pinned* when that interval holds
fewer than `min_values` whole numbers. The relaxation gives the widest interval an LP attacker
can prove, so a cell it pins is certainly disclosed; a release with a pinned cell fails.

Only withheld cells are variables: published values are constants, so the problem splits into
independent components (withheld cells linked through a relation or a teller <= noemer bound).

Most cells need no LP of their own. Every feasible point found bounds each cell's interval from
inside, so a cell whose values seen so far span `min_values` whole numbers is covered. The points
come from *covering* LPs that push many uncovered cells a whole unit at once, each in its own
direction. A covering LP may also free only a *window* of the withheld cells and hold the others
at a known feasible point: whatever it finds is feasible for the whole table, so a large
component is mostly covered by small LPs over a few areas at a time. Only the cells left after
that are solved one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

_EPS = 1e-6
# Covering LPs per problem at most.
BULK_ATTEMPTS = 20
# A finite ceiling far above any count keeps every LP bounded (an unbounded solve loses the
# basis the next one would start from); it only narrows intervals already that wide.
CEILING = 1e7
# With windows, the quick audit covers a component larger than this with its windows only.
WHOLE_COMPONENT_LIMIT = 5_000
# Sweeps of bound propagation at most (each is sound; more only narrow further).
BOUND_SWEEPS = 50


@dataclass(frozen=True)
class Structure:
    """What the attacker knows besides the values: the relations and the teller bounds.

    `members[ptr[r]:ptr[r + 1]]` are the cells of relation r, its total first; the relation is
    total = sum of the others. `noemer_of[c]` is the noemer cell of teller c, or -1 for a
    noemer.
    """

    members: np.ndarray
    ptr: np.ndarray
    noemer_of: np.ndarray

    @property
    def size(self) -> int:
        return len(self.noemer_of)

    def relation(self, r: int) -> np.ndarray:
        return self.members[self.ptr[r] : self.ptr[r + 1]]

    def relations_of(self, cells: np.ndarray) -> np.ndarray:
        """The relations any of `cells` is a member of, sorted."""
        return np.unique(gather(self.columns.indptr, self.columns.indices, cells))

    def neighbours(self, cells: np.ndarray) -> np.ndarray:
        """The cells in a relation with any of `cells` (they included), sorted."""
        relations = self.relations_of(cells)
        return np.unique(gather(self.matrix.indptr, self.matrix.indices, relations)).astype(
            np.int64
        )

    @cached_property
    def matrix(self) -> csr_matrix:
        """One row per relation: -total + the parts = 0."""
        lengths = np.diff(self.ptr)
        coefs = np.ones(len(self.members))
        coefs[self.ptr[:-1][lengths > 0]] = -1.0
        shape = (len(lengths), self.size)
        return csr_matrix((coefs, (self.owner, self.members)), shape=shape)

    @cached_property
    def columns(self) -> csc_matrix:
        return self.matrix.tocsc()

    @cached_property
    def tellers(self) -> np.ndarray:
        return np.flatnonzero(self.noemer_of >= 0)

    @cached_property
    def owner(self) -> np.ndarray:
        """The relation of each entry of `members`."""
        return np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))


def gather(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The entries of `rows` of a compressed sparse matrix, concatenated (no scipy slicing:
    its overhead per call is what a single cell would pay)."""
    starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return indices[offsets + np.arange(lengths.sum())]


@dataclass(frozen=True)
class Pinned:
    cell: int
    low: float
    high: float


@dataclass
class AuditResult:
    withheld: int
    components: int
    lps: int
    pinned: list[Pinned] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.pinned


@dataclass
class Evidence:
    """What earlier audits of one table have seen, kept while its suppression grows.

    Per cell the lowest and highest value of the feasible points found. Withholding one more
    cell only frees a constant, so a point feasible before (with that cell at its published,
    true value) is feasible still: a cell once seen to span `min_values` whole numbers stays
    covered, and the next audit needs LPs only for the cells it has not seen move. Valid only
    for audits of the same values with a growing set of withheld cells, as `protect` makes.
    `pinned` maps a component (its cells) to its pinned cells, and `windows` holds the windows
    covered before (their withheld cells): an unchanged one needs no new LPs.
    """

    low: np.ndarray
    high: np.ndarray
    pinned: dict[tuple[bool, bytes], list[Pinned]] = field(default_factory=dict)
    windows: set[bytes] = field(default_factory=set)

    @classmethod
    def empty(cls, size: int) -> Evidence:
        return cls(np.full(size, np.inf), np.full(size, -np.inf))

    def see(self, cells: np.ndarray, x: np.ndarray) -> None:
        """A feasible point: every cell's interval holds its value."""
        self.low[cells] = np.minimum(self.low[cells], x)
        self.high[cells] = np.maximum(self.high[cells], x)

    def uncovered(self, cells: np.ndarray, min_values: int) -> np.ndarray:
        return possible_values(self.low[cells], self.high[cells]) < min_values


class InconsistentTable(ValueError):
    """The published values contradict the relations: the tables do not add up."""


def audit(
    structure: Structure,
    values: np.ndarray,
    min_values: int = 2,
    evidence: Evidence | None = None,
    hint: np.ndarray | None = None,
    exact: bool = True,
    windows: Sequence[np.ndarray] = (),
    witnesses: csr_matrix | None = None,
) -> AuditResult:
    """Audit published `values` (NaN where withheld) against the attacker's knowledge.

    `evidence`, kept by the caller between audits of a growing suppression of one table, saves
    the LPs for cells already seen to move and for components audited before (see Evidence).

    `hint`, the true values where the caller has them, is a known feasible point (checked
    before use) to start from; without it one is solved for.

    `windows` are groups of cells (a few areas with their totals) to cover first with small
    LPs, holding every other cell at the known point; those left with uncovered cells are then
    covered a few together (`_joined`).

    `witnesses` are moves from the known point, one row each (deltas), that the caller found
    (the optimiser's): each that keeps every published value, relation and bound is a point
    of the attacker's problem, so it bounds the intervals from inside like any point the audit
    finds. Each is checked here before it counts; a wrong one is ignored.

    `exact=False` skips the one-cell-at-a-time LPs: a cell the covering LPs could not move a
    whole unit is reported as pinned unproven (low/high are the values seen), and a component
    larger than WHOLE_COMPONENT_LIMIT is covered by its windows only. A pass is still a proof.
    Suppression uses it between rounds and the exact audit at the end. The exact audit's
    result does not depend on the hint or the windows, only its speed does.
    """
    withheld = np.flatnonzero(np.isnan(values))
    components = _components(structure, withheld)
    result = AuditResult(withheld=len(withheld), components=len(components), lps=0)
    if not len(withheld):
        return result
    if evidence is None:
        evidence = Evidence.empty(structure.size)
    point, result.lps = _known_point(structure, values, hint, components)
    evidence.see(withheld, point[withheld])
    if witnesses is not None and witnesses.shape[0]:
        _see_witnesses(structure, values, point, witnesses, evidence)

    frees = [window[np.isnan(values[window])] for window in windows]
    for free in frees:
        result.lps += _cover_window(structure, free, point, evidence, min_values)
    for free in _joined(frees, components, evidence, min_values):
        result.lps += _cover_window(structure, free, point, evidence, min_values)

    for cells in components:
        key = (exact, cells.tobytes())
        if key not in evidence.pinned:
            todo = evidence.uncovered(cells, min_values)
            if not todo.any():
                pinned, lps = [], 0
            elif not exact and windows and len(cells) > WHOLE_COMPONENT_LIMIT:
                pinned, lps = _unproven(cells[todo], evidence), 0
            else:
                pinned, lps = _audit_component(structure, cells, point, evidence, min_values, exact)
            result.lps += lps
            evidence.pinned[key] = pinned
        result.pinned += evidence.pinned[key]
    result.pinned.sort(key=lambda p: p.cell)
    return result


def _see_witnesses(
    structure: Structure,
    values: np.ndarray,
    point: np.ndarray,
    moves: csr_matrix,
    evidence: Evidence,
) -> None:
    """The moves from `point` that are points of the attacker's problem: they change no
    published value, keep every relation, counts >= 0 and teller <= noemer."""
    moves = csr_matrix(moves)
    published = (~np.isnan(values)).astype(float)
    keeps_published = abs(moves) @ published <= _EPS
    keeps_relations = np.abs(structure.matrix @ moves.T).max(axis=0).toarray().ravel() <= _EPS
    moved = moves.tocoo()
    nonnegative = np.ones(moves.shape[0], dtype=bool)
    np.logical_and.at(nonnegative, moved.row, point[moved.col] + moved.data >= -_EPS)
    tellers = structure.tellers
    slack = point[structure.noemer_of[tellers]] - point[tellers]
    # teller - noemer, moved, must stay within the slack: (moves over tellers - over noemers).
    change = moves[:, tellers] - moves[:, structure.noemer_of[tellers]]
    change = change.tocoo()
    bounded = np.ones(moves.shape[0], dtype=bool)
    np.logical_and.at(bounded, change.row, change.data <= slack[change.col] + _EPS)
    good = moves[keeps_published & keeps_relations & nonnegative & bounded]
    if not good.shape[0]:
        return
    cells = np.unique(good.indices)
    lowest = good[:, cells].min(axis=0).toarray().ravel()
    highest = good[:, cells].max(axis=0).toarray().ravel()
    evidence.see(cells, point[cells] + lowest)
    evidence.see(cells, point[cells] + highest)


def _cover_window(
    structure: Structure, free: np.ndarray, point: np.ndarray, evidence: Evidence, min_values: int
) -> int:
    key = free.tobytes()
    if key in evidence.windows or not evidence.uncovered(free, min_values).any():
        return 0
    evidence.windows.add(key)
    return _Problem.of(structure, free, point).cover(point[free], evidence, min_values)


def _joined(
    frees: list[np.ndarray], components: list[np.ndarray], evidence: Evidence, min_values: int
) -> list[np.ndarray]:
    """Windows still holding uncovered cells, joined a few at a time within a component: a
    total that only a move through another window can free (a region's, where the national
    total is published) is covered by two windows together."""
    label = np.full(len(evidence.low), -1)
    for i, cells in enumerate(components):
        if len(cells) > WHOLE_COMPONENT_LIMIT:
            label[cells] = i
    stuck: dict[int, list[np.ndarray]] = {}
    for free in frees:
        todo = free[evidence.uncovered(free, min_values)]
        if len(todo) and label[todo[0]] >= 0:
            stuck.setdefault(int(label[todo[0]]), []).append(free)
    joined = []
    for group in stuck.values():
        size = sum(len(f) for f in group)
        k = min(len(group) // 2, -(-size // max(1, WHOLE_COMPONENT_LIMIT)))
        for j in range(k):
            joined.append(np.unique(np.concatenate(group[j::k])))
    return joined


def pinned_by_bounds(
    structure: Structure, values: np.ndarray, min_values: int = 2, sweeps: int = BOUND_SWEEPS
) -> np.ndarray:
    """Withheld cells that bound propagation alone pins, without an LP.

    Each sweep narrows every withheld cell's bounds by what its relations allow (a total lies
    between the sums of its parts' bounds, a part between its total's bound minus the others')
    and by teller <= noemer. Every feasible point stays within the bounds, so a cell they pin is
    pinned for the LP attacker too (the converse need not hold: the audit decides). Cheap, so
    secondary suppression closes these leaks first and leaves the LPs the rest.
    """
    withheld = np.isnan(values)
    low = np.where(withheld, 0.0, values)
    high = np.where(withheld, CEILING, values)
    members, starts = structure.members, structure.ptr[:-1]
    if not len(members) or not withheld.any():
        return np.empty(0, dtype=np.int64)
    owner = structure.owner
    parts = np.ones(len(members), dtype=bool)
    parts[starts] = False
    totals = members[starts]
    part_cells, part_owner = members[parts], owner[parts]
    tellers = structure.tellers
    noemers = structure.noemer_of[tellers]
    for _ in range(sweeps):
        before = low.sum(), high.sum()
        parts_low = np.add.reduceat(np.where(parts, low[members], 0.0), starts)
        parts_high = np.add.reduceat(np.where(parts, high[members], 0.0), starts)
        np.maximum.at(low, totals, parts_low)
        np.minimum.at(high, totals, parts_high)
        others_high = parts_high[part_owner] - high[part_cells]
        others_low = parts_low[part_owner] - low[part_cells]
        np.maximum.at(low, part_cells, low[totals][part_owner] - others_high)
        np.minimum.at(high, part_cells, high[totals][part_owner] - others_low)
        high[tellers] = np.minimum(high[tellers], high[noemers])
        np.maximum.at(low, noemers, low[tellers])
        if (low.sum(), high.sum()) == before:
            break
    return np.flatnonzero(withheld & (possible_values(low, high) < min_values))


def possible_values(low, high):
    """How many whole numbers lie in [low, high]; elementwise for arrays, inf when unbounded."""
    return np.maximum(0, np.floor(np.asarray(high) + _EPS) - np.ceil(np.asarray(low) - _EPS) + 1)


def _components(structure: Structure, withheld: np.ndarray) -> list[np.ndarray]:
    """Withheld cells grouped by what links them, each group sorted, groups by first cell."""
    if not len(withheld):
        return []
    is_withheld = np.zeros(structure.size, dtype=bool)
    is_withheld[withheld] = True
    # Link the withheld members of a relation in a chain, and a withheld teller to its
    # withheld noemer.
    hidden = is_withheld[structure.members]
    members, owner = structure.members[hidden], structure.owner[hidden]
    chained = owner[1:] == owner[:-1]
    noemers = structure.noemer_of[withheld]
    linked = (noemers >= 0) & is_withheld[np.maximum(noemers, 0)]
    source = np.concatenate([members[:-1][chained], withheld[linked]])
    target = np.concatenate([members[1:][chained], noemers[linked]])
    graph = coo_matrix(
        (np.ones(len(source), dtype=np.int8), (source, target)),
        shape=(structure.size, structure.size),
    )
    _, labels = connected_components(graph, directed=False)
    labels = labels[withheld]
    order = np.argsort(labels, kind="stable")  # withheld is sorted, so each group is too
    groups = np.split(withheld[order], np.flatnonzero(np.diff(labels[order])) + 1)
    return sorted(groups, key=lambda g: int(g[0]))


def _known_point(
    structure: Structure,
    values: np.ndarray,
    hint: np.ndarray | None,
    components: list[np.ndarray],
) -> tuple[np.ndarray, int]:
    """All values, the withheld ones at a feasible point: the hint when it is one, else one
    solved per component. And the number of LPs that took."""
    withheld = np.isnan(values)
    if hint is not None:
        point = np.where(withheld, hint, values)
        if _feasible(structure, point):
            return point, 0
    point = np.where(withheld, 0.0, values)
    for cells in components:
        problem = _Problem.of(structure, cells, point)
        h = problem.highs(resolve=False)
        h.changeColsCost(len(cells), np.arange(len(cells), dtype=np.int32), np.ones(len(cells)))
        point[cells] = _run(h)[: len(cells)]
    return point, len(components)


def _feasible(structure: Structure, x: np.ndarray) -> bool:
    """Whether the full vector `x` satisfies every relation and bound."""
    if np.isnan(x).any() or (x < -_EPS).any():
        return False
    tellers = structure.tellers
    if (x[tellers] > x[structure.noemer_of[tellers]] + _EPS).any():
        return False
    return bool(np.all(np.abs(structure.matrix @ x) <= _EPS))


def _run(h: highspy.Highs) -> np.ndarray:
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise InconsistentTable(
            f"the published values admit no solution ({h.modelStatusToString(status)})"
        )
    return np.asarray(h.getSolution().col_value)


@dataclass
class _Problem:
    """The attacker's LP over the cells `free`, every other cell held at `fixed`."""

    free: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rows: csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray

    @classmethod
    def of(cls, structure: Structure, free: np.ndarray, fixed: np.ndarray) -> _Problem:
        """`fixed` holds a value for every cell; those of `free` are ignored. It must be a
        feasible point for the problem's relations to be the attacker's (or a restriction of
        them whose every point is feasible for the whole table)."""
        n = len(free)
        at = np.full(structure.size, -1)
        at[free] = np.arange(n)
        # The relations with a free member: -total + parts = 0, the held values moved right.
        relations = structure.matrix[structure.relations_of(free)]
        held = fixed.copy()
        held[free] = 0.0
        rhs = -(relations @ held)
        equations = relations[:, free]
        # teller <= noemer: a row when both are free, else a bound on the free one.
        tellers = structure.tellers
        noemers = structure.noemer_of[tellers]
        free_teller, free_noemer = at[tellers] >= 0, at[noemers] >= 0
        lower = np.zeros(n)
        upper = np.full(n, CEILING)
        both = free_teller & free_noemer
        only_teller = free_teller & ~free_noemer
        np.minimum.at(upper, at[tellers[only_teller]], fixed[noemers[only_teller]])
        only_noemer = free_noemer & ~free_teller
        np.maximum.at(lower, at[noemers[only_noemer]], fixed[tellers[only_noemer]])
        k = int(both.sum())
        pairs = np.column_stack([at[tellers[both]], at[noemers[both]]]).ravel()
        links = csr_matrix(
            (np.tile([1.0, -1.0], k), (np.repeat(np.arange(k), 2), pairs)), shape=(k, n)
        )
        return cls(
            free=free,
            lower=lower,
            upper=upper,
            rows=vstack([equations, links], format="csr"),
            row_lower=np.concatenate([rhs, np.full(k, -highspy.kHighsInf)]),
            row_upper=np.concatenate([rhs, np.zeros(k)]),
        )

    @property
    def size(self) -> int:
        return len(self.free)

    def highs(
        self, lower: np.ndarray | None = None, upper: np.ndarray | None = None, resolve=True
    ) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if resolve:
            # For many one-cell objectives: presolve would start every re-solve from scratch;
            # without it primal simplex continues from the previous optimal basis.
            h.setOptionValue("presolve", "off")
            h.setOptionValue("simplex_strategy", 4)
        else:
            # For one-off LPs far from any earlier optimum: dual simplex after presolve.
            h.setOptionValue("simplex_strategy", 1)
        n = self.size
        h.addVars(n, self.lower if lower is None else lower, self.upper if upper is None else upper)
        if self.rows.shape[0]:
            h.addRows(
                self.rows.shape[0],
                self.row_lower,
                self.row_upper,
                self.rows.nnz,
                self.rows.indptr[:-1].astype(np.int32),
                self.rows.indices.astype(np.int32),
                self.rows.data,
            )
        return h

    def cover(self, point: np.ndarray, evidence: Evidence, min_values: int) -> int:
        """Covering LPs from the feasible `point` (the free cells' values): each pushes every
        uncovered cell a whole unit in a direction of its own, up or down, as many as possible.

        With t_i <= d_i (x_i - point_i) and t_i <= 1, maximising the sum of t rewards every
        cell that moves a unit its way. One direction for all would not do: where two cells
        must move opposite ways, one's gain is the other's loss. So the directions are drawn
        at random for each LP (seeded by the problem's size, so the same data gives the same
        draws), except at a bound, where a cell can move one way only. Stops at the first LP
        that covers almost nothing new. Returns the LP count.
        """
        n = self.size
        rng = np.random.default_rng(n)
        lps = 0
        for _ in range(BULK_ATTEMPTS):
            todo = np.flatnonzero(evidence.uncovered(self.free, min_values))
            if not len(todo):
                break
            directions = rng.choice([-1.0, 1.0], size=n)
            k = len(todo)
            direction = directions[todo]
            direction[point[todo] <= self.lower[todo] + _EPS] = 1.0
            direction[point[todo] >= self.upper[todo] - _EPS] = -1.0
            h = self.highs(resolve=False)
            h.addVars(k, np.full(k, -highspy.kHighsInf), np.ones(k))
            h.addRows(
                k,
                np.full(k, -highspy.kHighsInf),
                -direction * point[todo],
                2 * k,
                np.arange(0, 2 * k, 2, dtype=np.int32),
                np.column_stack([n + np.arange(k), todo]).ravel().astype(np.int32),
                np.column_stack([np.ones(k), -direction]).ravel(),
            )
            h.changeColsCost(k, np.arange(n, n + k, dtype=np.int32), np.full(k, -1.0))
            evidence.see(self.free, _run(h)[:n])
            lps += 1
            if k - (evidence.uncovered(self.free, min_values)).sum() < max(1, 0.01 * k):
                break
        return lps


def _unproven(cells: np.ndarray, evidence: Evidence) -> list[Pinned]:
    return [Pinned(int(c), float(evidence.low[c]), float(evidence.high[c])) for c in cells]


def _audit_component(
    structure: Structure,
    cells: np.ndarray,
    point: np.ndarray,
    evidence: Evidence,
    min_values: int,
    exact: bool,
) -> tuple[list[Pinned], int]:
    problem = _Problem.of(structure, cells, point)
    lps = problem.cover(point[cells], evidence, min_values)
    todo = np.flatnonzero(evidence.uncovered(cells, min_values))
    if not exact:
        return _unproven(cells[todo], evidence), lps

    def solve(h: highspy.Highs, i: int, sign: float) -> float:
        nonlocal lps
        costs = np.zeros(len(cells))
        costs[i] = sign
        h.changeColsCost(len(cells), np.arange(len(cells), dtype=np.int32), costs)
        x = _run(h)
        lps += 1
        evidence.see(cells, x)
        return float(x[i])

    def covered(i: int) -> bool:
        return not evidence.uncovered(cells[i : i + 1], min_values)[0]

    # The rest one by one: first within one of the known point (always bounded, so each
    # solve starts from the last basis), then over the whole relaxation for an exact interval.
    known = point[cells]
    boxed = problem.highs(
        np.maximum(problem.lower, known - 1), np.minimum(problem.upper, known + 1)
    )
    relaxation = problem.highs()
    pinned = []
    for i in todo:
        for sign in (1.0, -1.0):
            if not covered(i):
                solve(boxed, i, sign)
        if covered(i):
            continue
        low = solve(relaxation, i, 1.0)
        if covered(i):
            continue
        high = solve(relaxation, i, -1.0)
        if possible_values(low, high) < min_values:
            pinned.append(Pinned(int(cells[i]), low, high))
    return pinned, lps
