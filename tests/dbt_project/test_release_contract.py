"""dbt holds every table it builds for the release to the release's contract (the exposure
`open_data_release`): the generic test `matches_release_contract` fails on a column that is
missing, out of place or of the wrong type, and passes a table built as indicators.md says.

The tables are made here by hand in a real DuckDB file, and dbt runs the tests against it.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import dbt_test

pytestmark = pytest.mark.slow


def test_a_built_table_that_breaks_the_contract_fails_its_test(tmp_path):
    """indicators.md, the code list geslachten: geslacht, label_nl, label_en, all text; built
    so, it passes. huisvesting with realisatie_pct as text: one row, that column. gebieden
    without in_u16 (its last column): one row. leeftijdsklassen not built at all: a row for
    each of its five columns (leeftijdsklasse, label_nl, label_en, leeftijd_van,
    leeftijd_tot_en_met)."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create schema reference")
        con.execute(
            "create table reference.geslachten"
            " (geslacht varchar, label_nl varchar, label_en varchar)"
        )
        con.execute(
            """create table marts.huisvesting (
                gebied_code varchar, gebied_naam varchar, periode varchar, taakstelling integer,
                gehuisvest integer, realisatie_pct varchar, voorlopig boolean,
                achterstand_begin integer, achterstand_eind integer)"""
        )
        con.execute(
            """create table marts.gebieden (
                gebied_code varchar, gebied_naam varchar, soort varchar, in_u10 boolean)"""
        )
    completed, results = dbt_test("test_name:matches_release_contract", warehouse, tmp_path)
    failures = {
        r["unique_id"].split(".")[2].removeprefix("matches_release_contract_").rstrip("_"): (
            r["status"],
            r["failures"],
        )
        for r in results
    }
    assert completed.returncode == 1
    assert failures["geslachten"] == ("pass", 0)
    assert failures["huisvesting"] == ("fail", 1)
    assert failures["gebieden"] == ("fail", 1)
    assert failures["leeftijdsklassen"] == ("fail", 5)
