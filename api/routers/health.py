"""Health: answers as soon as the server runs, with or without a release."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.http import envelope
from api.responses import answers
from api.schemas import HealthEnvelope
from api.scope import NO_RELEASE, store_of

router = APIRouter(tags=["health"])


@router.get(
    "/v1/health",
    response_model=HealthEnvelope,
    responses=answers(examples.health()),
    operation_id="health",
    summary="Whether the API runs, and which release is live",
)
async def health(request: Request) -> Response:
    store = store_of(request)
    latest = store.latest_version()
    count = len(store.versions())
    message = f"serving release {latest}" if latest else NO_RELEASE
    data = {"status": "ok", "release": latest, "releases": count, "message": message}
    body = envelope(data, links={"catalogue": "/v1" if latest else None})
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
