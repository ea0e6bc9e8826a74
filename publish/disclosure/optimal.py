"""Optimal secondary suppression: the cheapest cells to withhold so that no withheld cell can be
computed back (disclosure.md), table by table, by a cut loop on HiGHS.

**The linked set, table by table.** A block holds a teller table per indicator and a noemer
table per population, linked only by teller <= noemer. It is solved one table at a time:

1. each noemer table first, against an attacker who also knows every teller's true value (so a
   noemer is at least each of its tellers);
2. then each teller table, with its population's noemers as step 1 left them: a withheld noemer
   is an unknown of the attacker's problem (within its relations, and at least the other
   indicators' true tellers), a published one bounds its tellers.

Both attackers know more than disclosure.md's, who sees only what is published: a point of
their problem, with every other cell at its true value, is a point of the whole block's
problem. So a cell they cannot pin, the whole attacker cannot pin either, and the tables'
patterns together protect the block. The audit (publish/disclosure/audit.py) proves it
independently.

**Per table**, a mixed-integer program (Fischetti and Salazar's model) chooses the cells:
minimise the cost of the withheld cells such that every withheld cell can move a whole unit,
up or down, in the attacker's linear relaxation. Binary y withholds a cell, u and w say it
moves up or down: u + w >= y. Each relation gives local conditions: a total that moves up needs
a withheld part with room to move up; a part that moves up needs the total (room up) or another
part (room down) withheld. Those are necessary, not sufficient, so the solution is then
checked by the attacker's LP. For a cell found pinned, the LP's dual (a Benders cut) gives the
cells of which enough must be withheld to free it: the cut is added and the program solved
again, until its solution leaves no cell pinned. Every constraint is necessary, so the
program's optimum is a lower bound on any pattern's cost: a solution that leaves nothing
pinned is optimal for the table's attacker.

**Limits.** The rounds and the branch-and-bound nodes are limited (work, not seconds, so that
the same data gives the same release on any machine). A table still pinned after its last
round is repaired: each pinned cell gets the cheapest move the LP finds through published
cells, and those are withheld. The program's optimum still bounds the cost from below, so the
report gives the gap. One round is the default: at U16 the first solution leaves nothing
pinned in most tables, and a second round withheld 0.1% fewer cells for 22% more time. Only a
table with no pattern at all in this model (which the staged attackers can cause) leaves its
block to the heuristic of publish/disclosure/suppress.py.

**Checks without LPs.** A move that keeps every relation frees each cell it moves a whole
unit, in any pattern that withholds all its cells and where their room allows it. The tables
of a resource list such moves (products of one elementary move per dimension: the rectangle
A/D x M/V, or a cell with all its totals), and the moves the LPs find are kept; a block's
tables with the same cells in the same places share them (`Library`). Only cells that none
frees get an LP of their own. The moves also go to the audit, which checks each one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import highspy
import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack

from publish.disclosure.audit import CEILING, Structure, gather

_EPS = 1e-9
_UNIT = 1.0 - 1e-6
INF = highspy.kHighsInf
# A withheld cell costs this much per unit it moves in a repair move: the moves stay short.
WITHHELD_MOVE_COST = 1e-3


@dataclass(frozen=True)
class Limits:
    """The optimiser's work per table."""

    # Rounds of (solve, check, cut) before a table still pinned is repaired.
    rounds: int = 1
    # Branch-and-bound nodes per solve of the program.
    nodes: int = 2_000


@dataclass
class TableModel:
    """The attacker's problem of one table. `cells` (global ids) are the table's cells, to be
    withheld or not; `free` are linked cells that are withheld and stay unknowns (the withheld
    noemers of a teller table's population). Values and bounds cover cells, then free."""

    cells: np.ndarray
    free: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    # Relations (total = parts) over cells and free, one row each, and teller - noemer <= 0
    # where the noemer is free; both in deviations from the true values.
    rows: csr_matrix
    row_low: np.ndarray
    row_high: np.ndarray
    # The table's own relations in local numbers: members, and where each relation starts
    # (its total first).
    members: np.ndarray
    ptr: np.ndarray
    cost: np.ndarray
    must: np.ndarray
    # Cells that stay published: the attacker holds them already (an earlier release).
    kept_public: np.ndarray
    # Room for a move that holds every linked cell (a teller's noemer) at its value.
    step_up: np.ndarray
    # Each cell's free linked cell (its noemer), as a column after the table's cells; or -1.
    link: np.ndarray
    # Earlier releases' copies of the table's changed cells that they withheld: unknowns of
    # their own (the columns after `free`), as (release, cell) of each.
    copy_release: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    copy_cell: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # The table's cells whose value an earlier release had otherwise: a move of the table's
    # cells alone that touches one breaks that release's relations.
    changed: np.ndarray | None = None
    # Moves that keep the table's relations (rows, entries +1 and -1), to free cells without
    # an LP; None when the table has too many to list.
    moves: csr_matrix | None = None

    @property
    def size(self) -> int:
        return len(self.cells)

    @property
    def width(self) -> int:
        return len(self.cells) + len(self.free) + len(self.copy_cell)

    @property
    def up(self) -> np.ndarray:
        """Room above each of the table's cells, as far as its own bounds go."""
        return self.high[: self.size] - self.value[: self.size]

    @property
    def down(self) -> np.ndarray:
        return self.value[: self.size] - self.low[: self.size]


@dataclass
class TableResult:
    withheld: np.ndarray
    optimal: bool
    cost: float
    lower_bound: float
    rounds: int
    lps: int
    cuts: int
    # Moves that free the withheld cells, one row each over the table's cells then its free
    # cells: deltas from the true values.
    witnesses: csr_matrix | None = None


@dataclass
class BlockResult:
    """What the optimiser did for one block: the cells it withholds as secondary, or why not."""

    secondary: np.ndarray | None
    method: str
    label: str = ""
    # Moves that free the withheld cells, one row each over all cells: deltas from the true
    # values. The audit checks each before it counts.
    witnesses: csr_matrix | None = None
    cost: float = 0.0
    lower_bound: float = 0.0
    tables: int = 0
    optimal_tables: int = 0
    # Tables with nothing to choose and nothing changed since the latest release: its moves
    # stand in for a new solve.
    settled: int = 0
    rounds: int = 0
    lps: int = 0
    cuts: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Infeasible(Exception):
    """No pattern of the table protects its must-withhold cells in the table's model."""


def suppress_block(
    structure: Structure,
    value: np.ndarray,
    cost: np.ndarray,
    tables: np.ndarray,
    must: np.ndarray,
    limits: Limits | None = None,
    moves: Callable[[np.ndarray], csr_matrix | None] = lambda cells: None,
    public: np.ndarray | None = None,
    earlier: Sequence[Release] = (),
    stored: csr_matrix | None = None,
) -> BlockResult:
    """Cells to withhold in one block beyond `must` (its primary cells): noemer tables first,
    then teller tables. `tables` labels each cell of the block with its table, -1 elsewhere.

    `public` cells are constants the attacker holds (an earlier release published them with
    the same value): never chosen, nothing to protect. `earlier` are the releases before,
    aligned with the block's cells (publish/disclosure/history.py): a table's changed cells that one
    withheld are unknowns of the attacker's problem too, with that release's relations, so
    the pattern holds against an attacker who holds every release. The witnesses are then
    moves over every release's copy of the block: release j's cell c is column j * size + c,
    the new release's last.

    `stored` are the latest earlier release's moves over the block's cells. A table whose
    every cell is withheld or public already, with the same value in every earlier release,
    has nothing to choose and the same relations as then: it is not solved again, and those of
    the moves that move its cells are its witnesses (the audits check each)."""
    public = np.zeros(len(value), dtype=bool) if public is None else public
    size = len(value)
    before = [_Before.of(structure, release) for release in earlier]
    limits = limits or Limits()
    start = time.perf_counter()
    withheld = must.copy()
    result = BlockResult(secondary=None, method="optimal")
    noemer_of = structure.noemer_of
    labels = np.unique(tables[tables >= 0])
    firsts = np.array([np.flatnonzero(tables == t)[0] for t in labels], dtype=np.int64)
    order = labels[np.lexsort((labels, noemer_of[firsts] >= 0))] if len(labels) else labels
    tellers = structure.tellers
    largest = np.zeros(len(value))
    np.maximum.at(largest, noemer_of[tellers], value[tellers])
    witnesses = []
    libraries: dict[int, Library] = {}
    try:
        for label in order:
            cells = np.flatnonzero(tables == label)
            if stored is not None and _settled(cells, withheld, public, value, before):
                listed = moves(cells)
                key = id(listed) if listed is not None else -1 - int(label)
                if key not in libraries:
                    libraries[key] = Library(listed, len(cells))
                witnesses.append(_stored_witnesses(stored, cells, libraries[key], len(before)))
                result.settled += 1
                continue
            if noemer_of[cells[0]] < 0:
                model = noemer_model(structure, value, cost, cells, largest, withheld, public)
            else:
                model = teller_model(structure, value, cost, cells, withheld, public)
            _add_copies(model, structure, before)
            model.moves = moves(cells)
            # Tables whose cells sit in the same places get the same listed moves (one object).
            key = id(model.moves) if model.moves is not None else -1 - int(label)
            if key not in libraries:
                libraries[key] = Library(model.moves, len(cells))
            solved = solve(model, limits, libraries[key])
            withheld[cells] |= solved.withheld
            w = solved.witnesses.tocoo()
            newest = len(before) * size
            columns = np.concatenate(
                [
                    newest + model.cells,
                    newest + model.free,
                    model.copy_release * size + model.copy_cell,
                ]
            )
            witnesses.append(
                csr_matrix(
                    (w.data, (w.row, columns[w.col])), shape=(w.shape[0], (len(before) + 1) * size)
                )
            )
            result.tables += 1
            result.optimal_tables += solved.optimal
            result.cost += solved.cost
            result.lower_bound += solved.lower_bound
            result.rounds += solved.rounds
            result.lps += solved.lps
            result.cuts += solved.cuts
    except Infeasible as exc:
        result.method = "heuristic"
        result.notes.append(f"no pattern in the optimiser's model: {exc}")
    else:
        result.secondary = withheld & ~must
        result.witnesses = vstack(witnesses, format="csr") if witnesses else None
        if result.optimal_tables < result.tables:
            result.method = "near-optimal"
    result.seconds = time.perf_counter() - start
    return result


def _settled(
    cells: np.ndarray,
    withheld: np.ndarray,
    public: np.ndarray,
    value: np.ndarray,
    before: Sequence[_Before],
) -> bool:
    """Whether a table has nothing to choose (each cell withheld or public) and is as it was
    in every earlier release (present, same values)."""
    if not before or not (withheld[cells] | public[cells]).all():
        return False
    return all(
        b.present[cells].all() and np.array_equal(b.value[cells], value[cells]) for b in before
    )


def _stored_witnesses(
    stored: csr_matrix, cells: np.ndarray, library: Library, earlier: int
) -> csr_matrix:
    """The stored moves that move a settled table's cells, as witnesses over every release's
    copy (the new release's columns); those within the table also join its library, where a
    solve would have put them for the tables that share it."""
    size = stored.shape[1]
    touching = np.flatnonzero(stored[:, cells].getnnz(axis=1) > 0)
    rows = stored[touching].tocsr()
    own = rows[:, cells].tocsr()  # the table's own cells, numbered as in the table
    library.extend(own[own.getnnz(axis=1) == rows.getnnz(axis=1)])
    rows = rows.tocoo()
    return csr_matrix(
        (rows.data, (rows.row, earlier * size + rows.col)),
        shape=(rows.shape[0], (earlier + 1) * size),
    )


class Release(Protocol):
    """An earlier release aligned with the block's cells (`history.Earlier`)."""

    value: np.ndarray
    withheld: np.ndarray
    present: np.ndarray


@dataclass(frozen=True)
class _Before:
    value: np.ndarray
    withheld: np.ndarray
    present: np.ndarray
    # Per noemer, that release's largest teller: the least its noemer can be.
    largest: np.ndarray

    @classmethod
    def of(cls, structure: Structure, release: Release) -> _Before:
        tellers = structure.tellers
        largest = np.zeros(len(release.value))
        np.maximum.at(largest, structure.noemer_of[tellers], np.nan_to_num(release.value[tellers]))
        return cls(release.value, release.withheld, release.present, largest)


def _add_copies(model: TableModel, structure: Structure, before: list[_Before]) -> None:
    """Each earlier release's copy of the table where its values differ: the cells it withheld
    become unknowns bounded as in that release (a teller at most that release's noemer, a
    stronger attacker than one who must work it out), the ones it published stay constants,
    and its relations join the attacker's problem over the copies and the new release's
    unchanged cells (one unknown for both)."""
    n, cells = model.size, model.cells
    if not before:
        return
    changed_any = np.zeros(n, dtype=bool)
    ptr = model.ptr
    lengths = np.diff(ptr)
    relation = np.repeat(np.arange(len(lengths)), lengths)
    coefficient = np.ones(len(model.members))
    coefficient[ptr[:-1][lengths > 0]] = -1.0
    rows, values, lows, highs, releases, copies = [], [], [], [], [], []
    width = model.width
    for j, release in enumerate(before):
        changed = release.present[cells] & (release.value[cells] != model.value[:n])
        if not changed.any():
            continue
        changed_any |= changed
        mine = np.flatnonzero(changed & release.withheld[cells])
        column = np.arange(n)
        column[changed] = -1
        column[mine] = width + np.arange(len(mine))
        width += len(mine)
        ids = cells[mine]
        teller = structure.noemer_of[ids] >= 0
        value = release.value[ids]
        values.append(value)
        lows.append(np.where(teller, 0.0, release.largest[ids]))
        highs.append(
            np.where(teller, release.value[np.maximum(structure.noemer_of[ids], 0)], CEILING)
        )
        releases.append(np.full(len(mine), j))
        copies.append(ids)
        # The relations of that release that hold a changed cell.
        touched = np.zeros(len(lengths), dtype=bool)
        touched[relation[changed[model.members]]] = True
        keep = touched[relation] & (column[model.members] >= 0)
        mapped = column[model.members[keep]]
        rows.append((relation[keep], mapped, coefficient[keep], touched))
    if not releases:
        return
    model.changed = changed_any
    extra = []
    for r, mapped, coef, touched in rows:
        renumber = np.cumsum(touched) - 1
        extra.append(csr_matrix((coef, (renumber[r], mapped)), shape=(int(touched.sum()), width)))
    grown = model.rows.tocsr()
    grown.resize(grown.shape[0], width)
    model.rows = vstack([grown, *extra], format="csr")
    added = model.rows.shape[0] - len(model.row_low)
    model.row_low = np.concatenate([model.row_low, np.zeros(added)])
    model.row_high = np.concatenate([model.row_high, np.zeros(added)])
    model.value = np.concatenate([model.value, *values])
    model.low = np.concatenate([model.low, *lows])
    model.high = np.concatenate([model.high, *highs])
    model.copy_release = np.concatenate(releases)
    model.copy_cell = np.concatenate(copies)


def noemer_model(
    structure: Structure,
    value: np.ndarray,
    cost: np.ndarray,
    cells: np.ndarray,
    largest: np.ndarray,
    must: np.ndarray,
    public: np.ndarray | None = None,
) -> TableModel:
    """A noemer table against an attacker who knows every teller: each noemer is at least its
    largest teller."""
    return _model(
        structure,
        cells,
        np.empty(0, dtype=np.int64),
        value,
        low=largest[cells],
        high=np.full(len(cells), CEILING),
        cost=cost[cells],
        must=must[cells],
        step_up=CEILING - value[cells],
        kept_public=None if public is None else public[cells],
    )


def teller_model(
    structure: Structure,
    value: np.ndarray,
    cost: np.ndarray,
    cells: np.ndarray,
    withheld: np.ndarray,
    public: np.ndarray | None = None,
) -> TableModel:
    """A teller table with its population's noemers as decided: a published noemer bounds its
    teller, a withheld one is an unknown at least as large as the other indicators' tellers."""
    noemer_of = structure.noemer_of
    noemers = noemer_of[cells]
    free = np.unique(noemers[withheld[noemers]])
    others = structure.tellers[np.isin(noemer_of[structure.tellers], free)]
    others = others[~np.isin(others, cells)]
    largest = np.zeros(structure.size)
    np.maximum.at(largest, noemer_of[others], value[others])
    return _model(
        structure,
        cells,
        free,
        value,
        low=np.concatenate([np.zeros(len(cells)), largest[free]]),
        high=np.concatenate(
            [np.where(withheld[noemers], CEILING, value[noemers]), np.full(len(free), CEILING)]
        ),
        cost=cost[cells],
        must=withheld[cells],
        step_up=value[noemers] - value[cells],
        kept_public=None if public is None else public[cells],
    )


def single_table_model(
    structure: Structure, value: np.ndarray, cost: np.ndarray, cells: np.ndarray, must: np.ndarray
) -> TableModel:
    """A table against the weakest attacker: its own relations and counts >= 0, nothing
    linked. Any pattern that protects the whole block protects this table against it, so
    this model's optimum bounds the table's part of any protecting pattern from below (the
    benchmark's lower bound, and a single-table method's problem)."""
    return _model(
        structure,
        cells,
        np.empty(0, dtype=np.int64),
        value,
        low=np.zeros(len(cells)),
        high=np.full(len(cells), CEILING),
        cost=cost[cells],
        must=must[cells],
        step_up=np.full(len(cells), CEILING),
    )


def _model(
    structure: Structure,
    cells: np.ndarray,
    free: np.ndarray,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    cost: np.ndarray,
    must: np.ndarray,
    step_up: np.ndarray,
    kept_public: np.ndarray | None = None,
) -> TableModel:
    n, f = len(cells), len(free)
    every = np.concatenate([cells, free])
    at = np.full(structure.size, -1)
    at[every] = np.arange(n + f)
    equations = structure.matrix[structure.relations_of(every)][:, every]
    own = structure.relations_of(cells)
    lengths = structure.ptr[own + 1] - structure.ptr[own]
    members = at[gather(structure.ptr, structure.members, own)]
    of = structure.noemer_of[cells]
    noemers = np.where(of >= 0, at[np.maximum(of, 0)], -1)
    linked = np.flatnonzero(noemers >= n)
    k = len(linked)
    links = csr_matrix(
        (
            np.tile([1.0, -1.0], k),
            (np.repeat(np.arange(k), 2), np.column_stack([linked, noemers[linked]]).ravel()),
        ),
        shape=(k, n + f),
    )
    v = value[every]
    m = equations.shape[0]
    return TableModel(
        cells=cells,
        free=free,
        value=v,
        low=np.asarray(low, dtype=float),
        high=np.asarray(high, dtype=float),
        rows=vstack([equations, links], format="csr"),
        row_low=np.concatenate([np.zeros(m), np.full(k, -INF)]),
        row_high=np.concatenate([np.zeros(m), v[noemers[linked]] - v[linked]]),
        members=members.astype(np.int64),
        ptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        link=np.where(noemers >= n, noemers, -1),
        cost=np.asarray(cost, dtype=float),
        must=np.asarray(must, dtype=bool),
        kept_public=np.zeros(n, dtype=bool) if kept_public is None else kept_public,
        step_up=np.asarray(step_up, dtype=float),
    )


def solve(model: TableModel, limits: Limits, library: Library | None = None) -> TableResult:
    """The cut loop: solve the program, check its pattern with the attacker's LP, add a cut
    for every pinned cell; repair the last pattern if rounds run out."""
    master = _Master(model, limits)
    attacker = _Attacker(model, library)
    lower = 0.0
    cuts = 0
    for rounds in range(1, limits.rounds + 1):
        withheld, directions, bound = master.solve()
        lower = max(lower, bound)
        last = rounds == limits.rounds
        pinned = attacker.pinned(withheld, directions, cuts=not last)
        if not pinned and master.proven:
            cost = float(model.cost[withheld].sum())
            return TableResult(
                withheld, True, cost, cost, rounds, attacker.lps, cuts, attacker.witnesses(withheld)
            )
        if not pinned or last:
            break
        for cell, direction, coefs, rhs in pinned:
            master.cut(cell, direction, coefs, rhs)
            cuts += 1
    withheld = attacker.repair(withheld, [cell for cell, *_ in pinned])
    cost = float(model.cost[withheld].sum())
    return TableResult(
        withheld,
        cost <= lower,
        cost,
        min(lower, cost),
        rounds,
        attacker.lps,
        cuts,
        attacker.witnesses(withheld),
    )


class _Master:
    """The mixed-integer program: y (withhold), u (moves up), w (moves down) per cell."""

    def __init__(self, model: TableModel, limits: Limits) -> None:
        self.model = model
        n = model.size
        self.n = n
        self.proven = False
        up, down = model.up >= _UNIT, model.down >= _UNIT
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_max_nodes", limits.nodes)
        h.setOptionValue("mip_detect_symmetry", False)
        # The programs are small and solved at the root: HiGHS's primal heuristics only add time.
        h.setOptionValue("mip_heuristic_effort", 0.0)
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        h.setOptionValue("random_seed", 0)
        lower = np.concatenate([model.must.astype(float), np.zeros(2 * n)])
        upper = np.concatenate(
            [(~model.kept_public).astype(float), up.astype(float), down.astype(float)]
        )
        h.addVars(3 * n, lower, upper)
        h.changeColsIntegrality(
            3 * n, np.arange(3 * n, dtype=np.int32), np.full(3 * n, highspy.HighsVarType.kInteger)
        )
        h.changeColsCost(n, np.arange(n, dtype=np.int32), model.cost)
        matrix = _local_conditions(model, up, down)
        h.addRows(
            matrix.shape[0],
            np.zeros(matrix.shape[0]),
            np.full(matrix.shape[0], INF),
            matrix.nnz,
            matrix.indptr[:-1].astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data,
        )
        self.h = h

    def solve(self) -> tuple[np.ndarray, np.ndarray, float]:
        """The withheld cells, each one's direction (+1 up, -1 down), and a lower bound."""
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise Infeasible("the table's must-withhold cells cannot all be protected")
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution within the node limit
            raise Infeasible("no pattern found within the node limit")
        self.proven = status == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        n = self.n
        directions = np.where(x[2 * n : 3 * n] > 0.5, -1.0, 1.0)
        bound = info.mip_dual_bound if not self.proven else info.objective_function_value
        return x[:n] > 0.5, directions, float(bound)

    def cut(self, cell: int, direction: float, coefs: np.ndarray, rhs: float) -> None:
        """`cell` moves `direction` only if sum(coefs * y) >= rhs, the cell itself left out."""
        scaled = np.minimum(coefs / rhs, 1.0)
        scaled[cell] = 0.0
        nonzero = np.flatnonzero(scaled > _EPS)
        column = (self.n if direction > 0 else 2 * self.n) + cell
        index = np.concatenate([nonzero, [column]]).astype(np.int32)
        self.h.addRow(0.0, INF, len(index), index, np.concatenate([scaled[nonzero], [-1.0]]))


def _local_conditions(model: TableModel, up: np.ndarray, down: np.ndarray) -> csr_matrix:
    """The program's rows, each `row . (y, u, w) >= 0`: u + w >= y, and per relation the
    partners a moving cell needs withheld. (u <= y is left out: u only ever asks for more
    cells, so an optimum sets it only where y is set.) Rows that a must-withhold partner or a
    cell without room already satisfies are left out too."""
    n = model.size
    y, u, w = 0, n, 2 * n
    cells = np.arange(n)
    entries = [
        (
            np.repeat(cells, 3),
            np.column_stack([u + cells, w + cells, y + cells]).ravel(),
            np.tile([1.0, 1.0, -1.0], n),
        ),
    ]
    count = n
    lengths = np.diff(model.ptr)
    for size in np.unique(lengths):
        starts = model.ptr[:-1][lengths == size]
        group = model.members[starts[:, None] + np.arange(size)]
        totals, parts = group[:, 0], group[:, 1:]
        r, k = parts.shape
        # A total moving up (down) needs a part with room up (down) withheld.
        for own, room in ((u, up), (w, down)):
            keep = room[parts]
            rows = count + np.arange(r)
            entries.append(
                (
                    np.concatenate([rows, np.broadcast_to(rows[:, None], (r, k))[keep]]),
                    np.concatenate([own + totals, y + parts[keep]]),
                    np.concatenate([np.full(r, -1.0), np.ones(int(keep.sum()))]),
                )
            )
            count += r
        # A part moving up (down) needs the total with room up (down), or another part with
        # room down (up), withheld.
        for own, total_room, other_room in ((u, up, down), (w, down, up)):
            rows = count + np.arange(r * k).reshape(r, k)
            others = np.broadcast_to(parts[:, None, :], (r, k, k))
            keep = other_room[others] & ~np.eye(k, dtype=bool)[None]
            with_total = np.broadcast_to(total_room[totals][:, None], (r, k))
            entries.append(
                (
                    np.concatenate(
                        [
                            rows.ravel(),
                            np.broadcast_to(rows[:, :, None], (r, k, k))[keep],
                            rows[with_total],
                        ]
                    ),
                    np.concatenate(
                        [
                            own + parts.ravel(),
                            y + others[keep],
                            y + np.broadcast_to(totals[:, None], (r, k))[with_total],
                        ]
                    ),
                    np.concatenate(
                        [np.full(r * k, -1.0), np.ones(int(keep.sum()) + int(with_total.sum()))]
                    ),
                )
            )
            count += r * k
    row, col, val = (np.concatenate(part) for part in zip(*entries, strict=True))
    matrix = csr_matrix((val, (row, col)), shape=(count, 3 * n))
    fixed = np.concatenate([model.must, np.zeros(2 * n, dtype=bool)])
    satisfied = (matrix @ fixed.astype(float)) >= 1.0
    no_room = np.concatenate([np.zeros(n, dtype=bool), ~up, ~down])
    idle = (matrix < 0) @ no_room.astype(float) > 0
    keep = np.ones(count, dtype=bool)
    keep[n:] = ~(satisfied[n:] | idle[n:])
    return matrix[keep]


class Library:
    """Moves that keep the relations of a table's own cells, one row each (deltas): the listed
    ones, each way, and those the attacker's LP found. A move is a point of the attacker's
    problem for any pattern that withholds all its cells, where the cells' room allows it.
    The tables of a block with the same cells in the same places share one: a move found for
    one indicator frees cells of another."""

    def __init__(self, listed: csr_matrix | None, size: int) -> None:
        self.size = size
        self._chunks: list[csr_matrix] = []
        if listed is not None and listed.shape[0]:
            self._chunks.append(vstack([listed, -listed], format="csr"))
        self._found: list[tuple[np.ndarray, np.ndarray]] = []
        self._arrays: tuple | None = None

    def add(self, support: np.ndarray, move: np.ndarray) -> None:
        self._found.append((support, move))
        self._arrays = None

    def extend(self, moves: csr_matrix) -> None:
        """Moves of the table's cells, one row each, found before (an earlier release's)."""
        if moves.shape[0]:
            self.arrays()  # keeps the order: what was found so far, then these
            self._chunks.append(moves)
            self._arrays = None

    def arrays(self) -> tuple[csr_matrix, csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """The moves, which cells each moves, and their entries (row, column, value)."""
        if self._arrays is None:
            if self._found:
                lengths = [len(support) for support, _ in self._found]
                self._chunks.append(
                    csr_matrix(
                        (
                            np.concatenate([move for _, move in self._found]),
                            np.concatenate([support for support, _ in self._found]),
                            np.concatenate([[0], np.cumsum(lengths)]),
                        ),
                        shape=(len(self._found), self.size),
                    )
                )
                self._found = []
            matrix = (
                vstack(self._chunks, format="csr") if self._chunks else csr_matrix((0, self.size))
            )
            self._chunks = [matrix]
            coo = matrix.tocoo()
            self._arrays = (matrix, abs(matrix).tocsr(), coo.row, coo.col, coo.data)
        return self._arrays


class _Attacker:
    """The attacker's LP of a table for a pattern, in deviations from the true values:
    z = x - value, withheld cells between their bounds, published ones at 0."""

    def __init__(self, model: TableModel, library: Library | None = None) -> None:
        self.model = model
        self.lower = model.low - model.value
        self.upper = model.high - model.value
        self.columns = model.rows.T.tocsr()
        self.lps = 0
        self.library = library or Library(model.moves, model.size)
        # Room for a move of the table's cells alone (every linked cell held); none at a cell
        # an earlier release had otherwise, whose relations there such a move would break.
        self.room_up = model.step_up + _EPS
        self.room_down = model.down + _EPS
        if model.changed is not None:
            self.room_up = np.where(model.changed, -1.0, self.room_up)
            self.room_down = np.where(model.changed, -1.0, self.room_down)
        # Moves found that also move free cells, as (cells moved, the move): valid for any
        # pattern that withholds every cell of the table they move.
        self.pool: list[tuple[np.ndarray, np.ndarray]] = []
        self.linked, self.linked_reach = _linked_moves(model)
        # Per library move, whether this table's room stops it.
        self._blocked = np.zeros(0, dtype=bool)

    def _bounds(self, withheld: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.model.size
        lower, upper = self.lower.copy(), self.upper.copy()
        lower[:n][~withheld] = 0.0
        upper[:n][~withheld] = 0.0
        return lower, upper

    def _library(self, withheld: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Which of the library's moves this pattern and this table's room allow."""
        arrays = self.library.arrays()
        matrix, reach, row, col, data = arrays
        known = len(self._blocked)
        if known < matrix.shape[0]:
            # Room is the table's own and the library only grows: check the new moves only.
            new = row >= known
            short = np.where(
                data[new] > 0,
                data[new] > self.room_up[col[new]],
                -data[new] > self.room_down[col[new]],
            )
            blocked = np.bincount(row[new] - known, short, minlength=matrix.shape[0] - known)
            self._blocked = np.concatenate([self._blocked, blocked > 0])
        usable = ~self._blocked & (reach @ (~withheld).astype(float) == 0)
        return usable, arrays

    def _linked_usable(self, withheld: np.ndarray) -> np.ndarray:
        return self.linked_reach @ (~withheld).astype(float) == 0

    def _moved(self, withheld: np.ndarray) -> np.ndarray:
        n = self.model.size
        moved = np.zeros(n, dtype=bool)
        usable, (_, _, row, col, data) = self._library(withheld)
        moved[col[usable[row] & (np.abs(data) >= _UNIT)]] = True
        if self.linked is not None:
            moved[np.unique(self.linked_reach[self._linked_usable(withheld)].indices)] = True
        for support, move in self._valid(withheld):
            inside = support < n
            moved[support[inside][np.abs(move[inside]) >= _UNIT]] = True
        return moved

    def _valid(self, withheld: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        n = self.model.size
        return [(s, m) for s, m in self.pool if withheld[s[s < n]].all()]

    def _see(self, z: np.ndarray, moved: np.ndarray) -> None:
        n = self.model.size
        support = np.flatnonzero(np.abs(z) > _EPS)
        inside = support[support < n]
        if len(inside) == len(support):
            self.library.add(support, z[support])
        else:
            self.pool.append((support, z[support]))
        moved[inside[np.abs(z[inside]) >= _UNIT]] = True

    def witnesses(self, withheld: np.ndarray) -> csr_matrix:
        """The moves found or listed that free cells of the pattern, one row each."""
        width = self.model.width
        rows = self._valid(withheld)
        found = csr_matrix(
            (
                np.concatenate([m for _, m in rows]) if rows else np.empty(0),
                np.concatenate([s for s, _ in rows]) if rows else np.empty(0, dtype=np.int64),
                np.concatenate([[0], np.cumsum([len(s) for s, _ in rows])]),
            ),
            shape=(len(rows), width),
        )
        usable, (matrix, *_) = self._library(withheld)
        listed = matrix[usable]
        listed.resize(listed.shape[0], width)
        parts = [found, listed]
        if self.linked is not None:
            parts.append(self.linked[self._linked_usable(withheld)])
        return vstack(parts, format="csr")

    def pinned(self, withheld: np.ndarray, directions: np.ndarray, cuts: bool = True) -> list:
        """Withheld cells that cannot move a whole unit either way, each with a cut for each
        direction it has room for: (cell, direction, coefs, rhs). Cells that a listed or
        earlier move frees need no LP; the others get their own."""
        model, n = self.model, self.model.size
        moved = self._moved(withheld)
        todo = np.flatnonzero(withheld & ~moved)
        if not len(todo):
            return []
        lower, upper = self._bounds(withheld)
        # The LP over the withheld and free cells only: published ones are constants.
        columns = np.concatenate([np.flatnonzero(withheld), np.arange(n, model.width)])
        sub = model.rows[:, columns].tocsr()
        active = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub = sub[active]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        # Many objectives over one feasible set: primal simplex continues from the last basis.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 4)
        h.addVars(len(columns), lower[columns], upper[columns])
        if len(active):
            h.addRows(
                len(active),
                model.row_low[active],
                model.row_high[active],
                sub.nnz,
                sub.indptr[:-1].astype(np.int32),
                sub.indices.astype(np.int32),
                sub.data,
            )
        at = np.full(model.width, -1)
        at[columns] = np.arange(len(columns))
        index = np.arange(len(columns), dtype=np.int32)
        costs = np.zeros(len(columns))
        duals = np.zeros(model.rows.shape[0])
        z = np.zeros(model.width)
        up, down = model.up >= _UNIT, model.down >= _UNIT
        found = []
        for cell in todo:
            if moved[cell]:
                continue
            found_here = []
            for direction in (directions[cell], -directions[cell]):
                if not (up if direction > 0 else down)[cell]:
                    continue
                costs[at[cell]] = -direction
                h.changeColsCost(len(columns), index, costs)
                costs[at[cell]] = 0.0
                h.run()
                self.lps += 1
                solution = h.getSolution()
                z[columns] = np.asarray(solution.col_value)[: len(columns)]
                if direction * z[cell] >= _UNIT:
                    self._see(z, moved)
                    found_here = None
                    break
                if cuts:
                    duals[active] = np.asarray(solution.row_dual)[: len(active)]
                    found_here.append(
                        self._cut(cell, direction, duals, lower, upper)
                        or (direction, (~withheld).astype(float), 1.0)
                    )
                else:
                    found_here.append((direction, None, 0.0))
            if found_here is not None:
                if not found_here:
                    raise Infeasible(f"cell {int(model.cells[cell])} has no room to move")
                found += [(cell, d, coefs, rhs) for d, coefs, rhs in found_here]
        return found

    def _cut(
        self, cell: int, direction: float, duals: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[float, np.ndarray, float] | None:
        """By weak duality, for any pattern y the best move of `cell` is at most
        sum(coefs * y) + constant, and it must reach a whole unit."""
        model, n = self.model, self.model.size
        duals = np.where(np.abs(duals) > _EPS, duals, 0.0)
        costs = np.zeros(model.width)
        costs[cell] = -direction
        reduced = costs - self.columns @ duals
        reduced = np.where(np.abs(reduced) > _EPS, reduced, 0.0)
        # min costs . z >= the rows' terms + the bounds' terms, for any duals.
        bound = np.where(duals > 0, model.row_low, model.row_high)
        if not np.isfinite(bound[duals != 0]).all():
            return None
        row_term = np.where(duals != 0, duals * np.where(np.isfinite(bound), bound, 0.0), 0.0)
        r_free = reduced[n:]
        free_term = np.where(r_free > 0, r_free * lower[n:], r_free * upper[n:])
        constant = -(row_term.sum() + free_term.sum())
        r = reduced[:n]
        coefs = np.maximum(r, 0) * model.down + np.maximum(-r, 0) * model.up
        rhs = 1.0 - constant - coefs[cell]
        if rhs <= _EPS:
            return None
        return direction, coefs, rhs

    def repair(self, withheld: np.ndarray, pinned: list[int]) -> np.ndarray:
        """Withhold, for each cell still pinned, the cells of its cheapest move: a move of the
        attacker's LP in which published cells cost what withholding them costs."""
        model, n = self.model, self.model.size
        withheld = withheld.copy()
        mover = Mover.of(model)
        costs = np.zeros(model.width)
        directions = np.ones(n)
        while pinned:
            moved = np.zeros(n, dtype=bool)
            for cell in dict.fromkeys(pinned):
                if moved[cell]:
                    continue
                costs[:n] = np.where(withheld, WITHHELD_MOVE_COST, model.cost)
                z = mover.cheapest(costs, cell)
                self.lps += 2
                if z is None:
                    raise Infeasible(f"cell {int(model.cells[cell])} cannot be freed")
                withheld |= np.abs(z[:n]) > _EPS
                self._see(z, moved)
            pinned = [cell for cell, *_ in self.pinned(withheld, directions, cuts=False)]
        return withheld


def _linked_moves(model: TableModel) -> tuple[csr_matrix | None, csr_matrix | None]:
    """The listed moves made once in a teller table and once in its free noemers at the same
    places: teller - noemer stays as it is, so a teller at its noemer can rise too. Kept where
    every cell they move has a free noemer and the room: a falling teller must be at least 1,
    its noemer at least 1 above its bound. Returns the moves over the table's cells then its
    free cells, and which of the table's cells each moves."""
    f = len(model.free)
    if not f or model.moves is None or not model.moves.shape[0]:
        return None, None
    listed = vstack([model.moves, -model.moves], format="csr")
    coo = listed.tocoo()
    column = model.link[coo.col]
    noemer_down = model.value - model.low
    blocked = (column < 0) | (
        (coo.data < 0)
        & ((model.down[coo.col] < _UNIT) | (noemer_down[np.maximum(column, 0)] < _UNIT))
    )
    if model.changed is not None:
        blocked |= model.changed[coo.col]
    keep = np.bincount(coo.row, blocked, minlength=listed.shape[0]) == 0
    listed = listed[keep]
    if not listed.shape[0]:
        return None, None
    coo = listed.tocoo()
    moves = csr_matrix(
        (
            np.concatenate([coo.data, coo.data]),
            (np.concatenate([coo.row, coo.row]), np.concatenate([coo.col, model.link[coo.col]])),
        ),
        shape=(listed.shape[0], model.width),
    )
    return moves, abs(listed).tocsr()


class Mover:
    """The cheapest move of one cell: z = p - m within the cells' room (`up`, `down`; none
    for a cell the attacker holds) and the rows (`row_low` <= rows z <= `row_high`); each
    cell costs its cost per unit it moves. The optimiser's repair moves over a table's cells
    and free cells (`of`); history.free_across over the merged unknowns of every release."""

    def __init__(
        self,
        rows: csr_matrix,
        row_low: np.ndarray,
        row_high: np.ndarray,
        up: np.ndarray,
        down: np.ndarray,
    ) -> None:
        width = len(up)
        self.up, self.down, self.width = up, down, width
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.addVars(2 * width, np.zeros(2 * width), np.concatenate([up, down]))
        both = hstack([rows, -rows]).tocsr()
        if both.shape[0]:
            h.addRows(
                both.shape[0],
                row_low,
                row_high,
                both.nnz,
                both.indptr[:-1].astype(np.int32),
                both.indices.astype(np.int32),
                both.data,
            )
        self.h = h
        self.index = np.arange(2 * width, dtype=np.int32)

    @classmethod
    def of(cls, model: TableModel) -> Mover:
        """Over the table's cells and free cells; a cell the attacker holds already cannot move."""
        held = np.concatenate([model.kept_public, np.zeros(model.width - model.size, dtype=bool)])
        up = np.where(held, 0.0, model.high - model.value)
        down = np.where(held, 0.0, model.value - model.low)
        return cls(model.rows, model.row_low, model.row_high, up, down)

    def cheapest(self, costs: np.ndarray, cell: int) -> np.ndarray | None:
        """z of the cheapest move of `cell` by a whole unit, up or down; None if none."""
        width, h = self.width, self.h
        h.changeColsCost(2 * width, self.index, np.concatenate([costs, costs]))
        best = None
        for direction in (1.0, -1.0):
            room = self.up if direction > 0 else self.down
            if room[cell] < _UNIT:
                continue
            lower = np.zeros(2 * width)
            upper = np.concatenate([self.up, self.down])
            lower[cell if direction > 0 else width + cell] = 1.0
            upper[width + cell if direction > 0 else cell] = 0.0
            h.changeColsBounds(2 * width, self.index, lower, upper)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                continue
            objective = h.getInfo().objective_function_value
            if best is None or objective < best[0] - _EPS:
                x = np.asarray(h.getSolution().col_value)
                best = (objective, x[:width] - x[width:])
        return None if best is None else best[1]
