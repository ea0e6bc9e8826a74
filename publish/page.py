"""The static download page of a release: `index.html`, rendered from the staged release folder.

The publisher calls `render_page` on a release folder that already holds `datapackage.json`,
the data files and the documents, and writes the result to `<release>/index.html` before the
release is switched live. This module reads the release into a view model (plain dataclasses:
texts, figures as they are shown, chart geometry from publish/charts.py); the Jinja2 templates
in publish/templates/ turn it into HTML, with autoescaping on, so no text from the data can
become markup.

The page leads with what a council member asks: per area, the regional plan's results (met
or not, with the two percentages), the housing task with the backlog carried over, and the
plan's two numeric targets; then that area's charts; then the targets over the years, what
the figures mean, and at the end every file with its size and SHA-256. `#GM0344` (an area's
code) opens that area's section; every figure has an id, so `<page URL>#<id>` under the
release's version cites it for as long as the release is kept.

The page stands alone and works offline: CSS and a few lines of optional script are inline
(a Content-Security-Policy forbids loading anything else), the charts are inline SVG, and
every link is relative to the release folder. It is in Dutch with English labels. The same
release content gives byte-identical pages: nothing reads the clock, the file system's
timestamps or the folder's own path, and everything is sorted explicitly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from publish.charts import BarChart, LineChart, bar_chart, line_chart
from publish.formatting import (
    format_date_nl,
    format_date_short,
    format_int,
    format_pct,
    format_size,
    level_percentages,
)
from publish.store import read_resource

__all__ = ["format_pct", "render_page", "target_status"]

# The national Monitor Statushouders leads with these; the other indicators are in the data.
KEY_INDICATORS = ("werk", "bijstand", "participatie", "inburgering_voldaan")
# The resources the page shows; the others are only listed as files.
SHOWN = ("indicatoren", "huisvesting", "doorgaande_lijn", "planresultaten", "indicatoren_codelijst")

# (file, description nl, description en): the release's documents besides the data.
# `release.json` is not listed: the publisher writes it after the page, and its content
# digest covers the page. `index.html` is the page itself.
DOCUMENTS = (
    (
        "datapackage.json",
        "Beschrijving van het datapakket: bronnen, velden, sleutels, licentie",
        "Data package description: sources, fields, keys, licence",
    ),
    ("dcat.jsonld", "Catalogusbeschrijving (DCAT-AP)", "Catalogue record (DCAT-AP)"),
    ("CHANGELOG.md", "Wijzigingen per versie", "Changes per version"),
    ("diff.json", "Verschillen met de vorige versie", "Differences from the previous version"),
    ("disclosure.md", "Verslag van de onthullingscontrole", "Disclosure control report"),
    (
        "disclosure.json",
        "Verslag van de onthullingscontrole, machineleesbaar",
        "Disclosure control report, machine-readable",
    ),
    ("validation.json", "Samenvatting van de validatie", "Validation summary"),
    ("deliveries.json", "Gebruikte leveringen", "Deliveries used"),
    ("monitor.json", "Metadata van de monitor", "Monitor metadata"),
)
NOT_LISTED = frozenset({"index.html", "release.json"})
FORMATS = {
    ".csv": "CSV",
    ".parquet": "Parquet",
    ".json": "JSON",
    ".jsonld": "JSON-LD",
    ".md": "Markdown",
}

# The outcome of a target or a plan result for one cell.
MET, NOT_MET, WITHHELD, NO_DATA, NO_VERDICT = (
    "behaald",
    "niet behaald",
    "geheim",
    "geen gegevens",
    "geen oordeel",
)
# A target in a year not over yet: its percentage can still move either way.
MET_SO_FAR, NOT_MET_SO_FAR = "tot nu toe behaald", "tot nu toe niet behaald"
STATUS_TEXT = {
    MET: ("behaald", "met"),
    NOT_MET: ("niet behaald", "not met"),
    MET_SO_FAR: ("tot nu toe behaald", "met so far"),
    NOT_MET_SO_FAR: ("tot nu toe niet behaald", "not met so far"),
    WITHHELD: ("geheim", "withheld"),
    NO_DATA: ("geen gegevens", "no data"),
    NO_VERDICT: ("geen oordeel", "no verdict"),
}
STATUS_CLASS = {
    MET: "behaald",
    NOT_MET: "niet-behaald",
    MET_SO_FAR: "leeg",
    NOT_MET_SO_FAR: "leeg",
    WITHHELD: "geheim",
    NO_DATA: "leeg",
    NO_VERDICT: "leeg",
}
DIRECTION = {
    "gestegen": ("gestegen", "rose"),
    "gedaald": ("gedaald", "fell"),
    "gelijk": ("gelijk", "unchanged"),
}
AIM = {"gestegen": ("stijgen", "rise"), "gedaald": ("dalen", "fall")}
LEVELS = {
    "region_headline": ("U16 en U10, totaal", "U16 and U10, total"),
    "municipality_headline": ("Gemeente, totaal", "Municipality, total"),
    "breakdown": ("Naar geslacht of leeftijd", "By sex or age"),
}

_TEMPLATES = Path(__file__).with_name("templates")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def render_page(release_dir: Path, public_url: str | None = None) -> bytes:
    """The release's `index.html`, as UTF-8 bytes.

    Reads `datapackage.json`, the CSV files of the resources it shows (typed by their
    schemas), `disclosure.json`, and the size and SHA-256 of every other file in the folder.
    `public_url` is where the API serves the releases (STATUSHOUDERS_PUBLIC_URL): with it, the
    page states the URL that cites this version.
    """
    release_dir = Path(release_dir)
    package = json.loads((release_dir / "datapackage.json").read_text(encoding="utf-8"))
    tables = {
        resource["name"]: read_resource(release_dir, resource)
        for resource in package.get("resources", [])
        if resource["path"].endswith(".csv")
        and resource["name"] in SHOWN
        and (release_dir / resource["path"]).is_file()
    }
    view = _Builder(release_dir, package, tables, public_url).page()
    return _environment().get_template("page.html").render(page=view).encode("utf-8")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# --- verdicts and identifiers --------------------------------------------------------------


def target_status(percentage: Decimal | None, doel_pct: int | None, geheim: bool) -> str:
    """Whether a policy target is met, judged on the published percentage as readers see it.

    A target is met when the percentage is at least the target (90.0 meets 90). A withheld
    percentage is neither met nor not met.
    """
    if percentage is None:
        return WITHHELD if geheim else NO_DATA
    if doel_pct is None:
        return NO_DATA
    return MET if Decimal(str(percentage)) >= doel_pct else NOT_MET


def target_status_in(row: dict, ongoing: bool) -> str:
    """A target's verdict in its year; in a year not over yet only "so far"."""
    verdict = target_status(row["percentage"], row["doel_pct"], row["geheim"])
    if ongoing:
        return {MET: MET_SO_FAR, NOT_MET: NOT_MET_SO_FAR}.get(verdict, verdict)
    return verdict


def plan_status(behaald: bool | None) -> str:
    """A plan result: met, not met, or no verdict (a percentage withheld or without people)."""
    if behaald is None:
        return NO_VERDICT
    return MET if behaald else NOT_MET


def element_id(*parts: object) -> str:
    return "-".join(_ID_UNSAFE.sub("-", str(part)) for part in parts)


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


# --- the view model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A Dutch text and its English label."""

    nl: str
    en: str


@dataclass(frozen=True)
class Status:
    key: str
    css: str
    text: Text


def status(key: str) -> Status:
    return Status(key, STATUS_CLASS[key], Text(*STATUS_TEXT[key]))


@dataclass(frozen=True)
class Licence:
    text: str
    href: str | None


@dataclass(frozen=True)
class Date:
    iso: str
    shown: str


@dataclass(frozen=True)
class PlanCell:
    id: str
    vorig_cohort: int
    cohort: int
    vorig: str  # the percentage as shown, or "" when empty
    now: str
    direction: Text | None
    status: Status


@dataclass(frozen=True)
class PlanRow:
    indicator: str
    label: Text
    aim: Text
    cells: tuple[PlanCell | None, ...]  # one per duration of the area's plan table


@dataclass(frozen=True)
class Plan:
    durations: tuple[int, ...]
    rows: tuple[PlanRow, ...]
    met: int
    judged: int
    total: int


@dataclass(frozen=True)
class HousingRow:
    id: str
    periode: str
    begin: str
    taakstelling: str
    to_house: str  # begin + task: the council's "to house in this half-year"
    gehuisvest: str
    realisatie: str  # "" without a task
    end: str
    provisional: bool


@dataclass(frozen=True)
class TargetNow:
    label: Text
    year: int
    ongoing: bool
    value: str
    goal: int
    status: Status
    href: str  # the cell in the table of every year


@dataclass(frozen=True)
class ChartCell:
    kind: str  # value, withheld or unpublished
    text: str


@dataclass(frozen=True)
class ChartRow:
    id: str
    label: str
    cells: tuple[ChartCell, ...]


@dataclass(frozen=True)
class HousingChartRow:
    periode: str
    taakstelling: str
    gehuisvest: str
    realisatie: str
    provisional: bool


@dataclass(frozen=True)
class ChartBlock:
    id: str
    code: str
    key: str  # data-grafiek: huisvesting or the indicator
    heading: Text
    chart: LineChart | BarChart
    caption: Text
    table_label: str
    columns: tuple[int, ...]  # durations (line charts)
    rows: tuple[ChartRow, ...]
    housing: tuple[HousingChartRow, ...]
    withheld: int
    points: int


@dataclass(frozen=True)
class Area:
    code: str
    label: str
    is_open: bool
    plan: Plan
    housing: tuple[HousingRow, ...]
    housing_now: HousingRow | None
    targets: tuple[TargetNow, ...]
    charts: tuple[ChartBlock, ...]


@dataclass(frozen=True)
class TargetCell:
    id: str
    value: str
    status: Status


@dataclass(frozen=True)
class TargetRow:
    label: str
    cells: tuple[TargetCell | None, ...]


@dataclass(frozen=True)
class TargetTable:
    id: str
    indicator: str
    label: Text
    goal: str
    definition: str | None  # the id of its definition, if the code list has it
    years: tuple[tuple[int, bool], ...]  # (year, ongoing)
    rows: tuple[TargetRow, ...]


@dataclass(frozen=True)
class Definition:
    id: str
    indicator: str
    label: Text
    definition: Text
    population: Text


@dataclass(frozen=True)
class WithheldLevel:
    resource: str
    level: Text
    rows: str
    primary: str
    secondary: str


@dataclass(frozen=True)
class File:
    path: str
    href: str
    exists: bool
    description: Text
    format: str
    size: int | None
    size_text: str
    hash: str | None
    licences: tuple[Licence, ...]


@dataclass(frozen=True)
class FileGroup:
    id: str
    title: Text
    files: tuple[File, ...]


@dataclass(frozen=True)
class Page:
    title: str
    title_en: str | None
    description: str | None
    description_en: str | None
    name: str
    version: str
    peildatum: Date | None
    peildatum_short: str
    created: Date | None
    licences: tuple[Licence, ...]
    citation: str | None  # the URL that cites this version's page
    css: Markup
    script: Markup
    policy: str
    areas: tuple[Area, ...]
    targets: tuple[TargetTable, ...]
    has_doorgaande_lijn: bool
    has_disclosure_report: bool
    definitions: tuple[Definition, ...]
    withheld: tuple[WithheldLevel, ...]
    files: tuple[FileGroup, ...]


# --- building it ---------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        release_dir: Path,
        package: dict,
        tables: dict[str, list[dict]],
        public_url: str | None,
    ):
        self.dir = release_dir
        self.package = package
        self.tables = tables
        self.public_url = public_url
        self.peildatum = package.get("peildatum", "")
        codes = tables.get("indicatoren_codelijst", [])
        self.labels = {row["indicator"]: row for row in codes}
        self.indicator_order = {row["indicator"]: i for i, row in enumerate(codes)}
        self.areas = self._areas()
        self.p_year = dt.date.fromisoformat(self.peildatum).year if self.peildatum else None
        self.year_end = self.peildatum.endswith("-12-31")

    def page(self) -> Page:
        css = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
        script = (_TEMPLATES / "page.js").read_text(encoding="utf-8")
        package = self.package
        version = package.get("version", "")
        citation = None
        if self.public_url and version:
            citation = f"{self.public_url.rstrip('/')}/download/{quote(version)}/"
        durations = sorted({r["duur_maanden"] for r in self.tables.get("indicatoren", [])})
        return Page(
            title=package.get("title") or "Monitor Statushouders U16",
            title_en=package.get("title_en"),
            description=package.get("description"),
            description_en=package.get("description_en"),
            name=package.get("name", ""),
            version=version,
            peildatum=self._date(self.peildatum),
            peildatum_short=format_date_short(self.peildatum) if self.peildatum else "",
            created=self._date(package.get("created", "")),
            licences=self._licences(package.get("licenses", [])),
            citation=citation,
            css=Markup(css),
            script=Markup(script),
            policy=(
                "default-src 'none'; "
                f"style-src '{_csp_hash(css)}'; script-src '{_csp_hash(script)}'; "
                "img-src data:; base-uri 'none'; form-action 'none'"
            ),
            # U16 comes first and is open, so the page shows the region's results at once.
            areas=tuple(
                self._area(code, durations, is_open=i == 0) for i, code in enumerate(self.areas)
            ),
            targets=self._target_tables(),
            has_doorgaande_lijn=bool(self.tables.get("doorgaande_lijn")),
            has_disclosure_report=(self.dir / "disclosure.md").is_file(),
            definitions=self._definitions(),
            withheld=self._withheld(),
            files=self._files(),
        )

    # names and order ---------------------------------------------------------------------

    def _areas(self) -> dict[str, str]:
        """Area code -> name: U16, U10, then the municipalities by name."""
        names: dict[str, str] = {}
        for table in ("indicatoren", "huisvesting", "doorgaande_lijn", "planresultaten"):
            for row in self.tables.get(table, []):
                names.setdefault(row["gebied_code"], row.get("gebied_naam") or row["gebied_code"])
        rank = {"U16": (0, ""), "U10": (1, "")}
        order = sorted(names, key=lambda c: rank.get(c, (2, names[c].casefold() + "\0" + c)))
        return {code: names[code] for code in order}

    def label(self, indicator: str) -> Text:
        row = self.labels.get(indicator, {})
        return Text(row.get("label_nl") or indicator, row.get("label_en") or indicator)

    def area_label(self, code: str) -> str:
        name = self.areas.get(code, code)
        # "Regio U16", not "Regio U16 (U16)": a name that holds its code says it once
        return name if code in name.split() else f"{name} ({code})"

    def _indicator_rank(self, indicator: str) -> tuple:
        return (self.indicator_order.get(indicator, len(self.indicator_order)), indicator)

    @staticmethod
    def _date(value: str) -> Date | None:
        return Date(value, format_date_nl(value)) if value else None

    @staticmethod
    def _licences(licences: list[dict], *, short: bool = False) -> tuple[Licence, ...]:
        shown = []
        for licence in licences:
            name = licence.get("name") if short else licence.get("title")
            text = name or licence.get("name") or licence.get("title") or ""
            shown.append(Licence(text, licence.get("path")))
        return tuple(shown)

    # an area's section -------------------------------------------------------------------

    def _area(self, code: str, durations: list[int], *, is_open: bool) -> Area:
        housing = self._housing(code)
        return Area(
            code=code,
            label=self.area_label(code),
            is_open=is_open,
            plan=self._plan(code),
            housing=housing,
            housing_now=housing[-1] if housing else None,
            targets=self._targets_now(code),
            charts=self._charts(code, durations),
        )

    def _plan(self, code: str) -> Plan:
        rows = [r for r in self.tables.get("planresultaten", []) if r["gebied_code"] == code]
        durations = tuple(sorted({r["duur_maanden"] for r in rows}))
        cells = {(r["indicator"], r["duur_maanden"]): r for r in rows}
        plan_rows = []
        for indicator in sorted({r["indicator"] for r in rows}, key=self._indicator_rank):
            shown = []
            for duur in durations:
                row = cells.get((indicator, duur))
                if row is None:
                    shown.append(None)
                    continue
                shown.append(
                    PlanCell(
                        id=element_id("plan", code, indicator, duur),
                        vorig_cohort=row["vorig_cohort_jaar"],
                        cohort=row["cohort_jaar"],
                        vorig=format_pct(row["vorig_percentage"]),
                        now=format_pct(row["percentage"]),
                        direction=Text(*DIRECTION[row["richting"]]) if row["richting"] else None,
                        status=status(plan_status(row["behaald"])),
                    )
                )
            aim = next(r["doel"] for r in rows if r["indicator"] == indicator)
            plan_rows.append(
                PlanRow(indicator, self.label(indicator), Text(*AIM[aim]), tuple(shown))
            )
        return Plan(
            durations=durations,
            rows=tuple(plan_rows),
            met=sum(1 for r in rows if r["behaald"] is True),
            judged=sum(1 for r in rows if r["behaald"] is not None),
            total=len(rows),
        )

    def _housing(self, code: str) -> tuple[HousingRow, ...]:
        rows = sorted(
            (r for r in self.tables.get("huisvesting", []) if r["gebied_code"] == code),
            key=lambda r: r["periode"],
        )
        return tuple(
            HousingRow(
                id=element_id("huisvesting", code, r["periode"]),
                periode=r["periode"],
                begin=format_int(r["achterstand_begin"]),
                taakstelling=format_int(r["taakstelling"]),
                to_house=format_int(r["achterstand_begin"] + r["taakstelling"]),
                gehuisvest=format_int(r["gehuisvest"]),
                realisatie=format_pct(r["realisatie_pct"]),
                end=format_int(r["achterstand_eind"]),
                provisional=bool(r["voorlopig"]),
            )
            for r in rows
        )

    def _last_complete_year(self, years: set[int]) -> int | None:
        complete = [y for y in years if self.p_year is None or y < self.p_year or self.year_end]
        return max(complete or years, default=None)

    def _ongoing(self, year: int) -> bool:
        """The year of P, when P is not its last day: its figures can still change."""
        return year == self.p_year and not self.year_end

    def _targets_now(self, code: str) -> tuple[TargetNow, ...]:
        """Each target of the plan in the latest complete year (the ongoing one when there is
        no other), linked to its cell in the table of every year."""
        rows = [r for r in self.tables.get("doorgaande_lijn", []) if r["gebied_code"] == code]
        shown = []
        for indicator in sorted({r["indicator"] for r in rows}, key=self._indicator_rank):
            by_year = {r["jaar"]: r for r in rows if r["indicator"] == indicator}
            year = self._last_complete_year(set(by_year))
            if year is None:
                continue
            row = by_year[year]
            ongoing = self._ongoing(year)
            shown.append(
                TargetNow(
                    label=self.label(indicator),
                    year=year,
                    ongoing=ongoing,
                    value=format_pct(row["percentage"]),
                    goal=row["doel_pct"],
                    status=status(target_status_in(row, ongoing)),
                    href="#" + element_id("doel", indicator, code, year),
                )
            )
        return tuple(shown)

    # charts ------------------------------------------------------------------------------

    def _charts(self, code: str, durations: list[int]) -> tuple[ChartBlock, ...]:
        blocks = []
        housing = sorted(
            (r for r in self.tables.get("huisvesting", []) if r["gebied_code"] == code),
            key=lambda r: r["periode"],
        )
        if housing:
            blocks.append(self._housing_chart(code, housing))
        totals = [
            r
            for r in self.tables.get("indicatoren", [])
            if r["gebied_code"] == code and r["geslacht"] == "T" and r["leeftijdsklasse"] == "T"
        ]
        for indicator in KEY_INDICATORS:
            rows = [r for r in totals if r["indicator"] == indicator]
            if rows:
                blocks.append(self._indicator_chart(code, indicator, rows, durations))
        return tuple(blocks)

    def _housing_chart(self, code: str, rows: list[dict]) -> ChartBlock:
        name = self.area_label(code)
        chart = bar_chart(
            element_id("huisvesting", code),
            f"Huisvesting {name}: realisatie van de taakstelling per halfjaar",
            f"Staafdiagram van de gehuisveste personen als percentage van de taakstelling, per "
            f"halfjaar van {rows[0]['periode']} tot en met {rows[-1]['periode']}. De "
            "stippellijn is 100%, de hele taakstelling. Gearceerde staven zijn voorlopig. "
            "De tabel onder de grafiek geeft alle cijfers. Housing task realisation per "
            "half-year; hatched bars are provisional.",
            [(r["periode"], r["realisatie_pct"], bool(r["voorlopig"])) for r in rows],
        )
        return ChartBlock(
            id=element_id("grafiek", code, "huisvesting"),
            code=code,
            key="huisvesting",
            heading=Text(
                "Huisvesting: realisatie van de taakstelling", "Housing: task realisation"
            ),
            chart=chart,
            caption=Text(f"Huisvesting {name}", f"Housing {name}"),
            table_label=f"Tabel huisvesting {name}",
            columns=(),
            rows=(),
            housing=tuple(
                HousingChartRow(
                    periode=r["periode"],
                    taakstelling=format_int(r["taakstelling"]),
                    gehuisvest=format_int(r["gehuisvest"]),
                    realisatie=format_pct(r["realisatie_pct"]),
                    provisional=bool(r["voorlopig"]),
                )
                for r in rows
            ),
            withheld=0,
            points=len(rows),
        )

    def _indicator_chart(
        self, code: str, indicator: str, rows: list[dict], durations: list[int]
    ) -> ChartBlock:
        label = self.label(indicator)
        name = self.area_label(code)
        cells = {(r["cohort_jaar"], r["duur_maanden"]): r for r in rows}
        cohorts = sorted({r["cohort_jaar"] for r in rows})
        withheld = sum(1 for r in rows if r["percentage"] is None)
        chart = line_chart(
            element_id("indicator", indicator, code),
            f"{label.nl} ({label.en}) in {name}: percentage per cohort naar duur na huisvesting",
            f"Lijngrafiek met op de horizontale as de maanden na huisvesting "
            f"({durations[0]} tot en met {durations[-1]}) en op de verticale as het percentage "
            f"{label.nl.lower()}, één lijn per cohortjaar ({', '.join(map(str, cohorts))}). "
            + (f"{withheld} waarden zijn geheim en ontbreken in de lijnen. " if withheld else "")
            + f"De tabel onder de grafiek geeft alle cijfers. Percentage {label.en.lower()} by "
            "months since housing, one line per cohort year.",
            durations,
            [
                (
                    f"Cohort {cohort}",
                    str(cohort),
                    [
                        cells[(cohort, d)]["percentage"] if (cohort, d) in cells else None
                        for d in durations
                    ],
                )
                for cohort in cohorts
            ],
        )
        table_rows = []
        for cohort in cohorts:
            shown = []
            for d in durations:
                row = cells.get((cohort, d))
                if row is None:
                    shown.append(ChartCell("unpublished", "–"))
                elif row["percentage"] is None:
                    shown.append(ChartCell("withheld", ""))
                else:
                    shown.append(ChartCell("value", format_pct(row["percentage"])))
            table_rows.append(
                ChartRow(element_id(indicator, code, cohort), str(cohort), tuple(shown))
            )
        return ChartBlock(
            id=element_id("grafiek", code, indicator),
            code=code,
            key=indicator,
            heading=label,
            chart=chart,
            caption=Text(
                f"{label.nl} in {name}: percentage per cohort en maanden na huisvesting",
                f"{label.en}: percentage by cohort and months since housing",
            ),
            table_label=f"Tabel {label.nl} {name}",
            columns=tuple(durations),
            rows=tuple(table_rows),
            housing=(),
            withheld=withheld,
            points=len(rows),
        )

    # the targets over the years ----------------------------------------------------------

    def _target_tables(self) -> tuple[TargetTable, ...]:
        rows = self.tables.get("doorgaande_lijn", [])
        by_indicator: dict[str, list[dict]] = {}
        for row in rows:
            by_indicator.setdefault(row["indicator"], []).append(row)
        tables = []
        for indicator in sorted(by_indicator, key=self._indicator_rank):
            cells = {(r["gebied_code"], r["jaar"]): r for r in by_indicator[indicator]}
            years = sorted({year for _, year in cells})
            goals = sorted({r["doel_pct"] for r in by_indicator[indicator] if r["doel_pct"]})
            table_rows = []
            for code in self.areas:
                if not any((code, y) in cells for y in years):
                    continue
                shown = []
                for year in years:
                    row = cells.get((code, year))
                    shown.append(
                        None
                        if row is None
                        else TargetCell(
                            id=element_id("doel", indicator, code, year),
                            value=format_pct(row["percentage"]),
                            status=status(target_status_in(row, self._ongoing(year))),
                        )
                    )
                table_rows.append(TargetRow(self.area_label(code), tuple(shown)))
            tables.append(
                TargetTable(
                    id=element_id("doel", indicator),
                    indicator=indicator,
                    label=self.label(indicator),
                    goal=" en ".join(f"{g}%" for g in goals) or "geen",
                    definition=element_id("indicator", indicator)
                    if indicator in self.labels
                    else None,
                    years=tuple((year, self._ongoing(year)) for year in years),
                    rows=tuple(table_rows),
                )
            )
        return tuple(tables)

    # about the figures -------------------------------------------------------------------

    def _definitions(self) -> tuple[Definition, ...]:
        return tuple(
            Definition(
                id=element_id("indicator", row["indicator"]),
                indicator=row["indicator"],
                label=self.label(row["indicator"]),
                definition=Text(row.get("definitie_nl") or "", row.get("definitie_en") or ""),
                population=Text(row.get("populatie_nl") or "", row.get("populatie_en") or ""),
            )
            for row in self.tables.get("indicatoren_codelijst", [])
        )

    def _withheld(self) -> tuple[WithheldLevel, ...]:
        """Per resource and level, the share of rows the primary rules and secondary
        suppression withhold (from disclosure.json)."""
        path = self.dir / "disclosure.json"
        if not path.is_file():
            return ()
        resources = json.loads(path.read_text(encoding="utf-8")).get("resources", {})
        return tuple(
            WithheldLevel(
                resource=name,
                level=Text(*LEVELS[level]),
                rows=format_int(counts["rows"]),
                primary=format_pct(shares[0]),
                secondary=format_pct(shares[1]),
            )
            for name, resource in resources.items()
            for level, counts in resource.get("rows_withheld_by_level", {}).items()
            for shares in [level_percentages(counts)]
        )

    # files -------------------------------------------------------------------------------

    def _files(self) -> tuple[FileGroup, ...]:
        """The release's files in groups: datasets, code lists, documents, anything else."""
        package_licence = self.package.get("licenses", [])
        groups: dict[str, list[File]] = {"dataset": [], "codelist": [], "document": []}
        listed = set(NOT_LISTED)
        for resource in self.package.get("resources", []):
            path = resource["path"]
            listed.add(path)
            kind = "codelist" if resource.get("x-kind") == "codelist" else "dataset"
            size = resource.get("bytes")
            groups[kind].append(
                File(
                    path=path,
                    href=quote(path),
                    exists=(self.dir / path).is_file(),
                    description=Text(
                        resource.get("title") or resource["name"],
                        resource.get("title_en") or resource["name"],
                    ),
                    format=_format(path),
                    size=size,
                    size_text=format_size(size) if size is not None else "",
                    hash=resource.get("hash"),
                    licences=self._licences(
                        resource.get("licenses") or package_licence, short=True
                    ),
                )
            )
        for path, nl, en in DOCUMENTS:
            if path in listed or not (self.dir / path).is_file():
                continue
            listed.add(path)
            groups["document"].append(self._document(path, Text(nl, en)))
        others = sorted(
            p.relative_to(self.dir).as_posix()
            for p in self.dir.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self.dir).parts)
        )
        for path in others:
            if path not in listed:
                groups["document"].append(
                    self._document(path, Text("Overig bestand", "Other file"))
                )
        titles = {
            "dataset": Text("Datasets", "Datasets"),
            "codelist": Text("Codelijsten", "Code lists"),
            "document": Text("Documenten", "Documents"),
        }
        return tuple(
            FileGroup(element_id("bestanden", kind), titles[kind], tuple(files))
            for kind, files in groups.items()
            if files
        )

    def _document(self, path: str, description: Text) -> File:
        content = (self.dir / path).read_bytes()
        return File(
            path=path,
            href=quote(path),
            exists=True,
            description=description,
            format=_format(path),
            size=len(content),
            size_text=format_size(len(content)),
            hash="sha256:" + hashlib.sha256(content).hexdigest(),
            licences=self._licences(self.package.get("licenses", []), short=True),
        )


def _format(path: str) -> str:
    suffix = Path(path).suffix
    return FORMATS.get(suffix, suffix.lstrip(".").upper())
