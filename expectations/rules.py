"""A rule of a contract: one expectation, what breaking it means, and how to say it.

`row` rules drop the offending rows (counted, within the row tolerance); `file` rules refuse
the whole delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import great_expectations.expectations as gxe

from expectations.elfproef import ExpectColumnValuesToBeValidBsn

Level = Literal["row", "file"]


@dataclass(frozen=True)
class Rule:
    name: str
    level: Level
    expectation: Any
    # columns a row condition reads, besides the ones the expectation names
    condition_columns: tuple[str, ...] = ()

    def renamed(self, name: str) -> Rule:
        return Rule(name, self.level, self.expectation, self.condition_columns)

    @property
    def columns(self) -> list[str]:
        config = self.expectation.configuration.kwargs
        names = [config.get(k) for k in ("column", "column_A", "column_B")]
        names += list(config.get("column_list") or [])
        return [n for n in names if n] + list(self.condition_columns)


def required(column: str, level: Level = "row") -> Rule:
    return Rule(f"{column} is present", level, gxe.ExpectColumnValuesToNotBeNull(column=column))


def one_of(column: str, values: list, level: Level = "row") -> Rule:
    return Rule(
        f"{column} is one of {', '.join(map(str, values))}",
        level,
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values),
    )


def valid_bsn(column: str = "bsn") -> Rule:
    return Rule(
        f"{column} passes the elfproef", "row", ExpectColumnValuesToBeValidBsn(column=column)
    )


def unique(column: str) -> Rule:
    return Rule(
        f"{column} is unique in the file", "file", gxe.ExpectColumnValuesToBeUnique(column=column)
    )


def not_before(later: str, earlier: str, level: Level = "row") -> Rule:
    return Rule(
        f"{later} is not before {earlier}",
        level,
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
    )


def between(column: str, low: float, high: float, *, strict_low: bool = False) -> Rule:
    bound = ">" if strict_low else ">="
    return Rule(
        f"{column} is {bound} {low} and <= {high}",
        "row",
        gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=low, max_value=high, strict_min=strict_low
        ),
    )


def matches(column: str, regex: str, meaning: str, level: Level = "row") -> Rule:
    return Rule(
        f"{column} is {meaning}",
        level,
        gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex),
    )


def when(condition: str, rule_name: str, expectation_class: Any, **kwargs: Any) -> Rule:
    """A row rule that applies only where a pandas condition on one column holds; the
    condition starts with that column (`status == "ACTIEF"`)."""
    return Rule(
        rule_name,
        "row",
        expectation_class(row_condition=condition, condition_parser="pandas", **kwargs),
        condition_columns=(condition.split()[0],),
    )


def equal(column_a: str, column_b: str, name: str, level: Level = "file") -> Rule:
    return Rule(
        name,
        level,
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A=column_a, column_B=column_b, ignore_row_if="either_value_is_missing"
        ),
    )
