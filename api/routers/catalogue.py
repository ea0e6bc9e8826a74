"""The catalogue of a release: version, peildatum, licence, and its datasets and code lists."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import examples
from api.errors import bad_request
from api.http import envelope
from api.responses import ERRORS, NOT_MODIFIED, answers, summary
from api.schemas import CatalogueEnvelope
from api.scope import Scope, ScopeKind


def add_routes(router: APIRouter, kind: ScopeKind) -> None:
    """The catalogue of one scope (`latest` or a named release), at its prefix."""

    async def catalogue(request: Request) -> Response:
        scope = await kind.resolve(request)
        if request.query_params:
            raise bad_request("this resource takes no parameters")
        return scope.answer(request, lambda: (_catalogue(scope), {}))

    router.add_api_route(
        kind.prefix,
        catalogue,
        methods=["GET"],
        tags=["catalogue"],
        response_model=CatalogueEnvelope,
        responses={**answers(examples.catalogue(kind.pinned)), **NOT_MODIFIED, **ERRORS},
        operation_id=f"catalogue{kind.suffix}",
        summary="The release: version, peildatum, licence, datasets and code lists",
        openapi_extra={"parameters": list(kind.parameters)},
    )


def _catalogue(scope: Scope) -> bytes:
    info, package = scope.release.info, scope.release.package
    data = {
        "release": {
            "version": info.version,
            "created": info.created,
            "peildatum": info.peildatum or package.get("peildatum"),
            "content_digest": info.content_digest,
        },
        **{key: package.get(key) for key in ("title", "title_en", "description", "description_en")},
        "licenses": package.get("licenses", []),
        "datasets": [summary(scope, t) for t in scope.release.of_kind("dataset")],
        "codelists": [summary(scope, t) for t in scope.release.of_kind("codelist")],
    }
    links = {
        "self": scope.link(),
        "releases": f"{scope.root}/v1/releases",
        "download": scope.download(),
        "datapackage": scope.download("datapackage.json"),
    }
    return envelope(data, links=links)
