"""HTTP the same way for every answer: envelope, content negotiation, ETag/304, caching, gzip.

Every successful JSON answer is `{"data": ..., "meta": {...}, "links": {...}}`. Its strong
ETag is a hash of the release's content digest and the normalised request (path, query,
format), so it is known before any row is read and a `304` costs nothing. A gzipped body is
other bytes than the plain one, so it gets its own strong ETag (suffix `-gzip`).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.errors import ApiError

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA = {"json": "application/json", "csv": "text/csv"}


def envelope(data: Any, meta: dict | None = None, links: dict | None = None) -> bytes:
    return orjson.dumps({"data": data, "meta": meta or {}, "links": links or {}})


def rows_envelope(rows_json: bytes, meta: dict, links: dict) -> bytes:
    """The envelope around rows already rendered as a JSON array (see api/release_store.py)."""
    return b'{"data":' + rows_json + b"," + orjson.dumps({"meta": meta, "links": links})[1:]


def etag(*parts: str) -> str:
    return '"' + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32] + '"'


def negotiate(request: Request, explicit: str | None) -> str:
    """`format=` wins; otherwise JSON or CSV by the `Accept` header (JSON on a tie).

    Each format takes the quality of the most specific range that matches it
    (`text/csv` before `text/*` before `*/*`); no header means JSON.
    """
    if explicit is not None:
        return explicit
    accept = request.headers.get("accept")
    if not accept:
        return "json"
    ranges: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0  # a malformed weight is ignored, as if none were given
        ranges.setdefault(media.strip().lower(), q)
    quality = {}
    for format_, media in _MEDIA.items():
        type_ = media.split("/")[0]
        matches = [ranges[r] for r in (media, f"{type_}/*", "*/*") if r in ranges]
        quality[format_] = matches[0] if matches else 0.0
    best = max(quality, key=quality.__getitem__)
    if quality[best] <= 0:
        raise ApiError(406, "this resource is available as application/json or text/csv")
    return best


def not_modified(request: Request, tag: str) -> str | None:
    """The ETag the client holds when it is this answer's (plain or gzipped), else None."""
    header = request.headers.get("if-none-match")
    if not header:
        return None
    if header.strip() == "*":
        return tag
    plain = tag.strip('"')
    for candidate in header.split(","):
        value = candidate.strip().removeprefix("W/").strip('"')
        if value in (plain, f"{plain}-gzip"):
            return f'"{value}"'
    return None


def respond(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    tag: str,
    cache_control: str,
    gzip_min_bytes: int,
    headers: dict[str, str] | None = None,
) -> Response:
    """A cacheable answer: gzipped when the client accepts it and it is worth it."""
    out = {"Cache-Control": cache_control, "Vary": "Accept, Accept-Encoding", **(headers or {})}
    if len(body) >= gzip_min_bytes and "gzip" in request.headers.get("accept-encoding", ""):
        compressor = zlib.compressobj(5, zlib.DEFLATED, 31)
        body = compressor.compress(body) + compressor.flush()
        out["Content-Encoding"] = "gzip"
        tag = tag[:-1] + '-gzip"'
    out["ETag"] = tag
    return Response(body, media_type=media_type, headers=out)


def respond_stream(
    request: Request,
    chunks: Iterator[bytes],
    *,
    media_type: str,
    tag: str,
    cache_control: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A cacheable answer sent as it is made, gzipped chunk by chunk when accepted. Its length
    is not known in advance, so it goes out chunked (no Content-Length)."""
    out = {"Cache-Control": cache_control, "Vary": "Accept, Accept-Encoding", **(headers or {})}
    if "gzip" in request.headers.get("accept-encoding", ""):
        out["Content-Encoding"] = "gzip"
        tag = tag[:-1] + '-gzip"'
        chunks = _gzipped(chunks)
    out["ETag"] = tag
    return StreamingResponse(_async(chunks), media_type=media_type, headers=out)


def _gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(5, zlib.DEFLATED, 31)
    for chunk in chunks:
        if packed := compressor.compress(chunk):
            yield packed
    yield compressor.flush()


async def _async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """In the event loop, one chunk at a time: each is a few milliseconds of work, and a
    worker thread per chunk would cost more than it frees."""
    for chunk in chunks:
        yield chunk


def not_modified_response(tag: str, cache_control: str) -> Response:
    return Response(
        status_code=304,
        headers={"ETag": tag, "Cache-Control": cache_control, "Vary": "Accept, Accept-Encoding"},
    )
