"""Which release a request reads: `latest` (under /v1) or a named one (/v1/releases/{version}).

Every data endpoint exists in both places with the same answers; only the links and the
caching differ. `latest` may move at any moment, so its answers are cached for
`cache_max_age` seconds; a named release never changes, so its answers are immutable.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from api.errors import ApiError, bad_request
from api.http import (
    IMMUTABLE,
    JSON,
    etag,
    not_modified,
    not_modified_response,
    respond,
    respond_stream,
)
from api.release_store import (
    Release,
    ReleaseInfo,
    ReleaseNotFound,
    ReleaseStore,
    ReleaseUnreadable,
)
from api.settings import ApiSettings

VERSION_PATTERN = r"^(latest|\d{1,9}\.\d{1,9}\.\d{1,9})$"
_VERSION = re.compile(VERSION_PATTERN)
NO_RELEASE = "no release has been published yet"


@dataclass(frozen=True)
class Scope:
    release: Release
    prefix: str  # where this scope's endpoints are, e.g. /v1 or /v1/releases/1.2.0
    pinned: bool  # a named release, not `latest`
    root: str  # the app's root path, for links
    store: ReleaseStore
    settings: ApiSettings

    @property
    def version(self) -> str:
        return self.release.info.version

    @property
    def cache_control(self) -> str:
        return IMMUTABLE if self.pinned else f"public, max-age={self.settings.cache_max_age}"

    def link(self, path: str = "") -> str:
        return f"{self.root}{self.prefix}{path}"

    def download(self, path: str = "") -> str:
        return f"{self.root}/download/{self.version}/{path}"

    def answer(
        self,
        request: Request,
        build: Callable[[], tuple[bytes, dict[str, str]]],
        *,
        key: str = "",
        media_type: str = JSON,
        release: Release | None = None,
    ) -> Response:
        """304 when the client has this answer already; otherwise build (body, headers).

        The ETag depends on the release and the request only, so it is known before
        anything is built. `release` is the one read, when a cursor pinned another.
        """
        digest = (release or self.release).info.content_digest
        tag = etag(digest, request.scope["path"], key, media_type)
        if held := not_modified(request, tag):
            return not_modified_response(held, self.cache_control)
        body, headers = build()
        return respond(
            request,
            body,
            media_type=media_type,
            tag=tag,
            cache_control=self.cache_control,
            gzip_min_bytes=self.settings.gzip_min_bytes,
            # Which release was read: for clients, and for the answer cache (api/middleware.py).
            headers={**headers, "X-Release-Version": (release or self.release).info.version},
        )

    def stream(
        self,
        request: Request,
        build: Callable[[], tuple[Iterator[bytes], dict[str, str]]],
        *,
        key: str,
        media_type: str,
        release: Release | None = None,
    ) -> Response:
        """As `answer`, for an answer sent as it is made (a whole CSV table)."""
        read = release or self.release
        tag = etag(read.info.content_digest, request.scope["path"], key, media_type)
        if held := not_modified(request, tag):
            return not_modified_response(held, self.cache_control)
        chunks, headers = build()
        return respond_stream(
            request,
            chunks,
            media_type=media_type,
            tag=tag,
            cache_control=self.cache_control,
            headers={**headers, "X-Release-Version": read.info.version},
        )

    def permalink(self, release: Release, path: str) -> str:
        """`path` (e.g. /datasets/indicatoren/rows?...) under the release's own prefix: the
        URL that gives the same answer for as long as the release is kept."""
        return f"{self.root}/v1/releases/{release.info.version}{path}"


def store_of(request: Request) -> ReleaseStore:
    return request.app.state.store


async def load(store: ReleaseStore, version: str) -> Release:
    try:
        return await store.release(version)
    except ReleaseNotFound:
        raise ApiError(404, f"there is no release {version}") from None
    except ReleaseUnreadable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "60"}) from None


def read_info(store: ReleaseStore, version: str) -> ReleaseInfo:
    try:
        return store.info(version)
    except ReleaseNotFound:
        raise ApiError(404, f"there is no release {version}") from None
    except ReleaseUnreadable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "60"}) from None


async def _latest(request: Request, prefix: str) -> Scope:
    store = store_of(request)
    version = store.latest_version()
    if version is None:
        raise ApiError(503, NO_RELEASE, headers={"Retry-After": "60"})
    try:
        release = await store.release(version)
    except (ReleaseNotFound, ReleaseUnreadable):
        raise ApiError(503, f"the latest release {version} cannot be read") from None
    return Scope(
        release,
        prefix,
        False,
        request.scope.get("root_path", ""),
        store,
        request.app.state.settings,
    )


async def latest_scope(request: Request) -> Scope:
    return await _latest(request, "/v1")


async def release_scope(request: Request) -> Scope:
    version = request.path_params["version"]
    if version == "latest":
        return await _latest(request, "/v1/releases/latest")
    if not _VERSION.fullmatch(version):
        raise bad_request("a release version is like 1.2.0, or latest", "version")
    release = await load(store_of(request), version)
    settings = request.app.state.settings
    root = request.scope.get("root_path", "")
    return Scope(release, f"/v1/releases/{version}", True, root, store_of(request), settings)


@dataclass(frozen=True)
class ScopeKind:
    """Where one copy of the data endpoints lives, and how a request finds its release.

    Endpoints call `resolve` themselves rather than through FastAPI's Depends: the data
    routes are the hot path, and the path parameter is documented in `parameters`.
    """

    resolve: Callable[[Request], Awaitable[Scope]]
    prefix: str
    suffix: str  # of operation ids
    parameters: tuple[dict[str, Any], ...]

    @property
    def pinned(self) -> bool:
        return self.prefix != "/v1"


SCOPES = (
    ScopeKind(latest_scope, "/v1", "", ()),
    ScopeKind(
        release_scope,
        "/v1/releases/{version}",
        "_release",
        (
            {
                "name": "version",
                "in": "path",
                "required": True,
                "description": "a release's version (see /v1/releases), or `latest`",
                "schema": {"type": "string", "pattern": VERSION_PATTERN},
                "examples": {"release": {"value": "1.0.0"}, "latest": {"value": "latest"}},
            },
        ),
    ),
)


def query_params(request: Request) -> dict[str, list[str]]:
    params = request.query_params
    return {name: params.getlist(name) for name in params}
