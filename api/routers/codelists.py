"""Code lists: areas, indicators, sexes and age groups, each whole (they are short)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.http import CSV, negotiate, rows_envelope
from api.query import parse_format
from api.responses import (
    ERRORS,
    NOT_MODIFIED,
    add_metadata_route,
    answers,
    format_parameter,
    links,
    resource_table,
)
from api.schemas import rows_envelope_model
from api.scope import ScopeKind, query_params
from publish.tableschema import CODELISTS


def add_routes(router: APIRouter, kind: ScopeKind) -> None:
    """The code list endpoints of one scope (`latest` or a named release), under its prefix."""
    for resource in CODELISTS:
        add_metadata_route(router, resource, kind)
        router.add_api_route(
            f"{kind.prefix}/codelists/{resource.name}/rows",
            _rows_endpoint(resource.name, kind),
            methods=["GET"],
            tags=["codelists"],
            response_model=rows_envelope_model(resource),
            responses={
                **answers(examples.rows(resource, kind.pinned), examples.csv_rows(resource)),
                **NOT_MODIFIED,
                **ERRORS,
            },
            operation_id=f"{resource.name}_rows{kind.suffix}",
            summary=f"{resource.title_en}: all codes",
            description=resource.describe(),
            openapi_extra={"parameters": [*kind.parameters, format_parameter()]},
        )


def _rows_endpoint(name: str, kind: ScopeKind) -> Callable[..., Any]:
    async def codelist_rows(request: Request) -> Response:
        scope = await kind.resolve(request)
        table = resource_table(scope.release, name, "codelist")
        format_ = negotiate(request, parse_format(query_params(request)))
        everything = table.all_rows
        query = "?format=csv" if format_ == "csv" else ""
        permalink = scope.permalink(scope.release, f"/codelists/{name}/rows{query}")
        if format_ == "csv":
            return scope.answer(
                request,
                lambda: (
                    table.csv_text(everything).encode(),
                    {"Link": f'<{permalink}>; rel="canonical"'},
                ),
                media_type=CSV,
            )
        meta = {"release": scope.version, "resource": name, "rows": table.num_rows}
        own_links = {**links(scope, table), "permalink": permalink}
        return scope.answer(
            request, lambda: (rows_envelope(table.json_array(everything), meta, own_links), {})
        )

    return codelist_rows
