"""Protection across releases: a new release starts from the ones before it, and an attacker
who holds them all (tests/attacker.py, written apart from publish/) pins nothing.

The tables are built by hand with tests/publish/test_disclosure.py's `table`: person counts at the
finest level, summed up to their totals. Every noemer is 30 or a sum of 30s, so only tellers
are withheld and the patterns can be followed by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.reference import load_reference
from publish import disclosure as dc
from publish.disclosure.history import History, _merged_copies, align, align_moves
from tests.attacker import pinned_across
from tests.publish.test_disclosure import SHARED, shape, table

AREAS = dc.Hierarchy("gebied_code", {"U16": ("A", "B", "C")})
HIERARCHIES = [("gebied_code", AREAS.totals), ("geslacht", dc.SEX.totals)]


def micro(counts: dict[tuple[str, str], int]) -> dict:
    return {key: (30, {"werk": teller}) for key, teller in counts.items()}


FIRST = {
    ("A", "M"): 10,
    ("A", "V"): 1,  # primary: one woman at work in A
    ("B", "M"): 4,
    ("B", "V"): 5,
    ("C", "M"): 12,
    ("C", "V"): 9,
}
# A correction: B's and C's men change; every woman's count, and A's, stay as they were.
CORRECTED = {**FIRST, ("B", "M"): 14, ("C", "M"): 3}


def release(
    frame: pd.DataFrame, history: History | None = None
) -> tuple[pd.DataFrame, dc.Suppression]:
    cells = dc.cells_of({"t": frame}, {"t": shape(AREAS, dc.SEX)})
    suppression = dc.protect(cells, history=history)
    return dc.published_frames({"t": frame}, suppression)["t"], suppression


def with_truth(published: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    return published.assign(true_teller=truth["teller"], true_noemer=truth["noemer"])


def withheld(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(r.gebied_code, r.geslacht) for r in frame.itertuples() if pd.isna(r.teller)}


def test_a_fresh_suppression_of_a_correction_leaks_by_differencing_and_one_from_history_does_not():
    """A's one woman at work needs a rectangle. In the first release B's figures are the
    cheapest partners: A/B x M/V is withheld (costs 11 + 6 + 5 against 11 + 10 + 13 for A/C).
    The correction makes B's men 14 and C's men 3, so a fresh suppression moves to A/C
    (11 + 10 + 4 against 11 + 6 + 15) and publishes B's women: 5, the same value the first
    release withheld. An attacker with both releases then reads B's women off the second, B's
    men of the first from its published B total (9 - 5), and A's men and women from there.
    Starting from the first release instead, B's women stay withheld (their value did not
    change) and A/B stays the rectangle: the attacker pins nothing."""
    first_truth, corrected_truth = (
        table(micro(FIRST), (AREAS, dc.SEX)),
        table(micro(CORRECTED), (AREAS, dc.SEX)),
    )
    first, kept = release(first_truth)
    assert withheld(first) == {("A", "M"), ("A", "V"), ("B", "M"), ("B", "V")}

    fresh, _ = release(corrected_truth)
    assert withheld(fresh) == {("A", "M"), ("A", "V"), ("C", "M"), ("C", "V")}
    leaks = pinned_across(
        [with_truth(first, first_truth), with_truth(fresh, corrected_truth)],
        HIERARCHIES,
        SHARED,
    )
    assert {(r, codes) for r, kind, _, _, codes, _ in leaks if kind == "t"} >= {
        (0, ("B", "V")),
        (0, ("B", "M")),
        (0, ("A", "V")),
    }

    cells = dc.cells_of({"t": corrected_truth}, {"t": shape(AREAS, dc.SEX)})
    history = History([align(cells.keys, "1.0.0", dc.kept_cells(kept))])
    aware, suppression = release(corrected_truth, history)
    assert withheld(aware) == withheld(first)
    assert suppression.across["passed"]
    pinned = pinned_across(
        [with_truth(first, first_truth), with_truth(aware, corrected_truth)],
        HIERARCHIES,
        SHARED,
    )
    assert pinned == []


def test_a_release_that_only_adds_a_block_leaves_every_earlier_pattern_as_it_was():
    """A new cohort or duration adds a block and changes nothing before it: every earlier
    cell keeps its value, so each published one stays published and each withheld one stays
    withheld, and only the new block is chosen afresh."""
    first_truth = table(micro(FIRST), (AREAS, dc.SEX))
    later = table(micro(CORRECTED), (AREAS, dc.SEX)).assign(duur_maanden=18)
    both = pd.concat([first_truth, later], ignore_index=True)
    first, kept = release(first_truth)
    cells = dc.cells_of({"t": both}, {"t": shape(AREAS, dc.SEX)})
    history = History([align(cells.keys, "1.0.0", dc.kept_cells(kept))])
    second, suppression = release(both, history)
    old = second[second.duur_maanden == 12].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, first, check_dtype=False)
    new = second[second.duur_maanden == 18].reset_index(drop=True)
    fresh, _ = release(later)
    pd.testing.assert_frame_equal(new, fresh, check_dtype=False)
    assert suppression.across["public_cells"] == int((~np.asarray(kept.withheld)).sum())


def test_a_release_with_the_latest_releases_true_values_is_made_as_it_was_and_says_so():
    """The pipeline leaves the latest release out when the new truth is its truth (only a
    delivery that moves no figure changed): the new release is then made against the
    releases before it, here none, so it publishes what 1.0.0 published, and its report
    says why it names no earlier release."""
    truth = table(micro(FIRST), (AREAS, dc.SEX))
    first, _ = release(truth)
    again, suppression = release(truth, History(same_figures_as="1.0.0"))
    pd.testing.assert_frame_equal(again, first)
    across = dc.report(suppression)["across_releases"]
    assert across["earlier_releases"] == [] and across["same_figures_as"] == "1.0.0"
    assert "The true values are those of release 1.0.0" in dc.summary(dc.report(suppression))


def test_a_block_unchanged_since_the_latest_release_keeps_its_pattern_without_a_new_audit():
    """Made under the same thresholds, the unchanged block (duration 12) keeps the first
    release's pattern without an optimiser or an LP; the new block (18) and a block whose
    values changed are chosen and audited as before. Under other rules nothing is reused."""
    first_truth = table(micro(FIRST), (AREAS, dc.SEX))
    first, kept = release(first_truth)
    later = table(micro(CORRECTED), (AREAS, dc.SEX)).assign(duur_maanden=18)
    both = pd.concat([first_truth, later], ignore_index=True)
    cells = dc.cells_of({"t": both}, {"t": shape(AREAS, dc.SEX)})
    stored = dc.kept_cells(kept)

    second, suppression = release(both, History([align(cells.keys, "1.0.0", stored)], True))
    methods = {o.label: o.method for o in suppression.optimiser}
    assert sorted(methods.values()) == ["optimal", "reused"]
    reused = next(o for o in suppression.optimiser if o.method == "reused")
    assert "12" in reused.label
    old = second[second.duur_maanden == 12].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, first, check_dtype=False)
    assert suppression.audit.passed and suppression.across["passed"]

    _, strict = release(both, History([align(cells.keys, "1.0.0", stored)], False))
    assert "reused" not in {o.method for o in strict.optimiser}

    corrected = table(micro(CORRECTED), (AREAS, dc.SEX))
    cells = dc.cells_of({"t": corrected}, {"t": shape(AREAS, dc.SEX)})
    _, moved = release(corrected, History([align(cells.keys, "1.0.0", stored)], True))
    assert [o.method for o in moved.optimiser] != ["reused"]


def test_a_cell_that_the_earlier_releases_pin_whatever_is_published_fails_the_release():
    """Values that move and move back can pin a cell whatever the new release withholds. Now
    A has 10 men and 1 woman at work (11). Release 1 published A's men at 10 (A's women were
    then 7), release 2 published A's total at 11 (9 men, 2 women). Both values are the same
    now, so the attacker holds them, and A's one woman is 11 - 10 = 1: no cell of this release
    can hide that. Suppression stops (it used to look for a partner for ever) and the audit
    names the cell; the release is not published."""
    now = table(micro(FIRST), (AREAS, dc.SEX))
    cells = dc.cells_of({"t": now}, {"t": shape(AREAS, dc.SEX)})

    def published_in_full(version: str, counts: dict) -> pd.DataFrame:
        earlier = dc.cells_of(
            {"t": table(micro(counts), (AREAS, dc.SEX))}, {"t": shape(AREAS, dc.SEX)}
        )
        frame = pd.DataFrame({"key": earlier.keys.astype(str), "value": earlier.value})
        return align(cells.keys, version, frame.assign(withheld=False))

    history = History(
        [
            published_in_full("1.0.0", {**FIRST, ("A", "V"): 7}),
            published_in_full("1.1.0", {**FIRST, ("A", "M"): 9, ("A", "V"): 2}),
        ]
    )
    suppression = dc.protect(cells, history=history)
    pinned = {str(cells.keys[p.cell]) for p in suppression.audit.pinned}
    assert not (suppression.audit.passed and suppression.across["passed"])
    assert "t 2020/12|teller|werk|A|V" in pinned, pinned


def test_a_table_unchanged_since_the_latest_release_takes_its_moves_instead_of_a_solve():
    """Two indicators share the noemer (30 per area and sex, never withheld). The correction
    changes werk (B's and C's men) and leaves bijstand as it was. bijstand's withheld cells
    were withheld before with the same values, its published ones published: nothing to
    choose, the same relations. With the first release's moves it is not solved again, nor is
    the noemer table (all published before, unchanged); werk is. The pattern is the one a
    full solve gives, and an attacker holding both releases pins nothing."""
    bijstand = {
        ("A", "M"): 3,
        ("A", "V"): 2,  # primary
        ("B", "M"): 7,
        ("B", "V"): 6,
        ("C", "M"): 1,  # primary
        ("C", "V"): 8,
    }

    def counts(werk: dict) -> dict:
        return {key: (30, {"werk": werk[key], "bijstand": bijstand[key]}) for key in werk}

    first_truth = table(counts(FIRST), (AREAS, dc.SEX))
    corrected_truth = table(counts(CORRECTED), (AREAS, dc.SEX))
    first, kept = release(first_truth)
    cells = dc.cells_of({"t": corrected_truth}, {"t": shape(AREAS, dc.SEX)})

    def history(moves: bool) -> History:
        earlier = History([align(cells.keys, "1.0.0", dc.kept_cells(kept))], True)
        if moves:
            earlier.moves = align_moves(cells.keys, kept.cells.keys, dc.kept_moves(kept))
        return earlier

    assert kept.moves is not None and kept.moves.shape[0] > 0
    solved, by_solving = release(corrected_truth, history(False))
    second, suppression = release(corrected_truth, history(True))
    (outcome,) = suppression.optimiser
    assert outcome.settled == 2 and outcome.tables == 1, (outcome.settled, outcome.tables)
    assert by_solving.optimiser[0].settled == 0
    pd.testing.assert_frame_equal(second, solved)
    assert suppression.audit.passed and suppression.across["passed"]
    pinned = pinned_across(
        [with_truth(first, first_truth), with_truth(second, corrected_truth)],
        HIERARCHIES,
        SHARED,
    )
    assert pinned == []


@settings(max_examples=200, deadline=None)
@given(
    releases=st.integers(1, 4),
    noemers=st.integers(1, 3),
    data=st.data(),
)
def test_copies_join_the_latest_earlier_copy_with_their_value_as_a_union_find_joins_them(
    releases, noemers, data
):
    """The copies of each cell across releases, vectorised, against a union-find written here
    the way the spec reads: each copy joins the latest earlier copy of its cell with the same
    true value, a teller's only where their noemers' copies are joined (else an equation), and
    each unknown is named by its earliest copy."""
    tellers = data.draw(st.integers(0, 4))
    noemer_of = np.array(
        [-1] * noemers
        + data.draw(st.lists(st.integers(0, noemers - 1), min_size=tellers, max_size=tellers))
    )
    n, k = len(noemer_of), releases + 1
    values = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=k * n, max_size=k * n))
    )
    present = np.array(data.draw(st.lists(st.booleans(), min_size=k * n, max_size=k * n)))
    present[(k - 1) * n :] = True

    parent = list(range(k * n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    equations = []
    for cell in [*np.flatnonzero(noemer_of < 0), *np.flatnonzero(noemer_of >= 0)]:
        latest: dict[float, int] = {}
        for j in range(k):
            g = j * n + int(cell)
            if not present[g]:
                continue
            h = latest.get(values[g])
            if h is not None:
                noemer = noemer_of[cell]
                if noemer < 0 or find(j * n + noemer) == find(h // n * n + noemer):
                    parent[find(g)] = find(h)
                else:
                    equations.append((g, h))
            latest[values[g]] = g

    roots, found = _merged_copies(noemer_of, values, present, n, k)
    assert roots.tolist() == [find(i) for i in range(k * n)]
    assert found == equations


FOUR_RELEASES = Path(__file__).parent / "fixtures" / "four_releases_of_a_block.csv"
CODELIST = Path(__file__).parents[2] / "dbt_project" / "seeds" / "indicatoren_codelijst.csv"


def populations() -> dict[str, str]:
    codelist = pd.read_csv(CODELIST)
    return dict(zip(codelist["indicator"], codelist["populatie_nl"], strict=True))


def four_releases() -> dict[str, tuple[pd.DataFrame, dc.Cells]]:
    """Per release of FOUR_RELEASES, the block's indicatoren rows with their true values, and
    their cells."""
    ref = load_reference()
    areas = dc.area_hierarchy(list(ref.gemeenten), list(ref.u10))
    block = dc.Shape(("cohort_jaar", "duur_maanden"), (areas, dc.SEX, dc.AGE), populations())
    truths = pd.read_csv(FOUR_RELEASES, dtype={"leeftijdsklasse": str})
    out = {}
    for version in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        truth = truths[["gebied_code", "geslacht", "leeftijdsklasse", "indicator"]].assign(
            cohort_jaar=2021,
            duur_maanden=18,
            teller=truths[f"teller_{version}"],
            noemer=truths[f"noemer_{version}"],
        )
        noemer = truth["noemer"].where(truth["noemer"] > 0)
        truth["percentage"] = (100 * truth["teller"] / noemer).round(1)
        out[version] = truth, dc.cells_of({"indicatoren": truth}, {"indicatoren": block})
    return out


@pytest.mark.slow
def test_a_cell_its_earlier_copies_pin_is_freed_by_a_move_across_releases_not_left_unpublished():
    """One block of indicatoren (cohort 2021, 18 months; 1,944 rows) as the synthetic U16
    landing gives it, then three times with Utrecht's latest workbook corrected (half of its
    jobs taken out each time, as benchmarks/runs.py corrects it once): the true values of four
    releases, in fixtures/four_releases_of_a_block.csv.

    The fourth release's joint audit pinned Utrecht's women of 50-64 at work without
    bijstand (0 of 7, withheld in every release) through their copies in 1.2.0: the cells
    around them now were all withheld or public, so widening found nothing more to withhold,
    and the monthly run published nothing (with the same data, no later release either).
    A pattern exists (withholding every cell not public passes), and the cheapest move across
    the releases finds one: each release is made from the ones before and passes its audits,
    and an attacker who holds all four (tests/attacker.py, apart from publish/) pins no cell
    of any of them."""
    releases, kept = [], []
    for version, (truth, cells) in four_releases().items():
        history = History([align(cells.keys, v, stored) for v, stored in kept], True)
        suppression = dc.protect(cells, history=history)
        assert suppression.audit.passed, (version, suppression.audit.pinned[:3])
        assert not history or suppression.across["passed"], version
        published = dc.published_frames({"indicatoren": truth}, suppression)["indicatoren"]
        releases.append(with_truth(published, truth))
        kept.append((version, dc.kept_cells(suppression)))
    ref = load_reference()
    hierarchies = [
        ("gebied_code", {"U16": list(ref.gemeenten), "U10": list(ref.u10)}),
        ("geslacht", {"T": ["M", "V"]}),
        ("leeftijdsklasse", {"T": ["18-29", "30-49", "50-64"]}),
    ]
    assert pinned_across(releases, hierarchies, populations()) == []


def test_each_release_keeps_each_of_its_moves_once():
    """The moves a release keeps for the next one (History.moves) are read back, joined and
    kept again every month: a move kept twice was kept twice again by the release after it.
    Made from the ones before, three releases of the block in fixtures/four_releases_of_a_block.csv
    kept 1,162, 1,392 and 1,793 moves of which about 1,150 differed; at U16 the seventh held
    27.6 million rows in the warehouse. Here each release's moves, as the warehouse keeps
    them (kept_moves), are counted as sets of (cell, delta) pairs."""
    kept, latest = [], None
    for version, (_, cells) in list(four_releases().items())[:3]:
        history = History([align(cells.keys, v, stored) for v, stored in kept], True)
        if latest is not None:
            history.moves = align_moves(cells.keys, latest.cells.keys, dc.kept_moves(latest))
        latest = dc.protect(cells, history=history)
        moves = dc.kept_moves(latest)
        assert len(moves), version
        pairs = moves.groupby("move").apply(
            lambda m: frozenset(zip(m["cell"], m["delta"], strict=True)), include_groups=False
        )
        assert pairs.nunique() == len(pairs), (version, len(pairs) - pairs.nunique())
        kept.append((version, dc.kept_cells(latest)))


@pytest.mark.parametrize(
    ("programs", "said"),
    [
        (0, "no linear program of its own needed"),
        (1, "1 linear program, "),
        (1234, "1,234 linear programs, "),
    ],
)
def test_disclosure_md_counts_the_audits_linear_programs_in_words(programs: int, said: str):
    """ "0 linear programs" read as an audit that did not run, "1 linear programs" as a slip."""
    _, suppression = release(table(micro(FIRST), (AREAS, dc.SEX)))
    report = dc.report(suppression)
    report["audit"]["linear_programs"] = programs
    assert said in dc.summary(report)
