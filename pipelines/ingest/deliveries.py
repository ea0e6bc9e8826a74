"""Deliveries: find them, archive them by content hash, check them, refuse or stage them.

Every file in the landing folder is one delivery. The landing folder is never modified: the
pipeline remembers each file by (name, sha256) in a per-source delivery log in the warehouse,
so re-delivering the same bytes changes nothing and a corrected file for the same month
replaces the earlier one. A refused file is copied to quarantine with a report; an accepted
one is parsed, typed, pseudonymised and staged as Parquet under the key's fingerprint.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.ingest.contract import (
    StructureError,
    Table,
    Violation,
    cast_table,
    stored_name,
    stored_schema,
)
from pipelines.ingest.pseudonym import Pseudonymiser


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


@dataclass(frozen=True)
class Source:
    """A supplier: one subfolder of the landing folder, one folder of `pipelines/sources`."""

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
    # The suites' verdict (expectations.gate.DeliveryValidation), when they ran.
    validation: Any = None

    @property
    def dropped(self) -> int:
        return self.validation.dropped if self.validation is not None else 0

    @property
    def reason(self) -> str:
        return "; ".join(f"{v.rule}: {v.detail}" for v in self.violations)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def identify(source: Source, path: Path, name: str | None = None) -> DeliveryFile:
    """Which kind, deliverer and period a file is, from its (delivered) name alone."""
    name = name or path.name
    common = {
        "source": source.name,
        "name": name,
        "path": path,
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
    }
    for kind in source.kinds:
        match = re.fullmatch(kind.pattern, name)
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
            return DeliveryFile(kind=None, **common)
        deliverer = kind.deliverer or match["deliverer"]
        return DeliveryFile(
            kind=kind, deliverer=deliverer, period=period, peildatum=peildatum, **common
        )
    return DeliveryFile(kind=None, **common)


def discover(landing: Path, source: Source) -> list[DeliveryFile]:
    """Every file in the source's landing subfolder, in name order (hidden files excepted)."""
    folder = landing / source.name
    if not folder.is_dir():
        return []
    return [
        identify(source, path)
        for path in sorted(folder.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def expected_names(source: Source) -> str:
    return ", ".join(kind.description or kind.pattern for kind in source.kinds)


# Runs the delivery's suites; returns an object with `violations` (refuse) and `drops`.
Validator = Callable[[DeliveryFile, dict[str, pa.Table]], Any]


def process(
    source: Source,
    file: DeliveryFile,
    pseudonymiser: Pseudonymiser,
    validate: Validator,
    staging: Path,
) -> Outcome:
    """Check one delivery against its contract; stage it pseudonymised or refuse it whole."""
    if file.kind is None:
        problem = Violation(
            rule="file name", table="", detail=f"expected one of: {expected_names(source)}"
        )
        return Outcome(file, "refused", [problem])
    kind = file.kind
    try:
        parsed = kind.parse(file.path, file)
    except StructureError as exc:
        return Outcome(file, "refused", [exc.violation])
    peildatum = parsed.peildatum or file.peildatum
    typed: dict[str, pa.Table] = {}
    violations: list[Violation] = []
    for table in kind.tables:
        typed[table.name], problems = cast_table(table, parsed.tables[table.name])
        violations.extend(problems)
    if violations:
        return Outcome(file, "refused", violations, peildatum=peildatum)
    validation = validate(file, typed)
    if validation.violations:
        return Outcome(
            file, "refused", validation.violations, peildatum=peildatum, validation=validation
        )
    for table_name, table in typed.items():
        # Row numbers of the delivered file travel along, also past dropped rows.
        numbered = table.append_column("_row_number", pa.array(range(1, table.num_rows + 1)))
        dropped = pa.array(validation.drops.get(table_name, []), pa.int64())
        keep = pc.invert(pc.is_in(pc.subtract(numbered["_row_number"], 1), value_set=dropped))
        typed[table_name] = numbered.filter(keep)
    rows = 0
    target = staging / file.sha256
    target.mkdir(parents=True, exist_ok=True)
    for table in kind.tables:
        stored = _pseudonymised(table, typed[table.name], file, peildatum, pseudonymiser)
        rows += stored.num_rows
        pq.write_table(stored, target / f"{table.name}.parquet")
    return Outcome(file, "accepted", rows=rows, peildatum=peildatum, validation=validation)


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
    columns["_row_number"] = typed["_row_number"]
    return pa.table(columns, schema=stored_schema(table))


def archive_path(archive_dir: Path, source: str, sha256: str, name: str) -> Path:
    return archive_dir / source / f"{sha256}{Path(name).suffix}"


def archive(file: DeliveryFile, archive_dir: Path) -> Path:
    """Keep the bytes under their content hash; the same bytes are stored once."""
    target = archive_path(archive_dir, file.source, file.sha256, file.name)
    if not target.exists():
        _copy_atomically(file.path, target)
    return target


def quarantine(outcome: Outcome, quarantine_dir: Path) -> Path:
    """Keep a refused file beside a report: which file, which rule, which rows, how many."""
    file = outcome.file
    folder = quarantine_dir / file.source / f"{file.name}.{file.sha256[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / file.name).exists():
        _copy_atomically(file.path, folder / file.name)
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
    lines = [
        f"Refused delivery: {file.source}/{file.name}",
        f"sha256: {file.sha256}",
        "",
        "The whole file was refused; the previous snapshot of this deliverer stays current.",
        "",
    ]
    for v in outcome.violations:
        where = f" in {v.table}" if v.table else ""
        lines.append(f"- rule '{v.rule}'{where}: {v.detail}")
        if v.count:
            shown = ", ".join(str(r) for r in v.rows[:20])
            more = f" (first 20 of {v.count})" if v.count > 20 else ""
            lines.append(f"  {v.count} row(s): {shown}{more}")
    lines.append("")
    lines.append("Row numbers count data rows from 1, after the header.")
    return "\n".join(lines) + "\n"


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    partial.replace(target)
