"""Primary and secondary suppression of one block of cells, until the attacker's audit passes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from publish.disclosure import optimal
from publish.disclosure.audit import (
    AuditResult,
    Evidence,
    Pinned,
    audit,
    pinned_by_bounds,
)
from publish.disclosure.cells import (
    KEPT,
    NONE,
    PRIMARY,
    SECONDARY,
    Cells,
    Thresholds,
)
from publish.disclosure.history import (
    Earlier,
    History,
    JointResult,
    free_across,
    joint_audit,
    unchanged,
)


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
    # Moves that free the withheld cells, one row each over all cells (deltas from the true
    # values): kept with the release, so that the next one need not solve what did not change.
    moves: csr_matrix | None = None

    @property
    def withheld(self) -> np.ndarray:
        return self.reason != NONE


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
    # Cells the attacker holds already (`history`): never chosen, never protected.
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
        the relation is public (`history`): nothing published now can change that, and
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

    def withhold(self, cells: np.ndarray) -> bool:
        """Withhold those of `cells` that are published and not public; whether any was."""
        chosen = cells[(self.reason[cells] == NONE) & ~self.public[cells]]
        self.reason[chosen] = SECONDARY
        return bool(len(chosen))

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
    # The moves that free this release's withheld cells of the block, over its cells (kept
    # with the release for the next one; see History.moves).
    moves: csr_matrix | None = None


def _protect_block(
    everything: Cells,
    block: int,
    thresholds: Thresholds,
    history: History,
    public_all: np.ndarray,
    kept_all: np.ndarray,
    stored: csr_matrix | None = None,
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
        reused.moves = stored
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
            stored if earlier and earlier[-1].version == history.releases[-1].version else None,
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
            # Nothing near them left to withhold: what holds them is further out, through
            # their copies in earlier releases. The cheapest move across releases says which.
            freed = [
                chooser.withhold(free_across(joint.problem, cells.cost, int(c)))
                for c in joint.pinned
            ]
            if not any(freed):
                break
        exact = False
    result.lps = lps  # every round's, not only the last audit's
    if joint is not None and not joint.passed:
        result.pinned += [Pinned(int(c), np.nan, np.nan) for c in (*joint.leaked, *joint.pinned)]
    if optimised and rounds > 1:
        outcome.notes.append(f"the audit widened it in {rounds - 1} more rounds")
    moves = None if witnesses is None else _own(witnesses, len(earlier) * len(cells.value))
    return _Block(block, keep, reason, result, rounds, outcome, joint, moves)


def _own(witnesses: csr_matrix, offset: int) -> csr_matrix:
    """The witnesses that move the new release's cells alone (columns from `offset` on), over
    those cells: a move that also moves an earlier release's copy is not one of this release."""
    witnesses = witnesses.tocsr()
    earlier = witnesses[:, :offset].getnnz(axis=1) > 0
    mine = witnesses[~earlier & (witnesses.getnnz(axis=1) > 0)]
    return mine[:, offset:].tocsr()


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
