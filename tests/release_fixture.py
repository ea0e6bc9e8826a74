"""Releases in the layout publish/ writes (README: the data dir), from small hand-made tables.

For the API tests and `benchmarks/api_load.py`. The columns and their types come from the release
contract (dbt's exposure, dbt_project/models/published/_release.yml); the rows are written out
here. Values are made up but shaped like the real ones: counts, percentages rounded half away
from zero, and rows withheld by disclosure control (noemer below 10: teller, noemer and
percentage empty; a teller or remainder of 1 or 2: teller and percentage empty), with
`geheim` true.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from publish.store import LATEST, MANIFEST, content_digest, read_rows, typed_value
from publish.tableschema import contract

ROOT = Path(__file__).resolve().parents[1]

# name -> [(column, Table Schema type)], and the primary key: the release contract as dbt's
# exposure states it (publish/tableschema.py reads the same file).
_CONTRACT = contract()
COLUMNS: dict[str, list[tuple[str, str]]] = {
    r["name"]: [(f["name"], f["type"]) for f in r["fields"]] for r in _CONTRACT
}
PRIMARY_KEYS = {r["name"]: list(r["primary_key"]) for r in _CONTRACT}
DATASETS = tuple(r["name"] for r in _CONTRACT if r["kind"] == "dataset")
ARROW = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}

SMALL_AREAS = [
    ("GM0344", "Utrecht"),
    ("GM0355", "Zeist"),
    ("GM0589", "Oudewater"),
    ("U10", "U10"),
    ("U16", "U16"),
]
GESLACHTEN = ["M", "V", "T"]
LEEFTIJDSKLASSEN = ["18-29", "30-49", "50-64", "T"]
COHORT_INDICATORS = [
    "werk",
    "bijstand",
    "werk_zonder_bijstand",
    "activering",
    "onderwijs",
    "taalles",
    "participatie",
    "inburgering_voldaan",
    "taalniveau_b1",
]


def all_areas() -> list[tuple[str, str]]:
    """The 16 municipalities (from the project's reference seed), U10 and U16."""
    with (ROOT / "dbt_project" / "seeds" / "gemeenten.csv").open(encoding="utf-8") as handle:
        municipalities = [(r["gemeente_code"], r["gemeente_naam"]) for r in csv.DictReader(handle)]
    return [*municipalities, ("U10", "U10"), ("U16", "U16")]


def percentage(teller: int, noemer: int) -> float:
    """100 × teller / noemer to one decimal, half away from zero, in integer arithmetic."""
    tenths, rest = divmod(1000 * teller, noemer)
    return (tenths + (2 * rest >= noemer)) / 10


def _counts(rng: random.Random, small: bool) -> dict:
    noemer = rng.randint(0, 40) if small else rng.randint(30, 900)
    teller = rng.randint(0, noemer)
    if noemer < 10:
        return {"teller": None, "noemer": None, "percentage": None, "geheim": True}
    if teller in (1, 2) or noemer - teller in (1, 2):
        return {"teller": None, "noemer": noemer, "percentage": None, "geheim": True}
    return {
        "teller": teller,
        "noemer": noemer,
        "percentage": percentage(teller, noemer),
        "geheim": False,
    }


def indicatoren(
    pairs: list[tuple[int, int]] | None = None,
    areas: list[tuple[str, str]] | None = None,
    indicators: list[str] | None = None,
    seed: int = 1,
) -> list[dict]:
    """One row per (cohort, duration) × area × geslacht × leeftijdsklasse × indicator."""
    rng = random.Random(seed)
    rows = []
    for cohort_jaar, duur_maanden in pairs or [(2022, 6), (2022, 12), (2023, 6)]:
        for code, name in areas or SMALL_AREAS:
            for geslacht in GESLACHTEN:
                for klasse in LEEFTIJDSKLASSEN:
                    for indicator in indicators or ["werk", "bijstand", "taalles"]:
                        rows.append(
                            {
                                "gebied_code": code,
                                "gebied_naam": name,
                                "cohort_jaar": cohort_jaar,
                                "duur_maanden": duur_maanden,
                                "geslacht": geslacht,
                                "leeftijdsklasse": klasse,
                                "indicator": indicator,
                                **_counts(rng, small=code == "GM0589"),
                            }
                        )
    return rows


def huisvesting(areas: list[tuple[str, str]] | None = None, seed: int = 1) -> list[dict]:
    """The backlog runs on from half-year to half-year: begin + task - housed = end."""
    rng = random.Random(seed)
    rows = []
    for code, name in areas or SMALL_AREAS:
        achterstand = 0
        for periode in ["2023-H1", "2023-H2", "2024-H1", "2025-H2"]:
            taakstelling = 0 if code == "GM0589" and periode == "2023-H1" else rng.randint(5, 300)
            gehuisvest = rng.randint(0, 320)
            begin, achterstand = achterstand, achterstand + taakstelling - gehuisvest
            rows.append(
                {
                    "gebied_code": code,
                    "gebied_naam": name,
                    "periode": periode,
                    "taakstelling": taakstelling,
                    "gehuisvest": gehuisvest,
                    "realisatie_pct": percentage(gehuisvest, taakstelling)
                    if taakstelling
                    else None,
                    "voorlopig": periode == "2025-H2",
                    "achterstand_begin": begin,
                    "achterstand_eind": achterstand,
                }
            )
    return rows


def doorgaande_lijn(areas: list[tuple[str, str]] | None = None, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for jaar in [2022, 2023, 2024]:
        for code, name in areas or SMALL_AREAS:
            targets = [("noa_binnen_3_maanden", 60)]
            if code == "U16":
                targets.insert(0, ("plaatsing_regio", 90))
            for indicator, doel in targets:
                rows.append(
                    {
                        "gebied_code": code,
                        "gebied_naam": name,
                        "jaar": jaar,
                        "indicator": indicator,
                        **_counts(rng, small=code == "GM0589"),
                        "doel_pct": doel,
                    }
                )
    return rows


def planresultaten(areas: list[tuple[str, str]] | None = None, seed: int = 1) -> list[dict]:
    """Two cohorts compared at 12 and 24 months; a withheld percentage leaves no verdict."""
    rng = random.Random(seed)
    rows = []
    for code, name in areas or SMALL_AREAS:
        for indicator in ["werk", "bijstand", "taalles"]:
            for duur, cohort in [(12, 2023), (24, 2022)]:
                now, before = (
                    None if code == "GM0589" and rng.random() < 0.5 else rng.randint(0, 1000) / 10
                    for _ in range(2)
                )
                richting = None
                if now is not None and before is not None:
                    richting = (
                        "gestegen" if now > before else "gedaald" if now < before else "gelijk"
                    )
                doel = "gedaald" if indicator == "bijstand" else "gestegen"
                rows.append(
                    {
                        "gebied_code": code,
                        "gebied_naam": name,
                        "indicator": indicator,
                        "duur_maanden": duur,
                        "cohort_jaar": cohort,
                        "vorig_cohort_jaar": cohort - 1,
                        "percentage": now,
                        "vorig_percentage": before,
                        "richting": richting,
                        "doel": doel,
                        "behaald": None if richting is None else richting == doel,
                    }
                )
    return rows


def codelists(areas: list[tuple[str, str]] | None = None) -> dict[str, list[dict]]:
    u10 = {"GM0344", "GM0355"}
    return {
        "gebieden": [
            {
                "gebied_code": code,
                "gebied_naam": name,
                "soort": "gemeente" if code.startswith("GM") else "regio",
                "in_u10": code in u10 or code == "U10",
                "in_u16": code != "U10",
            }
            for code, name in areas or SMALL_AREAS
        ],
        "indicatoren_codelijst": [
            {
                "indicator": indicator,
                "resource": resource,
                "label_nl": indicator.replace("_", " ").capitalize(),
                "label_en": indicator.replace("_", " ").title(),
                "definitie_nl": f"Definitie van {indicator}, met een komma",
                "definitie_en": f"Definition of {indicator}, with a comma",
                "populatie_nl": "Gehuisveste personen van 18-64 jaar",
                "populatie_en": "Housed persons aged 18-64",
                "doel_pct": doel,
            }
            for indicator, resource, doel in [
                *((i, "indicatoren", None) for i in COHORT_INDICATORS),
                ("plaatsing_regio", "doorgaande_lijn", 90),
                ("noa_binnen_3_maanden", "doorgaande_lijn", 60),
            ]
        ],
        "geslachten": [
            {"geslacht": "M", "label_nl": "Man", "label_en": "Male"},
            {"geslacht": "V", "label_nl": "Vrouw", "label_en": "Female"},
            {"geslacht": "T", "label_nl": "Totaal", "label_en": "Total"},
        ],
        "leeftijdsklassen": [
            {
                "leeftijdsklasse": klasse,
                "label_nl": f"{klasse} jaar",
                "label_en": f"{klasse} years",
                "leeftijd_van": low,
                "leeftijd_tot_en_met": high,
            }
            for klasse, low, high in [
                ("18-29", 18, 29),
                ("30-49", 30, 49),
                ("50-64", 50, 64),
                ("T", 18, 64),
            ]
        ],
    }


def small_tables(seed: int = 1) -> dict[str, list[dict]]:
    """A whole release's tables, a few hundred rows: every kind of row, withheld ones too."""
    return {
        "indicatoren": indicatoren(seed=seed),
        "huisvesting": huisvesting(seed=seed),
        "doorgaande_lijn": doorgaande_lijn(seed=seed),
        "planresultaten": planresultaten(seed=seed),
        **codelists(),
    }


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _csv(name: str, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [c for c, _ in COLUMNS[name]]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[c]) for c in columns])
    return out.getvalue().encode("utf-8")


def _parquet(name: str, rows: list[dict]) -> bytes:
    schema = pa.schema([(c, ARROW[t]) for c, t in COLUMNS[name]])
    plain = [{c: float(v) if isinstance(v, Decimal) else v for c, v in row.items()} for row in rows]
    table = pa.Table.from_pylist(plain, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _resource(name: str, path: str, data: bytes, fmt: str) -> dict:
    kind = "dataset" if name in DATASETS else "codelist"
    resource = {
        "name": name if fmt == "csv" else f"{name}-parquet",
        "path": path,
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "title": f"Tabel {name}",
        "description": f"De tabel {name}.",
        "title_en": f"Table {name}",
        "description_en": f"The table {name}.",
        "x-kind": kind,
        "schema": {
            "fields": [
                {
                    "name": column,
                    "type": type_,
                    "title": f"Kolom {column}",
                    "description": f"De kolom {column}.",
                    "title_en": f"Column {column}",
                    "description_en": f"The column {column}.",
                }
                for column, type_ in COLUMNS[name]
            ],
            "primaryKey": PRIMARY_KEYS[name],
            "foreignKeys": [],
            "missingValues": [""],
        },
    }
    if fmt == "csv":
        resource["encoding"] = "utf-8"
    return resource


def package_files(
    tables: dict[str, list[dict]],
    *,
    version: str,
    created: str,
    peildatum: str,
    **package: object,
) -> dict[str, bytes]:
    """The data files of `tables` (CSV and Parquet, columns and types from the contract) and
    the datapackage.json describing them; `package` sets or adds the package's own fields."""
    files: dict[str, bytes] = {}
    resources = []
    for name, rows in tables.items():
        for fmt, data in (("csv", _csv(name, rows)), ("parquet", _parquet(name, rows))):
            path = f"data/{name}.{fmt}"
            files[path] = data
            resources.append(_resource(name, path, data, fmt))
    described = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "monitor-statushouders-u16",
        "title": "Monitor Statushouders U16",
        "description": "Testrelease.",
        "title_en": "Monitor Statushouders U16",
        "description_en": "Test release.",
        "version": version,
        "created": created,
        "peildatum": peildatum,
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        **package,
        "resources": resources,
    }
    files["datapackage.json"] = (json.dumps(described, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )
    return files


def build_release(
    releases: Path,
    version: str,
    tables: dict[str, list[dict]] | None = None,
    *,
    peildatum: str = "2025-06-30",
    switch: bool = True,
) -> Path:
    """Write `releases/<version>/` completely, then (by default) point `latest` at it.

    As publish/ does: written under a hidden name, renamed into place, then the link
    replaced with os.replace, so a reader never sees half a release.
    """
    tables = tables if tables is not None else small_tables()
    created = "2025-07-05T06:00:00+00:00"
    files = package_files(tables, version=version, created=created, peildatum=peildatum)
    links = "".join(f'<li><a href="data/{n}.csv">{n}</a></li>' for n in tables)
    files["index.html"] = (
        f"<!doctype html><title>Release {version}</title><ul>{links}</ul>".encode()
    )
    files["CHANGELOG.md"] = f"# {version}\n".encode()
    manifest = {
        "version": version,
        "created": created,
        "peildatum": peildatum,
        "content_digest": content_digest(files),
        "files": sorted(files),
    }
    files[MANIFEST] = json.dumps(manifest, indent=2).encode()

    releases.mkdir(parents=True, exist_ok=True)
    partial = releases / f".partial-{version}"
    for name, data in files.items():
        (partial / name).parent.mkdir(parents=True, exist_ok=True)
        (partial / name).write_bytes(data)
    target = releases / version
    partial.rename(target)
    if switch:
        switch_latest(releases, version)
    return target


def two_releases(data_dir: Path) -> Path:
    """1.0.0, and 1.1.0 with other numbers, which `latest` points at; returns `data_dir`."""
    build_release(data_dir / "releases", "1.0.0", small_tables(seed=1))
    build_release(data_dir / "releases", "1.1.0", small_tables(seed=2))
    return data_dir


def switch_latest(releases: Path, version: str) -> None:
    link = releases / f".{LATEST}-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version, target_is_directory=True)
    os.replace(link, releases / LATEST)


def read_csv(release: Path, name: str) -> list[dict]:
    """A release's CSV typed by its datapackage.json, numbers as floats (as JSON has them)."""
    return read_rows(release, name, number=float)


def typed(value: str, type_: str) -> object:
    return typed_value(value, {"type": type_}, float)
