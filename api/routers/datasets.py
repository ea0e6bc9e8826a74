"""Datasets: each one's metadata and Table Schema, and its rows — filtered, sorted, paged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.errors import bad_request
from api.http import CSV, JSON, negotiate, rows_envelope
from api.query import Cursor, RowsQuery, parse_rows_query
from api.release_store import Release, Table
from api.responses import (
    ERRORS,
    NOT_MODIFIED,
    add_metadata_route,
    answers,
    resource_table,
    rows_parameters,
)
from api.schemas import rows_envelope_model
from api.scope import Scope, ScopeKind, load, query_params
from api.settings import ApiSettings
from publish.tableschema import DATASETS


def add_routes(
    router: APIRouter,
    kind: ScopeKind,
    settings: ApiSettings,
) -> None:
    """The dataset endpoints of one scope (`latest` or a named release), under its prefix."""
    for resource in DATASETS:
        add_metadata_route(router, resource, kind)
        router.add_api_route(
            f"{kind.prefix}/datasets/{resource.name}/rows",
            _rows_endpoint(resource.name, kind, {f.name: f.codes for f in resource.dimensions}),
            methods=["GET"],
            tags=["datasets"],
            response_model=rows_envelope_model(resource),
            responses={
                **answers(examples.rows(resource, kind.pinned), examples.csv_rows(resource)),
                **NOT_MODIFIED,
                **ERRORS,
            },
            operation_id=f"{resource.name}_rows{kind.suffix}",
            summary=f"{resource.title_en}: rows",
            description=f"{resource.describe()}\n\nRows in pages of at most "
            f"{settings.max_page_size}, as JSON or CSV; CSV without `limit` is every matching "
            "row, streamed (one URL for a spreadsheet). Only published rows: a withheld value "
            "is null (empty in CSV) and the row's `geheim` is true. `links.permalink` is this "
            "answer under its release's version, `links.row` a row's permalink to fill in.",
            openapi_extra={"parameters": [*kind.parameters, *rows_parameters(resource, settings)]},
        )


def _rows_endpoint(
    name: str, kind: ScopeKind, codes: dict[str, tuple[str, ...]]
) -> Callable[..., Any]:
    async def dataset_rows(request: Request) -> Response:
        scope = await kind.resolve(request)
        table = resource_table(scope.release, name, "dataset")
        settings = scope.settings
        query = parse_rows_query(
            query_params(request),
            dataset=name,
            fields=table.fields,
            integer_fields=table.integer_fields,
            codes=codes,
            default_limit=settings.default_page_size,
            max_limit=settings.max_page_size,
            max_values=settings.max_filter_values,
        )
        release = scope.release
        if query.cursor is not None:
            release = await _cursor_release(scope, query)
            table = resource_table(release, name, "dataset")
        format_ = negotiate(request, query.format)
        if query.whole(format_):
            return scope.stream(
                request,
                lambda: _whole_csv(scope, release, table, query),
                key=query.canonical(format_),
                media_type=CSV,
                release=release,
            )
        return scope.answer(
            request,
            lambda: _rows(request, scope, release, table, query, format_),
            key=query.canonical(format_),
            media_type=CSV if format_ == "csv" else JSON,
            release=release,
        )

    return dataset_rows


async def _cursor_release(scope: Scope, query: RowsQuery) -> Release:
    """The release a cursor pages through: a page of `latest` continues in the cursor's."""
    cursor = query.cursor
    assert cursor is not None
    if cursor.query != query.order_key:
        raise bad_request("the cursor belongs to other filters or another sort", "cursor")
    if cursor.version == scope.version:
        return scope.release
    if scope.pinned:
        raise bad_request(f"the cursor belongs to release {cursor.version}", "cursor")
    return await load(scope.store, cursor.version)


def _rows(
    request: Request, scope: Scope, release: Release, table: Table, query: RowsQuery, format_: str
) -> tuple[bytes, dict[str, str]]:
    matching = table.order(table.select(query.filter_map), query.sort)
    offset = query.cursor.offset if query.cursor else 0
    if offset > len(matching):
        raise bad_request("the cursor is not one this API gave out", "cursor")
    page = matching[offset : offset + query.limit]
    end = offset + len(page)
    path = request.scope["path"]
    following = None
    if end < len(matching):
        following = Cursor(release.info.version, end, query.order_key)
    next_link = f"{path}?{query.query_string(following, format_)}" if following else None
    headers = {"X-Total-Count": str(len(matching))}
    permalink = scope.permalink(
        release, f"/datasets/{table.name}/rows?{query.query_string(query.cursor, format_)}"
    )
    if format_ == "csv":
        links = [f'<{permalink}>; rel="canonical"']
        if next_link:
            links.append(f'<{next_link}>; rel="next"')
        headers["Link"] = ", ".join(links)
        return table.csv_text(page, query.fields).encode(), headers
    meta = {
        "release": release.info.version,
        "peildatum": release.info.peildatum,
        "resource": table.name,
        "matched": len(matching),
        "returned": len(page),
        "limit": query.limit,
        "fields": list(query.fields or table.fields),
        "sort": [("-" if descending else "") + field for field, descending in query.sort],
        "next_cursor": following.encode() if following else None,
    }
    csv_path = table.resource.get("path", f"data/{table.name}.csv")
    link_set = {
        "self": f"{path}?{query.query_string(query.cursor, format_)}",
        "next": next_link,
        "schema": scope.link(f"/datasets/{table.name}"),
        "download": f"{scope.root}/download/{release.info.version}/{csv_path}",
        "permalink": permalink,
        "row": row_template(scope, release, table),
    }
    return rows_envelope(table.json_array(page, query.fields), meta, link_set), headers


def row_template(scope: Scope, release: Release, table: Table) -> str:
    """One row's permalink as a URI template (RFC 6570): its primary key as filters, under the
    release's own prefix; filling it in from a row gives a URL that answers with that row."""
    key = table.resource.get("schema", {}).get("primaryKey", [])
    filters = "&".join(f"{column}={{{column}}}" for column in key)
    return scope.permalink(release, f"/datasets/{table.name}/rows?{filters}")


def _whole_csv(
    scope: Scope, release: Release, table: Table, query: RowsQuery
) -> tuple[Iterator[bytes], dict[str, str]]:
    """Every matching row, streamed: memory for one chunk at a time, whatever the table."""
    matching = table.order(table.select(query.filter_map), query.sort)
    permalink = scope.permalink(
        release, f"/datasets/{table.name}/rows?{query.query_string(None, 'csv', paged=False)}"
    )
    headers = {"X-Total-Count": str(len(matching)), "Link": f'<{permalink}>; rel="canonical"'}
    return table.csv_chunks(matching, query.fields, scope.settings.csv_chunk_rows), headers
