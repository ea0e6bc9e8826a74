"""The read-only API over the published releases, and the download page: one FastAPI app.

    serve(data_dir, host, port)   # what `statushouders serve` and the demo call

The app reads `<data_dir>/releases/` only (see api/release_store.py); it starts, and answers
`/v1/health`, before any release exists.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api import errors
from api.middleware import AnswerCache, HeadAsGet, RateLimit, RequestLimits
from api.release_store import ReleaseStore
from api.routers import catalogue, codelists, datasets, docs, download, health, releases
from api.scope import SCOPES
from api.settings import ApiSettings

log = logging.getLogger("uvicorn.error")

DESCRIPTION = """\
**Nederlands.** De cijfers van de Monitor Statushouders U16 zoals ze gepubliceerd zijn:
alleen de rijen van de releases, na geheimhouding. Een weggelaten waarde is `null` en de rij
heeft `geheim: true`. `/v1/...` leest de release waar `latest` naar wijst,
`/v1/releases/{version}/...` een vaste release. Rijen komen in pagina's (`limit`, `cursor`),
als JSON of CSV (`format=csv` of `Accept: text/csv`); CSV zonder `limit` geeft alle rijen in één
keer, voor een spreadsheet. `links.permalink` is het antwoord onder zijn versie: om te citeren.

**English.** The figures of the Monitor Statushouders U16 as published: only the rows of the
releases, after disclosure control. A withheld value is `null` and its row has
`geheim: true`. `/v1/...` reads the release `latest` points at, `/v1/releases/{version}/...` a
fixed release. Rows come in pages (`limit`, `cursor`), as JSON or CSV (`format=csv` or
`Accept: text/csv`); CSV without `limit` is every matching row at once, for a spreadsheet.
`links.permalink` is the answer under its version: to cite.

Every answer has a strong `ETag` (send it back as `If-None-Match` for a `304`) and a
`Cache-Control` header; answers are gzipped when the client accepts it. Requests per client
are limited (`429` with `Retry-After`). `HEAD` answers like `GET`, without the body. Every
error is `{"error": {"status", "code", "message", "details"}}`.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    store = ReleaseStore(settings.data_dir, settings.releases_in_memory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Imported modules and the app are long-lived too (see ReleaseStore._load).
        gc.collect()
        gc.freeze()
        # Load the live release in the background: the first request need not wait for it,
        # and the server answers health checks meanwhile.
        warming = asyncio.create_task(_warm(store))
        yield
        warming.cancel()

    app = FastAPI(
        title="Monitor Statushouders U16",
        summary="Read-only API over the published releases / alleen-lezen API op de releases",
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        # /docs is api/routers/docs.py: Swagger UI from the package, not from a CDN.
        docs_url=None,
        redoc_url=None,
        # No OpenTelemetry: nothing here collects it, and its per-request check costs ~15 µs.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.store = store
    app.state.settings = settings
    errors.install(app)
    # Routes are tried in order, and FastAPI's matching costs some microseconds per route
    # tried: health first (probes are frequent and must be cheap), then the data endpoints,
    # registered flat (not as included routers), rows first.
    app.include_router(health.router)
    for kind in SCOPES:
        datasets.add_routes(app.router, kind, settings)
        codelists.add_routes(app.router, kind)
        catalogue.add_routes(app.router, kind)
    app.include_router(releases.router)
    app.include_router(download.router)
    app.include_router(docs.router)
    # The last added is the outermost: CORS headers go on every answer, a 429 included,
    # and the limits apply before the cache answers.
    if settings.response_cache_mb:
        app.add_middleware(
            AnswerCache,
            max_bytes=settings.response_cache_mb * 2**20,
            latest=store.latest_version,
        )
    # Outside the answer cache, so that HEAD is answered from it like GET.
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        RequestLimits,
        max_url_bytes=settings.max_url_bytes,
        max_body_bytes=settings.max_body_bytes,
    )
    if settings.rate_limit:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit, burst=settings.rate_burst)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        allow_headers=["If-None-Match"],
        expose_headers=["ETag", "Link", "Retry-After", "X-Release-Version", "X-Total-Count"],
        max_age=86400,
    )
    return app


async def _warm(store: ReleaseStore) -> None:
    version = store.latest_version()
    if version is None:
        return
    try:
        await store.release(version)
    except Exception as exc:  # the first request for it reports the problem properly
        log.warning("release %s could not be loaded: %s", version, exc)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 takes a free one. Raises OSError when it cannot bind."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def urls(host: str, port: int) -> dict[str, str]:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    return {
        "api": f"{base}/v1",
        "openapi": f"{base}/openapi.json",
        "download": f"{base}/download/latest/",
    }


def serve(
    data_dir: Path, host: str = "127.0.0.1", port: int = 8000, settings: ApiSettings | None = None
) -> None:
    """Serve the API and the download page until interrupted, after printing their URLs.

    Binds first (an OSError, e.g. the port is taken, is raised before anything is printed),
    then prints the two URLs to stdout and runs uvicorn, one worker, on that socket.
    """
    settings = (settings or ApiSettings()).model_copy(update={"data_dir": Path(data_dir)})
    sock = listen(host, port)
    where = urls(host, sock.getsockname()[1])
    print(f"API:           {where['api']}  (OpenAPI: {where['openapi']})", flush=True)
    print(f"Download page: {where['download']}", flush=True)
    config = uvicorn.Config(
        create_app(settings),
        access_log=settings.access_log,
        server_header=False,
        log_level="info",
    )
    uvicorn.Server(config).run(sockets=[sock])
