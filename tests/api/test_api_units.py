"""The answer cache and HEAD in front of the app, driven as plain ASGI without a server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from api.middleware import AnswerCache, HeadAsGet


def _app(version: str, body: bytes, status: int = 200, etag: bool = True):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        headers = [(b"x-release-version", version.encode())]
        if etag:
            headers.append((b"etag", b'"x"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app, calls


def run(coroutine) -> None:
    """In a thread of its own: the browser tests' Playwright keeps an event loop running in
    the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def get(app, path: str, headers: list | None = None, query: bytes = b"") -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": headers or [],
    }
    run(app(scope, receive, send))
    return sent


def test_an_answer_is_sent_again_without_the_app_for_the_same_request_and_release():
    inner, calls = _app("1.0.0", b"x" * 10)
    latest = ["1.0.0"]
    cache = AnswerCache(inner, max_bytes=100, latest=lambda: latest[0])
    first = get(cache, "/v1/datasets/indicatoren/rows", query=b"indicator=werk")
    again = get(cache, "/v1/datasets/indicatoren/rows", query=b"indicator=werk")
    assert calls == ["/v1/datasets/indicatoren/rows"]
    assert again[1]["body"] == first[1]["body"] == b"x" * 10
    get(cache, "/v1/datasets/indicatoren/rows", query=b"indicator=bijstand")
    get(cache, "/v1/datasets/indicatoren/rows", [(b"accept", b"text/csv")], b"indicator=werk")
    assert len(calls) == 3, "another query or Accept header is another answer"
    latest[0] = "1.1.0"
    get(cache, "/v1/datasets/indicatoren/rows", query=b"indicator=werk")
    assert len(calls) == 4, "after a switch, latest is another release"


def test_only_whole_200s_with_an_etag_from_the_release_asked_for_are_kept():
    for inner, calls in (
        _app("1.0.0", b"{}", status=404),
        _app("1.0.0", b"{}", etag=False),
        _app("0.9.0", b"{}"),  # a cursor pinned an older release, or latest moved meanwhile
    ):
        cache = AnswerCache(inner, max_bytes=100, latest=lambda: "1.0.0")
        get(cache, "/v1/datasets/indicatoren/rows")
        get(cache, "/v1/datasets/indicatoren/rows")
        assert len(calls) == 2


def test_a_named_release_is_keyed_by_its_path_and_if_none_match_goes_to_the_app():
    inner, calls = _app("1.0.0", b"{}")
    cache = AnswerCache(inner, max_bytes=100, latest=lambda: "2.0.0")
    get(cache, "/v1/releases/1.0.0/datasets/huisvesting/rows")
    get(cache, "/v1/releases/1.0.0/datasets/huisvesting/rows")
    get(cache, "/v1/releases/1.0.0/datasets/huisvesting/rows", [(b"if-none-match", b'"x"')])
    get(cache, "/v1/health")
    get(cache, "/v1/health")
    assert len(calls) == 4


def test_the_least_recently_used_answers_go_beyond_the_bytes_allowed():
    inner, calls = _app("1.0.0", b"x" * 40)
    cache = AnswerCache(inner, max_bytes=100, latest=lambda: "1.0.0")
    for path in ("/v1/a", "/v1/b", "/v1/a", "/v1/c"):  # a is used again before c comes in
        get(cache, path)
    assert cache.size == 80
    get(cache, "/v1/a")
    get(cache, "/v1/b")
    assert calls == ["/v1/a", "/v1/b", "/v1/c", "/v1/b"]


def _streaming_app(chunks: list[bytes]):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["method"])
        headers = [(b"x-release-version", b"1.0.0"), (b"etag", b'"x"')]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app, calls


def test_a_streamed_answer_passes_through_and_is_neither_kept_nor_held():
    """A whole CSV table goes out chunk by chunk: the cache forwards every chunk, keeps none,
    and the next request goes to the app again."""
    inner, calls = _streaming_app([b"a,b\n", b"1,2\n", b"3,4\n"])
    cache = AnswerCache(inner, max_bytes=10_000, latest=lambda: "1.0.0")
    for _ in range(2):
        sent = get(cache, "/v1/datasets/indicatoren/rows", query=b"format=csv")
        assert b"".join(m.get("body", b"") for m in sent[1:]) == b"a,b\n1,2\n3,4\n"
    assert len(calls) == 2 and cache.size == 0 and not cache.entries


def test_head_is_the_get_answer_without_a_body_and_stops_a_stream():
    inner, calls = _streaming_app([b"a,b\n"] + [b"1,2\n"] * 1000)
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "HEAD", "path": "/v1/x", "query_string": b"", "headers": []}
    run(HeadAsGet(inner)(scope, receive, send))
    assert calls == ["GET"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200 and sent[1] == {
        "type": "http.response.body",
        "body": b"",
        "more_body": False,
    }


def test_whole_csv_chunks_join_to_the_csv_of_every_row():
    import numpy as np
    import pyarrow as pa

    from api.release_store import Table

    data = pa.table({"gebied_code": ["GM0344", "U16", "U10"] * 5, "n": list(range(15))})
    table = Table("t", {}, None, data)
    rows = np.arange(15)[::-1]
    chunks = list(table.csv_chunks(rows, per_chunk=4))
    assert len(chunks) == 4 and chunks[0].startswith(b"gebied_code,n\n")
    assert b"".join(chunks) == table.csv_text(rows).encode()
    assert all(chunk.count(b"\n") <= 5 for chunk in chunks)
