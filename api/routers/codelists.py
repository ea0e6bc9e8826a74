"""Code lists: areas, indicators, sexes and age groups, each whole (they are short)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api.errors import ApiError, bad_request
from api.http import CSV, negotiate
from api.query import parse_format
from api.releases import Release, Table
from api.resources import CSV_CONTENT, ERRORS, NOT_MODIFIED, format_parameter, links, metadata
from api.schemas import ResourceMetaEnvelope, rows_envelope
from api.scope import ScopeKind, query_params
from api.tableschema import CODELISTS


def add_routes(router: APIRouter, kind: ScopeKind) -> None:
    """The code list endpoints of one scope (`latest` or a named release), under its prefix."""
    for resource in CODELISTS:
        router.add_api_route(
            f"{kind.prefix}/codelists/{resource.name}",
            _metadata_endpoint(resource.name, kind),
            methods=["GET"],
            tags=["codelists"],
            response_model=ResourceMetaEnvelope,
            responses={**NOT_MODIFIED, **ERRORS},
            operation_id=f"{resource.name}_metadata{kind.suffix}",
            summary=f"{resource.title_en}: metadata and Table Schema",
            description=resource.describe(),
            openapi_extra={"parameters": list(kind.parameters)},
        )
        router.add_api_route(
            f"{kind.prefix}/codelists/{resource.name}/rows",
            _rows_endpoint(resource.name, kind),
            methods=["GET"],
            tags=["codelists"],
            response_model=rows_envelope(resource),
            responses={200: {"content": CSV_CONTENT}, **NOT_MODIFIED, **ERRORS},
            operation_id=f"{resource.name}_rows{kind.suffix}",
            summary=f"{resource.title_en}: all codes",
            description=resource.describe(),
            openapi_extra={"parameters": [*kind.parameters, format_parameter()]},
        )


def _codelist(release: Release, name: str) -> Table:
    table = release.table(name, "codelist")
    if table is None:
        raise ApiError(404, f"release {release.info.version} has no code list {name}")
    return table


def _metadata_endpoint(name: str, kind: ScopeKind) -> Callable[..., Any]:
    async def codelist_metadata(request: Request) -> Response:
        scope = await kind.resolve(request)
        if request.query_params:
            raise bad_request("this resource takes no parameters")
        table = _codelist(scope.release, name)
        body = {"data": metadata(scope, table), "meta": {}, "links": links(scope, table)}
        return scope.answer(request, lambda: (orjson.dumps(body), {}))

    return codelist_metadata


def _rows_endpoint(name: str, kind: ScopeKind) -> Callable[..., Any]:
    async def codelist_rows(request: Request) -> Response:
        scope = await kind.resolve(request)
        table = _codelist(scope.release, name)
        format_ = negotiate(request, parse_format(query_params(request)))
        everything = table.all_rows
        if format_ == "csv":
            return scope.answer(
                request,
                lambda: (table.csv_text(everything).encode(), {}),
                key="csv",
                media_type=CSV,
            )
        meta = {"release": scope.version, "resource": name, "rows": table.num_rows}
        tail = orjson.dumps({"meta": meta, "links": links(scope, table)})
        return scope.answer(
            request,
            lambda: (b'{"data":' + table.json_array(everything) + b"," + tail[1:], {}),
        )

    return codelist_rows
