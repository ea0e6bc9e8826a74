"""The three marts on a landing folder written by hand, checked against numbers worked out by
hand from indicators.md (not produced by the code under test).

The landing
-----------
Current snapshots: COA koppelingen 2025-06, DUO 2025-06, school TS001 2025-06 (peildatum
30 June), Werk & Inkomen GM0344 (Utrecht) 2025-06 and GM0355 (Zeist) 2025-05: Zeist is late.
So P = 31 May 2025. Also delivered: an older koppelingen (2025-05, which puts A in Zeist: if
it were used, Utrecht's numbers change) and a refused Utrecht workbook for 2025-07 (not xlsx).

Persons (U10 holds Utrecht and Zeist; Amsterdam GM0363 is outside the region):

=  =====  ==========  =  ========  =========  ==========  ========================================
   bsn    born        s  area      location   housed      notes
=  =====  ==========  =  ========  =========  ==========  ========================================
A  yes    1990-03-15  M  GM0344    regional   2023-08-31  ref6 = 2024-02-29 (31 Aug + 6 months)
B  yes    2005-11-20  V  GM0344    Ter Apel   2023-03-01  17 at ref6 2023-09-01, 18 at ref12
C  no     1980-01-01  M  GM0355    regional   2023-05-10  links to nothing
D  yes    1959-09-01  V  GM0355    Amersfoort 2023-10-01  64 at ref6 2024-04-01, 65 at ref12
E  yes    1995-06-01  M  GM0363    regional   2023-02-01  housed outside the region
F  yes    2000-01-01  M  GM0344    regional   2025-06-15  after P: not housed
G  yes    1985-01-01  V  GM0344    regional   2024-02-10
H  yes    2010-01-01  M  GM0344    regional   2024-02-10  a child
=  =====  ==========  =  ========  =========  ==========  ========================================

First year: 2023. Published pairs: 31 Dec 2023 + d <= 31 May 2025 gives d in {6, 12};
cohort 2024 + 6 months = 30 June 2025 > P, so no 2024 pair.

Spells: A bijstand 2023-09-01..2024-08-31 (ends exactly on ref12), job from 2024-08-01, school
B1_ROUTE 2023-10-01..2024-06-30, VOLDAAN on 2024-08-31, three skills at B1 but SPREKEN at A2,
NOA intake 2023-08-15 (before housing). B: OPLEIDING 2024-01-01..2024-03-01 (ends on ref12),
school ONDERWIJSROUTE from 2023-09-01, plichtig and LOPEND, all four skills at B1/B2 by
2024-02-15. D (Zeist's workbook): bijstand from 2023-10-01, WERKERVARINGSPLEK
2024-04-01..2024-06-30 (starts on ref6), not plichtig, intake J on 2024-01-01 = housing + 3
months exactly. G: intake J on 2024-03-01.

Worked cells
------------
indicatoren (2023, 6), GM0344, T, T: population A only (B is 17) -> noemer 1;
  werk 0 (job starts after ref6), bijstand 1, taalles 1 (school covers 2024-02-29),
  participatie 1, inburgering_voldaan 0 of 1 (VOLDAAN after ref6).
indicatoren (2023, 12), GM0344, T, T: A and B -> noemer 2; werk 1 (A), bijstand 1 (A: end =
  ref), werk_zonder_bijstand 0, onderwijs 1 (B: OPLEIDING end = ref, and ONDERWIJSROUTE),
  taalles 1 (B; A's enrolment ended), participatie 2, inburgering_voldaan 1 of 2
  (A on ref12 exactly), taalniveau_b1 1 (B; A's SPREKEN is A2).
  By sex: M = A (noemer 1), V = B (noemer 1); by age: 18-29 = B, 30-49 = A.
indicatoren (2023, 6), GM0355, T, T: C and D -> noemer 2; bijstand 1 (D), activering 1 (D),
  participatie 1; inburgering_voldaan noemer 0 (C has no bsn, D not plichtig), percentage empty.
indicatoren (2023, 12), GM0355, T, T: C only (D is 65) -> noemer 1, every teller 0.
indicatoren (2023, 6), U10 and U16, T, T: noemer 1 + 2 = 3, bijstand 2.
indicatoren (2023, 6), U16, V, 50-64: D -> noemer 1, bijstand 1.

huisvesting (taakstelling 2024: GM0344 10 / 12, GM0355 4 / 0; 2025: GM0344 8 / 8):
  periods starting on or before P: 2024-H1, 2024-H2, 2025-H1 (2025-H2 is not published).
  GM0344 2024-H1: task 10, housed G and H = 2, 20.0 %. GM0344 2025-H1: task 8, housed 0 (F is
  after P), 0.0 %, voorlopig (ends 30 June > P). GM0355 2024-H2: task 0, housed 0, no %.
  U16 2024-H1: task 14, housed 2, 14.3 % (2/14 = 14.29).
  Backlog (begin -> end = begin + task - housed): GM0344 0 -> 8, 8 -> 20 (nobody housed in
  2024-H2), 20 -> 28. GM0355 0 -> 4, 4 -> 4 (task 0), 4 -> 4 (no 2025 task). U16 0 -> 12,
  12 -> 24, 24 -> 32: the sum of its members.
doorgaande_lijn:
  plaatsing_regio U16 2023: regional leavers housed in 2023 = A, C, E -> noemer 3; in U16 A, C
    -> teller 2, 66.7 %. 2024: G, H -> 2 of 2. 2025: nobody housed by P -> 0 of 0.
  noa_binnen_3_maanden 2023: GM0344 A (B is 17 at housing) -> 1 of 1; GM0355 C and D -> 1 of 2
    (D's intake on the deadline counts), 50.0 %; U16 2 of 3, 66.7 %. GM0344 2024: G -> 1 of 1.
monitor_metadata: 8 persons, 1 without bsn.
"""

import datetime as dt
import json
import shutil
from decimal import Decimal

import pytest

from pipelines.dbt_manifest import DBT_PROJECT_DIR
from tests.builders import (
    deelnemer,
    koppeling,
    valid_bsns,
    write_koppelingen,
    write_school,
    write_text,
    write_workbook,
)
from tests.conftest import dbt_test, isolate_pipeline_env, query, run

pytestmark = pytest.mark.slow

D = dt.date


@pytest.fixture(scope="module")
def marts(tmp_path_factory, monkeypatch_module):
    tmp = tmp_path_factory.mktemp("by_hand")
    landing, data_dir = tmp / "landing", tmp / "data"
    a, b, _c, d, e, f, g, h = valid_bsns(8, start=100_000_000)
    people = [
        koppeling(
            "0000000001",
            a,
            geboortedatum="15-03-1990",
            gemeente_code="GM0344",
            opvanglocatie="UTR-HAYDN",
            datum_huisvesting="31-08-2023",
        ),
        koppeling(
            "0000000002",
            b,
            geboortedatum="20-11-2005",
            geslacht="V",
            gemeente_code="GM0344",
            opvanglocatie="TER-APEL",
            datum_huisvesting="01-03-2023",
        ),
        koppeling(
            "0000000003",
            "",
            geboortedatum="01-01-1980",
            gemeente_code="GM0355",
            opvanglocatie="ZST-KAMP",
            datum_huisvesting="10-05-2023",
        ),
        koppeling(
            "0000000004",
            d,
            geboortedatum="01-09-1959",
            geslacht="V",
            gemeente_code="GM0355",
            opvanglocatie="AMF-BARN",
            datum_huisvesting="01-10-2023",
        ),
        koppeling(
            "0000000005",
            e,
            geboortedatum="01-06-1995",
            gemeente_code="GM0363",
            opvanglocatie="UTR-EINST",
            datum_huisvesting="01-02-2023",
        ),
        koppeling(
            "0000000006",
            f,
            geboortedatum="01-01-2000",
            gemeente_code="GM0344",
            opvanglocatie="UTR-RAVEL",
            datum_huisvesting="15-06-2025",
        ),
        koppeling(
            "0000000007",
            g,
            geboortedatum="01-01-1985",
            geslacht="V",
            gemeente_code="GM0344",
            opvanglocatie="UTR-HAYDN",
            datum_huisvesting="10-02-2024",
        ),
        koppeling(
            "0000000008",
            h,
            geboortedatum="01-01-2010",
            gemeente_code="GM0344",
            opvanglocatie="UTR-HAYDN",
            rol_huishouden="KIND",
            datum_huisvesting="10-02-2024",
        ),
    ]
    for row in people:
        assert row.count(";") == 12
    write_koppelingen(landing, "2025-06", people, bom=True, crlf=True)
    older = [people[0].replace("GM0344", "GM0355"), *people[1:]]
    write_koppelingen(landing, "2025-05", older)
    write_text(
        landing / "coa" / "taakstelling_2024.csv",
        "gemeente_code;periode;taakstelling\nGM0344;2024-H1;10\nGM0344;2024-H2;12\n"
        "GM0355;2024-H1;4\nGM0355;2024-H2;0\n",
    )
    write_text(
        landing / "coa" / "taakstelling_2025.csv",
        "gemeente_code;periode;taakstelling\nGM0344;2025-H1;8\nGM0344;2025-H2;8\n",
    )
    write_text(
        landing / "duo" / "inburgeringsplichtigen_2025-06.csv",
        "bsn,wet,inburgeringsplichtig,route,datum_start_termijn,datum_einde_termijn,status,datum_status\n"
        f"{a},WI2021,J,B1,2023-09-01,2026-09-01,VOLDAAN,2024-08-31\n"
        f"{b},WI2021,J,B1,2023-03-01,2026-03-01,LOPEND,2023-03-01\n"
        f"{d},WI2021,N,,,,VRIJSTELLING,2023-10-01\n",
    )
    write_text(  # an older DUO snapshot in which A had not yet passed: must not be used
        landing / "duo" / "inburgeringsplichtigen_2025-05.csv",
        "bsn,wet,inburgeringsplichtig,route,datum_start_termijn,datum_einde_termijn,status,datum_status\n"
        f"{a},WI2021,J,B1,2023-09-01,2026-09-01,LOPEND,2023-09-01\n",
    )
    write_text(
        landing / "duo" / "examens_2025-06.csv",
        "bsn,examendatum,onderdeel,niveau,resultaat\n"
        f"{a},2024-05-01,LEZEN,B1,GESLAAGD\n{a},2024-05-01,LUISTEREN,B1,GESLAAGD\n"
        f"{a},2024-06-01,SCHRIJVEN,B1,GESLAAGD\n{a},2024-06-01,SPREKEN,A2,GESLAAGD\n"
        f"{b},2024-02-01,LEZEN,B1,GESLAAGD\n{b},2024-02-01,LUISTEREN,B1,GESLAAGD\n"
        f"{b},2024-02-01,SCHRIJVEN,B1,GESLAAGD\n{b},2024-01-10,SPREKEN,B1,GEZAKT\n"
        f"{b},2024-02-15,SPREKEN,B2,GESLAAGD\n{b},2024-02-15,KNM,,GESLAAGD\n",
    )
    write_workbook(
        landing / "werk_inkomen" / "GM0344_2025-06.xlsx",
        {
            "uitkeringen": [[a, "PARTICIPATIEWET", D(2023, 9, 1), D(2024, 8, 31)]],
            "dienstverbanden": [[a, D(2024, 8, 1), None, 24, "UITZEND"]],
            "trajecten": [[b, "OPLEIDING", D(2024, 1, 1), D(2024, 3, 1)]],
            "intakes": [
                [a, D(2023, 8, 15), "J"],
                [b, D(2023, 7, 1), "J"],
                [g, D(2024, 3, 1), "J"],
            ],
        },
    )
    write_workbook(
        landing / "werk_inkomen" / "GM0355_2025-05.xlsx",
        {
            "uitkeringen": [[d, "PARTICIPATIEWET", D(2023, 10, 1), None]],
            "trajecten": [[d, "WERKERVARINGSPLEK", D(2024, 4, 1), D(2024, 6, 30)]],
            "intakes": [[d, D(2024, 1, 1), "J"]],
        },
    )
    write_text(landing / "werk_inkomen" / "GM0344_2025-07.xlsx", "not a workbook")
    write_school(
        landing,
        "TS001",
        "2025-06",
        [
            deelnemer(a, datum_start="2023-10-01", datum_einde="2024-06-30", status="AFGEROND"),
            deelnemer(b, traject="ONDERWIJSROUTE", datum_start="2023-09-01"),
        ],
        peildatum="2025-06-30",
    )
    assert run(landing, data_dir, job="monitor") == 0
    return data_dir


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        isolate_pipeline_env(patch, "by-hand-test-key-0123456789")
        yield patch


def cells(data_dir, where: str) -> dict[str, tuple]:
    rows = query(
        data_dir,
        f"select indicator, teller, noemer, percentage from marts.indicatoren where {where}",
    )
    return {indicator: (teller, noemer, pct) for indicator, teller, noemer, pct in rows}


def test_p_and_the_published_pairs(marts):
    assert query(
        marts,
        "select peildatum, eerste_jaar, personen, personen_zonder_bsn from marts.monitor_metadata",
    ) == [(D(2025, 5, 31), 2023, 8, 1)]
    assert query(
        marts, "select distinct cohort_jaar, duur_maanden from marts.indicatoren order by 1, 2"
    ) == [(2023, 6), (2023, 12)]
    assert query(marts, "select count(*) from marts.indicatoren") == [(2 * 18 * 3 * 4 * 9,)]


def test_utrecht_cohort_2023_at_6_months(marts):
    got = cells(
        marts,
        "cohort_jaar = 2023 and duur_maanden = 6 and gebied_code = 'GM0344' "
        "and geslacht = 'T' and leeftijdsklasse = 'T'",
    )
    assert got["werk"] == (0, 1, Decimal("0.0"))
    assert got["bijstand"] == (1, 1, Decimal("100.0"))
    assert got["taalles"] == (1, 1, Decimal("100.0"))
    assert got["participatie"] == (1, 1, Decimal("100.0"))
    assert got["inburgering_voldaan"] == (0, 1, Decimal("0.0"))


def test_utrecht_cohort_2023_at_12_months(marts):
    got = cells(
        marts,
        "cohort_jaar = 2023 and duur_maanden = 12 and gebied_code = 'GM0344' "
        "and geslacht = 'T' and leeftijdsklasse = 'T'",
    )
    assert got["werk"] == (1, 2, Decimal("50.0"))
    assert got["bijstand"] == (1, 2, Decimal("50.0"))
    assert got["werk_zonder_bijstand"] == (0, 2, Decimal("0.0"))
    assert got["onderwijs"] == (1, 2, Decimal("50.0"))
    assert got["taalles"] == (1, 2, Decimal("50.0"))
    assert got["participatie"] == (2, 2, Decimal("100.0"))
    assert got["inburgering_voldaan"] == (1, 2, Decimal("50.0"))
    assert got["taalniveau_b1"] == (1, 2, Decimal("50.0"))
    by_sex = query(
        marts,
        "select geslacht, noemer from marts.indicatoren where cohort_jaar = 2023 "
        "and duur_maanden = 12 and gebied_code = 'GM0344' and indicator = 'werk' "
        "and leeftijdsklasse = 'T' order by 1",
    )
    assert by_sex == [("M", 1), ("T", 2), ("V", 1)]
    by_age = query(
        marts,
        "select leeftijdsklasse, teller, noemer from marts.indicatoren where "
        "cohort_jaar = 2023 and duur_maanden = 12 and gebied_code = 'GM0344' "
        "and indicator = 'onderwijs' and geslacht = 'T' order by 1",
    )
    assert by_age == [("18-29", 1, 1), ("30-49", 0, 1), ("50-64", 0, 0), ("T", 1, 2)]


def test_zeist_with_a_person_without_bsn_and_one_turning_65(marts):
    at6 = cells(
        marts,
        "cohort_jaar = 2023 and duur_maanden = 6 and gebied_code = 'GM0355' "
        "and geslacht = 'T' and leeftijdsklasse = 'T'",
    )
    assert at6["bijstand"] == (1, 2, Decimal("50.0"))
    assert at6["activering"] == (1, 2, Decimal("50.0"))
    assert at6["participatie"] == (1, 2, Decimal("50.0"))
    assert at6["inburgering_voldaan"] == (0, 0, None)
    at12 = cells(
        marts,
        "cohort_jaar = 2023 and duur_maanden = 12 and gebied_code = 'GM0355' "
        "and geslacht = 'T' and leeftijdsklasse = 'T'",
    )
    assert {k: v[:2] for k, v in at12.items() if k != "inburgering_voldaan"} == {
        k: (0, 1) for k in at12 if k != "inburgering_voldaan"
    }


def test_the_region_sums_its_members(marts):
    for area in ("U10", "U16"):
        got = cells(
            marts,
            f"cohort_jaar = 2023 and duur_maanden = 6 and gebied_code = '{area}' "
            "and geslacht = 'T' and leeftijdsklasse = 'T'",
        )
        assert got["bijstand"] == (2, 3, Decimal("66.7"))
    got = cells(
        marts,
        "cohort_jaar = 2023 and duur_maanden = 6 and gebied_code = 'U16' "
        "and geslacht = 'V' and leeftijdsklasse = '50-64'",
    )
    assert got["bijstand"] == (1, 1, Decimal("100.0"))


def test_huisvesting(marts):
    rows = query(
        marts,
        "select gebied_code, periode, taakstelling, gehuisvest, realisatie_pct, "
        "voorlopig from marts.huisvesting where gebied_code in ('GM0344', 'GM0355', 'U16')",
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert sorted({r[1] for r in rows}) == ["2024-H1", "2024-H2", "2025-H1"]
    assert got[("GM0344", "2024-H1")] == (10, 2, Decimal("20.0"), False)
    assert got[("GM0344", "2025-H1")] == (8, 0, Decimal("0.0"), True)
    assert got[("GM0355", "2024-H2")] == (0, 0, None, False)
    assert got[("U16", "2024-H1")] == (14, 2, Decimal("14.3"), False)
    backlog = query(
        marts,
        "select gebied_code, periode, achterstand_begin, achterstand_eind from marts.huisvesting "
        "where gebied_code in ('GM0344', 'GM0355', 'U16') order by 1, 2",
    )
    assert backlog == [
        ("GM0344", "2024-H1", 0, 8),
        ("GM0344", "2024-H2", 8, 20),
        ("GM0344", "2025-H1", 20, 28),
        ("GM0355", "2024-H1", 0, 4),
        ("GM0355", "2024-H2", 4, 4),
        ("GM0355", "2025-H1", 4, 4),
        ("U16", "2024-H1", 0, 12),
        ("U16", "2024-H2", 12, 24),
        ("U16", "2025-H1", 24, 32),
    ]


def test_doorgaande_lijn(marts):
    rows = query(
        marts,
        "select gebied_code, jaar, indicator, teller, noemer, percentage, doel_pct "
        "from marts.doorgaande_lijn",
    )
    got = {(r[0], r[1], r[2]): r[3:] for r in rows}
    assert got[("U16", 2023, "plaatsing_regio")] == (2, 3, Decimal("66.7"), 90)
    assert got[("U16", 2024, "plaatsing_regio")] == (2, 2, Decimal("100.0"), 90)
    assert got[("U16", 2025, "plaatsing_regio")] == (0, 0, None, 90)
    assert ("GM0344", 2023, "plaatsing_regio") not in got
    assert got[("GM0344", 2023, "noa_binnen_3_maanden")] == (1, 1, Decimal("100.0"), 60)
    assert got[("GM0355", 2023, "noa_binnen_3_maanden")] == (1, 2, Decimal("50.0"), 60)
    assert got[("U16", 2023, "noa_binnen_3_maanden")] == (2, 3, Decimal("66.7"), 60)
    assert got[("GM0344", 2024, "noa_binnen_3_maanden")] == (1, 1, Decimal("100.0"), 60)
    assert len(rows) == 3 * (1 + 18)


def test_the_dbt_unit_tests_pass_against_the_built_warehouse(marts, tmp_path):
    """The monitor's runs skip dbt's unit tests (they check the models' logic on fixed rows,
    not a month's data), so they run here: every unit test of the manifest, against a copy of
    a warehouse where each model's parents exist (dbt reads their column types there)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(marts / "warehouse.duckdb", warehouse)
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    completed, results = dbt_test("test_type:unit", warehouse, tmp_path)
    assert {r["unique_id"] for r in results} == set(manifest["unit_tests"])
    assert [r["unique_id"] for r in results if r["status"] != "pass"] == [], completed.stdout[
        -3000:
    ]
    assert completed.returncode == 0
