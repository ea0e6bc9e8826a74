"""Disclosure control: primary rules, the leaks they leave, how secondary suppression closes
them, and an audit that can fail.

Each hand-made table is built from person counts at the finest level and summed up to its
totals here, independently of publish/. Each leak is shown by the subtraction an attacker
would do on the primary-only table, then shown closed after `protect`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publish import disclosure as dc
from publish.disclosure import audit

AREA = dc.Hierarchy("gebied_code", {"U16": ("A", "B", "C", "D")})
AREAS_U10 = dc.Hierarchy("gebied_code", {"U16": ("A", "B", "C", "D"), "U10": ("A", "B", "C")})
SHARED = {"werk": "alle", "bijstand": "alle", "inburgering_voldaan": "inburgering"}


def table(micro: dict, hierarchies: tuple[dc.Hierarchy, ...]) -> pd.DataFrame:
    """Rows for every combination of codes, totals summed from `micro`.

    `micro` maps the finest codes (one per hierarchy) to (noemer, {indicator: teller}); an
    indicator's noemer is `micro`'s noemer, for inburgering_voldaan half of it.
    """
    levels = [[*sorted({key[i] for key in micro}), *h.totals] for i, h in enumerate(hierarchies)]
    indicators = sorted({i for _, tellers in micro.values() for i in tellers})
    rows = []
    for codes in itertools.product(*levels):
        finest = [
            [c] if c not in h.totals else list(h.totals[c])
            for c, h in zip(codes, hierarchies, strict=True)
        ]
        keys = list(itertools.product(*finest))
        for indicator in indicators:
            noemer = sum(_noemer(micro[k][0], indicator) for k in keys)
            teller = sum(micro[k][1][indicator] for k in keys)
            row = {h.dimension: c for h, c in zip(hierarchies, codes, strict=True)}
            rows.append(
                {
                    "cohort_jaar": 2020,
                    "duur_maanden": 12,
                    **row,
                    "indicator": indicator,
                    "teller": teller,
                    "noemer": noemer,
                    "percentage": round(100 * teller / noemer, 1) if noemer else None,
                }
            )
    return pd.DataFrame(rows)


def _noemer(noemer: int, indicator: str) -> int:
    return noemer // 2 if indicator == "inburgering_voldaan" else noemer


def shape(*hierarchies: dc.Hierarchy) -> dc.Shape:
    return dc.Shape(("cohort_jaar", "duur_maanden"), hierarchies, SHARED)


def primary_only(frame: pd.DataFrame, s: dc.Shape) -> tuple[pd.DataFrame, dc.Suppression]:
    cells = dc.cells_of({"t": frame}, {"t": s})
    reason = dc.primary(cells, dc.Thresholds())
    suppression = dc.Suppression(cells, reason, 0, None, dc.Thresholds())
    return dc.published_frames({"t": frame}, suppression)["t"], suppression


def protected(frame: pd.DataFrame, s: dc.Shape) -> tuple[pd.DataFrame, dc.Suppression]:
    suppression = dc.protect(dc.cells_of({"t": frame}, {"t": s}))
    return dc.published_frames({"t": frame}, suppression)["t"], suppression


def cell(frame: pd.DataFrame, column: str, **codes) -> object:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in codes.items():
        mask &= (frame[key] == value).to_numpy()
    (value,) = frame.loc[mask, column].tolist()
    return None if pd.isna(value) else value


def audit_passes(frame: pd.DataFrame, s: dc.Shape) -> bool:
    return dc.audit_published({"t": frame}, {"t": s}).passed


# -- the primary rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("teller", "noemer", "teller_withheld", "noemer_withheld"),
    [
        (0, 9, True, True),  # a population below 10 is withheld whole, 0 too
        (0, 0, True, True),
        (0, 10, False, False),  # nobody with the characteristic is no small group
        (1, 10, True, False),
        (2, 10, True, False),
        (3, 10, False, False),
        (8, 10, True, False),  # two people without it
        (9, 10, True, False),
        (10, 10, False, False),  # everybody has it: no small group either
        (7, 10, False, False),
    ],
)
def test_primary_rules_follow_the_policy(teller, noemer, teller_withheld, noemer_withheld):
    frame = table({("A",): (noemer, {"werk": teller})}, (dc.Hierarchy("gebied_code", {}),))
    published, _ = primary_only(frame, shape(dc.Hierarchy("gebied_code", {})))
    assert (cell(published, "teller", gebied_code="A") is None) == teller_withheld
    assert (cell(published, "noemer", gebied_code="A") is None) == noemer_withheld
    assert cell(published, "geheim", gebied_code="A") == (teller_withheld or noemer_withheld)
    if teller_withheld or noemer_withheld:
        assert cell(published, "percentage", gebied_code="A") is None


# -- leaks by subtraction, each through one relation --------------------------------------------


def test_municipal_sum_leak_is_closed():
    """Municipality A has one person at work: U16 minus the other three gives it away."""
    micro = {
        (a,): (n, {"werk": t})
        for a, n, t in [("A", 20, 1), ("B", 30, 9), ("C", 40, 12), ("D", 50, 20)]
    }
    frame, s = table(micro, (AREA,)), shape(AREA)
    leaky, _ = primary_only(frame, s)
    assert cell(leaky, "teller", gebied_code="A") is None
    derived = cell(leaky, "teller", gebied_code="U16") - sum(
        cell(leaky, "teller", gebied_code=a) for a in "BCD"
    )
    assert derived == 1
    assert not audit_passes(leaky, s)

    safe, suppression = protected(frame, s)
    assert cell(safe, "teller", gebied_code="A") is None
    assert sum(cell(safe, "teller", gebied_code=a) is None for a in "BCD") >= 1
    # The cheapest partner: the smallest municipality, not the U16 total.
    assert cell(safe, "teller", gebied_code="B") is None
    assert cell(safe, "teller", gebied_code="U16") is not None
    assert suppression.audit.passed and audit_passes(safe, s)


def test_u10_subset_leak_is_closed():
    """A (in U10) and D (outside it) are withheld: the U16 sum holds two unknowns, but U10
    minus B and C still gives A."""
    micro = {
        (a,): (n, {"werk": t})
        for a, n, t in [("A", 20, 2), ("B", 30, 9), ("C", 40, 12), ("D", 50, 49)]
    }
    frame, s = table(micro, (AREAS_U10,)), shape(AREAS_U10)
    leaky, _ = primary_only(frame, s)
    assert cell(leaky, "teller", gebied_code="D") is None
    assert cell(leaky, "teller", gebied_code="U16") is not None
    derived = (
        cell(leaky, "teller", gebied_code="U10")
        - cell(leaky, "teller", gebied_code="B")
        - cell(leaky, "teller", gebied_code="C")
    )
    assert derived == 2
    assert not audit_passes(leaky, s)

    safe, suppression = protected(frame, s)
    assert cell(safe, "teller", gebied_code="A") is None
    assert None in (cell(safe, "teller", gebied_code=a) for a in ("B", "C", "U10"))
    assert suppression.audit.passed and audit_passes(safe, s)


def test_sex_leak_is_closed():
    """Two women at work: T minus M gives them."""
    micro = {(g,): (n, {"werk": t}) for g, n, t in [("M", 40, 15), ("V", 25, 2)]}
    frame, s = table(micro, (dc.SEX,)), shape(dc.SEX)
    leaky, _ = primary_only(frame, s)
    derived = cell(leaky, "teller", geslacht="T") - cell(leaky, "teller", geslacht="M")
    assert derived == 2 and cell(leaky, "teller", geslacht="V") is None
    assert not audit_passes(leaky, s)

    safe, suppression = protected(frame, s)
    assert cell(safe, "teller", geslacht="V") is None
    assert cell(safe, "teller", geslacht="M") is None  # a part before the total
    assert cell(safe, "teller", geslacht="T") is not None
    assert suppression.audit.passed and audit_passes(safe, s)


def test_age_leak_is_closed():
    """One person of 50-64 without work: T minus the two other classes gives the class."""
    micro = {
        (k,): (n, {"werk": t})
        for k, n, t in [("18-29", 30, 12), ("30-49", 45, 20), ("50-64", 15, 14)]
    }
    frame, s = table(micro, (dc.AGE,)), shape(dc.AGE)
    leaky, _ = primary_only(frame, s)
    derived = cell(leaky, "teller", leeftijdsklasse="T") - sum(
        cell(leaky, "teller", leeftijdsklasse=k) for k in ("18-29", "30-49")
    )
    assert derived == 14 and cell(leaky, "teller", leeftijdsklasse="50-64") is None
    assert not audit_passes(leaky, s)

    safe, suppression = protected(frame, s)
    assert cell(safe, "teller", leeftijdsklasse="50-64") is None
    assert cell(safe, "teller", leeftijdsklasse="18-29") is None  # the smaller of the other two
    assert suppression.audit.passed and audit_passes(safe, s)


def test_shared_noemer_leak_is_closed_in_every_indicator():
    """Municipality A has 8 people: its population is withheld in werk and bijstand alike,
    and U16 minus the other noemers would give it back in both."""
    micro = {
        (a,): (n, {"werk": t, "bijstand": b})
        for a, n, t, b in [("A", 8, 3, 4), ("B", 30, 9, 10), ("C", 40, 12, 20), ("D", 50, 20, 25)]
    }
    frame, s = table(micro, (AREA,)), shape(AREA)
    leaky, _ = primary_only(frame, s)
    for indicator in ("werk", "bijstand"):
        assert cell(leaky, "noemer", gebied_code="A", indicator=indicator) is None
        assert cell(leaky, "teller", gebied_code="A", indicator=indicator) is None
        derived = cell(leaky, "noemer", gebied_code="U16", indicator=indicator) - sum(
            cell(leaky, "noemer", gebied_code=a, indicator=indicator) for a in "BCD"
        )
        assert derived == 8
    assert not audit_passes(leaky, s)

    safe, suppression = protected(frame, s)
    hidden = {
        a: {
            cell(safe, "noemer", gebied_code=a, indicator=i) is None
            for i in SHARED
            if i in set(frame["indicator"])
        }
        for a in ("A", "B", "C", "D", "U16")
    }
    assert all(len(v) == 1 for v in hidden.values()), "a noemer is withheld in every row or none"
    assert hidden["A"] == {True} and hidden["B"] == {True}
    assert suppression.audit.passed and audit_passes(safe, s)


def test_bounds_and_two_hierarchies_together_are_closed():
    """Closing every lonely cell is not enough when teller <= noemer bounds pin a cell; the
    audit finds such cells and suppression widens around them until nothing is pinned."""
    micro = {
        (a, g): (n, {"werk": t})
        for (a, g), (n, t) in {
            ("A", "M"): (12, 11),
            ("A", "V"): (10, 10),
            ("B", "M"): (15, 15),
            ("B", "V"): (20, 1),
            ("C", "M"): (30, 2),
            ("C", "V"): (25, 25),
            ("D", "M"): (40, 39),
            ("D", "V"): (35, 0),
        }.items()
    }
    hierarchies = (AREAS_U10, dc.SEX)
    frame, s = table(micro, hierarchies), shape(*hierarchies)
    safe, suppression = protected(frame, s)
    assert suppression.audit.passed and audit_passes(safe, s)
    for a, g in [("A", "M"), ("B", "V"), ("C", "M"), ("D", "M")]:
        assert cell(safe, "teller", gebied_code=a, geslacht=g) is None


# -- the audit can fail ------------------------------------------------------------------------


def test_audit_catches_a_broken_suppression():
    """Publishing one secondary cell of a passing suppression again re-opens a leak."""
    micro = {
        (a,): (n, {"werk": t})
        for a, n, t in [("A", 20, 1), ("B", 30, 9), ("C", 40, 12), ("D", 50, 20)]
    }
    frame, s = table(micro, (AREA,)), shape(AREA)
    safe, suppression = protected(frame, s)
    assert audit_passes(safe, s)
    secondary = np.flatnonzero(suppression.reason == dc.SECONDARY)
    assert len(secondary)
    broken = suppression.reason.copy()
    broken[secondary[0]] = dc.NONE
    leaky = dc.published_frames(
        {"t": frame}, dc.Suppression(suppression.cells, broken, 0, None, dc.Thresholds())
    )["t"]
    result = dc.audit_published({"t": leaky}, {"t": s})
    assert not result.passed
    assert [p.low for p in result.pinned] == [p.high for p in result.pinned]


def test_audit_refuses_tables_that_do_not_add_up():
    frame = table({(a,): (20, {"werk": 5}) for a in "ABCD"}, (AREA,))
    frame.loc[frame["gebied_code"] == "U16", "teller"] = 3
    frame.loc[frame["gebied_code"] == "A", "teller"] = None
    with pytest.raises(ValueError, match="admit no solution"):
        dc.audit_published({"t": frame}, {"t": shape(AREA)})


# -- secondary suppression: the cheapest pattern, headline cells last ----------------------------

RECTANGLE = {
    ("A", "M"): (19, {"werk": 9}),
    ("A", "V"): (39, {"werk": 38}),
    ("B", "M"): (18, {"werk": 18}),
    ("B", "V"): (16, {"werk": 13}),
    ("C", "M"): (20, {"werk": 14}),
    ("C", "V"): (29, {"werk": 25}),
    ("D", "M"): (21, {"werk": 20}),
    ("D", "V"): (36, {"werk": 0}),
}


def withheld_tellers(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {
        (row.gebied_code, row.geslacht)
        for row in frame.itertuples()
        if pd.isna(row.teller) and row.indicator == "werk"
    }


def test_two_primaries_share_a_rectangle_where_the_heuristic_takes_headline_cells():
    """Women in A (38 of 39 at work) and men in D (20 of 21) are each the only one without
    work in their group: both primary. Each needs another withheld cell in its municipality
    (the other sex, or the municipality's total) and in its sex (another municipality, or
    U16), and the two share neither, so at least two more are needed. A's men (9) and D's
    women (0) close the rectangle A/D x M/V, which moves a whole unit: A-M 9 -> 10 <= 19,
    A-V 38 -> 37, D-M 20 -> 19, D-V 0 -> 1 <= 36. Every other partner is a headline cell (A-T,
    D-T, U16-M, U16-V). The heuristic, one cheapest neighbour at a time, withholds
    municipality headline cells here."""
    frame, s = table(RECTANGLE, (AREA, dc.SEX)), shape(AREA, dc.SEX)
    safe, suppression = protected(frame, s)
    assert withheld_tellers(safe) == {("A", "M"), ("A", "V"), ("D", "M"), ("D", "V")}
    assert safe["noemer"].notna().all()
    assert suppression.optimiser[0].method == "optimal"
    pinned = [k for k, (low, high) in attacker_intervals(safe, s).items() if high - low < 1]
    assert pinned == []

    heuristic = dc.published_frames(
        {"t": frame},
        dc.protect(dc.cells_of({"t": frame}, {"t": s}), dc.Thresholds(optimiser_cells=0)),
    )["t"]
    headline = {(a, g) for a, g in withheld_tellers(heuristic) if g == "T"}
    assert headline, "the heuristic withholds a municipality's or U16's total"


def test_a_secondary_noemer_keeps_its_tellers_published():
    """A has 8 people: its population is withheld whole, and U16 minus B, C and D would give
    its noemer back, so one more noemer goes: B's, the smallest (30). A's tellers need a
    partner too; C's are the smallest (5 and 6), so those go, and B's tellers (25 and 20) stay
    published. Only B's percentages are withheld with its noemer: a teller with a percentage
    would give the noemer back. The attacker here finds nothing pinned: B's noemer lies in
    [25, 30] (at least its werk teller, at most U16 minus C, D and A's least, 4)."""
    micro = {
        (a,): (n, {"werk": t, "bijstand": b})
        for a, n, t, b in [("A", 8, 3, 4), ("B", 30, 25, 20), ("C", 40, 5, 6), ("D", 50, 20, 25)]
    }
    frame, s = table(micro, (AREA,)), shape(AREA)
    safe, suppression = protected(frame, s)
    for indicator, teller in (("werk", 25), ("bijstand", 20)):
        assert cell(safe, "noemer", gebied_code="B", indicator=indicator) is None
        assert cell(safe, "teller", gebied_code="B", indicator=indicator) == teller
        assert cell(safe, "percentage", gebied_code="B", indicator=indicator) is None
        assert cell(safe, "geheim", gebied_code="B", indicator=indicator)
        assert cell(safe, "teller", gebied_code="C", indicator=indicator) is None
        assert cell(safe, "noemer", gebied_code="C", indicator=indicator) == 40
    intervals = attacker_intervals(safe, s)
    assert all(high - low >= 1 for low, high in intervals.values())
    assert suppression.audit.passed


def test_the_audit_checks_the_optimisers_witnesses_and_still_catches_a_weakened_pattern():
    """The optimiser hands the audit the moves that free each withheld cell; the audit counts
    only those it verifies. Publish one secondary cell again and the same moves no longer
    keep every published value: the audit, on its own LPs, finds the cell pinned."""
    frame, s = table(RECTANGLE, (AREA, dc.SEX)), shape(AREA, dc.SEX)
    cells = dc.cells_of({"t": frame}, {"t": s})
    suppression = dc.protect(cells)
    witnesses = suppression.optimiser[0].witnesses
    values = np.where(suppression.withheld, np.nan, cells.value)
    proven = audit.audit(cells.structure, values, hint=cells.value, witnesses=witnesses)
    assert proven.passed and proven.lps == 0, "the verified moves alone prove the pattern"

    secondary = np.flatnonzero(suppression.reason == dc.SECONDARY)
    weakened = values.copy()
    weakened[secondary[0]] = cells.value[secondary[0]]
    result = audit.audit(cells.structure, weakened, hint=cells.value, witnesses=witnesses)
    assert not result.passed
    # A bogus move (one that breaks a relation) proves nothing either.
    bogus = witnesses.copy()
    bogus.data[:] = 1.0
    result = audit.audit(cells.structure, weakened, hint=cells.value, witnesses=bogus)
    assert not result.passed


@st.composite
def small_tables(draw):
    """Counts of a 3 x 2 table (areas A-C, sexes) with their totals, and two primary cells."""
    counts = np.array(draw(st.lists(st.integers(0, 6), min_size=6, max_size=6))).reshape(3, 2)
    primary = draw(st.lists(st.integers(0, 5), min_size=2, max_size=2, unique=True))
    return counts, primary


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_tables())
def test_the_optimiser_finds_the_fewest_cells_that_a_search_of_every_pattern_finds(case):
    """On a table of 3 areas x 2 sexes with totals (12 cells), every pattern is tried here,
    smallest first, each checked by scipy's LP (the attacker knows the relations and counts
    >= 0): the first that leaves no withheld cell pinned has as many cells as the optimiser's
    (with every cell costing 1), when the optimiser says it is optimal."""
    from scipy.optimize import linprog

    from publish.disclosure import optimal

    counts, primary_parts = case
    areas = dc.Hierarchy("gebied_code", {"U16": ("A", "B", "C")})
    micro = {
        (a, g): (10, {"werk": int(counts[i, j])})
        for i, a in enumerate("ABC")
        for j, g in enumerate("MV")
    }
    frame = table(micro, (areas, dc.SEX))
    cells = dc.cells_of({"t": frame}, {"t": shape(areas, dc.SEX)})
    tellers = np.flatnonzero(cells.noemer_of >= 0)
    parts = [c for c in tellers if cells.tier[c] == 0][:6]  # A-M, A-V, B-M, ..., C-V
    must = np.zeros(len(cells.value), dtype=bool)
    must[[parts[k] for k in primary_parts]] = True
    model = optimal.single_table_model(
        cells.structure, cells.value, np.ones(len(cells.value)), tellers, must
    )
    result = optimal.solve(model, optimal.Limits(rounds=50))
    found = int(result.withheld.sum())

    relations = cells.structure.matrix[:, tellers].toarray()
    relations = relations[np.abs(relations).sum(axis=1) > 0]
    values = cells.value[tellers]

    def safe(withheld: np.ndarray) -> bool:
        free = np.flatnonzero(withheld)
        fixed = relations[:, ~withheld] @ values[~withheld]
        for i in range(len(free)):
            bounds = []
            for sign in (1.0, -1.0):
                objective = np.zeros(len(free))
                objective[i] = sign
                lp = linprog(objective, A_eq=relations[:, free], b_eq=-fixed, bounds=(0, None))
                bounds.append(np.inf if lp.status == 3 else sign * lp.fun)
            if bounds[1] - bounds[0] < 1 - 1e-9:
                return False
        return True

    base = must[tellers]
    others = np.flatnonzero(~base)
    fewest = next(
        len(extra) + int(base.sum())
        for size in range(len(others) + 1)
        for extra in itertools.combinations(others, size)
        if safe(base | np.isin(np.arange(len(tellers)), extra))
    )
    assert result.optimal
    assert found == fewest


# -- properties on random tables of the real shape ---------------------------------------------

MUNICIPALITIES = [f"GM{i:04d}" for i in range(16)]
REAL_AREAS = dc.area_hierarchy(MUNICIPALITIES, MUNICIPALITIES[:10])
REAL = (REAL_AREAS, dc.SEX, dc.AGE)


@st.composite
def micro_tables(draw):
    """Person counts per municipality x sex x age class: many small, some empty, some large."""
    micro = {}
    for key in itertools.product(MUNICIPALITIES, ("M", "V"), ("18-29", "30-49", "50-64")):
        noemer = draw(st.one_of(st.integers(0, 12), st.integers(0, 80)))
        tellers = {
            "werk": draw(st.integers(0, noemer)),
            "bijstand": draw(st.integers(0, noemer)),
            "inburgering_voldaan": draw(st.integers(0, noemer // 2)),
        }
        micro[key] = (noemer, tellers)
    return micro


# The fast loop's longest test (about 20 s): the full suite runs it.
@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(micro=micro_tables(), seed=st.integers(0, 2**16))
def test_random_tables_leave_no_cell_pinned_and_are_deterministic(micro, seed):
    frame = table(micro, REAL)
    s = shape(*REAL)
    safe, suppression = protected(frame, s)
    assert suppression.audit.passed
    assert audit_passes(safe, s)
    # Primary cells stay withheld; nothing else changes but the withheld values and geheim.
    _, primary = primary_only(frame, s)
    assert np.all(suppression.withheld[primary.withheld])
    # The same table in another row order gives the same release.
    shuffled = frame.sample(frac=1.0, random_state=seed)
    again, _ = protected(shuffled, s)
    keys = ["gebied_code", "geslacht", "leeftijdsklasse", "indicator"]
    pd.testing.assert_frame_equal(
        safe.sort_values(keys).reset_index(drop=True),
        again.sort_values(keys).reset_index(drop=True),
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(micro=micro_tables())
def test_bounds_pin_only_what_the_lp_attacker_pins(micro):
    """Bound propagation, which secondary suppression uses before any LP, is sound: a cell it
    pins in a primary-only table the exact audit pins too."""
    frame, s = table(micro, REAL), shape(*REAL)
    leaky, _ = primary_only(frame, s)
    cells = dc.cells_of({"t": leaky}, {"t": s})
    by_bounds = set(audit.pinned_by_bounds(cells.structure, cells.value).tolist())
    by_lp = {p.cell for p in audit.audit(cells.structure, cells.value).pinned}
    assert by_bounds <= by_lp


def test_bounds_see_a_subtraction():
    """A's one person at work is U16 minus B and C: the bounds pin A's teller, nothing else."""
    micro = {(a,): (n, {"werk": t}) for a, n, t in [("A", 20, 1), ("B", 30, 9), ("C", 40, 12)]}
    areas = dc.Hierarchy("gebied_code", {"U16": ("A", "B", "C")})
    frame, s = table(micro, (areas,)), shape(areas)
    leaky, _ = primary_only(frame, s)
    cells = dc.cells_of({"t": leaky}, {"t": s})
    (pinned,) = audit.pinned_by_bounds(cells.structure, cells.value)
    teller_a = cells.rows["t"][0][(leaky["gebied_code"] == "A").to_numpy()][0]
    assert pinned == teller_a


def test_blocks_suppressed_on_their_own_in_any_number_of_threads_give_the_same_tables():
    """Blocks share no relation: suppressing them block by block, in one thread or two, gives
    the tables that suppressing the whole table at once gives."""
    rng = np.random.default_rng(7)
    frames = []
    for duur in (6, 12, 18):
        micro = {
            key: (int(n), {"werk": int(rng.integers(0, n + 1)), "bijstand": int(n // 2)})
            for key in itertools.product(("A", "B", "C", "D"), ("M", "V"))
            for n in [rng.integers(0, 25)]
        }
        frames.append(table(micro, (AREAS_U10, dc.SEX)).assign(duur_maanden=duur))
    frame = pd.concat(frames, ignore_index=True)
    shapes = {"t": shape(AREAS_U10, dc.SEX)}
    alone, report_alone, _ = dc.protect_tables({"t": frame}, shapes, workers=1)
    split, report_split, _ = dc.protect_tables({"t": frame}, shapes, workers=2)
    pd.testing.assert_frame_equal(alone["t"], split["t"])
    whole = dc.published_frames({"t": frame}, dc.protect(dc.cells_of({"t": frame}, shapes)))
    pd.testing.assert_frame_equal(alone["t"], whole["t"], check_dtype=False)
    assert report_alone["resources"] == report_split["resources"]
    assert report_split["audit"]["passed"]
    assert audit_passes(split["t"], shapes["t"])


def test_tables_in_the_same_places_share_one_object_of_listed_moves_while_the_cells_live():
    """The optimiser shares a library of moves between tables by the identity of their listed
    moves. A part of a grid used to get a new object on every call: once freed, its identity
    could pass to another table's moves, which then drew on the wrong library, and the moves
    kept with a release depended on the memory allocator. One object per place set, kept with
    the cells, makes identity mean "the same places"."""
    micro = {key: (10, {"werk": 3}) for key in itertools.product(("A", "B", "C", "D"), ("M", "V"))}
    frame = table(micro, (AREA, dc.SEX))
    cells = dc.cells_of({"t": frame}, {"t": shape(AREA, dc.SEX)})
    tellers = np.flatnonzero(cells.noemer_of >= 0)
    part, other = tellers[: len(tellers) // 2], tellers[len(tellers) // 2 :]
    first = cells.moves(part)
    assert cells.moves(part.copy()) is first
    assert cells.moves(other) is not first
    assert cells.moves(tellers) is cells.moves(tellers.copy())


# -- many areas: the audit's windows, checked by an attacker written here ----------------------

REGIONS = {f"R{r}": tuple(f"G{r}{m}" for m in range(5)) for r in range(5)}
NATION = dc.Hierarchy(
    "gebied_code", {"NL": tuple(m for parts in REGIONS.values() for m in parts), **REGIONS}
)


def attacker_intervals(published: pd.DataFrame, s: dc.Shape) -> dict[tuple, tuple[float, float]]:
    """Min and max of every withheld teller and noemer for the attacker of disclosure.md, by
    scipy's linprog over relations built here from the published rows, not from publish/."""
    from scipy.optimize import linprog

    dims = [h.dimension for h in s.hierarchies]
    cells: dict[tuple, float] = {}  # ("t", indicator, *codes) or ("n", population, *codes)
    for row in published.itertuples():
        codes = tuple(getattr(row, d) for d in dims)
        cells[("t", row.indicator, *codes)] = row.teller
        cells[("n", s.populations[row.indicator], *codes)] = row.noemer
    unknown = sorted(k for k, v in cells.items() if pd.isna(v))
    index = {k: i for i, k in enumerate(unknown)}
    equations, rhs, bounds_rows = [], [], []

    def term(key, sign, row, constant):
        if key in index:
            row[index[key]] += sign
            return constant
        return constant - sign * cells[key]

    for key in cells:
        for h_i, h in enumerate(s.hierarchies):
            code = key[2 + h_i]
            if code not in h.totals:
                continue
            row, constant = np.zeros(len(unknown)), 0.0
            constant = term(key, -1.0, row, constant)
            for part in h.totals[code]:
                part_key = (*key[: 2 + h_i], part, *key[3 + h_i :])
                constant = term(part_key, 1.0, row, constant)
            if row.any():
                equations.append(row)
                rhs.append(constant)
    for key in cells:
        if key[0] == "t":
            indicator = key[1]
            noemer = ("n", s.populations[indicator], *key[2:])
            row, constant = np.zeros(len(unknown)), 0.0
            constant = term(key, 1.0, row, constant)
            constant = term(noemer, -1.0, row, constant)
            if row.any():
                bounds_rows.append((row, constant))
    a_ub = np.array([r for r, _ in bounds_rows]) if bounds_rows else None
    b_ub = np.array([c for _, c in bounds_rows]) if bounds_rows else None
    intervals = {}
    for key, i in index.items():
        found = []
        for sign in (1.0, -1.0):
            cost = np.zeros(len(unknown))
            cost[i] = sign
            result = linprog(
                cost,
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=np.array(equations),
                b_eq=np.array(rhs),
                bounds=(0, None),
                method="highs",
            )
            found.append(sign * result.fun if result.status == 0 else sign * np.inf)
        intervals[key] = (found[0], found[1])
    return intervals


def test_nested_totals_state_the_relations_they_imply():
    """U16 is U10 plus the municipalities outside it; a nation is the sum of its regions."""
    assert sorted(AREAS_U10.relations) == [
        ("U10", ("A", "B", "C")),
        ("U16", ("A", "B", "C", "D")),
        ("U16", ("U10", "D")),
    ]
    stated = NATION.totals.items()
    implied = [(t, parts) for t, parts in NATION.relations if (t, parts) not in stated]
    assert [(t, sorted(parts)) for t, parts in implied] == [("NL", sorted(REGIONS))]


@pytest.mark.parametrize("whole_component_limit", [audit.WHOLE_COMPONENT_LIMIT, 0])
def test_region_total_leak_through_the_national_total_is_closed(whole_component_limit, monkeypatch):
    """Region R0 has two people at work: withheld, yet the national total minus the other
    regions gives it away. With the limit at 0 the audit between rounds sees the component only
    through its windows: R0 and its partner region can move only together, in joined windows."""
    monkeypatch.setattr(audit, "WHOLE_COMPONENT_LIMIT", whole_component_limit)
    rng = np.random.default_rng(3)
    micro = {}
    for region, areas in REGIONS.items():
        for i, area in enumerate(areas):
            n = int(rng.integers(20, 40))
            micro[(area,)] = (n, {"werk": int(i < 2) if region == "R0" else int(n // 2)})
    frame, s = table(micro, (NATION,)), shape(NATION)
    leaky, _ = primary_only(frame, s)
    assert cell(leaky, "teller", gebied_code="R0") is None
    assert all(cell(leaky, "teller", gebied_code=r) is not None for r in list(REGIONS)[1:])
    low, high = attacker_intervals(leaky, s)[("t", "werk", "R0")]
    assert low == pytest.approx(2) and high == pytest.approx(2)

    safe, suppression = protected(frame, s)
    assert suppression.audit.passed
    assert not _narrow(attacker_intervals(safe, s))


def _narrow(intervals: dict[tuple, tuple[float, float]]) -> dict[tuple, tuple[float, float]]:
    return {k: v for k, v in intervals.items() if np.floor(v[1] + 1e-6) - np.ceil(v[0] - 1e-6) < 1}


@pytest.mark.parametrize("whole_component_limit", [audit.WHOLE_COMPONENT_LIMIT, 0])
def test_many_areas_are_covered_window_by_window_and_an_outside_attacker_agrees(
    whole_component_limit, monkeypatch
):
    """Regions of five municipalities under a national total: the audit covers them a few
    areas at a time (holding the rest at the true values), which only proves anything if an
    attacker who sees the whole table agrees that no withheld cell is pinned. With the limit
    at 0, suppression rounds audit the component through its windows alone."""
    monkeypatch.setattr(audit, "WHOLE_COMPONENT_LIMIT", whole_component_limit)
    rng = np.random.default_rng(11)
    micro = {}
    for area in NATION.totals["NL"]:
        for sex in ("M", "V"):
            n = int(rng.integers(0, 30))
            micro[(area, sex)] = (n, {"werk": int(rng.binomial(n, 0.3)), "bijstand": n // 3})
    frame = table(micro, (NATION, dc.SEX))
    s = shape(NATION, dc.SEX)
    cells = dc.cells_of({"t": frame}, {"t": s})
    # Each region with the national total.
    assert len(cells.windows) == len(REGIONS)
    safe, suppression = protected(frame, s)
    assert suppression.audit.passed
    intervals = attacker_intervals(safe, s)
    assert len(intervals) == suppression.withheld.sum()
    assert not _narrow(intervals)
    # The same attacker does find the leak of a primary-only table.
    leaky, _ = primary_only(frame, s)
    leaks = attacker_intervals(leaky, s)
    assert any(np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1 for lo, hi in leaks.values())
