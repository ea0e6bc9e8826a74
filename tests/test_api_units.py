"""Pure parts of the API, without a server."""

from __future__ import annotations

from api.http import Rendered, ResponseCache


def rendered(size: int) -> Rendered:
    return Rendered(b"x" * size, "application/json", {})


def test_the_response_cache_drops_the_least_recently_used_beyond_its_bytes():
    cache = ResponseCache(max_bytes=100)
    cache.put("a", rendered(40))
    cache.put("b", rendered(40))
    assert cache.get("a") is not None  # a is now more recent than b
    cache.put("c", rendered(40))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 80


def test_the_response_cache_keeps_nothing_larger_than_itself_and_nothing_when_off():
    cache = ResponseCache(max_bytes=100)
    cache.put("big", rendered(101))
    assert cache.get("big") is None and cache.size == 0
    off = ResponseCache(max_bytes=0)
    off.put("a", rendered(1))
    assert off.get("a") is None
