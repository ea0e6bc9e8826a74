"""Examples for the OpenAPI document: one answer per operation, as a client would see it.

FastAPI writes the document without null values, so an example holds none where its schema
requires the key.

Written by hand, with made-up but consistent numbers (14.8 is 61 of 412; a backlog ends at
its begin + task − housed), for release 1.2.0 of 31 May 2025. `tests/api/test_api_contract.py`
validates every example against its operation's response schema and checks that each row
has exactly its resource's columns.
"""

from __future__ import annotations

from typing import Any

from api.query import Cursor
from publish.tableschema import CODELISTS, DATASETS, RESOURCES, Resource

VERSION = "1.2.0"
PEILDATUM = "2025-05-31"
CREATED = "2025-06-05T06:00:00+00:00"
DIGEST = "3f1c9a0d5e8b7c6a4f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Naamsvermelding 4.0 / Attribution 4.0",
}

ROWS: dict[str, dict[str, Any]] = {
    "indicatoren": {
        "gebied_code": "GM0344",
        "gebied_naam": "Utrecht",
        "cohort_jaar": 2023,
        "duur_maanden": 12,
        "geslacht": "T",
        "leeftijdsklasse": "T",
        "indicator": "werk",
        "teller": 61,
        "noemer": 412,
        "percentage": 14.8,
        "geheim": False,
    },
    "huisvesting": {
        "gebied_code": "GM0344",
        "gebied_naam": "Utrecht",
        "periode": "2024-H2",
        "taakstelling": 180,
        "gehuisvest": 151,
        "realisatie_pct": 83.9,
        "voorlopig": False,
        "achterstand_begin": 42,
        "achterstand_eind": 71,
    },
    "doorgaande_lijn": {
        "gebied_code": "GM0344",
        "gebied_naam": "Utrecht",
        "jaar": 2024,
        "indicator": "noa_binnen_3_maanden",
        "teller": 233,
        "noemer": 371,
        "percentage": 62.8,
        "doel_pct": 60,
        "geheim": False,
    },
    "planresultaten": {
        "gebied_code": "GM0344",
        "gebied_naam": "Utrecht",
        "indicator": "werk",
        "duur_maanden": 12,
        "cohort_jaar": 2023,
        "vorig_cohort_jaar": 2022,
        "percentage": 14.8,
        "vorig_percentage": 12.1,
        "richting": "gestegen",
        "doel": "gestegen",
        "behaald": True,
    },
    "gebieden": {
        "gebied_code": "GM0344",
        "gebied_naam": "Utrecht",
        "soort": "gemeente",
        "in_u10": True,
        "in_u16": True,
    },
    "indicatoren_codelijst": {
        "indicator": "werk",
        "resource": "indicatoren",
        "label_nl": "Werk",
        "label_en": "Work",
        "definitie_nl": "Een dienstverband (elke soort) loopt op de referentiedatum",
        "definitie_en": "An employment contract (any kind) covers the reference date",
        "populatie_nl": "Gehuisveste personen van 18-64 jaar op de referentiedatum",
        "populatie_en": "Housed persons aged 18-64 at the reference date",
        "doel_pct": None,
    },
    "geslachten": {"geslacht": "V", "label_nl": "Vrouw", "label_en": "Female"},
    "leeftijdsklassen": {
        "leeftijdsklasse": "18-29",
        "label_nl": "18 tot en met 29 jaar",
        "label_en": "18 to 29 years",
        "leeftijd_van": 18,
        "leeftijd_tot_en_met": 29,
    },
}
_PATH = {"dataset": "datasets", "codelist": "codelists"}


def _prefix(pinned: bool) -> str:
    return f"/v1/releases/{VERSION}" if pinned else "/v1"


def _download(path: str = "") -> str:
    return f"/download/{VERSION}/{path}"


def resource_links(resource: Resource, pinned: bool) -> dict[str, Any]:
    own = f"{_prefix(pinned)}/{_PATH[resource.kind]}/{resource.name}"
    return {
        "self": own,
        "rows": f"{own}/rows",
        "csv": _download(f"data/{resource.name}.csv"),
        "parquet": _download(f"data/{resource.name}.parquet"),
    }


def _filters(resource: Resource) -> str:
    row = ROWS[resource.name]
    return "&".join(f"{f.name}={row[f.name]}" for f in resource.dimensions if f.codes)


def rows(resource: Resource, pinned: bool) -> dict[str, Any]:
    """A page of a dataset's rows, or a whole code list."""
    row = ROWS[resource.name]
    if resource.kind == "codelist":
        path = f"/v1/releases/{VERSION}/codelists/{resource.name}/rows"
        return {
            "data": [row],
            "meta": {"release": VERSION, "resource": resource.name, "rows": 1},
            "links": {**resource_links(resource, pinned), "permalink": path},
        }
    # The first of two pages (the document leaves out nulls, so the example has a next page).
    query = f"{_filters(resource)}&limit=1"
    own = f"{_prefix(pinned)}/datasets/{resource.name}/rows"
    template = "&".join(f"{k}={{{k}}}" for k in resource.primary_key)
    cursor = Cursor(VERSION, 1, "5d41402abc4b2a76").encode()
    return {
        "data": [row],
        "meta": {
            "release": VERSION,
            "peildatum": PEILDATUM,
            "resource": resource.name,
            "matched": 2,
            "returned": 1,
            "limit": 1,
            "fields": list(resource.field_names),
            "sort": [],
            "next_cursor": cursor,
        },
        "links": {
            "self": f"{own}?{query}",
            "next": f"{own}?{query}&cursor={cursor}",
            "schema": f"{_prefix(pinned)}/datasets/{resource.name}",
            "download": _download(f"data/{resource.name}.csv"),
            "permalink": f"/v1/releases/{VERSION}/datasets/{resource.name}/rows?{query}",
            "row": f"/v1/releases/{VERSION}/datasets/{resource.name}/rows?{template}",
        },
    }


def csv_rows(resource: Resource) -> str:
    row = ROWS[resource.name]
    cells = [
        "" if row[f] is None else str(row[f]).lower() if isinstance(row[f], bool) else str(row[f])
        for f in resource.field_names
    ]
    return ",".join(resource.field_names) + "\n" + ",".join(cells) + "\n"


def metadata(resource: Resource, pinned: bool) -> dict[str, Any]:
    size, digest = 48213, "sha256:" + DIGEST
    csv_path, parquet_path = f"data/{resource.name}.csv", f"data/{resource.name}.parquet"
    texts = {
        "title": resource.title,
        "title_en": resource.title_en,
        "description": resource.description,
        "description_en": resource.description_en,
    }
    return {
        "data": {
            "name": resource.name,
            "kind": resource.kind,
            **texts,
            "rows": 1,
            "schema": resource.table_schema(),
            "resources": {
                "csv": {"name": resource.name, "path": csv_path, "bytes": size, "hash": digest},
                "parquet": {
                    "name": f"{resource.name}-parquet",
                    "path": parquet_path,
                    "bytes": size // 4,
                    "hash": digest,
                },
            },
        },
        "meta": {},
        "links": resource_links(resource, pinned),
    }


def _release() -> dict[str, Any]:
    return {
        "version": VERSION,
        "created": CREATED,
        "peildatum": PEILDATUM,
        "content_digest": DIGEST,
    }


def catalogue(pinned: bool) -> dict[str, Any]:
    def summary(resource: Resource) -> dict[str, Any]:
        return {
            "name": resource.name,
            "title": resource.title,
            "title_en": resource.title_en,
            "description": resource.description,
            "description_en": resource.description_en,
            "rows": 1,
            "links": resource_links(resource, pinned),
        }

    return {
        "data": {
            "release": _release(),
            "title": "Monitor Statushouders regio Utrecht (U16)",
            "title_en": "Refugee integration monitor, Utrecht region (U16)",
            "description": "Hoe statushouders in de 16 gemeenten van de regio Utrecht het doen.",
            "description_en": "How refugees fare in the 16 municipalities of the region.",
            "licenses": [LICENCE],
            "datasets": [summary(r) for r in DATASETS],
            "codelists": [summary(r) for r in CODELISTS],
        },
        "meta": {},
        "links": {
            "self": _prefix(pinned),
            "releases": "/v1/releases",
            "download": _download(),
            "datapackage": _download("datapackage.json"),
        },
    }


def releases() -> dict[str, Any]:
    older = {**_release(), "version": "1.1.0", "created": "2025-05-05T06:00:00+00:00"}
    return {
        "data": [
            {
                **release,
                "latest": release["version"] == VERSION,
                "links": {
                    "self": f"/v1/releases/{release['version']}",
                    "download": f"/download/{release['version']}/",
                },
            }
            for release in (_release(), older)
        ],
        "meta": {"latest": VERSION},
        "links": {"self": "/v1/releases"},
    }


def health() -> dict[str, Any]:
    return {
        "data": {
            "status": "ok",
            "release": VERSION,
            "releases": 2,
            "message": f"serving release {VERSION}",
        },
        "meta": {},
        "links": {"catalogue": "/v1"},
    }


PAGE = (
    '<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
    f"<title>Monitor Statushouders regio Utrecht (U16) – versie {VERSION}</title>\n…"
)
FILE = csv_rows(RESOURCES[0])
