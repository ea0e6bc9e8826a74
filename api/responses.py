"""How a release's resources are described to clients: summary, metadata, links, parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.errors import ApiError, bad_request
from api.http import envelope
from api.query import CODE_PATTERN, CURSOR_PATTERN, FORMATS
from api.release_store import Release, Table
from api.schemas import ErrorEnvelope, ResourceMetaEnvelope
from api.scope import Scope, ScopeKind
from api.settings import ApiSettings
from publish.tableschema import Field, Resource

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "a parameter is wrong; the message says which"},
    404: {"model": ErrorEnvelope, "description": "no such release or resource"},
    406: {"model": ErrorEnvelope, "description": "neither JSON nor CSV is acceptable"},
    414: {"model": ErrorEnvelope, "description": "the URL is longer than allowed (4 KiB)"},
    429: {"model": ErrorEnvelope, "description": "too many requests; see Retry-After"},
    503: {"model": ErrorEnvelope, "description": "no release has been published yet"},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified: `If-None-Match` holds the current ETag"}
}


def answers(json_example: Any, csv_example: str | None = None) -> dict[int | str, Any]:
    """The 200 answer's example per media type (the JSON schema comes from the route's
    response model)."""
    content: dict[str, Any] = {"application/json": {"example": json_example}}
    if csv_example is not None:
        content["text/csv"] = {"schema": {"type": "string"}, "example": csv_example}
    return {200: {"content": content}}


_PATH = {"dataset": "datasets", "codelist": "codelists"}
# One value per filter for the document's examples: Utrecht's werk at 12 months, cohort 2023.
EXAMPLE_VALUES: dict[str, Any] = {
    "gebied_code": "GM0344",
    "indicator": "werk",
    "geslacht": "T",
    "leeftijdsklasse": "T",
    "cohort_jaar": 2023,
    "duur_maanden": 12,
    "jaar": 2024,
    "periode": "2024-H2",
}
_NAME = {"dataset": "dataset", "codelist": "code list"}


def resource_table(release: Release, name: str, kind: str) -> Table:
    """The release's dataset or code list `name`; 404 when the release has none."""
    table = release.table(name, kind)
    if table is None:
        raise ApiError(404, f"release {release.info.version} has no {_NAME[kind]} {name}")
    return table


def add_metadata_route(router: APIRouter, resource: Resource, scope_kind: ScopeKind) -> None:
    """`…/datasets/{name}` or `…/codelists/{name}`: metadata and the release's Table Schema."""
    router.add_api_route(
        f"{scope_kind.prefix}/{_PATH[resource.kind]}/{resource.name}",
        _metadata_endpoint(resource.name, resource.kind, scope_kind),
        methods=["GET"],
        tags=[_PATH[resource.kind]],
        response_model=ResourceMetaEnvelope,
        responses={
            **answers(examples.metadata(resource, scope_kind.pinned)),
            **NOT_MODIFIED,
            **ERRORS,
        },
        operation_id=f"{resource.name}_metadata{scope_kind.suffix}",
        summary=f"{resource.title_en}: metadata and Table Schema",
        description=resource.describe(),
        openapi_extra={"parameters": list(scope_kind.parameters)},
    )


def _metadata_endpoint(name: str, kind: str, scope_kind: ScopeKind) -> Callable[..., Any]:
    async def resource_metadata(request: Request) -> Response:
        scope = await scope_kind.resolve(request)
        if request.query_params:
            raise bad_request("this resource takes no parameters")
        table = resource_table(scope.release, name, kind)
        body = envelope(metadata(scope, table), links=links(scope, table))
        return scope.answer(request, lambda: (body, {}))

    return resource_metadata


def links(scope: Scope, table: Table) -> dict[str, Any]:
    own = scope.link(f"/{_PATH[table.kind]}/{table.name}")
    return {
        "self": own,
        "rows": f"{own}/rows",
        "csv": scope.download(table.resource.get("path", f"data/{table.name}.csv")),
        "parquet": scope.download(table.parquet["path"]) if table.parquet else None,
    }


def summary(scope: Scope, table: Table) -> dict[str, Any]:
    resource = table.resource
    return {
        "name": table.name,
        "title": resource.get("title"),
        "title_en": resource.get("title_en"),
        "description": resource.get("description"),
        "description_en": resource.get("description_en"),
        "rows": table.num_rows,
        "links": links(scope, table),
    }


def metadata(scope: Scope, table: Table) -> dict[str, Any]:
    data = summary(scope, table)
    del data["links"]
    files = {"csv": table.resource, "parquet": table.parquet}
    return {
        **data,
        "kind": table.kind,
        "schema": table.resource.get("schema", {}),
        "resources": {
            kind: {k: v for k, v in resource.items() if k not in ("schema", "x-kind")}
            for kind, resource in files.items()
            if resource is not None
        },
    }


def example_value(field: Field) -> Any:
    value = EXAMPLE_VALUES.get(field.name)
    if field.codes and value not in field.codes:
        return field.codes[0]
    return value


def format_parameter() -> dict[str, Any]:
    return {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "json or csv; without it the `Accept` header decides (JSON by default).",
        "schema": {"type": "string", "enum": list(FORMATS)},
    }


def rows_parameters(resource: Resource, settings: ApiSettings) -> list[dict[str, Any]]:
    """The rows endpoint's query parameters, described from the static Table Schema."""
    most = settings.max_filter_values
    parameters: list[dict[str, Any]] = []
    for field in resource.dimensions:
        if field.codes:
            item: dict[str, Any] = {"type": "string", "enum": list(field.codes)}
        elif field.type == "integer":
            item = {"type": "integer", "minimum": 0, "maximum": 10**9 - 1}
        else:
            item = {"type": "string", "pattern": f"^{CODE_PATTERN}$"}
        parameters.append(
            {
                "name": field.name,
                "in": "query",
                "required": False,
                "description": f"{field.describe()}\n\nFilter: rows equal to this value, or to "
                f"any of a comma-separated list of at most {most} values (or the parameter "
                "repeated). A value no row has matches nothing.",
                # A comma-separated list: form style, not exploded.
                "style": "form",
                "explode": False,
                "schema": {"type": "array", "items": item, "minItems": 1, "maxItems": most},
                "example": [example_value(field)],
            }
        )
    names = "(" + "|".join(resource.field_names) + ")"
    parameters += [
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "Columns to sort on, comma-separated; `-` before a column sorts "
            "descending. Missing values sort last ascending, first descending. Ties, and no "
            f"`sort`, follow the primary key ({', '.join(resource.primary_key)}).",
            "schema": {"type": "string", "pattern": f"^-?{names}(,-?{names}){{0,19}}$"},
        },
        {
            "name": "fields",
            "in": "query",
            "required": False,
            "description": "The columns to return, comma-separated, in that order (default: all).",
            "schema": {"type": "string", "pattern": f"^{names}(,{names}){{0,19}}$"},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"Rows per page, at most {settings.max_page_size}. CSV without "
            "`limit` (and without `cursor`) is every matching row in one answer, for "
            "spreadsheets; JSON without it is a page of the default size.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.max_page_size,
                "default": settings.default_page_size,
            },
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "Where the next page starts: `meta.next_cursor` (or the `next` link) "
            "of the previous page. A cursor keeps to the release and the query it came from, "
            "so paging through `latest` has no gaps or duplicates even when a new release is "
            "switched live meanwhile.",
            "schema": {"type": "string", "pattern": f"^{CURSOR_PATTERN}$"},
        },
        format_parameter(),
    ]
    return parameters
