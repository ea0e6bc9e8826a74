"""The Frictionless data package of a release: CSV and Parquet per resource, `datapackage.json`.

Data files depend only on the tables, so the same input gives byte-identical files and the
same content digest, hence the same version. `datapackage.json` and the download page carry
the version and `created`, so they are written after the version is known (`describe`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from publish.tableschema import RESOURCES, Resource

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Naamsvermelding 4.0 / Attribution 4.0",
}
ARROW = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}
# The Python type of a value of each Table Schema type (any other: str).
TYPES = {"integer": int, "number": float, "boolean": bool}


def data_files(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """`data/<name>.csv` and `data/<name>.parquet` for every resource, columns as the schema."""
    files = {}
    for resource in RESOURCES:
        frame = tables[resource.name]
        rows = _rows(frame, resource)
        files[f"data/{resource.name}.csv"] = _csv(rows, resource)
        files[f"data/{resource.name}.parquet"] = _parquet(rows, resource)
    return files


def describe(
    files: dict[str, bytes], version: str, created: str, peildatum: str, deliveries: list[dict]
) -> bytes:
    """`datapackage.json` (Data Package v2) for the data files."""
    resources = []
    for resource in RESOURCES:
        for fmt in ("csv", "parquet"):
            path = f"data/{resource.name}.{fmt}"
            resources.append(_resource(resource, path, files[path], fmt))
    package = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "monitor-statushouders-u16",
        "title": "Monitor Statushouders regio Utrecht (U16)",
        "description": "Hoe statushouders in de 16 gemeenten van de regio Utrecht het doen na "
        "huisvesting: werk, bijstand, participatie, inburgering en taal per cohort, de "
        "huisvestingstaakstelling en de doorgaande lijn. Geaggregeerd en beschermd tegen "
        "onthulling (zie disclosure.md).",
        "title_en": "Refugee integration monitor, Utrecht region (U16)",
        "description_en": "How refugees with a residence permit fare after housing in the 16 "
        "municipalities of the Utrecht region: work, benefits, participation, civic integration "
        "and language by cohort, the housing task and the continuous line. Aggregated and "
        "protected against disclosure (see disclosure.md).",
        "version": version,
        "created": created,
        "peildatum": peildatum,
        "licenses": [LICENCE],
        "keywords": ["statushouders", "inburgering", "participatie", "huisvesting", "U16"],
        "contributors": [
            {"title": "Regio U16 (gemeenten regio Utrecht)", "roles": ["publisher"]},
            {"title": "COA", "roles": ["dataProvider"]},
            {"title": "DUO", "roles": ["dataProvider"]},
            {"title": "Werk & Inkomen (gemeenten)", "roles": ["dataProvider"]},
            {"title": "Taalscholen", "roles": ["dataProvider"]},
        ],
        "sources": [
            {
                "title": f"{d['source']}/{d['file']}",
                "x-deliverer": d.get("supplier", d["deliverer"]),
                "x-peildatum": d["peildatum"],
                "x-sha256": d["sha256"],
            }
            for d in deliveries
        ],
        "resources": resources,
    }
    return (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode()


def validate(release: Path) -> list[str]:
    """`frictionless validate` on the staged package: the errors, none when valid.

    frictionless checks the CSV resources in full (types, constraints, keys, foreign keys) and
    every file's bytes and hash. A Parquet twin is a plain file to it (its pandas reader would
    turn an empty integer into NaN and fail its own type check), so each is checked here to
    hold the same rows as its CSV under the typed schema.
    """
    from frictionless import Package, system

    descriptor = json.loads((release / "datapackage.json").read_text())
    with system.use_context(trusted=True):
        report = Package(descriptor, basepath=str(release)).validate()
    errors = [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors[:3]]
    for resource in RESOURCES:
        name = f"{resource.name}-parquet"
        try:
            table = pq.read_table(release / "data" / f"{resource.name}.parquet")
        except (OSError, pa.ArrowException) as exc:
            errors.append(f"{name}: not a readable Parquet file ({exc})")
            continue
        expected = pa.schema([(f.name, ARROW[f.type]) for f in resource.fields])
        if not table.schema.equals(expected):
            errors.append(f"{name}: its schema is not the Table Schema of {resource.name}")
            continue
        if not _same_rows(table, release / "data" / f"{resource.name}.csv"):
            errors.append(f"{name}: its rows differ from {resource.name}.csv")
    return errors[:20]


def _same_rows(table: pa.Table, csv_path: Path) -> bool:
    """Whether the CSV, read as the Table Schema types it, holds the Parquet table's rows in
    the same order (columnar: rendering the Parquet rows as CSV again took 1.0 to 1.3 s a release).
    An empty CSV cell is a missing value, as `_cell` writes it."""
    from pyarrow import csv as pa_csv

    try:
        read = pa_csv.read_csv(
            csv_path,
            convert_options=pa_csv.ConvertOptions(
                column_types=table.schema,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                true_values=["true"],
                false_values=["false"],
            ),
        )
    except (OSError, pa.ArrowException):
        return False
    return read.column_names == table.column_names and read.cast(table.schema).equals(table)


def _rows(frame: pd.DataFrame, resource: Resource) -> list[list]:
    columns = [f.name for f in resource.fields]
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{resource.name}: columns {sorted(missing)} are missing")
    ordered = frame[columns].sort_values(list(resource.primary_key), kind="stable")
    # Column by column: a missing value (None, NaN, pd.NA) is None, the others are typed as
    # the schema's field.
    typed = []
    for field in resource.fields:
        series = ordered[field.name]
        kind = TYPES.get(field.type, str)
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object)
        typed.append([None if m else kind(v) for v, m in zip(values, missing, strict=True)])
    return [list(row) for row in zip(*typed, strict=True)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _csv(rows: list[list], resource: Resource) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in resource.fields])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def _parquet(rows: list[list], resource: Resource) -> bytes:
    schema = pa.schema([(f.name, ARROW[f.type]) for f in resource.fields])
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in resource.fields]
    table = pa.Table.from_arrays(
        [
            pa.array(list(c), type=ARROW[f.type])
            for c, f in zip(columns, resource.fields, strict=True)
        ],
        schema=schema,
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _resource(resource: Resource, path: str, data: bytes, fmt: str) -> dict:
    described = {
        "path": path,
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "title": resource.title,
        "description": resource.description,
        "title_en": resource.title_en,
        "description_en": resource.description_en,
        "x-kind": resource.kind,
    }
    if fmt == "parquet":
        # The same rows as the CSV resource, typed by its Table Schema and carrying their own.
        # Declared as a file, so that `frictionless validate` checks its bytes and hash and does
        # not read it through pandas (see `validate`).
        return {
            "name": f"{resource.name}-parquet",
            "type": "file",
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            **described,
            "x-table": resource.name,
        }
    return {
        "name": resource.name,
        "type": "table",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        **described,
        "schema": resource.table_schema(),
    }
