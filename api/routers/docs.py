"""`/docs`: Swagger UI over the OpenAPI document, from files shipped in a Python package.

FastAPI's default page loads Swagger UI from a CDN: blank on an intranet, and every visitor's
address goes to a third party. `fastapi-offline` ships Swagger UI's script and stylesheet in
its wheel; they are served here, and the page's Content-Security-Policy allows nothing from
elsewhere. Swagger UI's online validator badge (which would send the document's URL to
swagger.io) is switched off.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, Response

from api.errors import ApiError

router = APIRouter(include_in_schema=False)

ASSETS = files("fastapi_offline") / "static"
SERVED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# Swagger UI starts from an inline script and styles parts inline; everything else, the
# document and "Try it out" included, comes from this server.
POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)
# The assets change only with the package; a day keeps an upgrade visible the next day.
ASSET_CACHE = "public, max-age=86400"


@router.get("/docs")
async def docs(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title} – API",
        swagger_js_url=f"{root}/docs/static/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/docs/static/swagger-ui.css",
        swagger_favicon_url=f"{root}/docs/static/favicon.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers["Content-Security-Policy"] = POLICY
    page.headers["Cache-Control"] = "no-cache"
    return page


@router.get("/docs/static/{name}")
async def asset(name: str) -> Response:
    if name not in SERVED:
        raise ApiError(404, f"no documentation file {name}")
    path = ASSETS / name
    return FileResponse(
        str(path),
        media_type=SERVED[name],
        headers={"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"},
    )
