"""Limits enforced before any route runs: request size, and requests per client.

Both are plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task per request)
and answer in the API's error envelope.
"""

from __future__ import annotations

import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

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
