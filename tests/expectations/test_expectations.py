"""Every rule of the delivery suites, broken on purpose: refused or dropped, and reported."""

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from contract.tables import cast_table
from expectations import validate_delivery
from expectations.data_docs import sanitized
from expectations.elfproef import valid_bsn
from expectations.gate import ROW_TOLERANCE
from expectations.mart_suites import validate_mart
from ingest.deliveries import identify
from sources.coa import SOURCE as COA
from sources.duo import SOURCE as DUO
from sources.taalscholen import SOURCE as TAALSCHOLEN
from sources.werk_inkomen import SOURCE as WERK_INKOMEN
from tests.builders import elfproef, koppeling, valid_bsns, write_koppelingen, write_text

BSNS = valid_bsns(200, start=200_000_000)


# --- the elfproef as a custom expectation -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("111222333", True),  # 9+8+7+12+10+8+9+6-3 = 66
        ("123456782", True),
        ("012345672", True),  # a leading zero is significant
        ("123456789", False),
        ("000000000", False),  # all zeros is excluded by the contract
        ("12345678", False),
        ("1234567890", False),
        ("12345678a", False),
        ("", False),
    ],
)
def test_the_elfproef_matches_the_contracts_weights(value, valid):
    assert valid_bsn(pd.Series([value])).tolist() == [valid]
    assert elfproef(value) == valid  # the test suite's own, independent implementation


def test_the_vectorised_elfproef_agrees_with_a_plain_one_on_many_numbers():
    numbers = [f"{n:09d}" for n in range(0, 10_000_000, 997)]
    assert valid_bsn(pd.Series(numbers)).tolist() == [elfproef(n) for n in numbers]


def test_a_null_bsn_is_not_the_elfproefs_business():
    from expectations.context import run_suite
    from expectations.elfproef import ExpectColumnValuesToBeValidBsn

    frame = pd.DataFrame({"bsn": ["123456782", None, "123456789"]})
    result = run_suite("elfproef_probe", frame, [ExpectColumnValuesToBeValidBsn(column="bsn")])
    outcome = result.results[0]
    assert not outcome.success
    assert outcome.result["unexpected_index_list"] == [2]


# --- delivery suites ----------------------------------------------------------------------


def validate(source, path: Path):
    file = identify(source, path)
    parsed = file.kind.parse(path, file)
    typed = {}
    for table in file.kind.tables:
        typed[table.name], problems = cast_table(table, parsed.tables[table.name])
        assert problems == []
    return validate_delivery(file, typed)


# what GX writes of its own into a validation result: ids, the load time, the data's fingerprint
GX_NOISE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{8}T\d{6}\.\d+Z|\b[0-9a-f]{32}\b"
)


def koppelingen(tmp_path, rows: list[str]) -> Path:
    return write_koppelingen(tmp_path, "2025-06", rows)


def many_good_koppelingen(n: int = 150) -> list[str]:
    return [koppeling(f"{i:010d}", BSNS[i]) for i in range(n)]


def dropped(validation) -> dict[str, int]:
    return {o.rule: o.failing for o in validation.outcomes if o.level == "row" and o.failing}


@pytest.mark.parametrize(
    ("override", "rule"),
    [
        ({"bsn": "123456789"}, "bsn passes the elfproef"),
        ({"v_nummer": "12345"}, "v_nummer is 10 digits"),
        ({"geslacht": "X"}, "geslacht is one of M, V"),
        ({"nationaliteit": "Syria"}, "nationaliteit is an ISO 3166-1 alpha-3 code, XXA or XXX"),
        ({"rol_huishouden": "OUDER"}, "rol_huishouden is one of HOOFD, PARTNER, KIND, OVERIG"),
        ({"opvanglocatie": "NOWHERE"}, "opvanglocatie is a code of coa_locaties.csv"),
        ({"gemeente_code": "0344"}, "gemeente_code is GM and 4 digits"),
        ({"datum_koppeling": "01-01-2020"}, "datum_koppeling is not before datum_vergunning"),
        ({"datum_huisvesting": "01-02-2020"}, "datum_huisvesting is not before datum_koppeling"),
        ({"geboortedatum": "01-01-2030"}, "geboortedatum is not in the future"),
        ({"huishouden_nr": ""}, "huishouden_nr is present"),
        ({"nareiziger": "JA"}, "nareiziger is one of J, N"),
    ],
)
def test_one_bad_koppeling_among_many_is_dropped_and_counted(tmp_path, override, rule):
    rows = many_good_koppelingen()
    rows[7] = koppeling(**{"v_nummer": "0000099999", "bsn": BSNS[199], **override})
    validation = validate(COA, koppelingen(tmp_path, rows))
    assert validation.violations == []
    assert dropped(validation) == {rule: 1}
    assert validation.drops == {"koppelingen": [7]}


def test_more_bad_rows_than_the_tolerance_refuses_the_file_with_counts_per_rule(tmp_path):
    rows = many_good_koppelingen(100)
    rows[0] = koppeling("0000099990", "123456789")
    rows[1] = koppeling("0000099991", BSNS[198], geslacht="X")
    assert ROW_TOLERANCE * 100 < 2
    validation = validate(COA, koppelingen(tmp_path, rows))
    [violation] = validation.violations
    assert violation.rule == "row tolerance"
    # the first two data rows of a CSV are lines 2 and 3, under the header
    assert violation.count == 2 and violation.rows == [2, 3]
    assert violation.summary() == (
        "2 of 100 rows (2.0%) fail row rules, more than the 1% that may be dropped "
        "(1 row fails: bsn passes the elfproef; 1 row fails: geslacht is one of M, V)"
    )
    assert [(c.rule, c.rows) for c in violation.causes] == [
        ("bsn passes the elfproef", [2]),
        ("geslacht is one of M, V", [3]),
    ]


@pytest.mark.parametrize(
    ("column", "v_nummer", "bsn", "duplicate_rows"),
    # rows as a spreadsheet shows the file: data row 1 is row 2, under the header
    [("v_nummer", "0000000001", BSNS[150], [3, 22]), ("bsn", "0000077777", BSNS[0], [2, 22])],
)
def test_a_duplicate_identifier_refuses_the_file(tmp_path, column, v_nummer, bsn, duplicate_rows):
    rows = many_good_koppelingen(20)
    rows.append(koppeling(v_nummer, bsn))
    validation = validate(COA, koppelingen(tmp_path, rows))
    [violation] = validation.violations
    assert violation.rule == f"{column} is unique in the file"
    assert violation.count == 2 and violation.rows == duplicate_rows


def test_failing_values_in_a_report_are_masked(tmp_path):
    rows = many_good_koppelingen()
    rows[3] = koppeling("0000099999", "987654321", geboortedatum="01-01-2030")
    validation = validate(COA, koppelingen(tmp_path, rows))
    samples = {o.rule: o.sample for o in validation.outcomes if o.failing}
    assert samples["bsn passes the elfproef"] == ["98*******"]
    assert samples["geboortedatum is not in the future"] == ["(date not shown) / (date not shown)"]
    docs = str(
        sanitized(validation.results["coa__koppelingen"], {"bsn", "v_nummer"}).to_json_dict()
    )
    assert "987654321" not in docs and "98*******" in docs
    # GX's own ids (UUIDs), load time and data fingerprint are random or hex digits, and hold
    # "2030" now and then (1 suite run in about 100): only the rest of the docs must not
    assert "2030" not in GX_NOISE.sub("", docs)


def test_taakstelling_rules(tmp_path):
    path = write_text(
        tmp_path / "taakstelling_2025.csv",
        "gemeente_code;periode;taakstelling\n"
        + "".join(f"GM0344;2025-H{h};10\n" for h in (1, 2))
        + "GM0363;2025-H1;5\nGM0355;2025-H3;4\nGM0355;2025-H1;-1\n",
    )
    validation = validate(COA, path)
    assert dropped(validation) == {
        "gemeente_code is a U16 municipality": 1,
        "periode is YYYY-H1 or YYYY-H2": 1,
        "taakstelling is >= 0 and <= 1000000": 1,
    }
    # 3 of 5 rows is far above the tolerance
    assert [v.rule for v in validation.violations] == ["row tolerance"]


def test_a_municipality_with_two_tasks_for_one_half_year_refuses_the_file(tmp_path):
    path = write_text(
        tmp_path / "taakstelling_2025.csv",
        "gemeente_code;periode;taakstelling\nGM0344;2025-H1;10\nGM0344;2025-H1;12\n",
    )
    [violation] = validate(COA, path).violations
    assert violation.rule == "a municipality has one task per half-year"


INBURGERING = (
    "bsn,wet,inburgeringsplichtig,route,datum_start_termijn,datum_einde_termijn,status,datum_status"
)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (
            "{b},WI2021,J,B1,2023-01-01,2026-01-01,GEHAALD,2024-01-01",
            "status is one of LOPEND, VOLDAAN, ONTHEFFING, VRIJSTELLING, TERMIJN_OVERSCHREDEN",
        ),
        ("{b},WI2013,J,B1,2023-01-01,2026-01-01,LOPEND,2023-01-01", "route is empty under WI2013"),
        (
            "{b},WI2021,J,B1,,2026-01-01,LOPEND,2023-01-01",
            "datum_start_termijn is present when plichtig",
        ),
        (
            "{b},WI2021,J,B1,2023-01-01,2022-01-01,LOPEND,2023-01-01",
            "datum_einde_termijn is not before datum_start_termijn",
        ),
        ("{b},WI2030,J,,2023-01-01,2026-01-01,LOPEND,2023-01-01", "wet is one of WI2013, WI2021"),
        (
            "{b},WI2021,X,B1,2023-01-01,2026-01-01,LOPEND,2023-01-01",
            "inburgeringsplichtig is one of J, N",
        ),
        (
            "{b},WI2021,J,C1,2023-01-01,2026-01-01,LOPEND,2023-01-01",
            "route is one of B1, ONDERWIJS, Z",
        ),
        (",WI2021,J,B1,2023-01-01,2026-01-01,LOPEND,2023-01-01", "bsn is present"),
    ],
)
def test_inburgeringsplichtigen_rules(tmp_path, row, rule):
    good = [f"{b},WI2021,J,B1,2023-01-01,2026-01-01,LOPEND,2023-01-01" for b in BSNS[:150]]
    good[5] = row.format(b=BSNS[190])
    path = write_text(
        tmp_path / "inburgeringsplichtigen_2025-06.csv", "\n".join([INBURGERING, *good]) + "\n"
    )
    validation = validate(DUO, path)
    assert validation.violations == []
    assert dropped(validation) == {rule: 1}


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("{b},2024-01-01,LEZEN,,GESLAAGD", "niveau is present for a language skill"),
        ("{b},2024-01-01,KNM,A2,GESLAAGD", "niveau is empty for KNM and ONA"),
        (
            "{b},2024-01-01,ZINGEN,A2,GESLAAGD",
            "onderdeel is one of LEZEN, LUISTEREN, SCHRIJVEN, SPREKEN, KNM, ONA",
        ),
        ("{b},2024-01-01,LEZEN,C1,GESLAAGD", "niveau is one of A1, A2, B1, B2"),
        ("{b},2024-01-01,LEZEN,B1,MISSCHIEN", "resultaat is one of GESLAAGD, GEZAKT, AFWEZIG"),
        ("{b},,LEZEN,B1,GESLAAGD", "examendatum is present"),
    ],
)
def test_examens_rules(tmp_path, row, rule):
    good = [f"{b},2024-01-01,SPREKEN,B1,GESLAAGD" for b in BSNS[:150]]
    good[9] = row.format(b=BSNS[190])
    path = write_text(
        tmp_path / "examens_2025-06.csv",
        "\n".join(["bsn,examendatum,onderdeel,niveau,resultaat", *good]) + "\n",
    )
    validation = validate(DUO, path)
    assert dropped(validation) == {rule: 1}


def test_werk_inkomen_rules(tmp_path):
    from tests.builders import write_workbook

    d = dt.date
    good = [[b, "PARTICIPATIEWET", d(2023, 1, 1), None] for b in BSNS[:150]]
    jobs = [[b, d(2023, 1, 1), None, 32, "LOONDIENST"] for b in BSNS[:150]]
    path = write_workbook(
        tmp_path / "GM0344_2025-06.xlsx",
        {
            "uitkeringen": [*good, [BSNS[190], "WW", d(2023, 1, 1), None]],
            "dienstverbanden": [
                *jobs,
                [BSNS[191], d(2023, 1, 1), d(2022, 1, 1), 32, "LOONDIENST"],
                [BSNS[192], d(2023, 1, 1), None, 0, "LOONDIENST"],
                [BSNS[193], d(2023, 1, 1), None, 61, "STAGE"],
            ],
            "trajecten": [[b, "TAAKSTAGE", d(2023, 1, 1), None] for b in BSNS[:150]]
            + [["123456789", "TAAKSTAGE", d(2023, 1, 1), None]],
            "intakes": [[b, d(2023, 1, 1), "J"] for b in BSNS[:150]]
            + [[BSNS[194], d(2023, 1, 1), "?"]],
        },
    )
    validation = validate(WERK_INKOMEN, path)
    assert dropped(validation) == {
        "regeling is one of PARTICIPATIEWET, IOAW, ANW, OVERIG": 1,
        "datum_einde is not before datum_start": 1,
        "uren_per_week is > 0 and <= 60": 2,
        "soort is one of LOONDIENST, UITZEND, ZELFSTANDIG": 1,
        "bsn passes the elfproef": 1,
        "noa_assessment is one of J, N": 1,
    }
    # 3 of 153 dienstverbanden (2.0%) is above the tolerance: the workbook is refused whole
    assert [(v.rule, v.table, v.count) for v in validation.violations] == [
        ("row tolerance", "dienstverbanden", 3)
    ]
    # and in Dagster only the dienstverbanden suite's check fails
    from ingest.deliveries import Outcome
    from pipelines.defs.ingestion import _check_result

    outcome = Outcome(identify(WERK_INKOMEN, path), "refused", validation=validation)
    checks = {
        sheet: _check_result(f"werk_inkomen__{sheet}", [outcome]).passed
        for sheet in ("uitkeringen", "dienstverbanden", "trajecten", "intakes")
    }
    assert checks == {
        "uitkeringen": True,
        "dienstverbanden": False,
        "trajecten": True,
        "intakes": True,
    }
    # refused whole, the workbook drops no rows: none of it is used (its rows fail all the same)
    result = _check_result("werk_inkomen__dienstverbanden", [outcome])
    assert (result.metadata["dropped_rows"].value, result.metadata["failing_rules"].value) == (
        0,
        3,
    )


def school(tmp_path, deelnemers: list[dict], **document) -> Path:
    from tests.builders import write_school

    return write_school(tmp_path, "TS001", "2025-06", deelnemers, **document)


def test_school_rules(tmp_path):
    from tests.builders import deelnemer

    people = [deelnemer(b) for b in BSNS[:150]]
    people += [
        deelnemer(BSNS[190], status="AFGEROND"),  # ended but no end date
        deelnemer(BSNS[191], datum_einde="2024-01-01"),  # ACTIEF with an end date
        deelnemer(BSNS[192], aanwezigheid_pct=120),
        deelnemer(BSNS[193], traject="CURSUS"),
    ]
    validation = validate(TAALSCHOLEN, school(tmp_path, people))
    assert dropped(validation) == {
        "datum_einde is present once not ACTIEF": 1,
        "datum_einde is empty while ACTIEF": 1,
        "aanwezigheid_pct is >= 0 and <= 100": 1,
        "traject is one of B1_ROUTE, Z_ROUTE, ONDERWIJSROUTE, ALFABETISERING, VOORINBURGERING": 1,
    }


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        (
            {"school": {"code": "TS999", "naam": "X", "keurmerk": True}},
            "school.code equals the file name's school code",
        ),
        ({"peildatum": "2025-05-31"}, "peildatum falls in the file name's month"),
    ],
)
def test_a_school_document_that_contradicts_its_file_name_is_refused(tmp_path, document, rule):
    [violation] = validate(TAALSCHOLEN, school(tmp_path, [], **document)).violations
    assert violation.rule == rule


# --- mart suites --------------------------------------------------------------------------


def small_huisvesting() -> pd.DataFrame:
    from contract.reference import load_reference

    reference = load_reference()
    rows = [(code, "2024-H1", 10, 5) for code in reference.gemeenten]
    rows.append(("U10", "2024-H1", 10 * len(reference.u10), 5 * len(reference.u10)))
    rows.append(("U16", "2024-H1", 160, 80))
    frame = pd.DataFrame(rows, columns=["gebied_code", "periode", "taakstelling", "gehuisvest"])
    frame["realisatie_pct"] = 50.0
    return frame


def test_a_consistent_mart_passes_its_suite():
    outcomes, _ = validate_mart("huisvesting", small_huisvesting(), dt.date(2025, 5, 31), 2024)
    assert [o["failing"] for o in outcomes] == [0, 0, 0, 0]


def test_the_mart_suite_catches_a_region_that_is_not_the_sum_of_its_members():
    frame = small_huisvesting()
    frame.loc[frame["gebied_code"] == "U10", "gehuisvest"] += 1
    outcomes, _ = validate_mart("huisvesting", frame, dt.date(2025, 5, 31), 2024)
    failing = {o["rule"]: o["failing"] for o in outcomes if o["failing"]}
    assert failing == {"U16 and U10 gehuisvest equal the sum of their members": 1}


def test_the_mart_suite_catches_an_incomplete_grid_and_teller_above_noemer():
    frame = pd.DataFrame(
        {
            "gebied_code": ["U16"],
            "jaar": [2024],
            "indicator": ["plaatsing_regio"],
            "teller": [5],
            "noemer": [4],
            "percentage": [125.0],
        }
    )
    outcomes, _ = validate_mart("doorgaande_lijn", frame, dt.date(2025, 5, 31), 2024)
    failing = {o["rule"] for o in outcomes if o["failing"]}
    assert failing == {"the grid is complete", "teller <= noemer", "percentage is >= 0 and <= 100"}


def test_gx_runs_without_analytics_or_progress_bars():
    """Nothing in GX may wait for a network or print progress into the run log."""
    import os

    from expectations.context import _context

    context, _ = _context()
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    assert context.variables.progress_bars.globally is False
