"""The diff between two releases and CHANGELOG.md, from two small release folders built by hand.

Release 1.0.0 and its successor differ in a known set of things: two cells of Utrecht
(GM0344) and two of the U10 for cohort 2022 at 12 months, one row of Oudewater (GM0589)
newly withheld, one U16 row released, a new duration (2023 × 12) and a new cohort (2024) in
indicatoren and in doorgaande_lijn, and Utrecht's Werk & Inkomen workbook replaced by a newer
one. Every expected value below is written out from these tables, never from the output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from publish import changelog as changelog_module
from publish.changelog import HEADER, changelog, compare
from publish.package import data_files
from publish.tableschema import RESOURCES

NAMES = {"GM0344": "Utrecht", "GM0589": "Oudewater", "U10": "U10", "U16": "U16"}
GEBIEDEN = [
    # gebied_code, soort, in_u10, in_u16: Oudewater is in the U16 but not in the U10
    ("GM0344", "gemeente", True, True),
    ("GM0589", "gemeente", False, True),
    ("U10", "regio", True, True),
    ("U16", "regio", False, True),
]
N = None  # an empty (withheld) value

# (cohort_jaar, duur_maanden, gebied_code): teller, noemer, percentage, geheim; all T/T/werk
OLD_INDICATOREN = {
    (2022, 6, "GM0344"): (8, 40, 20.0, False),
    (2022, 6, "GM0589"): (3, 12, 25.0, False),
    (2022, 6, "U10"): (20, 100, 20.0, False),
    (2022, 6, "U16"): (25, 130, 19.2, False),
    (2022, 12, "GM0344"): (10, 40, 25.0, False),
    (2022, 12, "GM0589"): (4, 12, 33.3, False),
    (2022, 12, "U10"): (30, 100, 30.0, False),
    (2022, 12, "U16"): (35, 130, 26.9, False),
    (2023, 6, "GM0344"): (6, 30, 20.0, False),
    (2023, 6, "GM0589"): (N, N, N, True),
    (2023, 6, "U10"): (15, 80, 18.8, False),
    (2023, 6, "U16"): (N, N, N, True),
}
NEW_INDICATOREN = {
    **OLD_INDICATOREN,
    (2022, 6, "GM0589"): (N, 12, N, True),  # newly withheld; the noemer stays published
    (2022, 12, "GM0344"): (11, 40, 27.5, False),  # teller and percentage changed
    (2022, 12, "U10"): (31, 100, 31.0, False),  # teller and percentage changed
    (2023, 6, "U16"): (18, 95, 18.9, False),  # released
    (2023, 12, "U16"): (20, 95, 21.1, False),  # a new duration
    (2024, 6, "U16"): (4, 25, 16.0, False),  # a new cohort
}
# (jaar, gebied_code): teller, noemer, percentage; indicator taal_b1, doel_pct 50, not geheim
OLD_DOORGAANDE_LIJN = {(2022, "U16"): (40, 130, 30.8), (2023, "U16"): (20, 95, 21.1)}
NEW_DOORGAANDE_LIJN = {**OLD_DOORGAANDE_LIJN, (2024, "U16"): (2, 25, 8.0)}

COA = {"source": "coa", "kind": "koppelingen", "deliverer": "COA"}
WI_UTRECHT = {"source": "werk_inkomen", "kind": "werk_inkomen", "deliverer": "GM0344"}
WI_OUDEWATER = {"source": "werk_inkomen", "kind": "werk_inkomen", "deliverer": "GM0589"}
DUO = {"source": "duo", "kind": "examens", "deliverer": "DUO"}
SCHOOL = {"source": "taalscholen", "kind": "taalscholen", "deliverer": "TSU01"}


def delivery(identity: dict, file: str, peildatum: str, sha: str, rows: int) -> dict:
    return {
        **identity,
        "file": file,
        "peildatum": peildatum,
        "sha256": sha * 64,
        "rows": rows,
        "dropped_rows": 0,
    }


OLD_DELIVERIES = [
    delivery(COA, "koppelingen_2025-05.csv", "2025-05-31", "a", 100),
    delivery(DUO, "examens_2025-05.csv", "2025-05-31", "b", 50),
    delivery(WI_UTRECHT, "GM0344_2025-05.xlsx", "2025-05-31", "c", 40),
    delivery(WI_OUDEWATER, "GM0589_2025-05.xlsx", "2025-05-31", "d", 12),
]
NEW_DELIVERIES = [
    *OLD_DELIVERIES[:2],
    delivery(WI_UTRECHT, "GM0344_2025-06.xlsx", "2025-06-30", "e", 41),
    OLD_DELIVERIES[3],
]

PK = ("cohort_jaar", "duur_maanden", "gebied_code", "geslacht", "leeftijdsklasse", "indicator")


def key(cohort: int, duur: int, gebied: str) -> dict:
    """An indicatoren key as the diff gives it: the primary key fields in schema order."""
    return dict(zip(PK, (cohort, duur, gebied, "T", "T", "werk"), strict=True))


def tables(indicatoren: dict, doorgaande_lijn: dict) -> dict[str, pd.DataFrame]:
    rows = {
        "gebieden": [
            {"gebied_code": c, "gebied_naam": NAMES[c], "soort": s, "in_u10": u10, "in_u16": u16}
            for c, s, u10, u16 in GEBIEDEN
        ],
        "indicatoren_codelijst": [
            {
                "indicator": name,
                "resource": resource,
                "label_nl": name,
                "label_en": name,
                "definitie_nl": "-",
                "definitie_en": "-",
                "populatie_nl": "-",
                "populatie_en": "-",
                "doel_pct": doel,
            }
            for name, resource, doel in (
                ("werk", "indicatoren", None),
                ("taal_b1", "doorgaande_lijn", 50),
            )
        ],
        "geslachten": [{"geslacht": "T", "label_nl": "totaal", "label_en": "total"}],
        "leeftijdsklassen": [
            {
                "leeftijdsklasse": "T",
                "label_nl": "18-64",
                "label_en": "18-64",
                "leeftijd_van": 18,
                "leeftijd_tot_en_met": 64,
            }
        ],
        "indicatoren": [
            {
                "gebied_code": gebied,
                "gebied_naam": NAMES[gebied],
                "cohort_jaar": cohort,
                "duur_maanden": duur,
                "geslacht": "T",
                "leeftijdsklasse": "T",
                "indicator": "werk",
                "teller": teller,
                "noemer": noemer,
                "percentage": percentage,
                "geheim": geheim,
            }
            for (cohort, duur, gebied), (teller, noemer, percentage, geheim) in indicatoren.items()
        ],
        "huisvesting": [
            {
                "gebied_code": gebied,
                "gebied_naam": NAMES[gebied],
                "periode": "2024-H1",
                "taakstelling": taak,
                "gehuisvest": gehuisvest,
                "realisatie_pct": pct,
                "voorlopig": False,
                "achterstand_begin": 0,
                "achterstand_eind": taak - gehuisvest,
            }
            for gebied, taak, gehuisvest, pct in (
                ("GM0344", 100, 90, 90.0),
                ("U16", 300, 280, 93.3),
            )
        ],
        "doorgaande_lijn": [
            {
                "gebied_code": gebied,
                "gebied_naam": NAMES[gebied],
                "jaar": jaar,
                "indicator": "taal_b1",
                "teller": teller,
                "noemer": noemer,
                "percentage": percentage,
                "doel_pct": 50,
                "geheim": False,
            }
            for (jaar, gebied), (teller, noemer, percentage) in doorgaande_lijn.items()
        ],
        "planresultaten": [],
    }
    return {
        r.name: pd.DataFrame(rows[r.name], columns=list(r.field_names), dtype=object)
        for r in RESOURCES
    }


def write_release(
    folder: Path,
    data: dict[str, pd.DataFrame],
    deliveries: list[dict],
    peildatum: str,
    version: str | None,
) -> Path:
    """A release folder as publish() leaves it; without release.json when only staged."""
    for name, content in data_files(data).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    (folder / "deliveries.json").write_text(json.dumps(deliveries, indent=2))
    (folder / "monitor.json").write_text(json.dumps({"peildatum": peildatum}))
    if version is not None:
        manifest = {"version": version, "peildatum": peildatum, "created": "2025-06-05T06:00:00"}
        (folder / "release.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    data = tables(OLD_INDICATOREN, OLD_DOORGAANDE_LIJN)
    return write_release(tmp_path / "1.0.0", data, OLD_DELIVERIES, "2025-05-31", "1.0.0")


def staged(tmp_path: Path, deliveries: list[dict] = NEW_DELIVERIES) -> Path:
    data = tables(NEW_INDICATOREN, NEW_DOORGAANDE_LIJN)
    return write_release(tmp_path / ".partial-1.1.0", data, deliveries, "2025-06-30", None)


@pytest.fixture
def current(tmp_path: Path) -> Path:
    return staged(tmp_path)


def zeros(**counts: int) -> dict[str, int]:
    return {
        "changed": 0,
        "newly_withheld": 0,
        "released": 0,
        "added_rows": 0,
        "removed_rows": 0,
        **counts,
    }


def test_diff_names_exactly_the_changed_cells_withheld_released_and_new_rows(
    previous: Path, current: Path
) -> None:
    diff = compare(previous, current)
    assert diff["first_release"] is False
    assert diff["previous_version"] == "1.0.0"
    assert diff["peildatum"] == {"old": "2025-05-31", "new": "2025-06-30"}
    indicatoren = diff["resources"]["indicatoren"]
    assert indicatoren["changed"] == [
        {"key": key(2022, 12, "GM0344"), "field": "teller", "old": 10, "new": 11},
        {"key": key(2022, 12, "GM0344"), "field": "percentage", "old": 25.0, "new": 27.5},
        {"key": key(2022, 12, "U10"), "field": "teller", "old": 30, "new": 31},
        {"key": key(2022, 12, "U10"), "field": "percentage", "old": 30.0, "new": 31.0},
    ]
    # Rows whose values one release withholds are named by their key alone.
    assert indicatoren["newly_withheld"] == [{"key": key(2022, 6, "GM0589")}]
    assert indicatoren["released"] == [{"key": key(2023, 6, "U16")}]
    assert indicatoren["added_rows"] == {
        "count": 2,
        "first": [key(2023, 12, "U16"), key(2024, 6, "U16")],
    }
    assert indicatoren["removed_rows"] == {"count": 0, "first": []}
    assert indicatoren["rows"] == {"old": 12, "new": 14}
    assert indicatoren["totals"] == {
        **zeros(changed=4, newly_withheld=1, released=1, added_rows=2),
        "changed_rows": 2,
    }
    doorgaande_lijn = diff["resources"]["doorgaande_lijn"]
    assert doorgaande_lijn["changed"] == []
    assert doorgaande_lijn["added_rows"] == {
        "count": 1,
        "first": [{"jaar": 2024, "gebied_code": "U16", "indicator": "taal_b1"}],
    }
    for name in (
        "huisvesting",
        "planresultaten",
        "gebieden",
        "indicatoren_codelijst",
        "geslachten",
    ):
        assert diff["resources"][name]["totals"] == {**zeros(), "changed_rows": 0}
    assert diff["new_cohorts"] == {"indicatoren": [2024], "doorgaande_lijn": [2024]}
    assert diff["new_durations"] == {
        "indicatoren": [
            {"cohort_jaar": 2023, "duur_maanden": 12},
            {"cohort_jaar": 2024, "duur_maanden": 6},
        ]
    }
    assert diff["totals"] == {
        "deliveries_added": 0,
        "deliveries_replaced": 1,
        "deliveries_withdrawn": 0,
        **zeros(changed=4, newly_withheld=1, released=1, added_rows=3),
    }


def test_diff_names_the_replaced_delivery_with_old_and_new_file(
    previous: Path, current: Path
) -> None:
    assert compare(previous, current)["deliveries"] == {
        "added": [],
        "replaced": [
            {
                **WI_UTRECHT,
                "old": {
                    "file": "GM0344_2025-05.xlsx",
                    "peildatum": "2025-05-31",
                    "sha256": "c" * 64,
                    "rows": 40,
                },
                "new": {
                    "file": "GM0344_2025-06.xlsx",
                    "peildatum": "2025-06-30",
                    "sha256": "e" * 64,
                    "rows": 41,
                },
            }
        ],
        "withdrawn": [],
    }


INPUTS = {
    "indicatoren": {
        "werk": {
            "teller": ["coa/koppelingen", "werk_inkomen/werk_inkomen"],
            "noemer": ["coa/koppelingen"],
        }
    },
    "doorgaande_lijn": {"taal_b1": {"teller": ["coa/koppelingen", "duo/examens"]}},
    "huisvesting": {"*": {"*": ["coa/koppelingen", "coa/taakstelling"]}},
}


def test_a_change_is_attributed_to_the_only_changed_input_of_the_value(
    previous: Path, tmp_path: Path
) -> None:
    """Utrecht's workbook is replaced, a language school's document is new and DUO's exams are
    withdrawn, with the same P. werk's teller and percentage are computed from COA and the Werk
    & Inkomen workbooks: of the three changed deliveries only Utrecht's workbook is an input
    of the four changed values (two of Utrecht, two of the U10), so it alone explains them.
    The school and DUO explain none: their inputs feed no value that changed."""
    deliveries = [
        NEW_DELIVERIES[0],
        {**NEW_DELIVERIES[2], "peildatum": "2025-05-31"},
        NEW_DELIVERIES[3],
        delivery(SCHOOL, "TSU01_2025-05.json", "2025-05-31", "f", 30),
    ]
    current = staged(tmp_path, deliveries)
    (current / "monitor.json").write_text(json.dumps({"peildatum": "2025-05-31"}))
    diff = compare(previous, current, INPUTS)
    nothing = {"indicatoren": 0, "huisvesting": 0, "doorgaande_lijn": 0, "planresultaten": 0}
    assert diff["causes"] == [
        {
            **DUO,
            "file": "examens_2025-05.csv",
            "change": "withdrawn",
            "alone": nothing,
            "with_others": nothing,
            "through_p": nothing,
        },
        {
            **SCHOOL,
            "file": "TSU01_2025-05.json",
            "change": "added",
            "alone": nothing,
            "with_others": nothing,
            "through_p": nothing,
        },
        {
            **WI_UTRECHT,
            "file": "GM0344_2025-06.xlsx",
            "change": "replaced",
            "alone": {**nothing, "indicatoren": 4},
            "with_others": nothing,
            "through_p": nothing,
        },
    ]
    assert diff["unexplained"] == nothing


def test_when_p_moves_every_changed_delivery_may_have_caused_every_change(
    previous: Path, tmp_path: Path
) -> None:
    """P, the earliest peildatum of the current snapshots, is an input of every value, and any
    delivery but a taakstelling can move it. Here it moves (2025-05-31 -> 2025-06-30) while
    Utrecht's workbook and a new school document changed: each may have caused the four
    changed values, neither alone. The values (werk) are computed from COA and the Werk &
    Inkomen workbooks, so the school can only have changed them through P (4 of 4), Utrecht's
    workbook directly (0 through P); the changelog says so in a column of its own."""
    deliveries = [*NEW_DELIVERIES, delivery(SCHOOL, "TSU01_2025-06.json", "2025-06-30", "f", 3)]
    diff = compare(previous, staged(tmp_path, deliveries), INPUTS)
    nothing = {"indicatoren": 0, "huisvesting": 0, "doorgaande_lijn": 0, "planresultaten": 0}
    for cause in diff["causes"]:
        assert cause["alone"] == nothing
        assert cause["with_others"] == {**nothing, "indicatoren": 4}
    through_p = {c["deliverer"]: c["through_p"]["indicatoren"] for c in diff["causes"]}
    assert through_p == {"GM0344": 0, "TSU01": 4}
    markdown = changelog(diff, "1.1.0", "2025-07-05", None).decode()
    assert "De peildatum P ging van 2025-05-31 naar 2025-06-30" in markdown
    assert "| taalscholen/taalscholen TSU01 (added) | 0 | 4 | 4 |" in markdown


def test_a_change_no_delivery_explains_is_counted_as_such(previous: Path, tmp_path: Path) -> None:
    """The same deliveries and the same P, yet four values changed (a change of method):
    no delivery explains them, and the changelog says so instead of naming a cause."""
    current = staged(tmp_path, OLD_DELIVERIES)
    (current / "monitor.json").write_text(json.dumps({"peildatum": "2025-05-31"}))
    diff = compare(previous, current, INPUTS)
    assert diff["causes"] == []
    assert diff["unexplained"] == {
        "indicatoren": 4,
        "huisvesting": 0,
        "doorgaande_lijn": 0,
        "planresultaten": 0,
    }
    markdown = changelog(diff, "1.1.0", "2025-07-05", None).decode()
    assert "| door geen levering verklaard / explained by no delivery | 4 |  |" in markdown
    assert "geen levering / no delivery" not in markdown.replace("door geen levering", "")


def test_diff_and_changelog_hold_no_value_that_either_release_withholds(
    previous: Path, current: Path
) -> None:
    """Oudewater's 2022/6 teller (3) is withheld in the new release and the U16 2023/6 row
    (18, 95, 18.9) in the old one: neither release publishes both, so no value of theirs may
    appear, only their keys."""
    diff = compare(previous, current, INPUTS)
    markdown = changelog(diff, "1.1.0", "2025-07-05", None).decode()
    listed = {
        (json.dumps(c["key"], sort_keys=True), c["field"])
        for r in diff["resources"].values()
        for c in r["changed"]
    }
    withheld_in_either = [(key(2022, 6, "GM0589"), f) for f in ("teller", "percentage")] + [
        (key(2023, 6, "U16"), f) for f in ("teller", "noemer", "percentage")
    ]
    for k, field in withheld_in_either:
        assert (json.dumps(k, sort_keys=True), field) not in listed
    for r in diff["resources"].values():
        for entry in (*r["newly_withheld"], *r["released"]):
            assert set(entry) == {"key"}
    assert "teller=3" not in markdown and "18.9" not in markdown and "teller=18" not in markdown


def test_changelog_summarises_and_names_the_changed_cell(previous: Path, current: Path) -> None:
    text = changelog(compare(previous, current), "1.1.0", "2025-07-05T06:00:00+00:00", None)
    markdown = text.decode()
    assert markdown.startswith(HEADER + "\n## 1.1.0 (2025-07-05)\n")
    assert "Vergeleken met / compared with 1.0.0. Peildatum: 2025-05-31 → 2025-06-30." in markdown
    assert "- Gewijzigde cellen / Changed cells: 4 (indicatoren 4)" in markdown
    assert "- Nieuw geheim / Newly withheld: 1 rijen / rows" in markdown
    assert "- Vrijgegeven / Released: 1 rijen / rows" in markdown
    assert "- Nieuwe cohorten / New cohorts: indicatoren 2024; doorgaande_lijn 2024" in markdown
    assert "indicatoren 2023 × 12, 2024 × 6" in markdown
    assert (
        "| indicatoren | cohort_jaar=2022, duur_maanden=12, gebied_code=GM0344, geslacht=T, "
        "leeftijdsklasse=T, indicator=werk | teller | 10 → 11 |"
    ) in markdown
    assert "GM0344_2025-05.xlsx → GM0344_2025-06.xlsx" in markdown
    assert "gebied_code=GM0589" in markdown and "teller=3" not in markdown


def test_changelog_caps_the_table_of_changed_cells(
    previous: Path, current: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changelog_module, "SHOWN", 1)
    markdown = changelog(compare(previous, current), "1.1.0", "2025-07-05", None).decode()
    assert "| teller | 10 → 11 |" in markdown
    assert "| percentage | 25.0 → 27.5 |" not in markdown
    assert "… en nog 3 / and 3 more: zie / see `diff.json`." in markdown


def test_changelog_keeps_the_earlier_sections_below(previous: Path, current: Path) -> None:
    first = changelog(compare(None, previous), "1.0.0", "2025-06-05T06:00:00", None).decode()
    second = changelog(compare(previous, current), "1.1.0", "2025-07-05", first).decode()
    assert second.count("# Changelog") == 1
    assert second.index("## 1.1.0 (2025-07-05)") < second.index("## 1.0.0 (2025-06-05)")
    assert second.endswith(first[len(HEADER) :].lstrip("\n"))


def test_the_same_inputs_give_byte_identical_output(
    previous: Path, current: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(previous, other / "1.0.0")
    shutil.copytree(current, other / "staged")
    outputs = []
    for before, after in ((previous, current), (other / "1.0.0", other / "staged")):
        diff = compare(before, after)
        outputs.append(
            (
                json.dumps(diff, indent=2, ensure_ascii=False).encode(),
                changelog(diff, "1.1.0", "2025-07-05", "## 1.0.0 (2025-06-05)\n"),
            )
        )
    assert outputs[0] == outputs[1]


def test_identical_releases_give_an_empty_diff(previous: Path, tmp_path: Path) -> None:
    same = tmp_path / "same"
    shutil.copytree(previous, same)
    diff = compare(previous, same)
    assert diff["deliveries"] == {"added": [], "replaced": [], "withdrawn": []}
    assert diff["totals"] == {
        "deliveries_added": 0,
        "deliveries_replaced": 0,
        "deliveries_withdrawn": 0,
        **zeros(),
    }
    for resource in diff["resources"].values():
        assert resource["changed"] == resource["newly_withheld"] == resource["released"] == []
        assert resource["added_rows"] == resource["removed_rows"] == {"count": 0, "first": []}
    assert diff["new_cohorts"] == {"indicatoren": [], "doorgaande_lijn": []}
    assert diff["new_durations"] == {"indicatoren": []}
    assert diff["causes"] == []
    markdown = changelog(diff, "1.1.0", "2025-07-05", None).decode()
    assert "Geen wijzigingen in de data. / No changes in the data." in markdown
    assert "### Gewijzigde cellen" not in markdown


def test_first_release_is_all_new_and_lists_the_deliveries(previous: Path) -> None:
    diff = compare(None, previous)
    assert diff["first_release"] is True
    assert diff["previous_version"] is None
    assert diff["peildatum"] == {"old": None, "new": "2025-05-31"}
    assert [(d["source"], d["deliverer"], d["file"]) for d in diff["deliveries"]["added"]] == [
        ("coa", "COA", "koppelingen_2025-05.csv"),
        ("duo", "DUO", "examens_2025-05.csv"),
        ("werk_inkomen", "GM0344", "GM0344_2025-05.xlsx"),
        ("werk_inkomen", "GM0589", "GM0589_2025-05.xlsx"),
    ]
    assert diff["deliveries"]["replaced"] == diff["deliveries"]["withdrawn"] == []
    indicatoren = diff["resources"]["indicatoren"]
    assert indicatoren["changed"] == []
    assert indicatoren["added_rows"]["count"] == 12
    assert indicatoren["added_rows"]["first"][0] == key(2022, 6, "GM0344")
    assert diff["resources"]["gebieden"]["added_rows"]["count"] == 4
    assert diff["new_cohorts"] == {"indicatoren": [2022, 2023], "doorgaande_lijn": [2022, 2023]}
    assert diff["new_durations"] == {
        "indicatoren": [
            {"cohort_jaar": 2022, "duur_maanden": 6},
            {"cohort_jaar": 2022, "duur_maanden": 12},
            {"cohort_jaar": 2023, "duur_maanden": 6},
        ]
    }
    markdown = changelog(diff, "1.0.0", "2025-06-05T06:00:00", None).decode()
    assert markdown.startswith(HEADER + "\n## 1.0.0 (2025-06-05)\n\nEerste release. / First")
    for file in (
        "koppelingen_2025-05.csv",
        "examens_2025-05.csv",
        "GM0344_2025-05.xlsx",
        "GM0589_2025-05.xlsx",
    ):
        assert f"| {file} |" in markdown
    assert "- `indicatoren`: 12 rijen / rows" in markdown


def test_a_taakstelling_is_listed_as_coas_with_its_year(previous: Path, tmp_path: Path) -> None:
    """Each year's taakstelling is a deliverer of its own (its file stays current), and COA
    sends it: the table of deliveries and the causes name COA with the year, where they
    named the year as the supplier ("Leverancier / Deliverer: 2016")."""
    taakstelling = {
        **delivery(
            {"source": "coa", "kind": "taakstelling", "deliverer": "2026"},
            "taakstelling_2026.csv",
            "2026-12-31",
            "t",
            32,
        ),
        "supplier": "COA",
    }
    diff = compare(previous, staged(tmp_path, [*NEW_DELIVERIES, taakstelling]), INPUTS)
    (added,) = diff["deliveries"]["added"]
    assert (added["deliverer"], added["supplier"]) == ("2026", "COA")
    markdown = changelog(diff, "1.1.0", "2025-07-05", None).decode()
    row = "| nieuw / added | coa | taakstelling | COA (2026) | taakstelling_2026.csv | 2026-12-31 |"
    assert row in markdown
    assert "| coa/taakstelling COA (2026) (added) |" in markdown
