"""The delivery contract as data: which columns a table has and what type each one carries.

A table that misses a column, or holds a value that does not parse as its declared type
(dates in their format, numbers), is structurally broken and refused whole. The business
rules of sources.md (enumerations, elfproef, date order, uniqueness) are the Great
Expectations suites in `expectations/`, which run through `expectations.validate_delivery`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc

ColumnType = Literal[
    "bsn", "v_nummer", "text", "date_dmy", "date_iso", "date_cell", "integer", "number", "boolean"
]

# Identifiers are pseudonymised at ingestion; these are the only personal direct identifiers.
IDENTIFIER_TYPES: frozenset[str] = frozenset({"bsn", "v_nummer"})

_PATTERNS: dict[str, str] = {
    # 18 digits always fit a 64-bit integer; a longer one is a wrong value, not a crash.
    "integer": r"^-?\d{1,18}$",
    "number": r"^-?\d+(\.\d+)?$",
    "boolean": r"^(true|false)$",
}
# pattern, strptime format, and where the day-of-month sits in the text
_ISO_DATE = (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d", 8)
_DATE_FORMATS: dict[str, tuple[str, str, int]] = {
    "date_dmy": (r"^\d{2}-\d{2}-\d{4}$", "%d-%m-%Y", 0),
    "date_iso": _ISO_DATE,
    # an Excel date cell, which the workbook reader gives as ISO text: parsed as date_iso,
    # named for what the supplier sees
    "date_cell": _ISO_DATE,
}
_TYPE_LABELS: dict[str, str] = {
    "text": "text",
    "date_dmy": "a date dd-mm-jjjj",
    "date_iso": "a date YYYY-MM-DD",
    "date_cell": "an Excel date cell",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"

    @property
    def is_identifier(self) -> bool:
        return self.type in IDENTIFIER_TYPES


@dataclass(frozen=True)
class Table:
    """One table of a delivery: a CSV file, a workbook sheet, or the participants of a document."""

    name: str
    columns: tuple[Column, ...]
    # Where the table sits inside its file, for reports: "sheet uitkeringen", "deelnemers[]".
    location: str = ""
    # One object of a document (the school a language school's document is about), not rows.
    single: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def identifier_names(self) -> set[str]:
        return {c.name for c in self.columns if c.is_identifier}


@dataclass
class Violation:
    """A broken rule: which rule, in which table, at which rows and how many.

    Rows are numbered as the supplier sees them (`ROW_NUMBER`). A rule checked row by row
    is named as the statement that should hold ("bsn is present") and has a count; a
    structural one has a category as its rule ("encoding") and says what is wrong in `detail`.
    """

    rule: str
    table: str
    rows: list[int] = field(default_factory=list)
    count: int = 0
    detail: str = ""
    # the rules behind a verdict on many rules at once (too many rows to drop), each counted
    causes: list[Violation] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a report or a log: what fails, and how often."""
        line = self.detail or f"{rows_fail(self.count)}: {self.rule}"
        if self.causes:
            line += f" ({'; '.join(cause.summary() for cause in self.causes)})"
        return line

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "table": self.table,
            "count": self.count,
            "rows": self.rows[:20],
            "detail": self.detail,
            "summary": self.summary(),
            **({"causes": [cause.as_dict() for cause in self.causes]} if self.causes else {}),
        }


def rows_fail(count: int) -> str:
    """ "1 row fails", "1,000,000 rows fail": the subject of a line that says which rule."""
    return f"{count:,} row fails" if count == 1 else f"{count:,} rows fail"


# The column every reader adds: each row's number as the supplier sees it in the delivered
# file. CSV and xlsx: the row a spreadsheet shows (the header is row 1, the first data row is
# row 2). JSON: the element's position in its list, from 1.
ROW_NUMBER = "_row_number"


class StructureError(Exception):
    """The file cannot be read as its contract says; the message says why in one line."""

    def __init__(self, rule: str, detail: str, table: str = "") -> None:
        super().__init__(f"{rule}: {detail}")
        self.violation = Violation(rule=rule, table=table, detail=detail)


def without_identifiers(text: str) -> str:
    """A library's message may quote a value; a run of 9 or more digits may be a bsn or a
    v_nummer, so it is masked like the reports mask identifiers (`12*******`)."""
    return re.sub(r"\d{9,}", lambda m: m[0][:2] + "*" * (len(m[0]) - 2), text)


def missing_columns(table: Table, present: list[str]) -> list[str]:
    return [name for name in table.column_names if name not in present]


def repeated_columns(table: Table, present: list[str]) -> list[str]:
    """The contract's columns that a header holds more than once: which one holds the data
    is not for the reader to guess."""
    return [name for name in table.column_names if present.count(name) > 1]


def cast_table(table: Table, raw: pa.Table) -> tuple[pa.Table, list[Violation]]:
    """Cast a table of strings to the contract's types.

    Returns the typed table (the contract's columns in contract order, then the row numbers)
    and one violation per column whose values do not parse. Empty strings are unknown (null).
    A table without row numbers (one made by hand) is numbered from 1.
    """
    numbers = (
        raw[ROW_NUMBER].combine_chunks()
        if ROW_NUMBER in raw.column_names
        else pa.array(range(1, raw.num_rows + 1), pa.int64())
    )
    arrays: list[pa.Array] = []
    violations: list[Violation] = []
    for column in table.columns:
        values = pc.utf8_trim_whitespace(raw[column.name].combine_chunks().cast(pa.string()))
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        typed, bad = _cast_column(column, values)
        arrays.append(typed)
        if len(bad):
            rows = pc.take(numbers, bad).to_pylist()
            violations.append(
                Violation(
                    rule=f"{column.name} is {_TYPE_LABELS[column.type]}",
                    table=table.name,
                    rows=rows,
                    count=len(rows),
                )
            )
    return (
        pa.Table.from_arrays([*arrays, numbers], names=[*table.column_names, ROW_NUMBER]),
        violations,
    )


def _cast_column(column: Column, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Typed values and the indices of values that are present but do not parse."""
    kind = column.type
    # Identifiers are text here; their digits and the elfproef are suite rules (expectations/),
    # so one bad bsn is a dropped row, not a refused file.
    if kind == "text" or kind in IDENTIFIER_TYPES:
        return values, pa.array([], pa.int64())
    if kind in _DATE_FORMATS:
        pattern, fmt, day_at = _DATE_FORMATS[kind]
        shaped = pc.match_substring_regex(values, pattern)
        kept = pc.if_else(shaped, values, pa.scalar(None, pa.string()))
        parsed = pc.strptime(kept, format=fmt, unit="s", error_is_null=True)
        # strptime rolls 31-02 over into March: a date exists only if its day survives parsing.
        day = pc.cast(pc.utf8_slice_codeunits(kept, day_at, day_at + 2), pa.int64())
        exists = pc.equal(pc.day(parsed), day)
        ok = pc.fill_null(pc.and_(shaped, exists), False)
        typed = pc.if_else(ok, parsed, pa.scalar(None, parsed.type)).cast(pa.date32())
    else:
        ok = pc.fill_null(pc.match_substring_regex(values, _PATTERNS[kind]), False)
        kept = pc.if_else(ok, values, pa.scalar(None, pa.string()))
        if kind == "integer":
            typed = kept.cast(pa.int64())
        elif kind == "number":
            typed = kept.cast(pa.float64())
        elif kind == "boolean":
            typed = pc.equal(kept, "true")
        else:
            typed = kept
    bad = pc.indices_nonzero(pc.and_(pc.is_valid(values), pc.invert(ok)))
    return typed, bad


# Lineage travels with every row into the warehouse: which file, which deliverer, which peildatum.
LINEAGE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("_delivery_hash", pa.string()),
    pa.field("_deliverer", pa.string()),
    pa.field("_peildatum", pa.date32()),
    pa.field("_row_number", pa.int64()),
)

_ARROW_TYPES: dict[str, pa.DataType] = {
    "bsn": pa.string(),
    "v_nummer": pa.string(),
    "text": pa.string(),
    "date_dmy": pa.date32(),
    "date_iso": pa.date32(),
    "date_cell": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}


def stored_name(column: Column) -> str:
    """Identifiers are stored only as pseudonyms, under a name that says so."""
    return f"{column.name}_pseudoniem" if column.is_identifier else column.name


def stored_schema(table: Table) -> pa.Schema:
    """The schema of a table as it is staged and loaded: pseudonyms, typed values, lineage."""
    fields = [pa.field(stored_name(c), _ARROW_TYPES[c.type]) for c in table.columns]
    return pa.schema([*fields, *LINEAGE_FIELDS])


class Verdict(Protocol):
    """What the business-rule suites say of one delivery (`expectations.gate.DeliveryValidation`
    is one): violations refuse the file, drops remove rows by 0-based position per table."""

    violations: list[Violation]
    drops: dict[str, list[int]]

    @property
    def dropped(self) -> int: ...
