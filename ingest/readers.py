"""Readers for the three file formats of the contract. Each returns tables of strings.

Values stay text until `contract.cast_table` types them, so one set of type rules serves
CSV, Excel and JSON alike. Every table carries `ROW_NUMBER`, each row's number as the
supplier sees it, for reports. A file that cannot be read raises `StructureError`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import python_calamine

from contract.tables import (
    ROW_NUMBER,
    StructureError,
    Table,
    missing_columns,
    repeated_columns,
    without_identifiers,
)


def not_utf8(data: bytes) -> str:
    """Why a file is not UTF-8, in words that tell the supplier what to fix: UTF-16 (with or
    without its byte order mark), or the first byte that is not UTF-8 and its line, with what
    Windows-1252 (Excel's "CSV" on Dutch Windows) makes of it. One character, never a value."""
    fix = "save the file as UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return (
            f"the file is not UTF-8: it is UTF-16 (it starts with UTF-16's byte order mark); {fix}"
        )
    if b"\0" in data.split(b"\n", 1)[0]:
        return f"the file is not UTF-8: its first line holds zero bytes, as UTF-16 text does; {fix}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            f"the file is not UTF-8: line {line} holds byte 0x{byte:02X}{as_windows_1252(byte)}; "
            f"{fix}"
        )
    return f"the file is not UTF-8; {fix}"


def as_windows_1252(byte: int) -> str:
    """ " (Windows-1252 reads it as 'é')" for a byte that is not UTF-8, where that is a
    character one can show (Excel's "CSV" and old tools on Dutch Windows write it)."""
    seen = bytes([byte]).decode("cp1252", errors="replace")
    readable = seen.isprintable() and seen != "\ufffd"
    return f" (Windows-1252 reads it as '{seen}')" if readable else ""


def read_csv(path: Path, table: Table, delimiter: str) -> pa.Table:
    """UTF-8 (a byte-order mark is allowed), header row, `\\r\\n` or `\\n` line endings."""
    data = path.read_bytes()
    header_line = data.split(b"\n", 1)[0]
    try:
        header = header_line.decode("utf-8-sig").rstrip("\r").split(delimiter)
    except UnicodeDecodeError:
        raise StructureError("encoding", not_utf8(data), table.name) from None
    if b"\0" in header_line:  # valid UTF-8, but no header of text: UTF-16 without its mark
        raise StructureError("encoding", not_utf8(data), table.name)
    if b"\n" not in data and b"\r" in data.rstrip(b"\r\n"):
        # the whole file is one line to the header check: its columns run into the rows
        raise StructureError(
            "csv",
            "its lines end in a carriage return alone (as old Mac files do); the contract asks "
            "for Windows (CRLF) or Unix (LF) line endings",
            table.name,
        )
    header = [name.strip().strip('"') for name in header]
    missing = missing_columns(table, header)
    if missing:
        raise StructureError(
            "columns",
            f"missing required column(s) {', '.join(missing)} "
            f"(expected delimiter '{delimiter}'; header read as {len(header)} column(s))",
            table.name,
        )
    repeated = repeated_columns(table, header)
    if repeated:
        raise StructureError(
            "columns",
            f"the header holds column(s) {', '.join(repeated)} more than once",
            table.name,
        )
    try:
        try:
            read = _arrow_csv(data, header, delimiter)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            # A record longer than pyarrow's block (1 MiB), a value of megabytes: one block
            # for the whole file reads it.
            read = _arrow_csv(data, header, delimiter, block_size=min(len(data) + 1, 2**31 - 1))
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message:
            raise StructureError("encoding", not_utf8(data), table.name) from None
        shape = re.search(r"Expected (\d+) columns, got (\d+)", message)
        if shape:
            # pyarrow quotes the row, which may hold identifiers: name the row instead
            row = _first_row_of_width(data, delimiter, int(shape[2]))
            at = f"row {row}" if row else "a row"
            message = (
                f"{at} has {shape[2]} value(s) where the header has {shape[1]} "
                f"(delimiter '{delimiter}'; a value holding it must be quoted)"
            )
        raise StructureError(
            "csv", f"not a well-formed CSV file: {without_identifiers(message)}", table.name
        ) from None
    return read.append_column(ROW_NUMBER, _csv_row_numbers(data, delimiter, read.num_rows))


def _arrow_csv(data: bytes, header: list[str], delimiter: str, block_size: int | None = None):
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(use_threads=True, block_size=block_size),
        # Blocks end at line breaks outside quotes only. Without it pyarrow cut blocks at any
        # line break, and a quote never closed (or a quoted line break) across a block's end
        # silently dropped the rest of that block: 10,277 rows of a 2 MiB file, no error.
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _records(data: bytes, delimiter: str) -> list[tuple[int, list[str]]] | None:
    """The non-empty records, each with the spreadsheet row it starts on (the header is row
    1), as Python's csv module reads the file; None where it cannot.

    A value may be as long as the file (a quote never closed runs on to the end): the
    module's 128 KiB limit is raised for the call (a process-wide setting, put back at once).
    """
    text = data.decode("utf-8-sig", errors="replace")
    limit = csv.field_size_limit(max(len(text), 1 << 17))
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(row, record) for row, record in enumerate(records, start=1) if record]
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)


def _first_row_of_width(data: bytes, delimiter: str, width: int) -> int | None:
    """The spreadsheet row of the first record with `width` values, after the header."""
    numbered = _records(data, delimiter) or []
    return next((row for row, record in numbered[1:] if len(record) == width), None)


def _csv_row_numbers(data: bytes, delimiter: str, count: int) -> pa.Array:
    """The row each record is on when the file is opened in a spreadsheet (header: row 1).

    pyarrow skips empty lines and keeps a quoted line break inside its value; a spreadsheet
    shows an empty line as an empty row and a quoted line break inside one cell. Files with
    neither (all generated ones) are numbered at once; the others record by record.
    """
    if b'"' not in data and b"\n\n" not in data and b"\n\r\n" not in data:
        return pa.array(range(2, count + 2), pa.int64())
    numbers = [row for row, _ in _records(data, delimiter) or []][1:]  # after the header
    if len(numbers) != count:  # the two parsers disagree: number the records in order
        numbers = list(range(2, count + 2))
    return pa.array(numbers, pa.int64())


def _not_a_workbook(path: Path) -> str:
    """What the bytes are instead, for the supplier: an xlsx is a zip archive of XML parts."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an Excel 97-2003 (.xls) or other old Office file; save it as .xlsx"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return (
                f"it is a zip archive, as an xlsx is, but damaged or cut off after "
                f"{path.stat().st_size:,} bytes (was the upload complete?)"
            )
        if "xl/workbook.xml" not in names:
            return "it is a zip archive without a workbook in it, not an xlsx"
        return "its workbook is damaged"
    try:
        # incremental: a character cut off at the end of the head is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return "its bytes are not those of an xlsx (a zip archive)"
    if text.strip() and all(c.isprintable() or c in "\r\n\t" for c in text):
        return "it is text, not a workbook (a CSV file under an .xlsx name?)"
    return "its bytes are not those of an xlsx (a zip archive)"


def read_xlsx(path: Path, tables: tuple[Table, ...]) -> dict[str, pa.Table]:
    """One sheet per table; row 1 is the header. Date cells become ISO text."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:
        # calamine raises several unrelated types for zip, XML and format errors alike.
        raise StructureError(
            "format", f"the file is not a readable xlsx workbook: {_not_a_workbook(path)}"
        ) from None
    result: dict[str, pa.Table] = {}
    parts = _sheet_parts(path)
    try:
        for table in tables:
            if table.name not in workbook.sheet_names:
                raise StructureError("sheets", f"missing required sheet {table.name}", table.name)
            _within_bounds(path, table.name, parts.get(table.name))
            try:
                rows = workbook.get_sheet_by_name(table.name).to_python(skip_empty_area=False)
            except Exception:
                raise StructureError(
                    "format", f"sheet {table.name} cannot be read", table.name
                ) from None
            header = [str(cell).strip() for cell in rows[0]] if rows else []
            missing = missing_columns(table, header)
            if missing:
                raise StructureError(
                    "columns",
                    f"sheet {table.name} misses required column(s) {', '.join(missing)}",
                    table.name,
                )
            repeated = repeated_columns(table, header)
            if repeated:
                raise StructureError(
                    "columns",
                    f"sheet {table.name} holds column(s) {', '.join(repeated)} more than once",
                    table.name,
                )
            # rows[0] is Excel's row 1 (the empty area above the data is kept), so a row's
            # index + 1 is the row number Excel shows, also past skipped empty rows.
            body = [
                (index + 1, row)
                for index, row in enumerate(rows)
                if index and any(cell != "" for cell in row)
            ]
            columns = {
                name: pa.array([_cell_text(row[i]) for _, row in body], pa.string())
                for i, name in enumerate(header)
                if name in table.column_names
            }
            columns[ROW_NUMBER] = pa.array([number for number, _ in body], pa.int64())
            result[table.name] = pa.table(columns)
    finally:
        workbook.close()
    return result


# The cells a sheet may span, from its first used cell to its last: calamine reserves memory
# for every one of them (~32 bytes each) before it reads a value, and a single stray cell in
# XFD1048576 asks for 512 GiB, which aborts the process outright instead of raising.
MAX_SHEET_CELLS = 20_000_000
_CELL_REFERENCE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
# a row that holds cells (`<row r="9"/>`, formatting alone, reserves nothing)
_ROW_REFERENCE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,7})"[^>]*(?<!/)>')
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _within_bounds(path: Path, sheet: str, part: str | None) -> None:
    """Refuse a sheet (the zip member `part`) whose used range is too large to read, before
    calamine reserves it."""
    if part is None:
        return  # calamine finds the sheet its own way, and says what is wrong
    rows: list[int] = []
    columns: list[int] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        # in blocks: the part may unpack to hundreds of MiB (within the delivery size limit)
        for block in iter(lambda: stream.read(1 << 20), b""):
            text = tail + block
            cut = max(0, text.rfind(b"<"))  # a tag cut off at the block's end waits for the next
            for column, row in _CELL_REFERENCE.findall(text, 0, cut):
                columns.append(_column_number(column))
                rows.append(int(row))
            rows.extend(int(row) for row in _ROW_REFERENCE.findall(text, 0, cut))
            if len(rows) > 1 << 16:  # only the extremes matter
                rows, columns = (
                    [min(rows), max(rows)],
                    [min(columns, default=1), max(columns, default=1)],
                )
            tail = text[cut:]
    if not rows:
        return
    height = max(rows) - min(rows) + 1
    width = max(columns, default=1) - min(columns, default=1) + 1
    if height * width > MAX_SHEET_CELLS:
        first = f"{_column_name(min(columns, default=1))}{min(rows)}"
        last = f"{_column_name(max(columns, default=1))}{max(rows)}"
        raise StructureError(
            "size",
            f"sheet {sheet} spans {first}:{last}, {height * width:,} cells, more than the "
            f"{MAX_SHEET_CELLS:,} a sheet may span: a value far below or to the right of the "
            f"data (in {last}?) makes the sheet that large; delete it and deliver again",
            sheet,
        )


def _sheet_parts(path: Path) -> dict[str, str]:
    """The zip member that holds each sheet, by the sheet's name (workbook.xml names it, its
    relations point); a sheet not found this way is left out."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            names = set(archive.namelist())
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError):
        return {}
    targets = {e.get("Id"): e.get("Target", "") for e in links.iter()}
    parts = {}
    for sheet in (e for e in book.iter() if e.tag.endswith("}sheet")):
        target = targets.get(sheet.get(_RELATIONSHIPS)) or ""
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if target and part in names:
            parts[sheet.get("name")] = part
    return parts


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_name(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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
    data = path.read_bytes()
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise StructureError("encoding", not_utf8(data)) from None
    except _RepeatedKey as exc:
        raise StructureError(
            "json",
            f"an object holds the key {without_identifiers(repr(exc.args[0]))} more than once "
            "(which one counts is not for the reader to guess)",
        ) from None
    except json.JSONDecodeError as exc:
        if data.startswith(codecs.BOM_UTF8):
            raise StructureError(
                "encoding",
                "the document starts with a byte order mark (bytes EF BB BF), which a JSON "
                "document may not; save it as UTF-8 without a byte order mark",
            ) from None
        where = f"line {exc.lineno}, column {exc.colno}"
        # "Unterminated string starting at": the position is where the string starts
        said = f"{exc.msg} {where}" if exc.msg.endswith(" at") else f"{where}: {exc.msg}"
        raise StructureError("json", f"not valid JSON ({said})") from None
    except RecursionError:
        # Python's parser recurses once per level and gives up near its recursion limit.
        raise StructureError(
            "json",
            f"the document nests {nesting_depth(data):,} levels of arrays and objects, more "
            "than the reader follows (about 900); a school document has 3",
        ) from None
    except ValueError as exc:  # e.g. a number of more than 4,300 digits
        raise StructureError("json", f"not valid JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(document, dict):
        raise StructureError("json", "the document is not a JSON object")
    return document


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object as a dict; a key given twice (two `deelnemers` lists, say) raises: Python
    would keep the last without a word."""
    document = dict(pairs)
    if len(document) < len(pairs):
        seen = set()
        raise _RepeatedKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return document


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def nesting_depth(data: bytes) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted."""
    codes = np.frombuffer(_JSON_STRING.sub(b'""', data), np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


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
    columns = {
        name: pa.array([_json_text(record[name]) for record in records], pa.string())
        for name in table.column_names
    }
    columns[ROW_NUMBER] = pa.array(range(1, len(records) + 1), pa.int64())
    return pa.table(columns)


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
