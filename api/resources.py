"""How a release's resources are described to clients: summary, metadata, links, parameters."""

from __future__ import annotations

from typing import Any

from api.query import CODE_PATTERN, CURSOR_PATTERN, FORMATS, WHOLE_PATTERN, list_pattern
from api.releases import Table
from api.schemas import ErrorEnvelope
from api.scope import Scope
from api.settings import ApiSettings
from api.tableschema import Resource

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "a parameter is wrong; the message says which"},
    404: {"model": ErrorEnvelope, "description": "no such release or resource"},
    406: {"model": ErrorEnvelope, "description": "neither JSON nor CSV is acceptable"},
    429: {"model": ErrorEnvelope, "description": "too many requests; see Retry-After"},
    503: {"model": ErrorEnvelope, "description": "no release has been published yet"},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified: `If-None-Match` holds the current ETag"}
}
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}
_PATH = {"dataset": "datasets", "codelist": "codelists"}


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
        item = WHOLE_PATTERN if field.type == "integer" else CODE_PATTERN
        parameters.append(
            {
                "name": field.name,
                "in": "query",
                "required": False,
                "description": f"{field.describe()}\n\nFilter: rows equal to this value, or to "
                f"any of a comma-separated list of at most {most} values.",
                "schema": {"type": "string", "pattern": list_pattern(item, most)},
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
            "description": f"Rows per page, at most {settings.max_page_size}.",
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
