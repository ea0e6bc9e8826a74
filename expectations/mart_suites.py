"""One suite per mart, run on the mart as a blocking Dagster asset check before a release.

Each suite checks: teller <= noemer, percentages within 0-100, the grid is complete, and U16
and U10 equal the sums of their member municipalities. The member sums are computed here, in
pandas, independently of the dbt models, and joined onto the region rows for the suite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd

from contract.reference import load_reference
from expectations.rules import Rule, between, not_before

DURATIONS = (6, 12, 18, 24, 30, 36, 48, 60)
CELLS_PER_PAIR = 18 * 3 * 4 * 9  # areas x geslacht x leeftijdsklasse x indicators


@dataclass(frozen=True)
class MartSuite:
    name: str
    keys: list[str]
    values: list[str]
    region_condition: str = 'gebied_code in ["U10", "U16"]'


SUITES = {
    "indicatoren": MartSuite(
        "indicatoren",
        keys=["cohort_jaar", "duur_maanden", "geslacht", "leeftijdsklasse", "indicator"],
        values=["teller", "noemer"],
    ),
    "huisvesting": MartSuite(
        "huisvesting", keys=["periode"], values=["taakstelling", "gehuisvest"]
    ),
    "doorgaande_lijn": MartSuite(
        "doorgaande_lijn",
        keys=["jaar", "indicator"],
        values=["teller", "noemer"],
        region_condition='gebied_code in ["U10", "U16"] and indicator == "noa_binnen_3_maanden"',
    ),
}


def with_member_sums(frame: pd.DataFrame, suite: MartSuite) -> pd.DataFrame:
    """Adds `leden_<value>`: the sum over the region's member municipalities, on U10/U16 rows."""
    reference = load_reference()
    municipal = frame[frame["gebied_code"].isin(reference.gemeenten)]
    parts = []
    for region, members in (("U16", reference.gemeenten), ("U10", reference.u10)):
        sums = municipal[municipal["gebied_code"].isin(members)].groupby(suite.keys)[suite.values]
        part = sums.sum().reset_index()
        part["gebied_code"] = region
        parts.append(part)
    sums = pd.concat(parts).rename(columns={v: f"leden_{v}" for v in suite.values})
    return frame.merge(sums, on=[*suite.keys, "gebied_code"], how="left")


def expected_rows(name: str, frame: pd.DataFrame, peildatum: dt.date, first_year: int) -> int:
    """The size of a complete grid, from P and the first year (indicators.md)."""
    if name == "indicatoren":
        pairs = sum(
            1
            for year in range(first_year, peildatum.year + 1)
            for months in DURATIONS
            if (pd.Timestamp(year, 12, 31) + pd.DateOffset(months=months)).date() <= peildatum
        )
        return pairs * CELLS_PER_PAIR
    if name == "huisvesting":
        return 18 * frame["periode"].nunique()
    years = peildatum.year - first_year + 1
    return years * (1 + 18)


def rules_for(name: str, expected: int) -> list[Rule]:
    suite = SUITES[name]
    rules = [
        Rule(
            "the grid is complete",
            "file",
            gxe.ExpectTableRowCountToEqual(value=expected),
        )
    ]
    if name == "huisvesting":
        rules.append(
            Rule(
                "realisatie_pct is not negative",
                "file",
                gxe.ExpectColumnValuesToBeBetween(column="realisatie_pct", min_value=0),
            )
        )
    else:
        rules += [
            not_before("noemer", "teller", "file").renamed("teller <= noemer"),
            between("percentage", 0, 100),
        ]
    for value in suite.values:
        rules.append(
            Rule(
                f"U16 and U10 {value} equal the sum of their members",
                "file",
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A=value,
                    column_B=f"leden_{value}",
                    row_condition=suite.region_condition,
                    condition_parser="pandas",
                ),
            )
        )
    return rules


def validate_mart(
    name: str, frame: pd.DataFrame, peildatum: dt.date, first_year: int
) -> tuple[list[dict[str, Any]], Any]:
    """Per rule: failing count and a sample; and the GX validation result (for Data Docs)."""
    from expectations.context import run_suite

    suite = SUITES[name]
    expected = expected_rows(name, frame, peildatum, first_year)
    rules = rules_for(name, expected)
    result = run_suite(
        f"mart__{name}", with_member_sums(frame, suite), [r.expectation for r in rules]
    )
    outcomes = []
    for rule, outcome in zip(rules, result.results, strict=True):
        values = outcome.result or {}
        failing = 0 if outcome.success else int(values.get("unexpected_count") or 1)
        outcomes.append(
            {
                "rule": rule.name,
                "failing": failing,
                "sample": [str(v) for v in (values.get("partial_unexpected_list") or [])[:5]],
                "observed": values.get("observed_value"),
            }
        )
    return outcomes, result
