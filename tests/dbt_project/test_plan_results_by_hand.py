"""The housing backlog and the plan's results (indicators.md, resources 2 and 4) on a landing
written by hand, through the whole pipeline, against numbers worked out by hand here.

The landing
-----------
Every snapshot is of December 2025 (the language school's peildatum is 31 December), so
P = 31 December 2025. In each of the 16 municipalities ten men born on 1 January 1990 are
housed on 1 March 2023 and ten on 1 March 2024: cohorts 2023 and 2024, 160 people each. At 12
months (ref 1 March 2024 and 1 March 2025) everyone is 34, so every population is 10 per
municipality and 160 for U16. Published pairs: 31 Dec 2023 + 12 and + 24 months, 31 Dec 2024 +
12 months are <= P; so at 12 months two cohorts (2024 against 2023), at 24 only 2023 (no
result), at 36 none (no result).

Per municipality, by the person's number 0-9 within its cohort (one Werk & Inkomen workbook,
from Utrecht, holds everyone's spells; the language school all enrolments):

- cohort 2023: a job for 0-2 from 1 Sep 2023; bijstand for 3-7 from 1 Mar 2023; language
  school for 0-3, 1 Jun 2023 to 30 Jun 2024; a work placement (activering) for 0-3 from 1 Sep
  2023;
- cohort 2024: a job for 0-4 from 1 Sep 2024; bijstand for 5-8 from 1 Mar 2024; language
  school for 0-2 from 1 Jun 2024; a work placement for 0-3 from 1 Sep 2024;
- except Oudewater (GM0589) in 2024: a job for 0-7, bijstand for 8 only, school for 0-2,
  work placement for 0-3.

Nobody is inburgeringsplichtig (the one DUO row is a VRIJSTELLING of someone else), so that
population is 0 everywhere and withheld by the small-population rule.

Worked: U16, geslacht T, leeftijdsklasse T, 12 months
-----------------------------------------------------
cohort 2023: werk 16 x 3 = 48 of 160 = 30.0; bijstand 80 = 50.0; werk zonder bijstand 48 =
30.0 (jobs and bijstand are different people); taalles 64 = 40.0; activering 64 = 40.0;
participatie = werk, placement or school = people 0-3 = 64 = 40.0; onderwijs (B1_ROUTE is not
onderwijs) and taalniveau_b1 0; inburgering_voldaan has population 0.
cohort 2024: werk 15 x 5 + 8 = 83 of 160 = 51.875 -> 51.9; bijstand 15 x 4 + 1 = 61 = 38.125
-> 38.1; werk zonder bijstand 83 = 51.9; taalles 16 x 3 = 48 = 30.0; activering 64 = 40.0;
participatie = people 0-4 (0-7 in Oudewater) = 83 = 51.9; onderwijs and taalniveau_b1 0.

Withheld at U16 by disclosure.md, whatever else is chosen: inburgering_voldaan (population 0
< 10), and the tellers of 0 for onderwijs and taalniveau_b1. Everyone is a man of 30-49, so the
rows for women and the other age classes have population 0 and are withheld; a published total
of 0 above them would show that they are 0 too, so that total must go (teller and percentage).

So planresultaten for U16 at 12 months, cohort 2024 against 2023:

=====================  ==========  ===========  ========  ========  =======
indicator              2023        2024         richting  doel      behaald
=====================  ==========  ===========  ========  ========  =======
werk                   30.0        51.9         gestegen  gestegen  true
bijstand               50.0        38.1         gedaald   gedaald   true
werk_zonder_bijstand   30.0        51.9         gestegen  gestegen  true
activering             40.0        40.0         gelijk    gestegen  false
onderwijs              (withheld)  (withheld)   (none)    gestegen  (none)
taalles                40.0        30.0         gedaald   gestegen  false
participatie           40.0        51.9         gestegen  gestegen  true
inburgering_voldaan    (withheld)  (withheld)   (none)    gestegen  (none)
taalniveau_b1          (withheld)  (withheld)   (none)    gestegen  (none)
=====================  ==========  ===========  ========  ========  =======

Oudewater's werk in 2024 is 8 of 10: two without a job, so disclosure control withholds its
percentage. The mart has 80.0; planresultaten, read from the published table, has no
percentage, no richting and no verdict for Oudewater's werk at 12 months.

Worked: the housing backlog
---------------------------
Taakstelling: Utrecht (GM0344) 2023 12 / 4, 2024 10 / 5, 2025 6 / 6; Oudewater (GM0589) 2023
9 / 3, 2024 10 / 2; the others none. Each municipality houses 10 in 2023-H1 and 10 in 2024-H1.
Begin -> end (end = begin + task - housed):

- Utrecht: 2023-H1 0 -> 2, 2023-H2 2 -> 6, 2024-H1 6 -> 6, 2024-H2 6 -> 11, 2025-H1 11 -> 17,
  2025-H2 17 -> 23;
- Oudewater: 0 -> -1 (a lead), -1 -> 2, 2 -> 2, 2 -> 4, 4 -> 4, 4 -> 4;
- each other municipality: 0 -> -10, -10 -> -10, -10 -> -20, then -20;
- U16 (task 21, 7, 20, 7, 6, 6; housed 160, 0, 160, 0, 0, 0): 0 -> -139, -139 -> -132,
  -132 -> -272, -272 -> -265, -265 -> -259, -259 -> -253 (= 23 + 4 - 14 x 20).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.builders import (
    EXAMENS_HEADER,
    INBURGERING_HEADER,
    deelnemer,
    koppeling,
    valid_bsns,
    write_koppelingen,
    write_school,
    write_text,
    write_workbook,
)
from tests.conftest import ROOT, isolate_pipeline_env, query, run

pytestmark = pytest.mark.slow

D = dt.date
UTRECHT, OUDEWATER = "GM0344", "GM0589"


def municipalities() -> list[str]:
    with (ROOT / "dbt_project" / "seeds" / "gemeenten.csv").open(encoding="utf-8") as handle:
        return [row["gemeente_code"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan_by_hand")
    landing, data_dir = tmp / "landing", tmp / "data"
    codes = municipalities()
    assert len(codes) == 16 and UTRECHT in codes and OUDEWATER in codes
    bsns = iter(valid_bsns(2 * 16 * 10 + 1, start=200_000_000))
    people, uitkeringen, dienstverbanden, trajecten, school = [], [], [], [], []
    for code in codes:
        for cohort in (2023, 2024):
            housed = D(cohort, 3, 1)
            if cohort == 2023:
                jobs, benefits, classes = range(3), range(3, 8), range(4)
            elif code == OUDEWATER:
                jobs, benefits, classes = range(8), range(8, 9), range(3)
            else:
                jobs, benefits, classes = range(5), range(5, 9), range(3)
            for n in range(10):
                bsn = next(bsns)
                people.append(
                    koppeling(
                        f"{len(people) + 1:010d}",
                        bsn,
                        geboortedatum="01-01-1990",
                        gemeente_code=code,
                        datum_huisvesting=housed.strftime("%d-%m-%Y"),
                    )
                )
                if n in jobs:
                    dienstverbanden.append([bsn, D(cohort, 9, 1), None, 32, "LOONDIENST"])
                if n in range(4):
                    trajecten.append([bsn, "WERKERVARINGSPLEK", D(cohort, 9, 1), None])
                if n in benefits:
                    uitkeringen.append([bsn, "PARTICIPATIEWET", housed, None])
                if n in classes:
                    end, status = ("2024-06-30", "AFGEROND") if cohort == 2023 else (None, "ACTIEF")
                    school.append(
                        deelnemer(
                            bsn, datum_start=f"{cohort}-06-01", datum_einde=end, status=status
                        )
                    )
    other = next(bsns)
    write_koppelingen(landing, "2025-12", people)
    write_text(
        landing / "coa" / "taakstelling_2023.csv",
        "gemeente_code;periode;taakstelling\n"
        "GM0344;2023-H1;12\nGM0344;2023-H2;4\nGM0589;2023-H1;9\nGM0589;2023-H2;3\n",
    )
    write_text(
        landing / "coa" / "taakstelling_2024.csv",
        "gemeente_code;periode;taakstelling\n"
        "GM0344;2024-H1;10\nGM0344;2024-H2;5\nGM0589;2024-H1;10\nGM0589;2024-H2;2\n",
    )
    write_text(
        landing / "coa" / "taakstelling_2025.csv",
        "gemeente_code;periode;taakstelling\nGM0344;2025-H1;6\nGM0344;2025-H2;6\n",
    )
    write_text(
        landing / "duo" / "inburgeringsplichtigen_2025-12.csv",
        f"{INBURGERING_HEADER}\n{other},WI2021,N,,,,VRIJSTELLING,2023-10-01\n",
    )
    write_text(
        landing / "duo" / "examens_2025-12.csv",
        f"{EXAMENS_HEADER}\n{other},2024-01-10,LEZEN,A2,GESLAAGD\n",
    )
    write_workbook(
        landing / "werk_inkomen" / "GM0344_2025-12.xlsx",
        {"uitkeringen": uitkeringen, "dienstverbanden": dienstverbanden, "trajecten": trajecten},
    )
    write_school(landing, "TS001", "2025-12", school, peildatum="2025-12-31")
    with pytest.MonkeyPatch.context() as patch:
        isolate_pipeline_env(patch, "plan-by-hand-test-key-0123456789")
        assert run(landing, data_dir, job="monitor") == 0
    return data_dir


def release_rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    path = data_dir / "releases" / "latest" / "data" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_p_and_the_pairs_that_can_be_compared(data_dir):
    assert query(data_dir, "select peildatum, eerste_jaar from marts.monitor_metadata") == [
        (D(2025, 12, 31), 2023)
    ]
    pairs = query(
        data_dir,
        "select distinct cohort_jaar, duur_maanden from published.indicatoren "
        "where duur_maanden in (12, 24, 36) order by 1, 2",
    )
    assert pairs == [(2023, 12), (2023, 24), (2024, 12)]


# (indicator) -> (vorig_percentage, percentage, richting, doel, behaald), from the docstring.
U16_AT_12 = {
    "werk": ("30.0", "51.9", "gestegen", "gestegen", "true"),
    "bijstand": ("50.0", "38.1", "gedaald", "gedaald", "true"),
    "werk_zonder_bijstand": ("30.0", "51.9", "gestegen", "gestegen", "true"),
    "activering": ("40.0", "40.0", "gelijk", "gestegen", "false"),
    "onderwijs": ("", "", "", "gestegen", ""),
    "taalles": ("40.0", "30.0", "gedaald", "gestegen", "false"),
    "participatie": ("40.0", "51.9", "gestegen", "gestegen", "true"),
    "inburgering_voldaan": ("", "", "", "gestegen", ""),
    "taalniveau_b1": ("", "", "", "gestegen", ""),
}


def test_the_plans_results_for_the_region_as_published(data_dir):
    rows = release_rows(data_dir, "planresultaten")
    u16 = {r["indicator"]: r for r in rows if r["gebied_code"] == "U16"}
    assert set(u16) == set(U16_AT_12)
    for indicator, expected in U16_AT_12.items():
        row = u16[indicator]
        assert (row["duur_maanden"], row["cohort_jaar"], row["vorig_cohort_jaar"]) == (
            "12",
            "2024",
            "2023",
        ), indicator
        got = tuple(
            row[c] for c in ("vorig_percentage", "percentage", "richting", "doel", "behaald")
        )
        assert got == expected, indicator
    # One row per area and indicator at 12 months; none at 24 (one cohort) or 36 (none).
    assert {r["duur_maanden"] for r in rows} == {"12"}
    assert len(rows) == 18 * 9
    assert len({(r["gebied_code"], r["indicator"]) for r in rows}) == 18 * 9


def test_a_withheld_percentage_leaves_no_verdict(data_dir):
    """Oudewater's werk 2024 is 80.0 in the mart and withheld in the release: the result is
    read from the release, so it has no percentage, no direction and no verdict."""
    (mart,) = query(
        data_dir,
        "select percentage from marts.indicatoren where gebied_code = 'GM0589' and cohort_jaar "
        "= 2024 and duur_maanden = 12 and geslacht = 'T' and leeftijdsklasse = 'T' "
        "and indicator = 'werk'",
    )
    assert mart == (Decimal("80.0"),)
    (row,) = [
        r
        for r in release_rows(data_dir, "planresultaten")
        if (r["gebied_code"], r["indicator"]) == (OUDEWATER, "werk")
    ]
    assert (row["percentage"], row["richting"], row["behaald"]) == ("", "", "")
    published_2023 = [
        r["percentage"]
        for r in release_rows(data_dir, "indicatoren")
        if (r["gebied_code"], r["cohort_jaar"], r["duur_maanden"], r["indicator"])
        == (OUDEWATER, "2023", "12", "werk")
        and r["geslacht"] == r["leeftijdsklasse"] == "T"
    ]
    assert row["vorig_percentage"] == published_2023[0]


def test_every_result_follows_from_the_published_indicatoren(data_dir):
    """The rule of indicators.md, resource 4, written out again over the release's CSV."""
    published = {
        (r["gebied_code"], r["indicator"], int(r["duur_maanden"]), int(r["cohort_jaar"])): r
        for r in release_rows(data_dir, "indicatoren")
        if r["geslacht"] == r["leeftijdsklasse"] == "T"
    }
    cohorts: dict[int, set[int]] = {}
    for _, _, duur, cohort in published:
        cohorts.setdefault(duur, set()).add(cohort)
    expected = {}
    for (area, indicator, duur, cohort), row in published.items():
        found = cohorts[duur]
        if duur not in (12, 24, 36) or len(found) < 2 or cohort != max(found):
            continue
        before = published[(area, indicator, duur, cohort - 1)]["percentage"]
        now = row["percentage"]
        richting = ""
        if now and before:
            a, b = Decimal(now), Decimal(before)
            richting = "gestegen" if a > b else "gedaald" if a < b else "gelijk"
        doel = "gedaald" if indicator == "bijstand" else "gestegen"
        behaald = "" if not richting else "true" if richting == doel else "false"
        expected[(area, indicator, str(duur))] = (before, now, richting, doel, behaald)
    got = {
        (r["gebied_code"], r["indicator"], r["duur_maanden"]): (
            r["vorig_percentage"],
            r["percentage"],
            r["richting"],
            r["doel"],
            r["behaald"],
        )
        for r in release_rows(data_dir, "planresultaten")
    }
    assert got == expected


BACKLOG = {
    UTRECHT: [(0, 2), (2, 6), (6, 6), (6, 11), (11, 17), (17, 23)],
    OUDEWATER: [(0, -1), (-1, 2), (2, 2), (2, 4), (4, 4), (4, 4)],
    "GM0355": [(0, -10), (-10, -10), (-10, -20), (-20, -20), (-20, -20), (-20, -20)],
    "U16": [(0, -139), (-139, -132), (-132, -272), (-272, -265), (-265, -259), (-259, -253)],
}
PERIODS = ["2023-H1", "2023-H2", "2024-H1", "2024-H2", "2025-H1", "2025-H2"]


def test_the_housing_backlog_carries_over_half_years(data_dir):
    for area, expected in BACKLOG.items():
        rows = [r for r in release_rows(data_dir, "huisvesting") if r["gebied_code"] == area]
        assert [r["periode"] for r in rows] == PERIODS, area
        got = [(int(r["achterstand_begin"]), int(r["achterstand_eind"])) for r in rows]
        assert got == expected, area
