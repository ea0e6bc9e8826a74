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

from publish.schema import RESOURCES, Resource

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
FOREIGN_KEYS = {
    "gebied_code": "gebieden",
    "indicator": "indicatoren_codelijst",
    "geslacht": "geslachten",
    "leeftijdsklasse": "leeftijdsklassen",
}


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
                "x-deliverer": d["deliverer"],
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

    frictionless reads Parquet through pandas, which turns an empty integer into NaN and then
    fails its own type check; so it validates the CSV resources (types, constraints, keys,
    foreign keys, bytes and hashes), and each Parquet twin is checked here to hold the same
    rows under the same typed schema.
    """
    from frictionless import Package, system

    descriptor = json.loads((release / "datapackage.json").read_text())
    csv_only = {
        **descriptor,
        "resources": [r for r in descriptor["resources"] if r["format"] == "csv"],
    }
    with system.use_context(trusted=True):
        report = Package(csv_only, basepath=str(release)).validate()
    errors = [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors[:3]]
    for resource in RESOURCES:
        table = pq.read_table(release / "data" / f"{resource.name}.parquet")
        expected = pa.schema([(f.name, ARROW[f.type]) for f in resource.fields])
        with (release / "data" / f"{resource.name}.csv").open(encoding="utf-8") as handle:
            rows = sum(1 for _ in handle) - 1
        if not table.schema.equals(expected) or table.num_rows != rows:
            errors.append(f"{resource.name}-parquet: schema or row count differs from the CSV")
    return errors[:20]


def _rows(frame: pd.DataFrame, resource: Resource) -> list[list]:
    columns = [f.name for f in resource.fields]
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{resource.name}: columns {sorted(missing)} are missing")
    ordered = frame[columns].sort_values(list(resource.primary_key), kind="stable")
    out = []
    for record in ordered.itertuples(index=False):
        row = []
        for field, value in zip(resource.fields, record, strict=True):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                row.append(None)
            elif field.type == "integer":
                row.append(int(value))
            elif field.type == "number":
                row.append(float(value))
            elif field.type == "boolean":
                row.append(bool(value))
            else:
                row.append(str(value))
        out.append(row)
    return out


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
    names = {f.name for f in resource.fields}
    foreign = [
        {"fields": [column], "reference": {"resource": target, "fields": [column]}}
        for column, target in FOREIGN_KEYS.items()
        if column in names and target != resource.name
    ]
    return {
        "name": resource.name if fmt == "csv" else f"{resource.name}-parquet",
        "path": path,
        "type": "table",
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        **({"encoding": "utf-8"} if fmt == "csv" else {}),
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "title": resource.title,
        "description": resource.description,
        "title_en": resource.title_en,
        "description_en": resource.description_en,
        "x-kind": resource.kind,
        "schema": {
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "title": f.title,
                    "description": f.description,
                    "title_en": f.title_en,
                    "description_en": f.description_en,
                    **({"constraints": {"required": True}} if f.required else {}),
                }
                for f in resource.fields
            ],
            "primaryKey": list(resource.primary_key),
            # Foreign keys on the CSV resources only: the Parquet twins hold the same rows.
            "foreignKeys": foreign if fmt == "csv" else [],
            "missingValues": [""],
        },
    }
