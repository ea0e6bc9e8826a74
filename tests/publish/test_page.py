"""The release's download page (publish/page.py): pure checks, then the page in a real browser.

The browser is Debian's chromium, driven by Playwright over a local HTTP server, with every
request to any other host aborted: the page is meant to work offline, from the release folder
alone. Playwright cannot download its own browser here (no internet), so the session installs
Debian's package with scripts/install-chromium when /usr/bin/chromium is missing, and fails —
never skips — when that is impossible. Expected values come from the sample release's
hand-made tables (tests/sample_release.py), never from the page.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from publish.page import MET, NO_DATA, NOT_MET, WITHHELD, format_pct, render_page, target_status
from tests import sample_release
from tests.sample_release import write_sample_release


def dutch_pct(value: Decimal) -> str:
    """The page's percentage style, written out independently: 42.5 -> "42,5%"."""
    return f"{value:.1f}".replace(".", ",") + "%"


# --- pure: no browser ----------------------------------------------------------------------


def test_same_release_gives_byte_identical_page(tmp_path: Path):
    """Same content, another folder, other timestamps, rendered twice: the same bytes."""
    first = write_sample_release(tmp_path / "a")
    second = tmp_path / "elsewhere" / "b"
    shutil.copytree(first, second)
    for path in second.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    page = render_page(first)
    assert render_page(first) == page
    assert render_page(second) == page


def test_page_does_not_list_itself_so_rendering_again_changes_nothing(tmp_path: Path):
    folder = write_sample_release(tmp_path)
    page = render_page(folder)
    (folder / "index.html").write_bytes(page)
    assert render_page(folder) == page


@pytest.mark.parametrize(
    ("percentage", "doel", "geheim", "expected"),
    [
        (Decimal("92.0"), 90, False, MET),
        (Decimal("90.0"), 90, False, MET),  # the target itself is met
        (Decimal("89.9"), 90, False, NOT_MET),
        (Decimal("59.2"), 60, False, NOT_MET),
        (Decimal("100.0"), 60, False, MET),
        (Decimal("0.0"), 60, False, NOT_MET),
        (None, 90, True, WITHHELD),  # withheld is neither met nor not met
        (None, 60, False, NO_DATA),
    ],
)
def test_target_is_met_when_the_published_percentage_reaches_it(percentage, doel, geheim, expected):
    assert target_status(percentage, doel, geheim) == expected


# (indicator, area, year) -> the cell's text, worked out from the sample's teller/noemer by hand.
TARGET_CELLS = {
    ("plaatsing_regio", "U16", 2021): "92,0% behaald / met",  # 184/200
    ("plaatsing_regio", "U16", 2022): "90,0% behaald / met",  # 1799/2000 = 89.95, rounds up
    ("plaatsing_regio", "U16", 2023): "89,0% niet behaald / not met",  # 178/200
    ("plaatsing_regio", "U16", 2024): "geheim / withheld",  # noemer 8
    ("noa_binnen_3_maanden", "U16", 2021): "65,0% behaald / met",
    ("noa_binnen_3_maanden", "U16", 2022): "52,4% niet behaald / not met",  # 199/380 = 52.37
    ("noa_binnen_3_maanden", "U16", 2023): "62,0% behaald / met",
    # P is 30 September 2024: 2024 is not over, its verdict only "so far"
    ("noa_binnen_3_maanden", "U16", 2024): "50,0% tot nu toe niet behaald / not met so far",
    ("noa_binnen_3_maanden", "U10", 2021): "65,0% behaald / met",
    ("noa_binnen_3_maanden", "U10", 2022): "60,0% behaald / met",  # 174/290, exactly 60
    ("noa_binnen_3_maanden", "U10", 2023): "57,7% niet behaald / not met",  # 150/260 = 57.69
    ("noa_binnen_3_maanden", "U10", 2024): "55,0% tot nu toe niet behaald / not met so far",
    ("noa_binnen_3_maanden", "GM0344", 2021): "60,0% behaald / met",
    ("noa_binnen_3_maanden", "GM0344", 2022): "70,0% behaald / met",
    ("noa_binnen_3_maanden", "GM0344", 2023): "59,2% niet behaald / not met",  # 71/120 = 59.17
    ("noa_binnen_3_maanden", "GM0344", 2024): "geheim / withheld",  # 28/30: two without
    ("noa_binnen_3_maanden", "GM0589", 2021): "geheim / withheld",  # noemer 6
    ("noa_binnen_3_maanden", "GM0589", 2022): "66,7% behaald / met",  # 8/12
    ("noa_binnen_3_maanden", "GM0589", 2023): "geheim / withheld",
    ("noa_binnen_3_maanden", "GM0589", 2024): "geheim / withheld",
}


def test_page_states_each_policy_target_as_met_or_not_in_words(tmp_path: Path):
    page = render_page(write_sample_release(tmp_path)).decode()
    for (indicator, area, year), expected in TARGET_CELLS.items():
        found = re.search(rf'id="doel-{indicator}-{area}-{year}"[^>]*>(.*?)</td>', page)
        assert found, (indicator, area, year)
        text = " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())
        assert text == expected, (indicator, area, year)


def cell_text(page: str, element_id: str, tag: str = "td") -> str:
    """The visible words of the element with this id (the permalink's hidden words and its
    # left out)."""
    found = re.search(rf'<{tag} id="{re.escape(element_id)}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert found, element_id
    shown = re.sub(r'<a class="anker".*?</a>', " ", found.group(1), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", shown).split())


# (area, indicator) -> the plan result at 12 months, cohort 2022 against 2021, worked out by
# hand from the sample (teller = noemer x rate, rounded; later cohorts do 2 points better):
PLAN_CELLS = {
    # U16: 48 of 400 = 12.0; 2022: 380 x 14% = 53.2 -> 53 of 380 = 13.9
    ("U16", "werk"): "2021: 12,0% → 2022: 13,9% gestegen / rose , behaald / met",
    # 340 of 400 = 85.0; 380 x 87% = 330.6 -> 331 of 380 = 87.1: up, where the plan wants down
    ("U16", "bijstand"): "2021: 85,0% → 2022: 87,1% gestegen / rose , niet behaald / not met",
    # Utrecht: 18 of 150 = 12.0; 140 x 14% = 19.6 -> 20 of 140 = 14.3
    ("GM0344", "werk"): "2021: 12,0% → 2022: 14,3% gestegen / rose , behaald / met",
    # Oudewater: 2021 has 6 people (withheld), 2022 12 x 14% = 1.68 -> 2 (withheld)
    ("GM0589", "werk"): "2021: geheim → 2022: geheim geen oordeel / no verdict",
}


def test_each_plan_result_shows_both_percentages_and_the_verdict(tmp_path: Path):
    page = render_page(write_sample_release(tmp_path)).decode()
    for (area, indicator), expected in PLAN_CELLS.items():
        assert cell_text(page, f"plan-{area}-{indicator}-12") == expected, (area, indicator)
    # At 24 months only cohort 2021 is published: no result, so no such cell anywhere.
    assert 'id="plan-U16-werk-24"' not in page


def test_the_overview_counts_the_results_met_per_area(tmp_path: Path):
    """From the sample's plan rows: every later cohort does 2 points better, so each area
    meets the four rises and misses bijstand, where a verdict is possible at all."""
    page = render_page(write_sample_release(tmp_path)).decode()
    rows = sample_release.planresultaten_rows()
    for area in sample_release.AREAS:
        mine = [r for r in rows if r["gebied_code"] == area]
        met = sum(1 for r in mine if r["behaald"] is True)
        judged = sum(1 for r in mine if r["behaald"] is not None)
        found = re.search(rf'<a href="#{area}">[^<]*</a></th>\s*<td>(.*?)</td>', page, re.S)
        assert found, area
        assert " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()).startswith(
            f"{met} van {judged} / {met} of {judged}"
        ), area
    assert (met, judged) == (0, 0)  # Oudewater, last: everything withheld


def test_the_housing_table_carries_the_backlog(tmp_path: Path):
    """U16 in the sample, worked by hand (end = begin + task - housed): 0 -> 20, 20 -> -10,
    -10 -> 60, 60 -> 40, 40 -> 50, 50 -> 110, 110 -> 150, and 2024-H2 (provisional): 150 + 720
    = 870 to house, 300 housed, 570 left."""
    page = render_page(write_sample_release(tmp_path)).decode()
    row = cell_text(page, "huisvesting-U16-2024-H2", tag="tr")
    assert row == "2024-H2 150 720 870 300 41,7% 570 voorlopig / provisional"
    assert cell_text(page, "huisvesting-U16-2021-H2", tag="tr") == (
        "2021-H2 20 420 440 450 107,1% −10 definitief / final"
    )


def test_the_page_names_the_url_that_cites_this_version(tmp_path: Path):
    folder = write_sample_release(tmp_path)
    cited = render_page(folder, "https://data.example.nl/statushouders/").decode()
    assert '<code class="citeer">https://data.example.nl/statushouders/download/1.3.0/</code>' in (
        cited
    )
    assert 'class="citeer"' not in render_page(folder).decode()


def test_text_from_the_data_is_escaped(tmp_path: Path):
    """Autoescaping: a title or a label with markup is shown as text, never run."""
    folder = write_sample_release(tmp_path)
    package = json.loads((folder / "datapackage.json").read_text())
    package["title"] = 'Monitor <script>alert("t")</script>'
    package["licenses"][0]["title"] = '"><img src=x onerror=alert(1)>'
    (folder / "datapackage.json").write_text(json.dumps(package))
    codes = folder / "data" / "indicatoren_codelijst.csv"
    codes.write_text(codes.read_text().replace(",Werk,", ",<b>Werk</b>,"))
    page = render_page(folder).decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Werk" not in page
    assert "Monitor &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Werk&lt;/b&gt;" in page


def test_withheld_rows_by_level_and_under_each_chart(tmp_path: Path):
    folder = write_sample_release(tmp_path)
    levels = {"region_headline": (200, 0.05, 0.0), "breakdown": (1800, 0.4, 0.125)}
    report = {
        "resources": {
            "indicatoren": {
                "rows_withheld_by_level": {
                    level: {"rows": rows, "primary": primary, "secondary": secondary}
                    for level, (rows, primary, secondary) in levels.items()
                }
            }
        }
    }
    (folder / "disclosure.json").write_text(json.dumps(report))
    page = render_page(folder).decode()
    assert "U16 en U10, totaal" in page and "200</td><td" in page
    assert ">1.800<" in page and ">40,0%<" in page and ">12,5%<" in page
    # Oudewater's werk: 9 points (2021 x 5, 2022 x 3, 2023 x 1); withheld: 2021 (6 people),
    # 2022 at 6 and 12 months (1 and 2 with work) and 2023 (4 people): 8.
    block = page[page.index('id="grafiek-GM0589-werk"') :]
    block = block[: block.index("</div>")]
    assert "8 van de 9 punten zijn geheim" in block and "8 of the 9 points" in block


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("42.5"), "42,5%"),
        (Decimal("7"), "7,0%"),
        (Decimal("100.0"), "100,0%"),
        (Decimal("0.05"), "0,1%"),  # half away from zero, as the marts round
        (None, ""),
    ],
)
def test_percentages_are_written_dutch_style(value, expected):
    assert format_pct(value) == expected


def test_only_documents_that_exist_are_linked(tmp_path: Path):
    folder = write_sample_release(tmp_path, leave_out=("deliveries.json", "diff.json"))
    page = render_page(folder).decode()
    assert 'href="deliveries.json"' not in page
    assert 'href="diff.json"' not in page
    assert 'href="CHANGELOG.md"' in page


# --- in the browser ------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass
class Site:
    folder: Path
    origin: str

    @property
    def page_url(self) -> str:
        return self.origin + "/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The sample release with its page, served as a web server would serve the folder."""
    folder = write_sample_release(tmp_path_factory.mktemp("release"))
    (folder / "index.html").write_bytes(render_page(folder))
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(folder, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Loaded:
    page: Page
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _load(browser: Browser, site: Site, *, script: bool = True) -> tuple[Loaded, object]:
    context = browser.new_context(
        java_script_enabled=script, service_workers="block", viewport={"width": 1100, "height": 900}
    )
    loaded = Loaded(page=context.new_page())

    def only_the_local_server(route):
        if urlsplit(route.request.url).netloc == urlsplit(site.origin).netloc:
            route.continue_()
        else:
            loaded.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_local_server)
    page = loaded.page
    page.on("request", lambda request: loaded.requests.append(request.url))
    page.on("console", lambda m: loaded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: loaded.errors.append(str(error)))
    page.goto(site.page_url, wait_until="load")
    return loaded, context


@pytest.fixture
def loaded(browser: Browser, site: Site) -> Iterator[Loaded]:
    result, context = _load(browser, site)
    yield result
    context.close()


def _open_everything(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


def test_page_loads_with_no_request_but_itself(loaded: Loaded, site: Site):
    """Self-contained: no stylesheet, font, script or image is fetched, from anywhere."""
    page = loaded.page
    _open_everything(page)  # opened parts must not fetch anything either
    page.wait_for_timeout(200)
    assert loaded.blocked == []
    assert [url for url in loaded.requests if not url.startswith("data:")] == [site.page_url]
    assert loaded.errors == []  # a violated Content-Security-Policy would show here
    assert page.evaluate("document.documentElement.lang") == "nl"
    # The guard works: a request elsewhere is aborted and recorded.
    with pytest.raises(Exception, match="ERR_FAILED"):
        page.goto("http://example.org/", wait_until="commit")
    assert loaded.blocked == ["http://example.org/"]


def _sample_points(area: str, indicator: str) -> dict[str, set[str]]:
    """Per cohort, the chart's points as tooltips, from the sample rows (all sexes and ages)."""
    points: dict[str, set[str]] = {}
    for row in sample_release.indicatoren_rows():
        if (row["gebied_code"], row["indicator"], row["geslacht"], row["leeftijdsklasse"]) != (
            area,
            indicator,
            "T",
            "T",
        ):
            continue
        points.setdefault(str(row["cohort_jaar"]), set())
        if row["percentage"] is not None:
            points[str(row["cohort_jaar"])].add(
                f"Cohort {row['cohort_jaar']}, {row['duur_maanden']} maanden: "
                f"{dutch_pct(row['percentage'])}"
            )
    return points


def _series_with_neighbours(area: str, indicator: str) -> int:
    rows = sample_release.indicatoren_rows()
    durations = sorted({r["duur_maanden"] for r in rows})
    published: dict[int, set[int]] = {}
    for r in rows:
        if (r["gebied_code"], r["indicator"], r["geslacht"], r["leeftijdsklasse"]) == (
            area,
            indicator,
            "T",
            "T",
        ) and r["percentage"] is not None:
            published.setdefault(r["cohort_jaar"], set()).add(durations.index(r["duur_maanden"]))
    return sum(1 for found in published.values() if any(i + 1 in found for i in found))


def test_charts_draw_the_sample_values(loaded: Loaded):
    page = loaded.page
    _open_everything(page)
    charts = page.locator("svg.grafiek")
    # 4 areas, each with the housing chart and the 4 key indicators.
    assert charts.count() == 4 * 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
    for area in sample_release.AREAS:
        for indicator in ("werk", "bijstand", "participatie", "inburgering_voldaan"):
            block = page.locator(f'.blok[data-gebied="{area}"][data-grafiek="{indicator}"]')
            expected = _sample_points(area, indicator)
            drawn = block.locator("g.reeks").evaluate_all(
                """groups => Object.fromEntries(groups.map(g => [g.dataset.reeks,
                    [...g.querySelectorAll('.punt')].map(p => {
                        const box = p.getBoundingClientRect();
                        return [p.querySelector('title').textContent,
                                box.x + box.width / 2, box.y + box.height / 2];
                    })]))"""
            )
            assert {k: {t for t, _, _ in v} for k, v in drawn.items()} == expected
            # Higher percentages sit higher, later durations further right.
            points = [
                (Decimal(t.rsplit(": ", 1)[1].rstrip("%").replace(",", ".")), x, y)
                for v in drawn.values()
                for t, x, y in v
            ]
            for a, _, ay in points:
                for b, _, by in points:
                    if a > b:
                        assert ay < by, (area, indicator, a, b)
            for series in drawn.values():
                xs = [x for _, x, _ in series]
                assert xs == sorted(xs) and len(set(xs)) == len(xs)
            # A line joins published values at neighbouring durations; a lone one is a marker.
            lines = block.locator("path.lijn")
            assert lines.count() == _series_with_neighbours(area, indicator)
            for line in lines.all():
                assert line.evaluate("p => p.getTotalLength()") > 0
        housing = [r for r in sample_release.huisvesting_rows() if r["gebied_code"] == area]
        bars = page.locator(f'.blok[data-gebied="{area}"][data-grafiek="huisvesting"] .staaf')
        assert bars.count() == sum(1 for r in housing if r["realisatie_pct"] is not None)
        heights = {
            t.split(":")[0]: h
            for t, h in bars.evaluate_all(
                "bars => bars.map(b => [b.querySelector('title').textContent,"
                " b.getBoundingClientRect().height])"
            )
        }
        by_period = {r["periode"]: r["realisatie_pct"] for r in housing if r["realisatie_pct"]}
        for p, q in ((p, q) for p in by_period for q in by_period):
            if by_period[p] > by_period[q]:
                assert heights[p] > heights[q], (area, p, q)


def test_page_is_complete_without_script(browser: Browser, site: Site):
    result, context = _load(browser, site, script=False)
    try:
        assert result.page.locator("svg.grafiek").count() == 4 * 5
        assert result.page.locator("table").count() > 4 * 5
    finally:
        context.close()


def test_every_link_resolves(loaded: Loaded, site: Site):
    page = loaded.page
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    licences = {
        licence["path"]
        for licence in json.loads((site.folder / "datapackage.json").read_text())["licenses"]
    }
    files = [h for h in hrefs if not h.startswith("#") and h not in licences]
    # Every file of the release is linked, except the page itself.
    on_disk = {p.relative_to(site.folder).as_posix() for p in site.folder.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"index.html"}
    for href in hrefs:
        if href.startswith("#"):
            assert page.locator(f'[id="{href[1:]}"]').count() == 1, href
        elif href in licences:
            # The one link off the release: the licence text, named in datapackage.json.
            assert href.startswith("https://")
        else:
            response = page.request.get(urljoin(site.page_url, href))
            assert response.status == 200, href
            assert response.body() == (site.folder / href).read_bytes(), href


def test_every_file_is_listed_with_its_size_hash_licence_and_peildatum(loaded: Loaded, site: Site):
    rows = loaded.page.locator("tr[data-bestand]").evaluate_all(
        """rows => rows.map(r => ({
            path: r.dataset.bestand,
            size: r.querySelector('data') && r.querySelector('data').value,
            hash: r.querySelector('code.hash') && r.querySelector('code.hash').textContent,
            licence: r.cells[3].textContent,
            peildatum: r.querySelector('time') && r.querySelector('time').getAttribute('datetime'),
        }))"""
    )
    listed = {row["path"]: row for row in rows}
    on_disk = [p for p in sorted(site.folder.rglob("*")) if p.is_file() and p.name != "index.html"]
    assert sorted(listed) == sorted(p.relative_to(site.folder).as_posix() for p in on_disk)
    for path in on_disk:
        row = listed[path.relative_to(site.folder).as_posix()]
        content = path.read_bytes()
        assert row["size"] == str(len(content)), path
        assert row["hash"] == "sha256:" + hashlib.sha256(content).hexdigest(), path
        assert row["licence"] == "CC-BY-4.0"
        assert row["peildatum"] == sample_release.PEILDATUM


def test_headings_are_ordered_under_one_h1_and_ids_are_unique(loaded: Loaded):
    levels = loaded.page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "hs => hs.map(h => Number(h.tagName[1]))"
    )
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    ids = loaded.page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))


def test_every_chart_and_image_has_an_accessible_name(loaded: Loaded):
    page = loaded.page
    _open_everything(page)
    svgs = page.locator("svg")
    assert svgs.count() == page.locator("svg[role=img]").count() > 0
    for svg in svgs.all():
        expect(svg).to_have_role("img")
        expect(svg).to_have_accessible_name(re.compile(r"\w{3}"))
        expect(svg).to_have_accessible_description(re.compile(r"\w{3}"))
    for image in page.locator("img").all():
        expect(image).to_have_accessible_name(re.compile(r"\w"))
    for region in page.locator("[role=region]").all():
        expect(region).to_have_accessible_name(re.compile(r"\w"))


CONTRAST = """() => {
  const parse = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const seen = new Set(), low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    if (el.closest('title, desc, script, style')) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const svg = el instanceof SVGElement;
    const fg = parse(svg ? style.fill : style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) low.push([el.tagName, el.textContent.slice(0, 40), ratio.toFixed(2)]);
  }
  return {checked: seen.size, low};
}"""


def test_all_text_has_at_least_4_5_to_1_contrast(loaded: Loaded):
    _open_everything(loaded.page)
    result = loaded.page.evaluate(CONTRAST)
    assert result["checked"] > 100
    assert result["low"] == []


def test_tab_reaches_every_link_with_a_visible_focus(loaded: Loaded):
    page = loaded.page
    visible = set(
        page.eval_on_selector_all(
            "a[href]",
            # Inside a closed section a link has boxes but is not shown (content-visibility).
            "links => links.filter(a => a.checkVisibility()).map(a => a.getAttribute('href'))",
        )
    )
    reached, first = set(), None
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const e = document.activeElement, s = getComputedStyle(e);
                return {tag: e.tagName, href: e.getAttribute('href'),
                        html: e.outerHTML.slice(0, 80), outline: s.outlineStyle,
                        width: parseFloat(s.outlineWidth)};
            }"""
        )
        if focused["tag"] == "BODY" or focused["html"] == first:
            break
        first = first or focused["html"]
        assert focused["outline"] != "none" and focused["width"] >= 2, focused
        if focused["href"]:
            reached.add(focused["href"])
    assert reached == visible
    assert "#inhoud" in reached  # the skip link comes first
    assert any(h.startswith("data/") for h in reached)


def test_keyboard_opens_an_area_and_its_charts_appear(loaded: Loaded):
    page = loaded.page
    area = page.locator("#GM0589")
    chart = area.locator("svg.grafiek").first
    assert chart.bounding_box()["width"] == 0  # closed at first: only U16 is open
    area.locator("summary").first.focus()
    page.keyboard.press("Enter")
    expect(area.locator("details").first).to_have_attribute("open", "")
    box = chart.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50


def test_following_an_area_link_opens_that_area(loaded: Loaded):
    page = loaded.page
    link = page.locator('.overzicht a[href="#GM0344"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#GM0344 details").first).to_have_attribute("open", "")
    expect(page.locator("#GM0344 table.plan")).to_be_visible()


@pytest.mark.parametrize("area", ["GM0589", "U10"])
def test_an_area_named_in_the_url_opens_its_section(browser: Browser, site: Site, area: str):
    """A link to the page with `#GM0589` (the area's code) opens that area, closed at first."""
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        page.goto(f"{site.page_url}#{area}", wait_until="load")
        expect(page.locator(f"#{area} details").first).to_have_attribute("open", "")
        expect(page.locator(f"#{area} h4").first).to_be_in_viewport()
        # A figure's permalink opens the section it is in and shows the figure.
        page.goto(f"{site.page_url}#huisvesting-GM0344-2024-H2", wait_until="load")
        expect(page.locator("#GM0344 details").first).to_have_attribute("open", "")
        expect(page.locator('[id="huisvesting-GM0344-2024-H2"]')).to_be_in_viewport()
    finally:
        context.close()


def test_the_plan_results_come_first_the_files_last(loaded: Loaded):
    """The page opens with the plan's results: the first section, the first table, and U16's
    results (open) come before any chart; the files and hashes are the last section."""
    page = loaded.page
    sections = page.eval_on_selector_all("main h2", "hs => hs.map(h => h.id)")
    assert sections[0] == "resultaten" and sections[-1] == "bestanden"
    first_table = page.locator("main table").first
    expect(first_table).to_have_class("overzicht")
    order = page.evaluate(
        """() => {
            const all = [...document.querySelectorAll('main table.plan, main svg.grafiek')];
            return all.map(e => e.tagName.toLowerCase());
        }"""
    )
    assert order[0] == "table" and "svg" in order
    u16 = page.locator("#U16 table.plan")
    expect(u16).to_be_visible()
    assert (
        page.locator("#U16 table.plan").bounding_box()["y"]
        < page.locator("#U16 svg.grafiek").first.bounding_box()["y"]
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_never_scrolls_sideways_only_its_wide_tables_do(
    browser: Browser, site: Site, width: int
):
    """On a phone and on a laptop, with every section open, the page is as wide as the window:
    a table wider than that scrolls inside its own box. Text hidden for screen readers (the
    "not yet published" of an empty cell) must not stick out of that box either."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.page_url, wait_until="load")
        _open_everything(page)
        page.wait_for_timeout(100)
        wide = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide[0] <= wide[1], f"the page is {wide[0]} px wide in a {wide[1]} px window"
    finally:
        context.close()


def test_the_page_and_disclosure_md_give_a_level_the_same_share_of_its_rows(tmp_path: Path):
    """23,249 of 100,000 rows withheld by the primary rules is 23.249%: 23.2 to one decimal.
    Kept as the share 0.2325 (four decimals), it read 23,3% on the page and 23.2% in
    disclosure.md of the same release. Both now round the counts: 23,2% and 23.2%; 5 rows by
    secondary suppression are 0.005%: 0,0% and 0.0%."""
    from publish import disclosure as dc
    from tests.publish.test_history import AREAS, FIRST, micro, release, table

    _, suppression = release(table(micro(FIRST), (AREAS, dc.SEX)))
    report = dc.report(suppression)
    levels = report["resources"]["t"]["rows_withheld_by_level"]
    level = next(iter(levels))
    levels[level] = {
        "rows": 100_000,
        "primary": 0.2325,
        "secondary": 0.0001,
        "primary_rows": 23_249,
        "secondary_rows": 5,
    }
    folder = write_sample_release(tmp_path)
    (folder / "disclosure.json").write_text(json.dumps(report))
    page = render_page(folder).decode()
    assert ">23,2%<" in page and ">0,0%<" in page and ">23,3%<" not in page
    assert "| 100,000 | 23.2% | 0.0% |" in dc.summary(report)


def test_an_area_whose_name_holds_its_code_is_named_once(tmp_path: Path):
    """The region is "Regio U16", not "Regio U16 (U16)"; Utrecht stays "Utrecht (GM0344)"."""
    folder = write_sample_release(tmp_path)
    for data in (folder / "data").glob("*.csv"):  # the areas' names, wherever they are
        data.write_text(data.read_text(encoding="utf-8").replace("U16,U16,", "U16,Regio U16,"))
    page = render_page(folder).decode()
    assert "Regio U16" in page and "Regio U16 (U16)" not in page
    assert "Utrecht (GM0344)" in page
