"""The download page and the files of every release, as published (not part of /v1).

`/` leads to `/download/latest/`, which redirects to the version `latest` points at, so a
page and the files it links to (relative links) always come from the same release. Only the
files a release lists in its `release.json` are served, by exact name: a path that is not
in that list, `../` or otherwise, is a 404.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import (
    FileResponse,
    MalformedRangeHeader,
    RangeNotSatisfiable,
    RedirectResponse,
    Response,
)

from api import examples
from api.errors import ApiError
from api.http import IMMUTABLE, etag, not_modified, not_modified_response
from api.release_store import MANIFEST, VERSION_RE
from api.schemas import ErrorEnvelope
from api.scope import NO_RELEASE, read_info, store_of

router = APIRouter(tags=["download"])

INDEX = "index.html"
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "description": "a release's version (see /v1/releases), or `latest`, which redirects (302) "
    "to the version it names now",
    "schema": {"type": "string"},
    "example": "latest",
}
FILE_CONTENT = {
    "text/csv": {"schema": {"type": "string"}, "example": examples.FILE},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    "application/json": {"schema": {}},
    "application/ld+json": {"schema": {}},
    "text/markdown": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}
ANSWERS: dict[int | str, dict[str, Any]] = {
    302: {"description": "`latest`: the same path under the version it names now"},
    304: {"description": "not modified: `If-None-Match` holds the current ETag"},
    404: {"model": ErrorEnvelope, "description": "no such release, or no such file in it"},
    414: {"model": ErrorEnvelope, "description": "the URL is longer than allowed (4 KiB)"},
    503: {"model": ErrorEnvelope, "description": "no release has been published yet"},
}


@router.get("/", include_in_schema=False)
async def home() -> Response:
    return RedirectResponse("/download/latest/", status_code=307)


@router.get("/download/{version}", include_in_schema=False)
async def without_slash(version: str) -> Response:
    if version != "latest" and not VERSION_RE.fullmatch(version):
        raise ApiError(404, f"there is no release {version}")
    return RedirectResponse(f"/download/{version}/", status_code=307)


@router.get(
    "/download/{version}/",
    operation_id="download_page",
    summary="A release's download page (index.html)",
    description="The static page of the release: the plan's results, the charts, the files "
    "with their sizes and SHA-256. It works offline and links to the files relatively.",
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}, "example": examples.PAGE}}},
        **ANSWERS,
    },
    response_class=Response,
    openapi_extra={"parameters": [VERSION]},
)
async def download_page(request: Request) -> Response:
    return await _serve(request, request.path_params["version"], "")


@router.get(
    "/download/{version}/{path:path}",
    operation_id="download_file",
    summary="A file of a release, as published",
    description="Every file the release's `release.json` lists, by its exact path, e.g. "
    "`data/indicatoren.csv`, `data/indicatoren.parquet`, `datapackage.json`, "
    "`disclosure.json`. A named release's files never change (cached for a year).",
    responses={200: {"content": FILE_CONTENT}, **ANSWERS},
    response_class=Response,
    openapi_extra={
        "parameters": [
            VERSION,
            {
                "name": "path",
                "in": "path",
                "required": True,
                "description": "the file's path in the release (slashes allowed)",
                "schema": {"type": "string"},
                "example": "data/planresultaten.csv",
            },
        ]
    },
)
async def download_file(request: Request) -> Response:
    params = request.path_params
    return await _serve(request, params["version"], params["path"])


async def _serve(request: Request, version: str, path: str) -> Response:
    store = store_of(request)
    if version == "latest":
        latest = store.latest_version()
        if latest is None:
            raise ApiError(503, NO_RELEASE, headers={"Retry-After": "60"})
        return RedirectResponse(
            f"/download/{latest}/{path}", status_code=302, headers={"Cache-Control": "no-cache"}
        )
    info = read_info(store, version)
    name = path or INDEX
    if name not in info.files and name not in (INDEX, MANIFEST):
        raise ApiError(404, f"release {version} has no file {name}")
    file = (info.folder / name).resolve()
    if not file.is_relative_to(info.folder.resolve()) or not file.is_file():
        raise ApiError(404, f"release {version} has no file {name}")
    tag = etag(info.content_digest, name)
    if held := not_modified(request, tag):
        return not_modified_response(held, IMMUTABLE)
    _check_range(request, file.stat().st_size)
    suffix = file.suffix.lower()
    media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    return FileResponse(
        file,
        media_type=media_type or "application/octet-stream",
        headers={"ETag": tag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )


def _check_range(request: Request, size: int) -> None:
    """A Range the file cannot serve is an error in the API's format: Starlette's answer is
    an empty text/plain 416 (or a plain-text 400), checked here by Starlette's own parser."""
    header = request.headers.get("range")
    if not header or "if-range" in request.headers:
        return  # with If-Range, Starlette decides whether the range applies at all
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader as exc:
        raise ApiError(400, f"the Range header is not understood: {exc.content}") from None
    except RangeNotSatisfiable:
        raise ApiError(
            416,
            f"the range starts past the end of the file ({size:,} bytes)",
            headers={"Content-Range": f"bytes */{size}"},
        ) from None
