"""The public shapes of the API's answers, for the OpenAPI document.

Routes return pre-rendered bytes (validating thousands of rows per request through pydantic
would cost more than everything else together), so these models document and do not
validate; the schemathesis test checks every answer against them. One model per resource's
row is generated from `api.tableschema`, with each column's Dutch and English description.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from publish.tableschema import Resource

_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool}


class ErrorDetail(BaseModel):
    parameter: str | None = Field(None, description="the parameter at fault, if one is")
    message: str


class ErrorBody(BaseModel):
    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(description="a stable code, e.g. bad_request, not_found, too_many_requests")
    message: str = Field(description="what went wrong, in English")
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    """Every error, whatever its status, has this shape; a stack trace is never sent."""

    error: ErrorBody


class Health(BaseModel):
    status: str = Field(description="`ok` when the API runs, also without a release")
    release: str | None = Field(description="the version `latest` points at; null if none yet")
    releases: int = Field(description="how many releases there are")
    message: str


class HealthEnvelope(BaseModel):
    data: Health
    meta: dict[str, Any]
    links: dict[str, Any]


class ReleaseRef(BaseModel):
    version: str = Field(description="semantic version, e.g. 1.2.0")
    created: str | None = Field(description="when the release was written (ISO 8601)")
    peildatum: str | None = Field(description="the monitor's reference date P (YYYY-MM-DD)")
    content_digest: str = Field(description="SHA-256 over the release's files")


class ReleaseLinks(BaseModel):
    self: str
    download: str


class ReleaseSummary(ReleaseRef):
    latest: bool = Field(description="true for the release `latest` points at")
    links: ReleaseLinks


class ReleasesEnvelope(BaseModel):
    data: list[ReleaseSummary] = Field(description="newest first")
    meta: dict[str, Any]
    links: dict[str, Any]


class ResourceLinks(BaseModel):
    self: str
    rows: str
    csv: str
    parquet: str | None


class ResourceSummary(BaseModel):
    name: str
    title: str | None
    title_en: str | None
    description: str | None
    description_en: str | None
    rows: int = Field(description="number of rows")
    links: ResourceLinks


class Catalogue(BaseModel):
    release: ReleaseRef
    title: str | None
    title_en: str | None
    description: str | None
    description_en: str | None
    licenses: list[dict[str, Any]] = Field(description="as in datapackage.json")
    datasets: list[ResourceSummary]
    codelists: list[ResourceSummary]


class CatalogueEnvelope(BaseModel):
    data: Catalogue
    meta: dict[str, Any]
    links: dict[str, Any]


class ResourceMeta(BaseModel):
    name: str
    kind: str = Field(description="dataset or codelist")
    title: str | None
    title_en: str | None
    description: str | None
    description_en: str | None
    rows: int
    table_schema: dict[str, Any] = Field(
        alias="schema", description="the Frictionless Table Schema, as in datapackage.json"
    )
    resources: dict[str, Any] = Field(
        description="the CSV and Parquet resources of datapackage.json (path, bytes, hash)"
    )


class ResourceMetaEnvelope(BaseModel):
    data: ResourceMeta
    meta: dict[str, Any]
    links: ResourceLinks


class RowsMeta(BaseModel):
    release: str
    peildatum: str | None
    resource: str
    matched: int = Field(description="rows matching the filters, on all pages together")
    returned: int = Field(description="rows on this page")
    limit: int
    fields: list[str] = Field(description="the columns of each row, in order")
    sort: list[str] = Field(description="the sort keys; `-` is descending")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class RowsLinks(BaseModel):
    self: str
    next: str | None = Field(description="the next page; null on the last page")
    schema_: str = Field(alias="schema")
    download: str = Field(description="the whole resource as CSV")
    permalink: str = Field(
        description="this answer under /v1/releases/{version}: the same rows for as long as "
        "the release is kept, to cite"
    )
    row: str = Field(
        description="one row's permalink as a URI template (RFC 6570): fill in the row's "
        "primary key"
    )


class CodelistLinks(ResourceLinks):
    permalink: str = Field(description="these codes under /v1/releases/{version}, to cite")


def row_model(resource: Resource) -> type[BaseModel]:
    """One row of `resource`; a column is absent when `fields` leaves it out."""
    columns: dict[str, Any] = {}
    for field in resource.fields:
        type_ = _TYPES[field.type]
        annotation = type_ if field.required else type_ | None
        columns[field.name] = (
            annotation,
            Field(None, title=f"{field.title} / {field.title_en}", description=field.describe()),
        )
    model = create_model(
        f"{_camel(resource.name)}Row",
        __config__=ConfigDict(title=f"{resource.title} / {resource.title_en}"),
        **columns,
    )
    model.__doc__ = resource.describe()
    return model


class CodelistMeta(BaseModel):
    release: str
    resource: str
    rows: int


def rows_envelope_model(resource: Resource) -> type[BaseModel]:
    """A page of a dataset's rows, or a whole code list."""
    dataset = resource.kind == "dataset"
    return create_model(
        f"{_camel(resource.name)}Rows",
        data=(list[row_model(resource)], ...),
        meta=(RowsMeta if dataset else CodelistMeta, ...),
        links=(RowsLinks if dataset else CodelistLinks, ...),
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
