"""The attacker's audit: can any withheld count be computed back from what is published?

The attacker of disclosure.md knows every published value, the additive relations (areas,
M + V = T, the age classes), that counts are whole numbers >= 0 and that teller <= noemer. For
every withheld cell we compute the interval of values the linear relaxation of that knowledge
allows, min and max by linear programming (HiGHS). A cell is *pinned* when that interval holds
fewer than `min_values` whole numbers. The relaxation gives the widest interval an LP attacker
can prove, so a cell it pins is certainly disclosed; a release with a pinned cell fails.

Only withheld cells are variables: published values are constants, so the problem splits into
independent components (withheld cells linked through a relation or a teller <= noemer bound).
Each component is one HiGHS model, re-solved with a new objective per cell from the previous
basis. Every solution found also bounds the other cells from inside: a cell whose values seen
so far already span `min_values` whole numbers needs no LP of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_EPS = 1e-6
# Objectives that push many cells at once before the cells left are solved one by one.
BULK_ATTEMPTS = 20
CEILING = 1e7


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

    @cached_property
    def _by_cell(self) -> tuple[np.ndarray, np.ndarray]:
        owner = np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))
        order = np.argsort(self.members, kind="stable")
        starts = np.searchsorted(self.members[order], np.arange(self.size + 1))
        return owner[order], starts

    def relations_of(self, cells: np.ndarray) -> np.ndarray:
        """The relations any of `cells` is a member of, sorted."""
        owners, starts = self._by_cell
        found = [owners[starts[c] : starts[c + 1]] for c in cells]
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


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
    `pinned` maps a component (its cells) to its pinned cells: a component's LP is fixed by
    its cells, so an unchanged component needs no new audit.
    """

    low: np.ndarray
    high: np.ndarray
    pinned: dict[tuple, list[Pinned]] = field(default_factory=dict)

    @classmethod
    def empty(cls, size: int) -> Evidence:
        return cls(np.full(size, np.inf), np.full(size, -np.inf))


class InconsistentTable(ValueError):
    """The published values contradict the relations: the tables do not add up."""


def audit(
    structure: Structure,
    values: np.ndarray,
    min_values: int = 2,
    evidence: Evidence | None = None,
    hint: np.ndarray | None = None,
    exact: bool = True,
) -> AuditResult:
    """Audit published `values` (NaN where withheld) against the attacker's knowledge.

    `evidence`, kept by the caller between audits of a growing suppression of one table, saves
    the LPs for cells already seen to move and for components audited before (see Evidence).

    `hint`, the true values where the caller has them, only saves time: it is a known solution
    to start from, checked before use. The result does not depend on it.

    `exact=False` skips the one-cell-at-a-time LPs: a cell the many-cells-at-once LPs could not
    move a whole unit is reported as pinned unproven (low/high are the values seen). A pass is
    still a proof. Suppression uses it between rounds and the exact audit at the end.
    """
    withheld = np.flatnonzero(np.isnan(values))
    components = _components(structure, withheld)
    # A published teller bounds its withheld noemer from below.
    tellers = np.flatnonzero(structure.noemer_of >= 0)
    tellers = tellers[~np.isnan(values[tellers])]
    noemer_floor = np.zeros(structure.size)
    np.maximum.at(noemer_floor, structure.noemer_of[tellers], values[tellers])
    result = AuditResult(withheld=len(withheld), components=len(components), lps=0)
    for cells in components:
        key = (exact, *cells.tolist())
        if evidence is not None and key in evidence.pinned:
            result.pinned += evidence.pinned[key]
            continue
        pinned, lps = _audit_component(
            structure, values, noemer_floor, cells, min_values, hint, exact, evidence
        )
        result.lps += lps
        result.pinned += pinned
        if evidence is not None:
            evidence.pinned[key] = pinned
    result.pinned.sort(key=lambda p: p.cell)
    return result


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
    owner = np.repeat(np.arange(len(structure.ptr) - 1), np.diff(structure.ptr))
    hidden = is_withheld[structure.members]
    members, owner = structure.members[hidden], owner[hidden]
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


def _audit_component(
    structure: Structure,
    values: np.ndarray,
    noemer_floor: np.ndarray,
    cells: np.ndarray,
    min_values: int,
    hint: np.ndarray | None,
    exact: bool = True,
    evidence: Evidence | None = None,
) -> tuple[list[Pinned], int]:
    n = len(cells)
    if evidence is None:
        seen_low, seen_high = np.full(n, np.inf), np.full(n, -np.inf)
    else:
        seen_low, seen_high = evidence.low[cells], evidence.high[cells]
    if (possible_values(seen_low, seen_high) >= min_values).all():
        return [], 0
    index = {int(c): i for i, c in enumerate(cells)}
    inf = highspy.kHighsInf
    lower = noemer_floor[cells].astype(float)
    # A finite ceiling far above any count keeps every LP bounded (an unbounded solve loses
    # the basis the next one would start from); it only narrows intervals already that wide.
    upper = np.full(n, CEILING)
    rows_lo: list[float] = []
    rows_hi: list[float] = []
    starts: list[int] = []
    indices: list[int] = []
    coefs: list[float] = []

    def add_row(idx: list[int], vals: list[float], lo: float, hi: float) -> None:
        starts.append(len(indices))
        indices.extend(idx)
        coefs.extend(vals)
        rows_lo.append(lo)
        rows_hi.append(hi)

    for i, c in enumerate(cells):
        noemer = structure.noemer_of[c]
        if noemer >= 0:
            if np.isnan(values[noemer]):
                add_row([i, index[int(noemer)]], [1.0, -1.0], -inf, 0.0)
            else:
                upper[i] = values[noemer]

    # Each relation touching the component: total - sum(parts) = 0, published values moved right.
    in_component = np.zeros(structure.size, dtype=bool)
    in_component[cells] = True
    for r in structure.relations_of(cells):
        members = structure.relation(r)
        signs = np.ones(len(members))
        signs[0] = -1.0
        hidden = in_component[members]
        rhs = -float(np.dot(signs[~hidden], values[members[~hidden]]))
        add_row([index[int(m)] for m in members[hidden]], signs[hidden].tolist(), rhs, rhs)

    def model(col_lower: np.ndarray, col_upper: np.ndarray, resolve: bool) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if resolve:
            # For many one-cell objectives: presolve would start every re-solve from scratch;
            # without it primal simplex continues from the previous optimal basis.
            h.setOptionValue("presolve", "off")
            h.setOptionValue("simplex_strategy", 4)
        else:
            # For the few large many-cell LPs, each far from the last optimum: dual simplex
            # after presolve is about 3 times faster.
            h.setOptionValue("simplex_strategy", 1)
        h.addVars(n, col_lower, col_upper)
        if starts:
            h.addRows(
                len(starts),
                np.array(rows_lo),
                np.array(rows_hi),
                len(indices),
                np.array(starts, dtype=np.int32),
                np.array(indices, dtype=np.int32),
                np.array(coefs),
            )
        return h

    lps = 0

    def covered() -> np.ndarray:
        return possible_values(seen_low, seen_high) >= min_values

    def see(x: np.ndarray) -> None:
        """A feasible point: every cell's interval holds its value."""
        nonlocal seen_low, seen_high
        seen_low = np.minimum(seen_low, x)
        seen_high = np.maximum(seen_high, x)
        if evidence is not None:
            evidence.low[cells], evidence.high[cells] = seen_low, seen_high

    def solve(h: highspy.Highs, costs: np.ndarray) -> np.ndarray:
        """Minimise costs @ x."""
        nonlocal lps
        h.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        h.run()
        lps += 1
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise InconsistentTable(
                f"the published values admit no solution ({h.modelStatusToString(status)})"
            )
        x = np.asarray(h.getSolution().col_value)
        see(x)
        return x

    relaxation = model(lower, upper, resolve=True)
    point = None if hint is None else hint[cells].astype(float)
    if point is None or not _feasible(
        point, lower, upper, rows_lo, rows_hi, starts, indices, coefs
    ):
        point = solve(relaxation, np.ones(n))
    see(point)

    # Many cells at once: find solutions that move as many uncovered cells as possible a whole
    # unit up (then down) from the known point. With t_i <= +-(y_i - point_i) and t_i <= 1,
    # maximising the sum of t over uncovered cells rewards every cell that moves a unit; a
    # vertex of the plain relaxation would move only a few.
    for direction in (1.0, -1.0):
        h = model(lower, upper, resolve=False)
        h.addVars(n, np.full(n, -CEILING), np.ones(n))
        h.addRows(
            n,
            np.full(n, -inf),
            -direction * point,
            2 * n,
            np.arange(0, 2 * n, 2, dtype=np.int32),
            np.ravel(np.column_stack([np.arange(n, 2 * n), np.arange(n)])).astype(np.int32),
            np.ravel(np.column_stack([np.ones(n), np.full(n, -direction)])),
        )
        for _ in range(BULK_ATTEMPTS):
            todo = ~covered()
            if not todo.any():
                break
            h.changeColsCost(
                2 * n, np.arange(2 * n, dtype=np.int32), np.concatenate([np.zeros(n), -1.0 * todo])
            )
            h.run()
            lps += 1
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            see(np.asarray(h.getSolution().col_value)[:n])
            if todo.sum() - (~covered()).sum() < max(1, 0.01 * todo.sum()):
                break
    if not exact:
        return [
            Pinned(int(cells[i]), float(seen_low[i]), float(seen_high[i]))
            for i in np.flatnonzero(~covered())
        ], lps
    boxed = model(np.maximum(lower, point - 1), np.minimum(upper, point + 1), resolve=True)

    # The rest one by one: first within one of the known point (always bounded, so each
    # solve starts from the last basis), then over the whole relaxation for an exact interval.
    pinned = []
    for i in np.flatnonzero(~covered()):
        for sign in (1.0, -1.0):
            if not covered()[i]:
                costs = np.zeros(n)
                costs[i] = sign
                solve(boxed, costs)
        if covered()[i]:
            continue
        costs = np.zeros(n)
        costs[i] = 1.0
        low = solve(relaxation, costs)[i]
        if covered()[i]:
            continue
        costs[i] = -1.0
        high = solve(relaxation, costs)[i]
        if possible_values(low, high) < min_values:
            pinned.append(Pinned(int(cells[i]), float(low), float(high)))
    return pinned, lps


def _feasible(x, lower, upper, rows_lo, rows_hi, starts, indices, coefs) -> bool:
    """Whether `x` satisfies the component's bounds and rows (it is the true table's values
    when the caller knows them, a ready starting point)."""
    if np.any(x < lower - _EPS) or np.any(x > upper + _EPS) or np.isnan(x).any():
        return False
    ends = [*starts[1:], len(indices)] if starts else []
    for lo, hi, a, b in zip(rows_lo, rows_hi, starts, ends, strict=True):
        total = sum(coefs[k] * x[indices[k]] for k in range(a, b))
        if total < lo - _EPS or total > hi + _EPS:
            return False
    return True
