"""The API over HTTP, against the real server process and releases in the contract's layout.

Two releases: 1.0.0, and 1.1.0 (other numbers) which `latest` points at. Every expected
answer is worked out here from the release's CSV files, read with the csv module.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from publish.tableschema import DIMENSIONS
from tests.api_server import running_api, server_log
from tests.release_fixture import (
    COLUMNS,
    DATASETS,
    PRIMARY_KEYS,
    read_csv,
    small_tables,
    two_releases,
    typed,
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_releases(tmp_path_factory.mktemp("api") / "data")


@pytest.fixture(scope="module")
def base(data_dir: Path):
    # Whole CSV answers go out 7 rows at a time, so that every one of them is many chunks.
    with running_api(data_dir, {"STATUSHOUDERS_API_CSV_CHUNK_ROWS": "7"}) as base:
        yield base


@pytest.fixture(scope="module")
def api(base: str):
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


ROWS = "/v1/datasets/indicatoren/rows"


def release_rows(data_dir: Path, name: str, version: str = "1.1.0") -> list[dict]:
    return read_csv(data_dir / "releases" / version, name)


def key(row: dict, name: str) -> tuple:
    return tuple(row[k] for k in PRIMARY_KEYS[name])


def all_pages(api: httpx.Client, url: str, params: dict | None = None) -> list[dict]:
    """Follow the `next` links from the first page to the last."""
    rows, page = [], api.get(url, params=params)
    while True:
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["data"]
        if body["links"]["next"] is None:
            assert body["meta"]["next_cursor"] is None
            return rows
        page = api.get(body["links"]["next"])


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"] and error["message"]
    assert "Traceback" not in response.text
    return error


# --- what is served is exactly what is published ---------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_every_row_served_is_a_row_of_the_release_csv_and_every_row_is_served(api, data_dir, name):
    served = all_pages(api, f"/v1/datasets/{name}/rows", {"limit": 50})
    published = release_rows(data_dir, name)
    assert len(served) == len(published)
    assert sorted(served, key=lambda r: key(r, name)) == sorted(
        published, key=lambda r: key(r, name)
    )


def test_withheld_values_are_null_with_geheim_true(api, data_dir):
    served = all_pages(api, "/v1/datasets/indicatoren/rows", {"limit": 1000})
    withheld = [r for r in served if r["geheim"]]
    assert withheld, "the fixture has withheld rows"
    assert all(r["teller"] is None and r["percentage"] is None for r in withheld)
    assert any(r["noemer"] is None for r in withheld)
    assert any(r["noemer"] is not None for r in withheld)
    published = {key(r, "indicatoren"): r for r in release_rows(data_dir, "indicatoren")}
    assert all(published[key(r, "indicatoren")] == r for r in withheld)


@pytest.mark.parametrize("name", ["gebieden", "indicatoren_codelijst", "geslachten"])
def test_code_lists_are_served_whole(api, data_dir, name):
    response = api.get(f"/v1/codelists/{name}/rows")
    assert response.status_code == 200
    assert sorted(response.json()["data"], key=lambda r: key(r, name)) == sorted(
        release_rows(data_dir, name), key=lambda r: key(r, name)
    )


def test_the_catalogue_names_release_peildatum_licence_and_resources(api):
    body = api.get("/v1").json()["data"]
    assert body["release"]["version"] == "1.1.0"
    assert body["release"]["peildatum"] == "2025-06-30"
    assert body["licenses"][0]["name"] == "CC-BY-4.0"
    assert [d["name"] for d in body["datasets"]] == list(DATASETS)
    assert {c["name"] for c in body["codelists"]} == set(COLUMNS) - set(DATASETS)
    indicatoren = body["datasets"][0]
    assert indicatoren["rows"] == len(small_tables(seed=2)["indicatoren"])
    assert indicatoren["links"]["csv"] == "/download/1.1.0/data/indicatoren.csv"


def test_dataset_metadata_is_the_release_table_schema(api, data_dir):
    response = api.get("/v1/datasets/huisvesting")
    assert response.status_code == 200
    body = response.json()
    package = api.get("/download/1.1.0/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == "huisvesting")
    assert body["data"]["schema"] == resource["schema"]
    assert body["data"]["resources"]["parquet"]["path"] == "data/huisvesting.parquet"
    assert body["links"]["rows"] == "/v1/datasets/huisvesting/rows"


# --- filters ---------------------------------------------------------------------------


def _dimension_cases() -> list[tuple[str, str]]:
    return [
        (name, column) for name in DATASETS for column, _ in COLUMNS[name] if column in DIMENSIONS
    ]


@pytest.mark.parametrize(("name", "column"), _dimension_cases())
def test_an_equality_filter_on_each_dimension(api, data_dir, name, column):
    published = release_rows(data_dir, name)
    value = published[len(published) // 2][column]
    served = all_pages(api, f"/v1/datasets/{name}/rows", {column: value, "limit": 1000})
    expected = [r for r in published if r[column] == value]
    assert served and len(served) == len(expected)
    assert sorted(served, key=lambda r: key(r, name)) == sorted(
        expected, key=lambda r: key(r, name)
    )


@pytest.mark.parametrize(("name", "column"), _dimension_cases())
def test_a_list_filter_on_each_dimension_by_commas_or_repetition(api, data_dir, name, column):
    published = release_rows(data_dir, name)
    values = sorted({r[column] for r in published})[:2]
    expected = sorted((r for r in published if r[column] in values), key=lambda r: key(r, name))
    by_commas = all_pages(
        api, f"/v1/datasets/{name}/rows", {column: ",".join(map(str, values)), "limit": 1000}
    )
    repeated = all_pages(api, f"/v1/datasets/{name}/rows", [(column, v) for v in values])
    for served in (by_commas, repeated):
        assert sorted(served, key=lambda r: key(r, name)) == expected


def test_filters_combine_with_and(api, data_dir):
    published = release_rows(data_dir, "indicatoren")
    params = {"gebied_code": "GM0344", "indicator": "werk,taalles", "duur_maanden": "6"}
    served = all_pages(api, "/v1/datasets/indicatoren/rows", params)
    expected = [
        r
        for r in published
        if r["gebied_code"] == "GM0344"
        and r["indicator"] in ("werk", "taalles")
        and r["duur_maanden"] == 6
    ]
    assert len(served) == len(expected) == 2 * 12 * 2
    assert sorted(map(str, served)) == sorted(map(str, expected))


def test_a_filter_on_a_value_that_is_not_there_matches_nothing(api):
    body = api.get("/v1/datasets/indicatoren/rows", params={"cohort_jaar": "1990"}).json()
    assert body["data"] == [] and body["meta"]["matched"] == 0


@pytest.mark.parametrize(
    ("column", "value", "hint"),
    [
        ("gebied_code", "u16", "did you mean U16?"),
        ("gebied_code", "U16,GM9999", "no code GM9999;"),
        ("geslacht", "X", "its codes are M, V, T"),
    ],
)
def test_a_code_a_coded_column_does_not_have_is_a_400_naming_its_codes(api, column, value, hint):
    """A mistyped code answered an empty page, read as "no data for this area": the OpenAPI
    document lists each coded column's codes, and a value outside them is now a 400."""
    error = assert_error(api.get(ROWS, params={column: value}), 400)
    assert hint in error["message"] and error["details"][0]["parameter"] == column


@pytest.mark.parametrize(
    ("name", "column"),
    [("huisvesting", "indicator"), ("indicatoren", "periode"), ("doorgaande_lijn", "cohort_jaar")],
)
def test_a_filter_on_a_column_the_dataset_lacks_is_a_400(api, name, column):
    error = assert_error(api.get(f"/v1/datasets/{name}/rows", params={column: "1"}), 400)
    assert column in error["message"]


@pytest.mark.parametrize(("parameter", "value"), [("fields", "gebied_code,"), ("sort", ",teller")])
def test_an_empty_name_in_a_list_names_its_parameter(api, parameter, value):
    """Every 400 of a parameter says which one in `details`, as the API promises."""
    error = assert_error(api.get(ROWS, params={parameter: value}), 400)
    assert error["details"] == [
        {"parameter": parameter, "message": "an empty name in a comma-separated list"}
    ]


def test_a_malformed_weight_in_accept_is_ignored_not_refused(api):
    """`Accept: application/json;q=abc` was a 406; the weight is ignored as if not given."""
    answer = api.get(ROWS, params={"limit": 1}, headers={"Accept": "application/json;q=abc"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"


# --- sorting, fields, pagination -------------------------------------------------------


def test_sorting_descending_then_ascending_with_missing_values_first_descending(api, data_dir):
    served = all_pages(
        api, "/v1/datasets/indicatoren/rows", {"sort": "-percentage,gebied_code", "limit": 1000}
    )
    published = release_rows(data_dir, "indicatoren")
    # Python's sort is stable: sort on the tie-breakers first, the primary sort key last.
    expected = sorted(published, key=lambda r: key(r, "indicatoren"))
    expected.sort(key=lambda r: r["gebied_code"])
    with_value = [r for r in expected if r["percentage"] is not None]
    with_value.sort(key=lambda r: r["percentage"], reverse=True)
    expected = [r for r in expected if r["percentage"] is None] + with_value
    assert served == expected


def test_without_sort_rows_come_in_primary_key_order(api, data_dir):
    served = all_pages(api, "/v1/datasets/doorgaande_lijn/rows")
    expected = sorted(
        release_rows(data_dir, "doorgaande_lijn"), key=lambda r: key(r, "doorgaande_lijn")
    )
    assert served == expected


def test_fields_selects_columns_in_the_order_asked(api):
    body = api.get(
        "/v1/datasets/indicatoren/rows", params={"fields": "percentage,gebied_code", "limit": 5}
    ).json()
    assert [list(r) for r in body["data"]] == [["percentage", "gebied_code"]] * 5
    assert body["meta"]["fields"] == ["percentage", "gebied_code"]


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_pages_have_no_duplicates_and_no_gaps(api, data_dir, limit):
    params = {"gebied_code": "U16,GM0589", "sort": "-noemer", "limit": limit}
    if limit == 1:
        params["geslacht"] = "T"
    paged = all_pages(api, "/v1/datasets/indicatoren/rows", params)
    whole = api.get("/v1/datasets/indicatoren/rows", params={**params, "limit": 1000}).json()
    assert paged == whole["data"]
    assert len({key(r, "indicatoren") for r in paged}) == len(paged) == whole["meta"]["matched"]


def test_page_size_has_a_documented_maximum(api):
    assert api.get("/v1/datasets/indicatoren/rows", params={"limit": 1000}).status_code == 200
    assert_error(api.get("/v1/datasets/indicatoren/rows", params={"limit": 1001}), 400)
    spec = api.get("/openapi.json").json()
    rows = spec["paths"]["/v1/datasets/indicatoren/rows"]["get"]
    limit = next(p for p in rows["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000


def test_a_cursor_belongs_to_its_query(api):
    first = api.get("/v1/datasets/indicatoren/rows", params={"gebied_code": "U16", "limit": 5})
    cursor = first.json()["meta"]["next_cursor"]
    other = {"gebied_code": "U10", "limit": 5, "cursor": cursor}
    assert_error(api.get("/v1/datasets/indicatoren/rows", params=other), 400)
    pinned = api.get(
        "/v1/releases/1.0.0/datasets/indicatoren/rows",
        params={"gebied_code": "U16", "limit": 5, "cursor": cursor},
    )
    assert_error(pinned, 400)


# --- formats ---------------------------------------------------------------------------


def _csv_rows(text: str, name: str) -> list[dict]:
    types = dict(COLUMNS[name])
    return [
        {c: typed(v, types[c]) for c, v in row.items()} for row in csv.DictReader(io.StringIO(text))
    ]


def test_csv_by_format_or_accept_header_holds_the_same_rows(api, data_dir):
    params = {"indicator": "bijstand", "limit": 1000}
    as_json = api.get("/v1/datasets/indicatoren/rows", params=params).json()["data"]
    by_format = api.get("/v1/datasets/indicatoren/rows", params={**params, "format": "csv"})
    by_accept = api.get(
        "/v1/datasets/indicatoren/rows", params=params, headers={"Accept": "text/csv"}
    )
    for response in (by_format, by_accept):
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert _csv_rows(response.text, "indicatoren") == as_json
    assert (
        by_format.headers["etag"]
        != api.get("/v1/datasets/indicatoren/rows", params=params).headers["etag"]
    )


def link_header(response: httpx.Response) -> dict[str, str]:
    """The `Link` header as {rel: url}."""
    links = {}
    for part in response.headers.get("link", "").split(","):
        url, _, rel = part.strip().partition(">; rel=")
        links[rel.strip('"')] = url.removeprefix("<")
    return links


def test_csv_pages_link_to_the_next_page(api):
    response = api.get("/v1/datasets/indicatoren/rows", params={"format": "csv", "limit": 10})
    following = api.get(link_header(response)["next"])
    assert "cursor=" in str(following.url)
    assert following.status_code == 200 and following.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == "540"
    assert (
        _csv_rows(following.text, "indicatoren")
        == all_pages(api, "/v1/datasets/indicatoren/rows", {"limit": 20})[10:20]
    )


# --- a spreadsheet: every matching row from one URL --------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_csv_without_limit_holds_every_row_of_the_release_file(api, data_dir, name):
    """In primary-key order (publish/ writes its files so; this fixture's are not sorted)."""
    response = api.get(f"/v1/datasets/{name}/rows", params={"format": "csv"})
    assert response.status_code == 200
    published = release_rows(data_dir, name)
    assert _csv_rows(response.text, name) == sorted(published, key=lambda r: key(r, name))
    header = (data_dir / "releases/1.1.0/data" / f"{name}.csv").read_text().splitlines()[0]
    assert response.text.splitlines()[0] == header
    assert response.headers["x-total-count"] == str(len(published))
    assert set(link_header(response)) == {"canonical"}
    # Sent as it is made: chunked, no length known in advance.
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers


def test_a_filtered_csv_without_limit_holds_every_matching_row(api, data_dir):
    """More rows than a page (100); Excel and IMPORTDATA never see the `Link` header."""
    expected = sorted(
        (r for r in release_rows(data_dir, "indicatoren") if r["indicator"] != "taalles"),
        key=lambda r: key(r, "indicatoren"),
    )
    assert len(expected) == 360 > 100
    by_format = api.get(ROWS, params={"indicator": "werk,bijstand", "format": "csv"})
    by_accept = api.get(ROWS, params={"indicator": "werk,bijstand"}, headers={"Accept": "text/csv"})
    for response in (by_format, by_accept):
        assert _csv_rows(response.text, "indicatoren") == expected
        assert response.headers["x-total-count"] == "360"
    paged = api.get(ROWS, params={"indicator": "werk,bijstand", "format": "csv", "limit": 100})
    assert len(_csv_rows(paged.text, "indicatoren")) == 100
    assert paged.headers["etag"] != by_format.headers["etag"]


def test_a_whole_csv_is_gzipped_in_one_stream_with_its_own_etag(api, data_dir):
    params = {"format": "csv", "sort": "-noemer,gebied_code"}
    plain = api.get(ROWS, params=params, headers={"Accept-Encoding": "identity"})
    with api.stream("GET", ROWS, params=params, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for tag in (plain.headers["etag"], zipped.headers["etag"]):
        assert api.get(ROWS, params=params, headers={"If-None-Match": tag}).status_code == 304


# --- permalinks: a row cited by a URL that names its release ---------------------------


def test_a_page_of_latest_has_a_permalink_under_its_release(api):
    page = api.get(ROWS, params={"gebied_code": "GM0344", "limit": 5}).json()
    permalink = page["links"]["permalink"]
    assert permalink.startswith("/v1/releases/1.1.0/datasets/indicatoren/rows?")
    cited = api.get(permalink)
    assert cited.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert cited.json()["data"] == page["data"]


def test_a_row_permalink_answers_with_that_row_of_that_release(api, data_dir):
    """The row template filled in from a row of 1.0.0 still gives 1.0.0's numbers, now that
    `latest` is 1.1.0 with other numbers."""
    old = api.get("/v1/releases/1.0.0/datasets/indicatoren/rows", params={"limit": 1000}).json()
    template = old["links"]["row"]
    assert template.startswith("/v1/releases/1.0.0/datasets/indicatoren/rows?")
    newer = {key(r, "indicatoren"): r for r in release_rows(data_dir, "indicatoren")}
    differs = [r for r in old["data"] if newer[key(r, "indicatoren")] != r]
    assert differs, "the two releases have other numbers"
    for row in [differs[0], old["data"][-1]]:
        url = re.sub(r"\{(\w+)\}", lambda m, row=row: str(row[m.group(1)]), template)
        cited = api.get(url).json()
        assert cited["data"] == [row] and cited["meta"]["release"] == "1.0.0"


def test_a_csv_names_its_permalink_in_the_link_header(api):
    for params in ({"format": "csv"}, {"format": "csv", "limit": 10, "gebied_code": "U16"}):
        response = api.get(ROWS, params=params)
        canonical = link_header(response)["canonical"]
        assert canonical.startswith("/v1/releases/1.1.0/datasets/indicatoren/rows?")
        assert api.get(canonical).content == response.content
    codes = api.get("/v1/codelists/gebieden/rows").json()
    assert codes["links"]["permalink"] == "/v1/releases/1.1.0/codelists/gebieden/rows"


# --- HEAD: GET without the body ---------------------------------------------------------

HEAD_URLS = [
    "/v1",
    "/v1/health",
    "/v1/releases",
    f"{ROWS}?gebied_code=U16",
    f"{ROWS}?format=csv",
    "/v1/releases/1.0.0/datasets/huisvesting",
    "/v1/codelists/geslachten/rows?format=csv",
    "/download/1.0.0/data/indicatoren.csv",
    "/download/1.0.0/",
    "/openapi.json",
    "/docs",
    "/docs/static/swagger-ui.css",
]
HOP_BY_HOP = {"date", "transfer-encoding", "connection", "keep-alive"}


@pytest.mark.parametrize("url", HEAD_URLS)
def test_head_answers_like_get_without_a_body(base, url):
    got = httpx.get(base + url)
    head = httpx.head(base + url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert {k: v for k, v in head.headers.items() if k not in HOP_BY_HOP} == {
        k: v for k, v in got.headers.items() if k not in HOP_BY_HOP
    }


def test_head_sends_no_body_on_the_wire(base):
    """After a HEAD the same connection serves a GET: a body sent after the HEAD's headers
    would be read as the start of the next answer."""
    host = urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    try:
        for url in (f"{ROWS}?format=csv", "/download/1.0.0/data/indicatoren.parquet"):
            connection.request("HEAD", url)
            head = connection.getresponse()
            assert head.status == 200 and head.read() == b""
            connection.request("GET", "/v1/health")
            after = connection.getresponse()
            assert after.status == 200 and b'"status":"ok"' in after.read()
    finally:
        connection.close()


def test_head_is_not_modified_like_get(api):
    tag = api.get(ROWS).headers["etag"]
    head = api.head(ROWS, headers={"If-None-Match": tag})
    assert head.status_code == 304 and head.headers["etag"] == tag


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", "application/json"),
        ("text/csv;q=0.5, application/json", "application/json"),
        ("application/json;q=0.2, text/csv", "text/csv; charset=utf-8"),
        ("text/*", "text/csv; charset=utf-8"),
        ("*/*", "application/json"),
    ],
)
def test_accept_negotiation(api, accept, expected):
    response = api.get("/v1/codelists/geslachten/rows", headers={"Accept": accept})
    assert response.headers["content-type"] == expected


def test_nothing_acceptable_is_a_406(api):
    assert_error(api.get("/v1/codelists/geslachten/rows", headers={"Accept": "image/png"}), 406)


# --- HTTP: ETag, caching, gzip, CORS ---------------------------------------------------


def test_etag_and_304(api):
    url, params = "/v1/datasets/indicatoren/rows", {"gebied_code": "U16"}
    first = api.get(url, params=params)
    tag = first.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert api.get(url, params=params).headers["etag"] == tag
    cached = api.get(url, params=params, headers={"If-None-Match": tag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == tag
    other_query = api.get(url, params={"gebied_code": "U10"}).headers["etag"]
    other_release = api.get("/v1/releases/1.0.0/datasets/indicatoren/rows", params=params).headers[
        "etag"
    ]
    assert len({tag, other_query, other_release}) == 3


def test_equivalent_queries_share_an_etag_and_the_same_bytes(api):
    """A strong ETag promises identical bytes, so the answer's own links are canonical too."""
    url = "/v1/datasets/indicatoren/rows"
    one = api.get(url, params={"indicator": "werk,bijstand", "limit": 100, "format": "json"})
    two = api.get(url, params=[("indicator", "bijstand"), ("indicator", "werk")])
    assert one.headers["etag"] == two.headers["etag"]
    assert one.content == two.content


def test_cache_control_is_short_for_latest_and_immutable_for_a_version(api):
    assert api.get("/v1/datasets/indicatoren").headers["cache-control"] == "public, max-age=60"
    pinned = api.get("/v1/releases/1.1.0/datasets/indicatoren").headers["cache-control"]
    assert pinned == "public, max-age=31536000, immutable"
    assert api.get("/v1/health").headers["cache-control"] == "no-store"


def test_gzip_when_accepted_with_its_own_etag(api):
    url, params = "/v1/datasets/indicatoren/rows", {"limit": 200}
    plain = api.get(url, params=params, headers={"Accept-Encoding": "identity"})
    with api.stream("GET", url, params=params, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert len(raw) < len(plain.content) / 3
    assert gzip.decompress(raw) == plain.content
    again = api.get(url, params=params, headers={"If-None-Match": zipped.headers["etag"]})
    assert again.status_code == 304


def test_cors_for_get(api):
    response = api.get("/v1/datasets/indicatoren", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = api.options(
        "/v1/datasets/indicatoren",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"


# --- releases --------------------------------------------------------------------------


def test_the_releases_are_listed_newest_first(api):
    body = api.get("/v1/releases").json()
    assert [r["version"] for r in body["data"]] == ["1.1.0", "1.0.0"]
    assert [r["latest"] for r in body["data"]] == [True, False]


def test_an_older_release_is_served_with_its_own_rows(api, data_dir):
    served = all_pages(api, "/v1/releases/1.0.0/datasets/huisvesting/rows")
    assert served == sorted(
        release_rows(data_dir, "huisvesting", "1.0.0"), key=lambda r: key(r, "huisvesting")
    )
    assert served != all_pages(api, "/v1/datasets/huisvesting/rows")
    catalogue = api.get("/v1/releases/1.0.0").json()
    assert catalogue["data"]["release"]["version"] == "1.0.0"
    assert catalogue["data"]["datasets"][0]["links"]["rows"] == (
        "/v1/releases/1.0.0/datasets/indicatoren/rows"
    )


def test_latest_is_also_a_release_name(api):
    latest = api.get("/v1/releases/latest/datasets/doorgaande_lijn/rows").json()
    assert latest["meta"]["release"] == "1.1.0"
    assert latest["data"] == api.get("/v1/datasets/doorgaande_lijn/rows").json()["data"]


# --- the download page -----------------------------------------------------------------


def test_the_root_leads_to_the_latest_download_page(api):
    home = api.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert str(home.url).endswith("/download/1.1.0/")
    assert "Release 1.1.0" in home.text
    assert home.headers["content-type"] == "text/html; charset=utf-8"


def test_the_files_of_a_release_are_downloadable_as_published(api, data_dir):
    response = api.get("/download/1.0.0/data/indicatoren.csv")
    assert response.status_code == 200
    assert response.content == (data_dir / "releases/1.0.0/data/indicatoren.csv").read_bytes()
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    cached = api.get(
        "/download/1.0.0/data/indicatoren.csv", headers={"If-None-Match": response.headers["etag"]}
    )
    assert cached.status_code == 304


def test_a_range_of_a_download_is_served_and_one_past_the_end_is_an_error(api, data_dir):
    """Bytes 10 to 19 of the file are those bytes; a range starting past its end was an empty
    text/plain 416, and a range in other units a plain-text 400: both are now the API's error
    format, the 416 with the file's size in Content-Range."""
    url = "/download/1.0.0/data/indicatoren.csv"
    published = (data_dir / "releases/1.0.0/data/indicatoren.csv").read_bytes()
    part = api.get(url, headers={"Range": "bytes=10-19"})
    assert (part.status_code, part.content) == (206, published[10:20])
    past = api.get(url, headers={"Range": f"bytes={len(published)}-"})
    error = assert_error(past, 416)
    assert past.headers["content-range"] == f"bytes */{len(published)}"
    assert f"{len(published):,} bytes" in error["message"]
    assert_error(api.get(url, headers={"Range": "rows=0-1"}), 400)


# --- bad requests: 4xx with the envelope, never a 500 ----------------------------------

BAD_PATHS = [
    ("/download/1.0.0/../../../etc/passwd", 404),
    ("/download/1.0.0/..%2F..%2F..%2Fetc%2Fpasswd", 404),
    ("/download/1.0.0/%2e%2e/%2e%2e/releases/latest/release.json", 404),
    ("/download/1.0.0/data/../datapackage.json", 404),
    ("/download/1.0.0//etc/passwd", 404),
    ("/download/..%2F..%2F/index.html", 404),
    ("/download/1.0.0/data/nope.csv", 404),
    ("/v1/releases/..%2F..%2Fetc/datasets/indicatoren", 404),
    ("/v1/releases/1.0.0%00/datasets/indicatoren", 400),
    ("/v1/releases/1.0.0%0A/datasets/indicatoren", 400),
    ("/download/1.0.0%0A/index.html", 404),
    ("/v1/releases/1.0/datasets/indicatoren", 400),
    ("/v1/releases/9.9.9/datasets/indicatoren", 404),
    ("/v1/releases/99999999999999999999.0.0", 400),
    ("/v1/datasets/nope/rows", 404),
    (f"{ROWS}?gebied_code=%27%20OR%201%3D1%20--", 400),
    (f"{ROWS}?gebied_code=GM0344%3BDROP%20TABLE%20indicatoren", 400),
    (f"{ROWS}?indicator=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400),
    (f"{ROWS}?indicator=", 400),
    (f"{ROWS}?indicator=werk%0A", 400),
    (f"{ROWS}?limit=10%0A", 400),
    (f"{ROWS}?indicator=werk,,bijstand", 400),
    (f"{ROWS}?sort=gebied_code%3Bdrop", 400),
    (f"{ROWS}?sort=--percentage", 400),
    (f"{ROWS}?fields=*", 400),
    (f"{ROWS}?fields=", 400),
    (f"{ROWS}?limit=99999999999999999999999", 400),
    (f"{ROWS}?limit=-1", 400),
    (f"{ROWS}?limit=0", 400),
    (f"{ROWS}?limit=1e3", 400),
    (f"{ROWS}?limit=10&limit=20", 400),
    (f"{ROWS}?cohort_jaar=99999999999999999999999", 400),
    (f"{ROWS}?duur_maanden=-6", 400),
    (f"{ROWS}?duur_maanden=6.0", 400),
    (f"{ROWS}?gebied_code=" + ",".join(["GM0344"] * 101), 400),
    (f"{ROWS}?cursor=not-a-cursor", 400),
    (f"{ROWS}?cursor=eyJ2IjoiMS4xLjAiLCJvIjotNSwicSI6IngifQ", 400),
    (f"{ROWS}?cursor=eyJ2IjoiLi4vLi4vZXRjIiwibyI6MCwicSI6IngifQ", 400),
    (f"{ROWS}?format=xml", 400),
    (f"{ROWS}?select=*", 400),
    (f"{ROWS}?sql=select%201", 400),
    ("/v1/datasets/indicatoren?fields=gebied_code", 400),
    ("/v1?x=1", 400),
    (f"{ROWS}?gebied_code=%ff%fe", 400),
    ("/v1/" + "x" * 5000, 414),
]


@pytest.mark.parametrize(("path", "status"), BAD_PATHS)
def test_bad_paths_and_parameters_are_4xx_with_the_envelope(base, path, status):
    """Sent byte for byte (http.client does not normalise `..` away as httpx would)."""
    host = urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == status, body
    assert response.getheader("content-type") == "application/json"
    error = httpx.Response(status, content=body).json()["error"]
    assert error["status"] == status and error["message"]


def test_other_methods_and_request_bodies_are_refused(api):
    assert_error(api.post("/v1/datasets/indicatoren/rows"), 405)
    assert_error(api.delete("/v1/releases/1.0.0"), 405)
    big = api.request("GET", "/v1/health", content=b"x" * 5000)
    assert_error(big, 413)


def test_no_bad_request_made_the_server_fail(base, data_dir, api):
    """Run last in this module: nothing above may have left a traceback in the server log."""
    assert api.get("/v1/health").status_code == 200
    assert "Traceback" not in server_log(data_dir)
