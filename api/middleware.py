"""What happens before any route runs: request size and rate limits, and the answer cache.

All plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task per request); the
limits answer in the API's error envelope.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

EXEMPT = frozenset({"/v1/health"})


class RequestLimits:
    """414 for an over-long URL, 413 for a body: the API only reads, so it takes none."""

    def __init__(self, app: ASGIApp, *, max_url_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if url_bytes > self.max_url_bytes:
            response = error_response(414, f"the URL is longer than {self.max_url_bytes} bytes")
            await response(scope, receive, send)
            return
        for name, value in scope["headers"]:
            too_long = (
                name == b"content-length"
                and (not value.isdigit() or int(value) > self.max_body_bytes)
            ) or name == b"transfer-encoding"
            if too_long:
                response = error_response(
                    413, f"request bodies are limited to {self.max_body_bytes} bytes"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RateLimit:
    """A token bucket per client address: `burst` requests at once, refilled at `per_minute`.

    Over the limit a client gets 429 with `Retry-After` (whole seconds until a request is
    allowed again). Health checks are exempt. Idle buckets are forgotten once full again.
    """

    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: dict[str, tuple[float, float]] = {}  # client: (tokens, when)
        self._next_sweep = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "-"
        now = time.monotonic()
        tokens, when = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - when) * self.rate)
        if tokens < 1.0:
            self.buckets[key] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self.rate)
            response = error_response(
                429,
                f"more than {round(self.rate * 60)} requests a minute; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
            await response(scope, receive, send)
            return
        self.buckets[key] = (tokens - 1.0, now)
        if now >= self._next_sweep:
            self._sweep(now)
        await self.app(scope, receive, send)

    def _sweep(self, now: float) -> None:
        """Drop buckets that have refilled: they are the same as no bucket."""
        refill = self.burst / self.rate
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < refill}
        self._next_sweep = now + 60.0


class _HeadersSent(Exception):
    """The answer to a HEAD request is complete once its headers are out."""


class HeadAsGet:
    """HEAD answers as GET does, without the body: same status and headers (link checkers and
    catalogue harvesters ask HEAD). The app sees a GET; once the headers are sent, the answer
    ends, and a body still being made (a streamed table) is stopped rather than made in vain.
    A streamed GET goes out chunked, so its HEAD has neither Content-Length nor
    Transfer-Encoding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if finished:
                raise _HeadersSent
            if message["type"] != "http.response.body":
                await send(message)
                return
            finished = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            if message.get("more_body", False):
                raise _HeadersSent

        with contextlib.suppress(_HeadersSent):
            await self.app({**scope, "method": "GET"}, receive, headers_only)


_NAMED_RELEASE = re.compile(r"^/v1/releases/(\d{1,9}\.\d{1,9}\.\d{1,9})(/|$)")
_NOT_CACHED = frozenset({"/v1/health", "/v1/releases"})

Key = tuple[str, str, bytes, bytes, bytes]


class AnswerCache:
    """Answers to GET requests under /v1, kept in memory and sent again without routing.

    A release never changes, so an answer is fixed by the release it reads and the request:
    path, query string, and the `Accept` and `Accept-Encoding` it was negotiated on. The
    release is the one the path names, else the one `latest` points at now. An answer is
    kept only when it is a whole 200 with an ETag, read from that release (its
    `X-Release-Version`): a page of `latest` that a cursor pinned to an older release, or
    an answer built while `latest` moved, is not kept. Requests with `If-None-Match` go
    to the app, whose 304 costs nothing. Bounded in bytes; the least recently used go first.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, latest: Callable[[], str | None]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.latest = latest
        self.size = 0
        self.entries: OrderedDict[Key, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            headers, body = found
            # A fresh header list each time: outer middleware (CORS) adds to it in place.
            await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []
        streamed = False

        async def recording(message: Message) -> None:
            nonlocal streamed
            if message["type"] == "http.response.start":
                start.update(status=message["status"], headers=list(message["headers"]))
            elif message["type"] == "http.response.body" and not streamed:
                # A streamed answer (a whole CSV table) is not kept: holding it to keep it
                # would undo the streaming's bounded memory.
                streamed = message.get("more_body", False)
                chunks.append(b"" if streamed else message.get("body", b""))
            await send(message)

        await self.app(scope, receive, recording)
        if start.get("status") == 200 and len(chunks) == 1 and not streamed:
            headers = dict(start["headers"])
            if b"etag" in headers and headers.get(b"x-release-version", b"").decode() == key[0]:
                self._keep(key, start["headers"], chunks[0])

    def _key(self, scope: Scope) -> Key | None:
        # lifespan has no path: its scope passes to the app, which warms the live release
        if scope["type"] != "http":
            return None
        path = scope["path"]
        if (
            scope["method"] != "GET"
            or not (path == "/v1" or path.startswith("/v1/"))
            or path in _NOT_CACHED
        ):
            return None
        accept = encoding = b""
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                return None
            if name == b"accept":
                accept = value
            elif name == b"accept-encoding":
                encoding = value
        named = _NAMED_RELEASE.match(path)
        release = named.group(1) if named else self.latest()
        if release is None:
            return None
        return (release, path, scope["query_string"], accept, encoding)

    def _keep(self, key: Key, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > self.max_bytes or key in self.entries:
            return
        self.entries[key] = (headers, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= len(dropped)
