"""The download page and the files of every release, as published (not part of /v1).

`/` leads to `/download/latest/`, which redirects to the version `latest` points at, so a
page and the files it links to (relative links) always come from the same release. Only the
files a release lists in its `release.json` are served, by exact name: a path that is not
in that list, `../` or otherwise, is a 404.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from api.errors import ApiError
from api.http import IMMUTABLE, etag, not_modified, not_modified_response
from api.releases import MANIFEST, VERSION_RE
from api.scope import NO_RELEASE, read_info, store_of

router = APIRouter(include_in_schema=False)

INDEX = "index.html"
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/download/latest/", status_code=307)


@router.get("/download/{version}")
async def without_slash(version: str) -> Response:
    if version != "latest" and not VERSION_RE.fullmatch(version):
        raise ApiError(404, f"there is no release {version}")
    return RedirectResponse(f"/download/{version}/", status_code=307)


@router.get("/download/{version}/{path:path}")
async def download(request: Request, version: str, path: str) -> Response:
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
    suffix = file.suffix.lower()
    media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    return FileResponse(
        file,
        media_type=media_type or "application/octet-stream",
        headers={"ETag": tag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )
