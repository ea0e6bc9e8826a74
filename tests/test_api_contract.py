"""The API's static copy of the Table Schemas (api/tableschema.py), held against a release
in the contract's layout, and the OpenAPI document built from it."""

from __future__ import annotations

import json

import pytest

from api.main import create_app
from api.settings import ApiSettings
from publish.schema import DATASETS, DIMENSIONS, RESOURCES
from tests.release_fixture import build_release, read_csv

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
