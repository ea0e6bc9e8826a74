"""Schemathesis over the OpenAPI document, against the real server: no request the document
allows, nor one it does not, makes the server fail; every answer matches the document."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from api.settings import ApiSettings
from tests.api_server import running_api, server_log
from tests.release_fixture import two_releases


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_releases(tmp_path_factory.mktemp("schemathesis") / "data")


@pytest.fixture(scope="module")
def base(data_dir: Path):
    with running_api(data_dir) as base:
        yield base


# The document does not depend on the data, so it is built at collection, in process, with
# the settings the test server runs with; the first test checks the server serves the same.
DOCUMENT = create_app(ApiSettings(rate_limit=0)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_this_document(base):
    assert httpx.get(f"{base}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_openapi_document_holds_for_every_operation(case, base):
    case.call_and_validate(
        base_url=base,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_the_server_logged_no_error(data_dir: Path, base):
    assert "Traceback" not in server_log(data_dir)
