"""The Table Schema of every resource: written into `datapackage.json`, documented by the API.

The published contract is written once, in dbt: the exposure `open_data_release`
(dbt_project/models/published/_release.yml) lists every resource, its columns in order, each
column's type and its Dutch and English texts (`title`/`description`, `title_en`/
`description_en`). This module reads that file, the same one dbt puts in its manifest
(tests/publish/test_tableschema.py holds the two equal), and the code lists' values from the seeds,
so the API needs neither dbt nor a release to build its OpenAPI document at start-up. At run
time the API serves the release's own `datapackage.json` (`/v1/datasets/{name}`) and reads the
columns from the release's own Parquet files.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
CONTRACT = DBT_PROJECT / "models" / "published" / "_release.yml"
EXPOSURE = "open_data_release"

# The dimensions a client can filter on; a filter only applies to datasets that have the column.
DIMENSIONS = (
    "gebied_code",
    "cohort_jaar",
    "duur_maanden",
    "geslacht",
    "leeftijdsklasse",
    "indicator",
    "periode",
    "jaar",
)

# Where a column's values are the codes of another resource: the Table Schema's foreign keys.
FOREIGN_KEYS = {
    "gebied_code": "gebieden",
    "indicator": "indicatoren_codelijst",
    "geslacht": "geslachten",
    "leeftijdsklasse": "leeftijdsklassen",
}


def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_PROJECT / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The codes of the code lists, in the seeds' order, so that the OpenAPI document can name them
# when no release exists yet. A coded column names its list in the contract (`codes`).
MUNICIPALITIES = tuple(row["gemeente_code"] for row in _seed("gemeenten"))
AREAS = (*MUNICIPALITIES, "U10", "U16")
_INDICATORS = _seed("indicatoren_codelijst")
COHORT_INDICATORS = tuple(r["indicator"] for r in _INDICATORS if r["resource"] == "indicatoren")
TARGET_INDICATORS = tuple(r["indicator"] for r in _INDICATORS if r["resource"] == "doorgaande_lijn")
GESLACHTEN = tuple(row["geslacht"] for row in _seed("geslachten"))
LEEFTIJDSKLASSEN = tuple(row["leeftijdsklasse"] for row in _seed("leeftijdsklassen"))
CODES = {
    "areas": AREAS,
    "indicators": (*COHORT_INDICATORS, *TARGET_INDICATORS),
    "cohort_indicators": COHORT_INDICATORS,
    "target_indicators": TARGET_INDICATORS,
    "geslachten": GESLACHTEN,
    "leeftijdsklassen": LEEFTIJDSKLASSEN,
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: string, integer, number, boolean
    title: str
    description: str
    title_en: str
    description_en: str
    required: bool = True
    codes: tuple[str, ...] = ()  # the values a coded column takes; empty: not coded

    def describe(self) -> str:
        """One text for OpenAPI: Dutch, then English."""
        return f"**{self.title}**: {self.description}\n\n**{self.title_en}**: {self.description_en}"


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str  # "dataset" or "codelist"
    title: str
    description: str
    title_en: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def dimensions(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.name in DIMENSIONS)

    def describe(self) -> str:
        return f"{self.title}: {self.description}\n\n{self.title_en}: {self.description_en}"

    def table_schema(self) -> dict:
        """The resource's Table Schema as `datapackage.json` states it (and the API serves)."""
        names = set(self.field_names)
        foreign = [
            {"fields": [column], "reference": {"resource": target, "fields": [column]}}
            for column, target in FOREIGN_KEYS.items()
            if column in names and target != self.name
        ]
        return {
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
                for f in self.fields
            ],
            "primaryKey": list(self.primary_key),
            "foreignKeys": foreign,
            "missingValues": [""],
        }


def contract(path: Path = CONTRACT) -> list[dict]:
    """The resources as the exposure's `meta.resources` states them (plain YAML data)."""
    exposures = yaml.safe_load(path.read_text(encoding="utf-8"))["exposures"]
    (exposure,) = (e for e in exposures if e["name"] == EXPOSURE)
    return exposure["meta"]["resources"]


def _field(spec: dict) -> Field:
    return Field(
        name=spec["name"],
        type=spec["type"],
        title=spec["title"],
        description=spec["description"],
        title_en=spec["title_en"],
        description_en=spec["description_en"],
        required=spec.get("required", True),
        codes=CODES[spec["codes"]] if "codes" in spec else (),
    )


def _resource(spec: dict) -> Resource:
    return Resource(
        name=spec["name"],
        kind=spec["kind"],
        title=spec["title"],
        description=spec["description"],
        title_en=spec["title_en"],
        description_en=spec["description_en"],
        fields=tuple(_field(field) for field in spec["fields"]),
        primary_key=tuple(spec["primary_key"]),
    )


RESOURCES: tuple[Resource, ...] = tuple(_resource(spec) for spec in contract())
DATASETS = tuple(r for r in RESOURCES if r.kind == "dataset")
CODELISTS = tuple(r for r in RESOURCES if r.kind == "codelist")
