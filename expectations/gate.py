"""The gate every delivery passes: its suites decide what is refused, dropped or kept.

A failing `file` rule refuses the delivery whole. Rows failing `row` rules are dropped and
counted per rule, as long as they are at most ROW_TOLERANCE of a table's rows; above that the
whole delivery is refused. Nothing is dropped silently: every count lands in the delivery log,
the run's metadata and the release's validation summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from contract.tables import ROW_NUMBER, Violation

if TYPE_CHECKING:
    from ingest.deliveries import DeliveryFile

# At most 1% of a table's rows may be dropped for row rules (one bad bsn among thousands is
# the supplier's to fix next month); more than that and the delivery is not trustworthy.
ROW_TOLERANCE = 0.01
SAMPLE_SIZE = 5


@dataclass
class RuleOutcome:
    suite: str
    rule: str
    level: str
    failing: int
    rows: list[int] = field(default_factory=list)  # as the supplier sees them (ROW_NUMBER)
    sample: list[str] = field(default_factory=list)  # identifiers masked, dates not shown

    @property
    def passed(self) -> bool:
        return self.failing == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "rule": self.rule,
            "level": self.level,
            "failing": self.failing,
            "rows": self.rows[:20],
            "sample": self.sample,
        }


@dataclass
class DeliveryValidation:
    outcomes: list[RuleOutcome] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    drops: dict[str, list[int]] = field(default_factory=dict)  # table -> positions (0-based)
    results: dict[str, Any] = field(default_factory=dict)  # suite -> GX validation result
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return sum(len(rows) for rows in self.drops.values())

    def summary(self) -> list[dict[str, Any]]:
        """Per suite: expectations, passed, failed, and dropped rows per rule."""
        suites: dict[str, dict[str, Any]] = {}
        for outcome in self.outcomes:
            entry = suites.setdefault(
                outcome.suite,
                {
                    "suite": outcome.suite,
                    "expectations": 0,
                    "passed": 0,
                    "failed": 0,
                    "dropped_rows_per_rule": {},
                },
            )
            entry["expectations"] += 1
            entry["passed" if outcome.passed else "failed"] += 1
            if outcome.level == "row" and outcome.failing:
                entry["dropped_rows_per_rule"][outcome.rule] = outcome.failing
        return list(suites.values())


def mask(value: Any, column: str, identifiers: set[str]) -> str:
    """What a report may show of a failing value: identifiers masked, dates not at all."""
    if isinstance(value, tuple | list):
        return " / ".join(mask(v, column, identifiers) for v in value)
    if value is None:
        return "(empty)"
    if column in identifiers:
        text = str(value)
        return text[:2] + "*" * max(len(text) - 2, 0)
    if isinstance(value, dt.date | np.datetime64):
        return "(date not shown)"
    return str(value)


def validate_tables(
    file: DeliveryFile, tables: dict[str, pa.Table], identifiers: dict[str, set[str]]
) -> DeliveryValidation:
    from expectations import suite_name
    from expectations.context import run_suite
    from expectations.delivery_suites import rules_for

    validation = DeliveryValidation()
    for table_name, table in tables.items():
        rules = rules_for(file.source, table_name)
        name = suite_name(file.source, table_name)
        frame = _frame(file, table_name, table, rules)
        result = run_suite(name, frame, [rule.expectation for rule in rules])
        validation.results[name] = result
        validation.rows[table_name] = table.num_rows
        # GX reports positions; reports give the row numbers the supplier sees
        numbers = (
            table[ROW_NUMBER].to_pylist()
            if ROW_NUMBER in table.column_names
            else list(range(1, table.num_rows + 1))
        )
        dropped: set[int] = set()
        causes: list[Violation] = []
        for rule, outcome in zip(rules, result.results, strict=True):
            failing, rows, values = _failures(outcome)
            column = rule.columns[0] if rule.columns else ""
            validation.outcomes.append(
                RuleOutcome(
                    suite=name,
                    rule=rule.name,
                    level=rule.level,
                    failing=failing,
                    rows=[numbers[r] for r in rows[:20]],
                    sample=[mask(v, column, identifiers[table_name]) for v in values[:SAMPLE_SIZE]],
                )
            )
            if not failing:
                continue
            broken = Violation(
                rule=rule.name, table=table_name, rows=[numbers[r] for r in rows], count=failing
            )
            if rule.level == "file":
                validation.violations.append(broken)
            else:
                dropped.update(rows)
                causes.append(broken)
        if dropped and len(dropped) > ROW_TOLERANCE * table.num_rows:
            validation.violations.append(
                Violation(
                    rule="row tolerance",
                    table=table_name,
                    rows=sorted(numbers[r] for r in dropped),
                    count=len(dropped),
                    detail=(
                        f"{len(dropped):,} of {table.num_rows:,} rows "
                        f"({len(dropped) / table.num_rows:.1%}) fail row rules, more than "
                        f"the {ROW_TOLERANCE:.0%} that may be dropped"
                    ),
                    causes=causes,
                )
            )
        elif dropped:
            validation.drops[table_name] = sorted(dropped)
    return validation


def _frame(file: DeliveryFile, table_name: str, table: pa.Table, rules: list) -> Any:
    """Only the columns the suite needs, plus what the file name says."""
    needed = {c for rule in rules for c in rule.columns}
    columns = [c for c in table.column_names if c in needed]
    frame = table.select(columns).to_pandas(date_as_object=False)
    frame["_peildatum"] = dt.datetime.combine(file.peildatum, dt.time()) if file.peildatum else None
    frame["_file_code"] = file.deliverer
    frame["_file_month"] = file.period
    if "peildatum" in table.column_names:
        frame["peildatum_maand"] = [
            d.strftime("%Y-%m") if d else None for d in table["peildatum"].to_pylist()
        ]
    return frame


def _failures(outcome: Any) -> tuple[int, list[int], list[Any]]:
    if outcome.success:
        return 0, [], []
    result = outcome.result or {}
    if outcome.exception_info and outcome.exception_info.get("raised_exception"):
        message = outcome.exception_info.get("exception_message", "the expectation could not run")
        raise RuntimeError(f"{outcome.expectation_config.type}: {message}")
    # compound-column rules report each row as a dict of its index and values
    rows = [
        int(i["index"]) if isinstance(i, dict) else int(i)
        for i in result.get("unexpected_index_list") or []
    ]
    count = int(result.get("unexpected_count") or len(rows) or 1)
    return count, rows, list(result.get("partial_unexpected_list") or [])
