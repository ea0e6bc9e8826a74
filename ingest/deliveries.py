"""Deliveries: find them, archive them by content hash, check them, refuse or stage them.

Every file in the landing folder is one delivery. The landing folder is never modified: the
pipeline remembers each file by (name, sha256) in a per-source delivery log in the warehouse,
so re-delivering the same bytes changes nothing and a corrected file for the same month
replaces the earlier one. A refused file is copied to quarantine with a report; an accepted
one is parsed, typed, pseudonymised and staged as Parquet under the key's fingerprint.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contract.tables import (
    ROW_NUMBER,
    StructureError,
    Table,
    Verdict,
    Violation,
    cast_table,
    stored_name,
    stored_schema,
    without_identifiers,
)
from ingest.names import escaped, near_names, odd_characters, plain_name
from ingest.pseudonym import Pseudonymiser
from ingest.readers import as_windows_1252
from ingest.storage import human_size

# The largest delivery read, in MiB, unless STATUSHOUDERS_MAX_DELIVERY_MB says otherwise. The
# largest file of a national landing is about 35 MiB; a file many times that would take the
# memory of the whole run (a JSON document needs about ten times its size as Python objects).
DEFAULT_MAX_DELIVERY_MB = 512

# The region's clock: the day a file arrives, for the month it may at most be named for.
REGION_TIME = ZoneInfo("Europe/Amsterdam")


def today() -> dt.date:
    return dt.datetime.now(REGION_TIME).date()


@dataclass(frozen=True)
class Parsed:
    tables: dict[str, pa.Table]
    # A document that states its own peildatum (language schools) overrides the file name's.
    peildatum: dt.date | None = None


@dataclass(frozen=True)
class DeliveryKind:
    """One kind of file a supplier delivers, e.g. COA koppelingen."""

    name: str
    # Regex on the file name with a group `period` and, unless `deliverer` is fixed, `deliverer`.
    pattern: str
    period: Literal["month", "year"]
    tables: tuple[Table, ...]
    parse: Callable[[Path, DeliveryFile], Parsed]
    deliverer: str = ""
    description: str = ""
    # Taakstelling files are reference data for a year, not a snapshot with a peildatum for P.
    counts_for_peildatum: bool = True
    # Who sends the files, where the deliverer the name gives is not a supplier: each year's
    # taakstelling is a deliverer of its own (its file stays current), and COA sends them all.
    supplier: str = ""

    def supplier_of(self, deliverer: str) -> str:
        """Who sent a delivery of this kind, as the published metadata names it."""
        return self.supplier or deliverer


@dataclass(frozen=True)
class Source:
    """A supplier: one subfolder of the landing folder, one folder of `sources`."""

    name: str
    title: str
    kinds: tuple[DeliveryKind, ...]

    def tables(self) -> list[tuple[DeliveryKind, Table]]:
        return [(kind, table) for kind in self.kinds for table in kind.tables]


@dataclass(frozen=True)
class DeliveryFile:
    source: str
    # The name it was delivered under; `path` may be its archived copy.
    name: str
    path: Path
    sha256: str
    size: int
    kind: DeliveryKind | None
    deliverer: str = ""
    period: str = ""
    peildatum: dt.date | None = None


@dataclass
class Outcome:
    file: DeliveryFile
    status: Literal["accepted", "refused"]
    violations: list[Violation] = field(default_factory=list)
    rows: int = 0
    peildatum: dt.date | None = None
    # The suites' verdict, when they ran.
    validation: Verdict | None = None

    @property
    def dropped(self) -> int:
        return self.validation.dropped if self.validation is not None else 0

    @property
    def reason(self) -> str:
        return "; ".join(v.summary() for v in self.violations)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def delivered_name(path: Path) -> str:
    """The name a file was delivered under, as text: a byte that is not UTF-8 (a name saved
    in Windows-1252, `é` as 0xE9) is written `\\xe9`, as nothing downstream can store it."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def identify(source: Source, path: Path, name: str | None = None) -> DeliveryFile:
    """Which kind, deliverer and period a file is, from its (delivered) name alone."""
    name = name or delivered_name(path)
    common = {
        "source": source.name,
        "name": name,
        "path": path,
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
    }
    named = _named(source, name)
    if named is None:
        return DeliveryFile(kind=None, **common)
    kind, deliverer, period, peildatum = named
    return DeliveryFile(
        kind=kind, deliverer=deliverer, period=period, peildatum=peildatum, **common
    )


def _named(source: Source, name: str) -> tuple[DeliveryKind, str, str, dt.date] | None:
    """The kind, deliverer, period and peildatum a name gives, if it is a valid name."""
    for kind in source.kinds:
        # ASCII: `\d` would otherwise take other scripts' digits (٢٠٢٥ for 2025) as a period.
        match = re.fullmatch(kind.pattern, name, re.ASCII)
        if not match:
            continue
        period = match["period"]
        try:
            if kind.period == "month":
                year, month = (int(part) for part in period.split("-"))
                peildatum = month_end(year, month)
            else:
                peildatum = dt.date(int(period), 12, 31)
        except ValueError:
            # A name of the right shape with an impossible month, e.g. examens_2025-13.csv.
            return None
        return kind, kind.deliverer or match["deliverer"], period, peildatum
    return None


def discover(
    landing: Path, source: Source, unreadable: list[tuple[str, str]] | None = None
) -> list[DeliveryFile]:
    """Every file in the source's landing subfolder, in name order (hidden files excepted).

    A file that cannot be read now (being replaced, no permission) is left for the next
    run and added to `unreadable` as (name, reason): it is not the supplier's fault yet. So
    is an entry that is no file at all (a folder, a link to nothing): a supplier whose upload
    made a folder of the file's name would otherwise be missing from the cut unnoticed.
    """
    folder = landing / source.name
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            if unreadable is not None:
                unreadable.append((delivered_name(path), _not_a_file(path)))
            continue
        try:
            files.append(identify(source, path))
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((delivered_name(path), could_not_read(exc)))
    return files


def misplaced(landing: Path, source: Source) -> list[tuple[str, str]]:
    """What of this source sits where no run looks, as (name in the landing folder, why): a
    folder named almost as the source's (`Werk_Inkomen`, `werk-inkomen`), and a file of one of
    its kinds at the top of the landing folder. Each was passed over without a word."""
    found = []
    try:
        entries = sorted(landing.iterdir())
    except OSError:
        return []
    for path in entries:
        name = delivered_name(path)
        if name.startswith(".") or name == source.name:
            continue
        if path.is_dir() and _folder_key(name) == _folder_key(source.name):
            found.append(
                (
                    f"{name}/",
                    f"{source.title}'s deliveries are read from {source.name}/ only "
                    "(the folder's name is exact)",
                )
            )
        elif path.is_file() and _named(source, name) is not None:
            found.append((name, f"a {source.title} delivery belongs in {source.name}/"))
    return found


def _folder_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def could_not_read(exc: OSError) -> str:
    """Why a landing file could not be read, for the log: one removed meanwhile is said so."""
    if isinstance(exc, FileNotFoundError):
        return "it was removed while the run read it"
    return f"it could not be read: {exc.strerror or exc}"


def _not_a_file(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "it is a link to a file that is not there"
    if path.is_dir():
        return "it is a folder, not a file; the file itself belongs in the landing folder"
    return "it is not a regular file"


def expected_names(source: Source) -> str:
    return ", ".join(kind.description or kind.pattern for kind in source.kinds)


# Runs the delivery's business-rule suites (`expectations.validate_delivery`).
Validator = Callable[[DeliveryFile, dict[str, pa.Table]], Verdict]


def process(
    source: Source,
    file: DeliveryFile,
    pseudonymiser: Pseudonymiser,
    validate: Validator,
    staging: Path,
    max_bytes: int = DEFAULT_MAX_DELIVERY_MB << 20,
    received: dt.date | None = None,
) -> Outcome:
    """Check one delivery against its contract; stage it pseudonymised or refuse it whole.

    Whatever goes wrong while reading and checking the file refuses that file, with a reason:
    one malformed delivery never stops the run. Only writing the staged tables may raise,
    since a full or read-only disk is the pipeline's problem, not the supplier's.

    `received` is the day a new file arrived: a monthly snapshot named for a later month is
    refused. (A file restaged from the archive was checked on arrival and passes None.)
    """
    if file.kind is None:
        return Outcome(file, "refused", [_name_violation(source, file.name)])
    if received is not None and _not_begun(file, received):
        return Outcome(file, "refused", [_not_begun_violation(file, received)])
    try:
        checked = _check(file, validate, max_bytes)
    except StructureError as exc:
        return Outcome(file, "refused", [exc.violation])
    except Exception as exc:  # anything else a file can make a reader or a suite do
        return Outcome(file, "refused", [_unreadable(exc)])
    if isinstance(checked, Outcome):
        return checked
    typed, peildatum, validation = checked
    rows = 0
    target = staging / file.sha256
    target.mkdir(parents=True, exist_ok=True)
    for table in file.kind.tables:
        stored = _pseudonymised(table, typed[table.name], file, peildatum, pseudonymiser)
        rows += stored.num_rows
        pq.write_table(stored, target / f"{table.name}.parquet")
    return Outcome(file, "accepted", rows=rows, peildatum=peildatum, validation=validation)


def _check(
    file: DeliveryFile, validate: Validator, max_bytes: int
) -> Outcome | tuple[dict[str, pa.Table], dt.date | None, Any]:
    """Read, type and validate a delivery: a refusal, or its tables without dropped rows."""
    kind = file.kind
    assert kind is not None
    _check_size(file, max_bytes)
    parsed = kind.parse(file.path, file)
    peildatum = parsed.peildatum or file.peildatum
    if not any(parsed.tables[t.name].num_rows for t in kind.tables if not t.single):
        raise StructureError("empty", _without_rows(file))
    typed: dict[str, pa.Table] = {}
    violations: list[Violation] = []
    for table in kind.tables:
        typed[table.name], problems = cast_table(table, parsed.tables[table.name])
        violations.extend(problems)
    if violations:
        return Outcome(file, "refused", violations, peildatum=peildatum)
    validation = validate(file, typed)
    if validation.violations:
        hints = [_short_bsns(t, typed[t.name]) for t in kind.tables]
        return Outcome(
            file,
            "refused",
            validation.violations + [h for h in hints if h],
            peildatum=peildatum,
            validation=validation,
        )
    for table_name, table in typed.items():
        # drops are positions in the table; the row numbers travel along as lineage
        dropped = pa.array(validation.drops.get(table_name, []), pa.int64())
        positions = pa.array(range(table.num_rows), pa.int64())
        typed[table_name] = table.filter(pc.invert(pc.is_in(positions, value_set=dropped)))
    return typed, peildatum, validation


def _short_bsns(table: Table, typed: pa.Table) -> Violation | None:
    """Why bsns that are valid to the supplier fail the elfproef: a spreadsheet took them for
    numbers and dropped their leading 0, in a workbook or when Excel opened and saved a CSV.
    A hint beside the rules that refused the file; it changes nothing about what is refused."""
    short = pa.array([False] * typed.num_rows, pa.bool_())
    for column in table.columns:
        if column.type == "bsn":
            digits = pc.match_substring_regex(typed[column.name], r"^[0-9]{1,8}$")
            short = pc.or_(short, pc.fill_null(digits, False))
    rows = typed[ROW_NUMBER].filter(short).to_pylist()
    if not rows:
        return None
    return Violation(
        rule="bsn without its leading 0",
        table=table.name,
        rows=rows,
        count=len(rows),
        detail=f"{len(rows):,} row(s) hold a bsn of fewer than 9 digits: a bsn that starts "
        "with 0 loses it where a spreadsheet takes it for a number (012345678 becomes "
        "12345678), in a workbook or when Excel opens and saves a CSV; keep the bsn column as "
        "text and deliver again",
    )


def _check_size(file: DeliveryFile, max_bytes: int) -> None:
    """Empty, or too large to read safely: said before any reader tries."""
    if file.size == 0:
        raise StructureError("empty", "the file is empty")
    if file.size <= 1 << 20 and not file.path.read_bytes().removeprefix(b"\xef\xbb\xbf").strip():
        raise StructureError("empty", "the file is empty (it holds only white space)")
    limit = f"the {human_size(max_bytes)} a delivery may be (STATUSHOUDERS_MAX_DELIVERY_MB)"
    if file.size > max_bytes:
        raise StructureError("size", f"the file is {human_size(file.size)}, more than {limit}")
    # An xlsx workbook is a zip of XML, which unpacked may be a hundred times the file.
    if zipfile.is_zipfile(file.path):
        try:
            with zipfile.ZipFile(file.path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError):
            return  # the reader says what is wrong with it
        if unpacked > max_bytes:
            raise StructureError(
                "size", f"the file unpacks to {human_size(unpacked)}, more than {limit}"
            )


def _without_rows(file: DeliveryFile) -> str:
    """A snapshot without a single row: as the current one it would withdraw everyone the
    deliverer sent before (and an empty COA or DUO extract leaves the monitor no one to
    follow). In every case seen it is an export that went wrong, so it is refused."""
    assert file.kind is not None
    rows = [t for t in file.kind.tables if not t.single]
    where = {
        ".xlsx": "each of its sheets holds only its header row",
        ".json": f"its list {rows[0].location} is empty",
    }.get(Path(file.name).suffix.lower(), "it holds only its header row")
    return (
        f"the file holds no rows: {where}; as a full snapshot it would withdraw everyone "
        f"{file.deliverer or 'the supplier'} delivered before, so what was current stays "
        "current; deliver the export again with its rows"
    )


def _unreadable(exc: Exception) -> Violation:
    """A reader or a suite failed in a way no rule foresaw: say so without a traceback."""
    if isinstance(exc, MemoryError):
        detail = "the file is too large to read in this machine's memory"
    elif isinstance(exc, RecursionError):
        detail = "the file nests too deeply to read"
    else:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        message = f": {without_identifiers(lines[0][:300])}" if lines else ""
        detail = f"the file could not be read ({type(exc).__name__}{message})"
    return Violation(rule="unreadable", table="", detail=detail)


def _not_begun(file: DeliveryFile, received: dt.date) -> bool:
    """A monthly snapshot for a month after the one it arrived in. Its month is the month of
    its peildatum, the day the extract was taken (sources.md), which cannot lie ahead: the
    name is mistyped (2052 for 2025), and were it accepted it would stay the deliverer's
    current snapshot, every real month after it only history, and the cut would wait for that
    month. A yearly file (a taakstelling) is a plan and may be for a year to come."""
    assert file.kind is not None
    return file.kind.period == "month" and file.period > f"{received:%Y-%m}"


def _not_begun_violation(file: DeliveryFile, received: dt.date) -> Violation:
    return Violation(
        rule="file name",
        table="",
        detail=f"the file name's month {file.period} has not begun: the file arrived on "
        f"{received.isoformat()}, and the month in its name is that of the day the extract was "
        "taken; rename the file and deliver it again",
    )


def intended_slot(source: Source, name: str) -> tuple[str, str, str] | None:
    """The (kind, deliverer, period) a refused name was meant for: that of the valid name its
    refusal suggests."""
    meant = _meant_name(source, name)
    named = _named(source, meant) if meant else None
    if named is None:
        return None
    kind, deliverer, period, _ = named
    return kind.name, deliverer, period


def _meant_name(source: Source, name: str) -> str | None:
    """The valid name a refused one is an odd character (typed plainly) or common slips away
    from, if any."""
    odd = odd_characters(name)
    candidates = [plain_name(name, odd)] if odd else near_names(name)
    return next((n for n in candidates if _named(source, n) is not None), None)


# a byte of a name that is not UTF-8, as `delivered_name` writes it
_NOT_UTF8 = re.compile(r"\\x([0-9a-f]{2})")


def _name_violation(source: Source, name: str) -> Violation:
    """A name that is no kind of this source's, with what makes it so when it is invisible."""
    expected = f"expected one of: {expected_names(source)}"
    undecodable = _NOT_UTF8.search(name)
    if undecodable:
        byte = int(undecodable[1], 16)
        return Violation(
            rule="file name",
            table="",
            detail=f"the file name is not UTF-8: character {undecodable.start() + 1} is byte "
            f"0x{byte:02X}{as_windows_1252(byte)}, written here as \\x{undecodable[1]}; "
            f"{expected}",
        )
    odd = odd_characters(name)
    meant = _meant_name(source, name)
    if not odd:
        month = re.search(r"\d{4}-(\d{2})(?!\d)", name)
        hint = ""
        if meant:
            hint = f"; as {meant} it would be a valid name: rename the file and deliver it again"
        elif month and not 1 <= int(month[1]) <= 12:
            hint = f"; {month[0]} is no month (YYYY-MM, the month 01 to 12)"
        return Violation(
            rule="file name", table="", detail=f"the file name does not match; {expected}{hint}"
        )
    detail = f"the file name {escaped(name)} contains " + " and ".join(c.describe() for c in odd)
    if meant:
        detail += (
            f"; typed plainly it reads {meant}, a valid name: rename the file and deliver it again"
        )
    else:
        detail += f"; {expected}"
    return Violation(rule="file name", table="", detail=detail)


def _pseudonymised(
    table: Table,
    typed: pa.Table,
    file: DeliveryFile,
    peildatum: dt.date | None,
    pseudonymiser: Pseudonymiser,
) -> pa.Table:
    n = typed.num_rows
    columns: dict[str, pa.Array] = {}
    for column in table.columns:
        values = typed[column.name]
        if column.is_identifier:
            values = pseudonymiser.column(column.type, values)
        columns[stored_name(column)] = values
    columns["_delivery_hash"] = pa.array([file.sha256] * n, pa.string())
    columns["_deliverer"] = pa.array([file.deliverer] * n, pa.string())
    columns["_peildatum"] = pa.array([peildatum] * n, pa.date32())
    columns[ROW_NUMBER] = typed[ROW_NUMBER]
    return pa.table(columns, schema=stored_schema(table))


def archive_path(archive_dir: Path, source: str, sha256: str, name: str) -> Path:
    return archive_dir / source / f"{sha256}{Path(name).suffix}"


class ChangedWhileRead(Exception):
    """The file's bytes are no longer those its hash was taken of: it is being replaced."""


def archive(file: DeliveryFile, archive_dir: Path) -> DeliveryFile:
    """Keep the bytes under their content hash (the same bytes are stored once), and give the
    delivery as its archived copy. Everything after reads that copy: a file the supplier
    replaced meanwhile had its new bytes archived under the old hash and checked in place of
    the old ones, and one removed meanwhile failed the whole source's step.

    Raises `ChangedWhileRead` when the bytes copied are not those hashed before, and
    FileNotFoundError when the file is gone; the next run takes the file as it is then.
    """
    target = archive_path(archive_dir, file.source, file.sha256, file.name)
    if not target.exists():
        _copy_atomically(file.path, target, file.sha256)
    return dataclasses.replace(file, path=target)


def quarantine(outcome: Outcome, quarantine_dir: Path) -> Path:
    """Keep a refused file beside a report: which file, which rule, which rows, how many."""
    file = outcome.file
    folder = quarantine_dir / file.source / keyed_folder(file)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / _fitting(file.name)
    if not copy.exists():
        _copy_atomically(file.path, copy)
    report = {
        "file": f"{file.source}/{file.name}",
        "sha256": file.sha256,
        "bytes": file.size,
        "kind": file.kind.name if file.kind else None,
        "deliverer": file.deliverer or None,
        "period": file.period or None,
        "status": "refused",
        "violations": [v.as_dict() for v in outcome.violations],
    }
    (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (folder / "report.txt").write_text(render_report(outcome))
    return folder


def render_report(outcome: Outcome) -> str:
    file = outcome.file
    lines = [f"Refused delivery: {file.source}/{file.name}"]
    if escaped(file.name) != file.name:
        lines.append(f"(the name written out: {escaped(file.name)})")
    lines += [
        f"sha256: {file.sha256}",
        "",
        "The whole file was refused: none of its rows is used, and what was current before it "
        "stays current.",
        "",
    ]
    tables = {t.name: t for t in file.kind.tables} if file.kind else {}
    any_numbered = False
    for v in outcome.violations:
        table = tables.get(v.table)
        # which sheet or part of a document, when the file has several
        where = f" ({table.location})" if v.count and table and len(tables) > 1 else ""
        # a JSON object that is not in a list (the school) has no rows to point at
        numbered = v.count and not (table and table.single)
        if v.causes:
            lines.append(f"- {v.detail}{where}:")
            lines += [f"  - {cause.summary()}; {_rows(cause)}" for cause in v.causes]
            any_numbered = True
        else:
            lines.append(f"- {v.summary()}{where}")
            if numbered:
                lines.append(f"  {_rows(v)}")
                any_numbered = True
    # how to find the rows named above; nothing to say when none is named
    if any_numbered:
        lines += ["", _ROW_NUMBERS.get(Path(file.name).suffix.lower(), _ROW_NUMBERS[".csv"])]
    return "\n".join(lines) + "\n"


_ROW_NUMBERS = {
    ".csv": "Row numbers are those a spreadsheet shows: the header is row 1, "
    "the first data row is row 2.",
    ".xlsx": "Row numbers are those Excel shows: the header is row 1 of each sheet, "
    "the first data row is row 2.",
    ".json": "Row numbers count the elements of the document's list from 1.",
}


def _rows(v: Violation) -> str:
    shown = ", ".join(f"{r:,}" for r in v.rows[:20])
    if v.count == 1:
        return f"row {shown}"
    more = f" (the first 20 of {v.count:,})" if v.count > 20 else ""
    return f"rows {shown}{more}"


def keyed_folder(file: DeliveryFile) -> str:
    """The folder name of a delivery's reports: its name and the start of its hash, the name
    shortened where together they would pass the 255 bytes a file name may be."""
    key = f".{file.sha256[:12]}"
    return _fitting(file.name, 255 - len(key)) + key


def _fitting(name: str, room: int = 255) -> str:
    """The name cut to `room` bytes (a cut character dropped whole)."""
    return name.encode()[:room].decode("utf-8", "ignore")


def _partial(target: Path) -> Path:
    """Where a copy is written before it takes its name (hidden, and short enough always)."""
    return target.with_name(
        f".partial-{os.getpid()}-{hashlib.sha256(target.name.encode()).hexdigest()[:12]}"
    )


def _copy_atomically(source: Path, target: Path, sha256: str | None = None) -> None:
    """Copy under a hidden name, then rename: `target` is whole or absent. With `sha256`, the
    bytes copied must be those (`ChangedWhileRead` otherwise, and nothing is left)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    digest = hashlib.sha256()
    try:
        with source.open("rb") as reading, partial.open("wb") as copy:
            for block in iter(lambda: reading.read(1 << 20), b""):
                digest.update(block)
                copy.write(block)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ChangedWhileRead(source.name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
