"""`/docs` in headless Chromium with every host but the API's blocked: Swagger UI renders the
OpenAPI document from files the API serves itself (an intranet has no CDN)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, expect

from api.main import create_app
from api.settings import ApiSettings
from tests.api_server import running_api
from tests.release_fixture import two_releases


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):
    data_dir = two_releases(tmp_path_factory.mktemp("docs") / "data")
    with running_api(data_dir) as base:
        yield base


def test_docs_render_offline_with_every_operation(browser: Browser, base: str):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    requests, blocked, errors = [], [], []

    def only_the_api(route):
        if urlsplit(route.request.url).netloc == urlsplit(base).netloc:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_api)
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/docs", wait_until="networkidle")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Monitor Statushouders U16"
        )
        document = create_app(ApiSettings(rate_limit=0)).openapi()
        operations = sum(len(methods) for methods in document["paths"].values())
        expect(page.locator(".opblock")).to_have_count(operations)
        # Open one operation: its parameters, enums included, come from the same document.
        page.locator("#operations-datasets-indicatoren_rows .opblock-summary").click()
        expect(page.locator("#operations-datasets-indicatoren_rows")).to_contain_text("gebied_code")
        assert blocked == [] and errors == []
        assert {urlsplit(url).netloc for url in requests} == {urlsplit(base).netloc}
        assert f"{base}/docs/static/swagger-ui-bundle.js" in requests
    finally:
        context.close()


def test_docs_page_names_no_other_host_and_forbids_loading_from_one(base: str):
    response = httpx.get(f"{base}/docs")
    assert response.status_code == 200
    assert "http://" not in response.text and "https://" not in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"])
def test_swagger_ui_files_come_from_the_installed_package(base: str, name: str):
    import fastapi_offline

    shipped = Path(fastapi_offline.__file__).parent / "static" / name
    response = httpx.get(f"{base}/docs/static/{name}")
    assert response.status_code == 200
    assert response.content == shipped.read_bytes()


def test_other_documentation_paths_are_404_in_the_envelope(base: str):
    for path in ("/docs/static/../../api/main.py", "/docs/static/redoc.standalone.js"):
        response = httpx.get(f"{base}{path}")
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404
