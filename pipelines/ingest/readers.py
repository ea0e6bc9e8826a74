"""Readers for the three file formats of the contract. Each returns tables of strings.

Values stay text until `contract.cast_table` types them, so one set of type rules serves
CSV, Excel and JSON alike. A file that cannot be read raises `StructureError`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import python_calamine

from pipelines.ingest.contract import StructureError, Table, missing_columns


def read_csv(path: Path, table: Table, delimiter: str) -> pa.Table:
    """UTF-8 (a byte-order mark is allowed), header row, `\\r\\n` or `\\n` line endings."""
    data = path.read_bytes()
    header_line = data.split(b"\n", 1)[0]
    try:
        header = header_line.decode("utf-8-sig").rstrip("\r").split(delimiter)
    except UnicodeDecodeError:
        raise StructureError("encoding", "the file is not UTF-8", table.name) from None
    header = [name.strip().strip('"') for name in header]
    missing = missing_columns(table, header)
    if missing:
        raise StructureError(
            "columns",
            f"missing required column(s) {', '.join(missing)} "
            f"(expected delimiter '{delimiter}'; header read as {len(header)} column(s))",
            table.name,
        )
    try:
        return pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(use_threads=True),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message:
            raise StructureError("encoding", "the file is not UTF-8", table.name) from None
        raise StructureError("csv", f"not a well-formed CSV file: {message}", table.name) from None


def read_xlsx(path: Path, tables: tuple[Table, ...]) -> dict[str, pa.Table]:
    """One sheet per table; row 1 is the header. Date cells become ISO text."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:
        # calamine raises several unrelated types for zip, XML and format errors alike.
        raise StructureError("format", "the file is not a readable xlsx workbook") from None
    result: dict[str, pa.Table] = {}
    try:
        for table in tables:
            if table.name not in workbook.sheet_names:
                raise StructureError("sheets", f"missing required sheet {table.name}", table.name)
            rows = workbook.get_sheet_by_name(table.name).to_python(skip_empty_area=False)
            header = [str(cell).strip() for cell in rows[0]] if rows else []
            missing = missing_columns(table, header)
            if missing:
                raise StructureError(
                    "columns",
                    f"sheet {table.name} misses required column(s) {', '.join(missing)}",
                    table.name,
                )
            body = [row for row in rows[1:] if any(cell != "" for cell in row)]
            result[table.name] = pa.table(
                {
                    name: pa.array([_cell_text(row[i]) for row in body], pa.string())
                    for i, name in enumerate(header)
                    if name in table.column_names
                }
            )
    finally:
        workbook.close()
    return result


def _cell_text(cell: object) -> str:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def read_json(path: Path) -> dict:
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise StructureError("encoding", "the file is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise StructureError(
            "json", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict):
        raise StructureError("json", "the document is not a JSON object")
    return document


def records_table(records: list[dict], table: Table) -> pa.Table:
    """A table of strings from JSON records; JSON null is unknown, like an empty cell."""
    missing_anywhere = sorted(
        {name for record in records for name in table.column_names if name not in record}
    )
    if missing_anywhere:
        raise StructureError(
            "columns",
            f"{table.location or table.name} misses required field(s) "
            f"{', '.join(missing_anywhere)}",
            table.name,
        )
    return pa.table(
        {
            name: pa.array([_json_text(record[name]) for record in records], pa.string())
            for name in table.column_names
        }
    )


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        # A nested value where a scalar belongs cannot parse as any contract type.
        return json.dumps(value)
    return str(value)
