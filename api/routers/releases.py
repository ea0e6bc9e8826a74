"""The list of releases, newest first; each one's endpoints are under /v1/releases/{version}."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.errors import bad_request
from api.http import JSON, envelope, etag, not_modified, not_modified_response, respond
from api.release_store import ReleaseNotFound, ReleaseUnreadable
from api.responses import ERRORS, NOT_MODIFIED, answers
from api.schemas import ReleasesEnvelope
from api.scope import store_of

router = APIRouter(tags=["releases"])


@router.get(
    "/v1/releases",
    response_model=ReleasesEnvelope,
    responses={**answers(examples.releases()), **NOT_MODIFIED, **ERRORS},
    operation_id="releases",
    summary="Every published release, newest first",
)
async def releases(request: Request) -> Response:
    if request.query_params:
        raise bad_request("this resource takes no parameters")
    store = store_of(request)
    settings = request.app.state.settings
    latest = store.latest_version()
    root = request.scope.get("root_path", "")
    found = []
    for version in reversed(store.versions()):
        try:
            info = store.info(version)
        except (ReleaseNotFound, ReleaseUnreadable):
            continue
        found.append(
            {
                "version": info.version,
                "created": info.created,
                "peildatum": info.peildatum,
                "content_digest": info.content_digest,
                "latest": info.version == latest,
                "links": {
                    "self": f"{root}/v1/releases/{info.version}",
                    "download": f"{root}/download/{info.version}/",
                },
            }
        )
    cache_control = f"public, max-age={settings.cache_max_age}"
    tag = etag(*(f"{r['version']}:{r['content_digest']}" for r in found), str(latest))
    if held := not_modified(request, tag):
        return not_modified_response(held, cache_control)
    body = envelope(found, meta={"latest": latest}, links={"self": f"{root}/v1/releases"})
    return respond(
        request,
        body,
        media_type=JSON,
        tag=tag,
        cache_control=cache_control,
        gzip_min_bytes=settings.gzip_min_bytes,
    )
