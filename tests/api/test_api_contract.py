"""The API's static copy of the Table Schemas (publish/tableschema.py), held against a release in
the contract's layout and against the dbt seeds' codes, and the OpenAPI document built from it:
enums, an example per operation, the download endpoints."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest

from api import examples
from api.main import create_app
from api.settings import ApiSettings
from publish.tableschema import (
    AREAS,
    COHORT_INDICATORS,
    DATASETS,
    DIMENSIONS,
    GESLACHTEN,
    LEEFTIJDSKLASSEN,
    MUNICIPALITIES,
    RESOURCES,
    TARGET_INDICATORS,
)
from tests.release_fixture import ROOT, build_release, read_csv

STATIC = {r.name: r for r in RESOURCES}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory):
    return build_release(tmp_path_factory.mktemp("contract") / "releases", "1.0.0")


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(ApiSettings()).openapi()


def test_the_static_schemas_name_the_releases_resources_columns_types_and_keys(release):
    package = json.loads((release / "datapackage.json").read_text())
    published = {r["name"]: r for r in package["resources"] if r["format"] == "csv"}
    assert set(published) == set(STATIC)
    for name, resource in published.items():
        fields = [(f["name"], f["type"]) for f in resource["schema"]["fields"]]
        assert fields == [(f.name, f.type) for f in STATIC[name].fields], name
        assert resource["schema"]["primaryKey"] == list(STATIC[name].primary_key), name
        assert resource["x-kind"] == STATIC[name].kind


def test_only_columns_the_static_schemas_leave_optional_are_ever_empty(release):
    for name, resource in STATIC.items():
        empty = {c for row in read_csv(release, name) for c, v in row.items() if v is None}
        required = {f.name for f in resource.fields if f.required}
        assert not empty & required, name


@pytest.mark.parametrize("resource", DATASETS, ids=lambda r: r.name)
def test_openapi_documents_each_filter_and_column_in_dutch_and_english(document, resource):
    rows = document["paths"][f"/v1/datasets/{resource.name}/rows"]["get"]
    parameters = {p["name"]: p["description"] for p in rows["parameters"]}
    dimensions = {f.name for f in resource.dimensions}
    assert set(parameters) == dimensions | {"sort", "fields", "limit", "cursor", "format"}
    assert dimensions < set(DIMENSIONS)
    row = document["components"]["schemas"][rows_model(document, resource.name)]
    for field in resource.fields:
        column = row["properties"][field.name]["description"]
        for text in (field.description, field.description_en):
            assert text in column
        if field.name in dimensions:
            assert field.description in parameters[field.name]
            assert field.description_en in parameters[field.name]


def rows_model(document: dict, name: str) -> str:
    """The row model a dataset's rows answer refers to."""
    rows = document["paths"][f"/v1/datasets/{name}/rows"]["get"]
    envelope = rows["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    data = document["components"]["schemas"][envelope.rsplit("/", 1)[1]]["properties"]["data"]
    return data["items"]["$ref"].rsplit("/", 1)[1]


def test_every_operation_answers_errors_in_the_one_envelope(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]
            assert "422" not in responses, path
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, path


def seed(name: str) -> list[dict[str, str]]:
    with (ROOT / "dbt_project" / "seeds" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_static_codes_are_the_seeds():
    """The OpenAPI enums come from publish/tableschema.py; the published codes from the seeds."""
    assert tuple(r["gemeente_code"] for r in seed("gemeenten")) == MUNICIPALITIES
    assert (*MUNICIPALITIES, "U10", "U16") == AREAS
    indicators = seed("indicatoren_codelijst")
    assert (
        tuple(r["indicator"] for r in indicators if r["resource"] == "indicatoren")
        == COHORT_INDICATORS
    )
    assert (
        tuple(r["indicator"] for r in indicators if r["resource"] == "doorgaande_lijn")
        == TARGET_INDICATORS
    )
    assert {r["indicator"] for r in seed("plandoelen")} == set(COHORT_INDICATORS)
    assert tuple(r["geslacht"] for r in seed("geslachten")) == GESLACHTEN
    assert tuple(r["leeftijdsklasse"] for r in seed("leeftijdsklassen")) == LEEFTIJDSKLASSEN


# (dataset, filter) -> the codes the document must offer, written out from indicators.md.
ENUMS = {
    ("indicatoren", "indicator"): COHORT_INDICATORS,
    ("planresultaten", "indicator"): COHORT_INDICATORS,
    ("doorgaande_lijn", "indicator"): TARGET_INDICATORS,
    ("indicatoren", "geslacht"): ("M", "V", "T"),
    ("indicatoren", "leeftijdsklasse"): ("18-29", "30-49", "50-64", "T"),
    **{(d, "gebied_code"): AREAS for d in ("indicatoren", "huisvesting", "doorgaande_lijn")},
    ("planresultaten", "gebied_code"): AREAS,
}


@pytest.mark.parametrize(("dataset", "name"), ENUMS, ids="-".join)
def test_coded_filters_list_their_codes_as_a_comma_separated_array(document, dataset, name):
    for prefix in ("/v1", "/v1/releases/{version}"):
        rows = document["paths"][f"{prefix}/datasets/{dataset}/rows"]["get"]
        (parameter,) = [p for p in rows["parameters"] if p["name"] == name]
        assert (parameter["style"], parameter["explode"]) == ("form", False)
        assert parameter["schema"]["type"] == "array"
        assert parameter["schema"]["items"]["enum"] == list(ENUMS[(dataset, name)])
        assert set(parameter["example"]) <= set(ENUMS[(dataset, name)])


def test_the_download_endpoints_are_documented(document):
    page = document["paths"]["/download/{version}/"]["get"]
    assert "text/html" in page["responses"]["200"]["content"]
    file = document["paths"]["/download/{version}/{path}"]["get"]
    assert {"text/csv", "application/vnd.apache.parquet", "application/json"} <= set(
        file["responses"]["200"]["content"]
    )
    assert {p["name"] for p in file["parameters"]} == {"version", "path"}
    assert "302" in file["responses"]


def operations(document: dict) -> list[tuple[str, dict]]:
    return [(path, op) for path, ops in document["paths"].items() for op in ops.values()]


def test_every_operation_has_an_example_that_its_schema_accepts(document):
    for path, operation in operations(document):
        content = operation["responses"]["200"]["content"]
        examples = {media: c["example"] for media, c in content.items() if "example" in c}
        assert examples, path
        if "application/json" in examples:
            schema = {**content["application/json"]["schema"], **document}
            jsonschema.validate(examples["application/json"], schema)
        if "text/csv" in examples and "/rows" in path:
            header = examples["text/csv"].splitlines()[0].split(",")
            name = path.split("/")[-2]
            assert header == list(STATIC[name].field_names), path


def test_the_example_rows_have_their_resources_columns():
    for resource in RESOURCES:
        assert list(examples.ROWS[resource.name]) == list(resource.field_names)
