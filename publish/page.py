"""The static download page of a release: `index.html`, rendered from the staged release folder.

The publisher calls `render_page` on a release folder that already holds `datapackage.json`,
the data files and the documents, and writes the result to `<release>/index.html` before the
release is switched live. The page stands alone and works offline: CSS and a few lines of
optional script are inline (a Content-Security-Policy forbids loading anything else), the
charts are inline SVG drawn here, and every link is relative to the release folder. It is in
Dutch with English labels.

The same release content gives byte-identical pages: nothing reads the clock, the file
system's timestamps or the folder's own path, and everything is sorted explicitly. The only
date shown besides the peildatum is `created` from `datapackage.json`.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from pathlib import Path
from urllib.parse import quote

# The national Monitor Statushouders leads with these; the other indicators are in the data.
KEY_INDICATORS = ("werk", "bijstand", "participatie", "inburgering_voldaan")

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

MONTHS_NL = (
    *("januari", "februari", "maart", "april", "mei", "juni"),
    *("juli", "augustus", "september", "oktober", "november", "december"),
)

# Met / not met / withheld / no data: the outcome of a policy target for one cell.
MET, NOT_MET, WITHHELD, NO_DATA = "behaald", "niet behaald", "geheim", "geen gegevens"
STATUS_TEXT = {
    MET: ("behaald", "met"),
    NOT_MET: ("niet behaald", "not met"),
    WITHHELD: ("geheim", "withheld"),
    NO_DATA: ("geen gegevens", "no data"),
}
STATUS_CLASS = {MET: "behaald", NOT_MET: "niet-behaald", WITHHELD: "geheim", NO_DATA: "leeg"}

# Chart series: colour (>= 3:1 on white), marker and dash, so lines differ without colour too.
COLOURS = ("#1f4e8c", "#b3401a", "#1e7a3c", "#6a3d9a", "#8a6000", "#a0195a", "#00687a", "#444")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down")
DASHES = ("", "7 4", "2 3", "9 3 2 3")
BAR_COLOUR = "#1f4e8c"

_TEMPLATES = Path(__file__).with_name("templates")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def render_page(release_dir: Path) -> bytes:
    """The release's `index.html`, as UTF-8 bytes.

    Reads `datapackage.json` (title, description, version, created, peildatum, licences and
    the resources with their path, bytes and hash), the CSV files of the resources
    `indicatoren`, `huisvesting`, `doorgaande_lijn` and `indicatoren_codelijst`, typed by
    their schemas, and the size and SHA-256 of every other file in the folder.
    """
    release_dir = Path(release_dir)
    package = json.loads((release_dir / "datapackage.json").read_text(encoding="utf-8"))
    tables = {
        resource["name"]: read_resource(release_dir, resource)
        for resource in package.get("resources", [])
        if resource["path"].endswith(".csv")
        and resource["name"]
        in {"indicatoren", "huisvesting", "doorgaande_lijn", "indicatoren_codelijst"}
        and (release_dir / resource["path"]).is_file()
    }
    return _Page(release_dir, package, tables).html().encode("utf-8")


# --- reading -------------------------------------------------------------------------------


def read_resource(release_dir: Path, resource: dict) -> list[dict]:
    """The rows of a CSV resource, typed by its Table Schema (missing values become None)."""
    schema = resource.get("schema", {})
    fields = {field["name"]: field for field in schema.get("fields", [])}
    missing = set(schema.get("missingValues", [""]))
    with (release_dir / resource["path"]).open(encoding="utf-8", newline="") as handle:
        return [
            {
                name: None if value in missing else _typed(value, fields.get(name, {}))
                for name, value in row.items()
            }
            for row in csv.DictReader(handle)
        ]


def _typed(value: str, field: dict):
    kind = field.get("type", "string")
    if kind == "integer":
        return int(value)
    if kind == "number":
        # Decimal keeps "42.5" exactly what the file says; floats would invite 42.49999.
        return Decimal(value)
    if kind == "boolean":
        if value in field.get("trueValues", ["true", "True", "TRUE", "1"]):
            return True
        if value in field.get("falseValues", ["false", "False", "FALSE", "0"]):
            return False
        raise ValueError(f"not a boolean in {field.get('name')}: {value!r}")
    return value


# --- formatting ----------------------------------------------------------------------------


def format_pct(value: Decimal | float | int | None) -> str:
    """A percentage in Dutch style with one decimal: 42.5 -> "42,5%"."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:.1f}".replace(".", ",") + "%"


def format_int(value: int) -> str:
    """Whole numbers with Dutch thousands separators: 12345 -> "12.345"."""
    return f"{value:,}".replace(",", ".")


def format_size(size: int) -> str:
    """File sizes in decimal units, Dutch style: 12345 -> "12,3 kB"."""
    if size < 1000:
        return f"{size} B"
    for unit, factor in (("kB", 10**3), ("MB", 10**6), ("GB", 10**9)):
        if size < factor * 1000 or unit == "GB":
            scaled = (Decimal(size) / factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            return f"{scaled:.1f}".replace(".", ",") + f" {unit}"
    raise AssertionError("unreachable")


def format_date_nl(value: str) -> str:
    """An ISO date or timestamp as a Dutch date: "2024-09-30" -> "30 september 2024"."""
    day = dt.datetime.fromisoformat(value).date() if "T" in value else dt.date.fromisoformat(value)
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


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


def bi(nl: str, en: str) -> str:
    """Dutch text with its English label, marked as English for screen readers."""
    return f'{escape(nl)} / <span lang="en">{escape(en)}</span>'


def _id(*parts: object) -> str:
    return "-".join(_ID_UNSAFE.sub("-", str(part)) for part in parts)


def _n(value: float) -> str:
    """SVG coordinates: one decimal, no trailing zeros, always the same text for a value."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# --- the page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    path: str
    description_nl: str
    description_en: str
    size: int | None
    hash: str | None
    licence: str
    exists: bool

    @property
    def format(self) -> str:
        return FORMATS.get(Path(self.path).suffix, Path(self.path).suffix.lstrip(".").upper())


class _Page:
    def __init__(self, release_dir: Path, package: dict, tables: dict[str, list[dict]]):
        self.dir = release_dir
        self.package = package
        self.tables = tables
        self.peildatum = package.get("peildatum", "")
        codes = tables.get("indicatoren_codelijst", [])
        self.labels = {row["indicator"]: row for row in codes}
        self.indicator_order = {row["indicator"]: i for i, row in enumerate(codes)}
        self.areas = self._areas()

    # names and order ---------------------------------------------------------------------

    def _areas(self) -> dict[str, str]:
        """Area code -> name: U16, U10, then the municipalities by name."""
        names: dict[str, str] = {}
        for table in ("indicatoren", "huisvesting", "doorgaande_lijn"):
            for row in self.tables.get(table, []):
                names.setdefault(row["gebied_code"], row.get("gebied_naam") or row["gebied_code"])
        rank = {"U16": (0, ""), "U10": (1, "")}
        order = sorted(names, key=lambda c: rank.get(c, (2, names[c].casefold() + "\0" + c)))
        return {code: names[code] for code in order}

    def label(self, indicator: str) -> tuple[str, str]:
        row = self.labels.get(indicator, {})
        return row.get("label_nl") or indicator, row.get("label_en") or indicator

    def area_label(self, code: str) -> str:
        name = self.areas.get(code, code)
        return name if name == code else f"{name} ({code})"

    # the whole document ------------------------------------------------------------------

    def html(self) -> str:
        css = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
        script = (_TEMPLATES / "page.js").read_text(encoding="utf-8")
        policy = (
            "default-src 'none'; "
            f"style-src '{_csp_hash(css)}'; script-src '{_csp_hash(script)}'; "
            "img-src data:; base-uri 'none'; form-action 'none'"
        )
        title = self.package.get("title") or "Monitor Statushouders U16"
        version = self.package.get("version", "")
        parts = [
            "<!DOCTYPE html>",
            '<html lang="nl">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)} – versie {escape(version)}</title>",
            # An empty icon: without it the browser asks the server for /favicon.ico.
            '<link rel="icon" href="data:,">',
            f"<style>{css}</style>",
            "</head>",
            "<body>",
            '<a class="skip" href="#inhoud">Naar de inhoud / <span lang="en">Skip to content'
            "</span></a>",
            self.header(),
            '<main id="inhoud">',
            self.contents(),
            self.files_section(),
            self.about_section(),
            self.targets_section(),
            self.areas_section(),
            "</main>",
            self.footer(),
            f"<script>{script}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(part for part in parts if part) + "\n"

    def header(self) -> str:
        package = self.package
        rows = [("Versie", "Version", escape(package.get("version", "")))]
        if self.peildatum:
            rows.append(("Peildatum", "Reference date", _time(self.peildatum)))
        if package.get("created"):
            rows.append(("Aangemaakt", "Created", _time(package["created"])))
        licences = self.licences(package.get("licenses", []))
        if licences:
            rows.append(("Licentie", "Licence", licences))
        meta = "\n".join(f"<dt>{bi(nl, en)}</dt><dd>{value}</dd>" for nl, en, value in rows)
        lead = []
        if package.get("description"):
            lead.append(f'<p class="lead">{escape(package["description"])}</p>')
        if package.get("description_en"):
            lead.append(f'<p class="lead" lang="en">{escape(package["description_en"])}</p>')
        title_en = package.get("title_en")
        return "\n".join(
            [
                "<header>",
                f"<h1>{escape(package.get('title') or 'Monitor Statushouders U16')}</h1>",
                f'<p lang="en">{escape(title_en)}</p>' if title_en else "",
                *lead,
                f'<dl class="meta">\n{meta}\n</dl>',
                "</header>",
            ]
        )

    def licences(self, licences: list[dict], *, short: bool = False) -> str:
        shown = []
        for licence in licences:
            name = licence.get("name") if short else licence.get("title")
            name = escape(name or licence.get("name") or licence.get("title") or "")
            if licence.get("path"):
                shown.append(f'<a href="{escape(licence["path"])}" rel="license">{name}</a>')
            else:
                shown.append(name)
        return ", ".join(shown)

    def contents(self) -> str:
        entries = [
            ("bestanden", "Bestanden", "Files"),
            ("over", "Over de cijfers", "About the figures"),
            ("doelen", "Beleidsdoelen", "Policy targets"),
            ("gebieden", "Cijfers per gebied", "Figures per area"),
        ]
        items = "\n".join(f'<li><a href="#{i}">{bi(nl, en)}</a></li>' for i, nl, en in entries)
        return f'<nav aria-label="Inhoud / Contents">\n<ul>\n{items}\n</ul>\n</nav>'

    def footer(self) -> str:
        name = escape(self.package.get("name", ""))
        return (
            "<footer>\n<p>"
            f"{name} {escape(self.package.get('version', ''))}. "
            "Deze pagina werkt zonder internetverbinding: alles staat in dit bestand en in deze "
            'map. <span lang="en">This page works offline: everything is in this file and this '
            "folder.</span></p>\n</footer>"
        )

    # files -------------------------------------------------------------------------------

    def files(self) -> dict[str, list[_File]]:
        """The release's files in groups: datasets, code lists, documents, anything else."""
        package_licence = self.package.get("licenses", [])
        groups: dict[str, list[_File]] = {"dataset": [], "codelist": [], "document": []}
        listed = set(NOT_LISTED)
        for resource in self.package.get("resources", []):
            path = resource["path"]
            listed.add(path)
            target = self.dir / path
            kind = "codelist" if resource.get("x-kind") == "codelist" else "dataset"
            groups[kind].append(
                _File(
                    path=path,
                    description_nl=resource.get("title") or resource["name"],
                    description_en=resource.get("title_en") or resource["name"],
                    size=resource.get("bytes"),
                    hash=resource.get("hash"),
                    licence=self.licences(resource.get("licenses") or package_licence, short=True),
                    exists=target.is_file(),
                )
            )
        for path, nl, en in DOCUMENTS:
            if path in listed or not (self.dir / path).is_file():
                continue
            listed.add(path)
            groups["document"].append(self._document(path, nl, en))
        others = sorted(
            p.relative_to(self.dir).as_posix()
            for p in self.dir.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self.dir).parts)
        )
        for path in others:
            if path not in listed:
                groups["document"].append(self._document(path, "Overig bestand", "Other file"))
        return groups

    def _document(self, path: str, nl: str, en: str) -> _File:
        content = (self.dir / path).read_bytes()
        return _File(
            path=path,
            description_nl=nl,
            description_en=en,
            size=len(content),
            hash="sha256:" + hashlib.sha256(content).hexdigest(),
            licence=self.licences(self.package.get("licenses", []), short=True),
            exists=True,
        )

    def files_section(self) -> str:
        groups = self.files()
        titles = {
            "dataset": ("Datasets", "Datasets"),
            "codelist": ("Codelijsten", "Code lists"),
            "document": ("Documenten", "Documents"),
        }
        out = [
            '<h2 id="bestanden">Bestanden / <span lang="en">Files</span></h2>',
            "<p>Elke dataset staat er twee keer in: als CSV (UTF-8, komma, een lege cel is een "
            "ontbrekende waarde) en als Parquet (getypeerd). Met de SHA-256 controleert u of een "
            'download compleet en ongewijzigd is. <span lang="en">Every dataset comes twice: as '
            "CSV (UTF-8, comma, an empty cell is a missing value) and as Parquet (typed). The "
            "SHA-256 checks that a download is complete and unchanged.</span></p>",
        ]
        for kind, (nl, en) in titles.items():
            if groups[kind]:
                heading = _id("bestanden", kind)
                shown = escape(nl) if nl == en else bi(nl, en)
                out.append(f'<h3 id="{heading}">{shown}</h3>')
                out.append(self.files_table(groups[kind], heading))
        return "\n".join(out)

    def files_table(self, files: list[_File], heading: str) -> str:
        head = "".join(
            f'<th scope="col">{bi(a, b) if a != b else a}</th>'
            for a, b in (
                ("Bestand", "File"),
                ("Formaat", "Format"),
                ("Grootte", "Size"),
                ("Licentie", "Licence"),
                ("Peildatum", "Reference date"),
                ("SHA-256", "SHA-256"),
            )
        )
        peildatum = _time(self.peildatum, short=True) if self.peildatum else ""
        rows = []
        for file in files:
            name = escape(file.path)
            link = (
                f'<a href="{escape(quote(file.path))}">{name}</a>'
                if file.exists
                else f'{name} <span class="leeg">(ontbreekt / <span lang="en">missing</span>)'
                "</span>"
            )
            size = (
                f'<data value="{file.size}">{format_size(file.size)}</data>'
                if file.size is not None
                else ""
            )
            digest = f'<code class="hash">{escape(file.hash)}</code>' if file.hash else ""
            rows.append(
                f'<tr data-bestand="{name}"><th scope="row">{link}<br>'
                f'<span class="omschrijving">{bi(file.description_nl, file.description_en)}'
                f'</span></th><td>{file.format}</td><td class="getal">{size}</td>'
                f'<td>{file.licence}</td><td class="datum">{peildatum}</td><td>{digest}</td></tr>'
            )
        return _scroll(
            f'<table class="bestanden" aria-labelledby="{heading}">\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>",
            heading=heading,
        )

    # about the figures -------------------------------------------------------------------

    def about_section(self) -> str:
        disclosure = (
            ' Het <a href="disclosure.md">verslag van de onthullingscontrole</a> noemt de '
            "gebruikte drempels en hoeveel cellen zijn achtergehouden."
            if (self.dir / "disclosure.md").is_file()
            else ""
        )
        disclosure_en = (
            ' The <a href="disclosure.md">disclosure control report</a> states the thresholds '
            "used and how many cells were withheld."
            if (self.dir / "disclosure.md").is_file()
            else ""
        )
        out = [
            '<h2 id="over">Over de cijfers / <span lang="en">About the figures</span></h2>',
            "<p>Een cohort is iedereen die in één kalenderjaar in een gemeente is gehuisvest. "
            "Elk cohort wordt gevolgd op vaste momenten na huisvesting (6 tot 60 maanden). Een "
            "percentage is 100 × teller / noemer, afgerond op één decimaal. Een combinatie van "
            "cohort en duur verschijnt pas als het hele cohort die duur heeft bereikt op de "
            'peildatum.</p>\n<p lang="en">A cohort is everyone housed in a municipality in one '
            "calendar year. Each cohort is followed at fixed durations after housing (6 to 60 "
            "months). A percentage is 100 × numerator / denominator, rounded to one decimal. A "
            "cohort and duration appear once the whole cohort has reached that duration on the "
            "reference date.</p>",
            '<h3 id="geheim">Wat betekent ‘geheim’? / <span lang="en">What does ‘geheim’ '
            "mean?</span></h3>",
            "<p>Niemand mag uit deze cijfers iets over één persoon te weten komen. Daarom worden "
            "kleine aantallen niet gepubliceerd: een kleine populatie, of één of twee personen "
            "die als enigen in hun groep een kenmerk wel of niet hebben. Daarnaast worden zo "
            "nodig extra cellen achtergehouden, zodat een achtergehouden getal niet uit totalen "
            "terug te rekenen is. In een rij met <code>geheim</code> = <code>true</code> zijn de "
            "achtergehouden teller, noemer of percentage leeg. Een lege waarde is dus geen nul."
            f"{disclosure}</p>",
            '<p lang="en">Nobody may learn anything about a single person from these figures. '
            "So small numbers are not published: a small population, or one or two people who "
            "are the only ones in their group with or without a characteristic. Where needed, "
            "more cells are withheld so that a withheld number cannot be worked out from the "
            "totals. In a row with <code>geheim</code> (secret) = <code>true</code>, the withheld "
            "numerator, denominator or percentage is empty. An empty value is not zero."
            f"{disclosure_en}</p>",
        ]
        out.append(self.withheld_by_level())
        codes = self.tables.get("indicatoren_codelijst", [])
        if codes:
            out.append('<h3 id="definities">Indicatoren / <span lang="en">Indicators</span></h3>')
            items = []
            for row in codes:
                nl, en = self.label(row["indicator"])
                items.append(
                    f'<dt id="{_id("indicator", row["indicator"])}">{bi(nl, en)} '
                    f"(<code>{escape(row['indicator'])}</code>)</dt>"
                    f"<dd>{escape(row.get('definitie_nl') or '')}. Populatie: "
                    f"{escape(row.get('populatie_nl') or '')}.</dd>"
                    f'<dd lang="en">{escape(row.get("definitie_en") or "")}. Population: '
                    f"{escape(row.get('populatie_en') or '')}.</dd>"
                )
            out.append('<dl class="definities">\n' + "\n".join(items) + "\n</dl>")
        return "\n".join(out)

    def withheld_by_level(self) -> str:
        """Per resource and level, the share of rows the primary rules and secondary
        suppression withhold (from disclosure.json)."""
        path = self.dir / "disclosure.json"
        if not path.is_file():
            return ""
        resources = json.loads(path.read_text()).get("resources", {})
        labels = {
            "region_headline": ("U16 en U10, totaal", "U16 and U10, total"),
            "municipality_headline": ("Gemeente, totaal", "Municipality, total"),
            "breakdown": ("Naar geslacht of leeftijd", "By sex or age"),
        }
        body = []
        for name, resource in resources.items():
            for level, counts in resource.get("rows_withheld_by_level", {}).items():
                nl, en = labels[level]
                body.append(
                    f'<tr><th scope="row"><code>{escape(name)}</code>: {bi(nl, en)}</th>'
                    f'<td class="getal">{format_int(counts["rows"])}</td>'
                    f'<td class="getal">{format_pct(100 * counts["primary"])}</td>'
                    f'<td class="getal">{format_pct(100 * counts["secondary"])}</td>'
                    "</tr>"
                )
        if not body:
            return ""
        head = "".join(
            f'<th scope="col">{bi(a, b)}</th>'
            for a, b in (
                ("Rijen", "Rows"),
                ("Te klein", "Too small"),
                ("Ter bescherming", "To protect"),
            )
        )
        table = (
            '<table>\n<caption>Geheime rijen per niveau / <span lang="en">Rows withheld by '
            'level</span></caption>\n<thead><tr><th scope="col">'
            f"{bi('Niveau', 'Level')}</th>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body)
            + "\n</tbody>\n</table>"
        )
        return (
            "<p>Het totaal van een gemeente of de regio (geslacht en leeftijd totaal) wordt "
            "alleen achtergehouden waar de regels of de optellingen dat afdwingen. Een totaal "
            "van 0 boven een kleine groep moet weg: het zou laten zien dat ook die groep 0 "
            "heeft.</p>\n<p lang=\"en\">A municipality's or the region's total (all sexes and "
            "ages) is withheld only where the rules or the sums force it. A total of 0 above a "
            "small group must go: it would show that group has 0 too.</p>\n"
            + _scroll(table, "Geheime rijen per niveau")
        )

    # policy targets ----------------------------------------------------------------------

    def targets_section(self) -> str:
        rows = self.tables.get("doorgaande_lijn", [])
        out = [
            '<h2 id="doelen">Beleidsdoelen / <span lang="en">Policy targets</span></h2>',
            "<p>De doelen van het regionale plan (de doorgaande lijn), per huisvestingsjaar. Een "
            "doel is behaald als het gepubliceerde percentage minstens het doel is. "
            '<span lang="en">The targets of the regional plan, per year of housing. A target is '
            "met when the published percentage is at least the target.</span></p>",
        ]
        if not rows:
            out.append('<p>Niet in deze release. / <span lang="en">Not in this release.</span></p>')
            return "\n".join(out)
        by_indicator: dict[str, list[dict]] = {}
        for row in rows:
            by_indicator.setdefault(row["indicator"], []).append(row)
        order = sorted(by_indicator, key=lambda i: (self.indicator_order.get(i, len(rows)), i))
        p_year = dt.date.fromisoformat(self.peildatum).year if self.peildatum else None
        year_end = self.peildatum.endswith("-12-31")
        for indicator in order:
            cells = {(r["gebied_code"], r["jaar"]): r for r in by_indicator[indicator]}
            years = sorted({year for _, year in cells})
            areas = [code for code in self.areas if any((code, y) in cells for y in years)]
            targets = sorted({r["doel_pct"] for r in by_indicator[indicator] if r["doel_pct"]})
            nl, en = self.label(indicator)
            goal = " en ".join(f"{t}%" for t in targets) or "geen"
            out.append(f'<h3 id="{_id("doel", indicator)}">{bi(nl, en)}</h3>')
            out.append(
                f"<p>Doel: minstens {goal} / "
                f'<span lang="en">Target: at least {goal.replace(" en ", " and ")}</span>. '
                f'<a href="#{_id("indicator", indicator)}">Definitie / '
                '<span lang="en">Definition</span></a></p>'
                if indicator in self.labels
                else f"<p>Doel: minstens {goal} / "
                f'<span lang="en">Target: at least {goal.replace(" en ", " and ")}</span>.</p>'
            )
            head = "".join(
                f'<th scope="col" class="getal">{year}'
                + (
                    ' <span class="leeg">(lopend / <span lang="en">ongoing</span>)</span>'
                    if year == p_year and not year_end
                    else ""
                )
                + "</th>"
                for year in years
            )
            body = []
            for code in areas:
                tds = []
                for year in years:
                    row = cells.get((code, year))
                    if row is None:
                        tds.append('<td class="getal leeg">–</td>')
                        continue
                    status = target_status(row["percentage"], row["doel_pct"], row["geheim"])
                    status_nl, status_en = STATUS_TEXT[status]
                    value = format_pct(row["percentage"])
                    shown = f"{value}<br>" if value else ""
                    tds.append(
                        f'<td id="{_id("doel", indicator, code, year)}" '
                        f'class="getal {STATUS_CLASS[status]}">'
                        f"{shown}{bi(status_nl, status_en)}</td>"
                    )
                body.append(
                    f'<tr><th scope="row">{escape(self.area_label(code))}</th>{"".join(tds)}</tr>'
                )
            out.append(
                _scroll(
                    f"<table>\n<caption>{bi(nl, en)}: percentage en resultaat per jaar / "
                    '<span lang="en">percentage and result per year</span></caption>\n'
                    f'<thead><tr><th scope="col">Gebied / <span lang="en">Area</span></th>{head}'
                    "</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>",
                    f"{nl} / {en}",
                )
            )
        return "\n".join(out)

    # per area ----------------------------------------------------------------------------

    def areas_section(self) -> str:
        out = [
            '<h2 id="gebieden">Cijfers per gebied / <span lang="en">Figures per area</span></h2>',
            "<p>Per gebied: de realisatie van de taakstelling huisvesting per halfjaar en de "
            "belangrijkste indicatoren per cohort, voor alle geslachten en leeftijden (18–64 "
            "jaar) samen. Onder elke grafiek staat een tabel met dezelfde cijfers. U16 staat "
            "open; open een ander gebied met de knop onder zijn naam. De indicatoren van alle "
            "gebieden, naar geslacht en leeftijd, staan in de datasets. "
            '<span lang="en">Per area: the housing task realisation per half-year and the key '
            "indicators per cohort, for all sexes and ages (18–64) together. Below every chart "
            "is a table with the same figures. U16 is open; open another area with the button "
            "below its name. All indicators of all areas, by sex and age, are in the "
            "datasets.</span></p>",
        ]
        if not self.areas:
            return "\n".join(out)
        index = "\n".join(
            f'<li><a href="#{_id("gebied", code)}">{escape(self.area_label(code))}</a></li>'
            for code in self.areas
        )
        out.append(
            '<nav aria-label="Gebieden / Areas">\n<ul class="gebieden-index">\n'
            f"{index}\n</ul>\n</nav>"
        )
        durations = sorted({r["duur_maanden"] for r in self.tables.get("indicatoren", [])})
        for i, code in enumerate(self.areas):
            # U16 comes first; it is open so that the page shows the region's charts at once.
            out.append(self.area(code, durations, is_open=i == 0))
        return "\n".join(out)

    def area(self, code: str, durations: list[int], *, is_open: bool) -> str:
        label = escape(self.area_label(code))
        parts = [
            f'<section id="{_id("gebied", code)}" aria-labelledby="{_id("kop", code)}">',
            f'<h3 id="{_id("kop", code)}">{label}</h3>',
            f"<details{' open' if is_open else ''}>",
            f'<summary>Grafieken en tabellen: {label} / <span lang="en">Charts and tables'
            "</span></summary>",
        ]
        parts.append('<div class="grafieken">')
        housing = [r for r in self.tables.get("huisvesting", []) if r["gebied_code"] == code]
        if housing:
            parts.append(self.housing(code, housing))
        indicators = [
            r
            for r in self.tables.get("indicatoren", [])
            if r["gebied_code"] == code and r["geslacht"] == "T" and r["leeftijdsklasse"] == "T"
        ]
        present = {r["indicator"] for r in indicators}
        for indicator in KEY_INDICATORS:
            if indicator in present:
                rows = [r for r in indicators if r["indicator"] == indicator]
                parts.append(self.indicator(code, indicator, rows, durations))
        parts.append("</div>")
        if not housing and not present:
            parts.append('<p>Geen cijfers. / <span lang="en">No figures.</span></p>')
        parts += ["</details>", "</section>"]
        return "\n".join(parts)

    def housing(self, code: str, rows: list[dict]) -> str:
        rows = sorted(rows, key=lambda r: r["periode"])
        name = self.area_label(code)
        chart_id = _id("huisvesting", code)
        title = f"Huisvesting {name}: realisatie van de taakstelling per halfjaar"
        desc = (
            f"Staafdiagram van de gehuisveste personen als percentage van de taakstelling, per "
            f"halfjaar van {rows[0]['periode']} tot en met {rows[-1]['periode']}. De "
            "stippellijn is 100%, de hele taakstelling. Gearceerde staven zijn voorlopig. "
            "De tabel onder de grafiek geeft alle cijfers. Housing task realisation per "
            "half-year; hatched bars are provisional."
        )
        chart = _bar_chart(
            chart_id,
            title,
            desc,
            [(r["periode"], r["realisatie_pct"], bool(r["voorlopig"])) for r in rows],
        )
        body = []
        for r in rows:
            status = bi("voorlopig", "provisional") if r["voorlopig"] else bi("definitief", "final")
            pct = format_pct(r["realisatie_pct"]) or (
                '<span class="leeg">geen taakstelling / <span lang="en">no task</span></span>'
            )
            body.append(
                f'<tr><th scope="row">{escape(r["periode"])}</th>'
                f'<td class="getal">{format_int(r["taakstelling"])}</td>'
                f'<td class="getal">{format_int(r["gehuisvest"])}</td>'
                f'<td class="getal">{pct}</td><td>{status}</td></tr>'
            )
        head = "".join(
            f'<th scope="col">{bi(a, b)}</th>'
            for a, b in (
                ("Halfjaar", "Half-year"),
                ("Taakstelling", "Task"),
                ("Gehuisvest", "Housed"),
                ("Realisatie", "Realisation"),
                ("Status", "Status"),
            )
        )
        table = (
            f"<table>\n<caption>{bi('Huisvesting ' + name, 'Housing ' + name)}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"
        )
        return _chart_block(
            code,
            "huisvesting",
            bi("Huisvesting: realisatie van de taakstelling", "Housing: task realisation"),
            chart,
            table,
            f"Tabel huisvesting {name}",
        )

    def indicator(self, code: str, indicator: str, rows: list[dict], durations: list[int]) -> str:
        nl, en = self.label(indicator)
        name = self.area_label(code)
        cells = {(r["cohort_jaar"], r["duur_maanden"]): r for r in rows}
        cohorts = sorted({r["cohort_jaar"] for r in rows})
        series = [
            (
                f"Cohort {cohort}",
                str(cohort),
                [
                    cells[(cohort, d)]["percentage"] if (cohort, d) in cells else None
                    for d in durations
                ],
            )
            for cohort in cohorts
        ]
        chart_id = _id("indicator", indicator, code)
        title = f"{nl} ({en}) in {name}: percentage per cohort naar duur na huisvesting"
        withheld = sum(1 for r in rows if r["percentage"] is None)
        desc = (
            f"Lijngrafiek met op de horizontale as de maanden na huisvesting "
            f"({durations[0]} tot en met {durations[-1]}) en op de verticale as het percentage "
            f"{nl.lower()}, één lijn per cohortjaar ({', '.join(str(c) for c in cohorts)}). "
            + (f"{withheld} waarden zijn geheim en ontbreken in de lijnen. " if withheld else "")
            + f"De tabel onder de grafiek geeft alle cijfers. Percentage {en.lower()} by months "
            "since housing, one line per cohort year."
        )
        chart = _line_chart(chart_id, title, desc, durations, series)
        head = "".join(f'<th scope="col" class="getal">{d}</th>' for d in durations)
        body = []
        for cohort in cohorts:
            tds = []
            for d in durations:
                row = cells.get((cohort, d))
                if row is None:
                    tds.append(
                        '<td class="getal leeg">–<span class="verborgen"> (nog niet gepubliceerd / '
                        '<span lang="en">not yet published</span>)</span></td>'
                    )
                elif row["percentage"] is None:
                    tds.append(
                        '<td class="getal geheim">geheim / <span lang="en">withheld</span></td>'
                    )
                else:
                    tds.append(f'<td class="getal">{format_pct(row["percentage"])}</td>')
            body.append(f'<tr><th scope="row">{cohort}</th>{"".join(tds)}</tr>')
        table = (
            f"<table>\n<caption>{escape(nl)} in {escape(name)}: percentage per cohort en maanden "
            'na huisvesting / <span lang="en">'
            f"{escape(en)}: percentage by cohort and months since housing</span></caption>\n"
            f'<thead><tr><th scope="col">Cohort</th>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(body)
            + "\n</tbody>\n</table>"
        )
        note = ""
        if withheld:
            note = (
                f'<p class="geheim-noot">{withheld} van de {len(rows)} punten zijn geheim: een te '
                "klein aantal, of nodig om een klein aantal elders te beschermen. / "
                f'<span lang="en">{withheld} of the {len(rows)} points are withheld: too few '
                "people, or needed to protect a small number elsewhere.</span></p>"
            )
        return _chart_block(code, indicator, bi(nl, en), chart, table, f"Tabel {nl} {name}", note)


def _chart_block(
    code: str,
    chart: str,
    heading: str,
    svg: str,
    table: str,
    table_label: str,
    note: str = "",
) -> str:
    """A chart with its heading, what of it is withheld, and the same figures as a table one
    click away."""
    return "\n".join(
        [
            f'<div class="blok" data-gebied="{escape(code)}" data-grafiek="{escape(chart)}">',
            f"<h4>{heading}</h4>",
            f"<figure>{svg}</figure>",
            *([note] if note else []),
            '<details class="tabel"><summary>Tabel met de cijfers / <span lang="en">Table '
            "with the figures</span></summary>",
            _scroll(table, table_label),
            "</details>",
            "</div>",
        ]
    )


def _time(value: str, *, short: bool = False) -> str:
    if short:
        day = dt.date.fromisoformat(value[:10])
        shown = f"{day.day:02d}-{day.month:02d}-{day.year}"
    else:
        shown = format_date_nl(value)
    return f'<time datetime="{escape(value)}">{shown}</time>'


def _scroll(table: str, label: str = "", heading: str = "") -> str:
    """A wide table scrolls on its own; the region takes focus so keyboards can scroll it."""
    name = f'aria-labelledby="{heading}"' if heading else f'aria-label="{escape(label)}"'
    return f'<div class="scroll" role="region" tabindex="0" {name}>{table}</div>'


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


# --- charts --------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 132, 16, 60
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _svg_open(chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="grafiek" id="{chart_id}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-titel" aria-describedby="{chart_id}-omschrijving">',
        f'<title id="{chart_id}-titel">{escape(title)}</title>',
        f'<desc id="{chart_id}-omschrijving">{escape(desc)}</desc>',
    ]


def _y_axis(top_value: int, step: int) -> list[str]:
    out = []
    for value in range(0, top_value + 1, step):
        y = TOP + PLOT_H - value / top_value * PLOT_H
        out.append(
            f'<line class="raster" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_n(y)}" y2="{_n(y)}"/>'
        )
        out.append(f'<text x="{LEFT - 8}" y="{_n(y + 4)}" text-anchor="end">{value}%</text>')
    out.append(f'<line class="as" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_H}"/>')
    out.append(
        f'<line class="as" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{TOP + PLOT_H}" '
        f'y2="{TOP + PLOT_H}"/>'
    )
    return out


def _marker(shape: str, x: float, y: float, colour: str, tooltip: str) -> str:
    attrs = f'class="punt" fill="{colour}" stroke="#fff" stroke-width="1"'
    tip = f"<title>{escape(tooltip)}</title>"
    if shape == "circle":
        return f'<circle {attrs} cx="{_n(x)}" cy="{_n(y)}" r="4.5">{tip}</circle>'
    if shape == "square":
        return f'<rect {attrs} x="{_n(x - 4)}" y="{_n(y - 4)}" width="8" height="8">{tip}</rect>'
    points = {
        "triangle": ((0, -5.5), (5, 3.5), (-5, 3.5)),
        "triangle-down": ((0, 5.5), (5, -3.5), (-5, -3.5)),
        "diamond": ((0, -5.5), (5, 0), (0, 5.5), (-5, 0)),
    }[shape]
    path = "M" + "L".join(f"{_n(x + dx)} {_n(y + dy)}" for dx, dy in points) + "Z"
    return f'<path {attrs} d="{path}">{tip}</path>'


def _line_chart(
    chart_id: str,
    title: str,
    desc: str,
    xs: list[int],
    series: list[tuple[str, str, list[Decimal | None]]],
) -> str:
    """Percentages (0-100) against months; a withheld or unpublished value breaks the line."""
    out = _svg_open(chart_id, title, desc)
    out += _y_axis(100, 20)
    low, high = xs[0], xs[-1]

    def x_of(value: int) -> float:
        return LEFT + PLOT_W / 2 if high == low else LEFT + (value - low) / (high - low) * PLOT_W

    def y_of(value: Decimal) -> float:
        return TOP + PLOT_H - float(value) / 100 * PLOT_H

    for value in xs:
        x = x_of(value)
        out.append(
            f'<line class="as" x1="{_n(x)}" x2="{_n(x)}" y1="{TOP + PLOT_H}" '
            f'y2="{TOP + PLOT_H + 5}"/>'
        )
        out.append(f'<text x="{_n(x)}" y="{TOP + PLOT_H + 19}" text-anchor="middle">{value}</text>')
    out.append(
        f'<text x="{LEFT + PLOT_W / 2:.0f}" y="{HEIGHT - 14}" text-anchor="middle">'
        "Maanden na huisvesting / Months since housing</text>"
    )
    for i, (name, short, values) in enumerate(series):
        colour, shape, dash = COLOURS[i % 8], MARKERS[i % 5], DASHES[i % 4]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path, pen_down, markers = [], False, []
        for x_value, value in zip(xs, values, strict=True):
            if value is None:
                pen_down = False
                continue
            x, y = x_of(x_value), y_of(value)
            path.append(f"{'L' if pen_down else 'M'}{_n(x)} {_n(y)}")
            pen_down = True
            tip = f"{name}, {x_value} maanden: {format_pct(value)}"
            markers.append(_marker(shape, x, y, colour, tip))
        out.append(f'<g class="reeks" data-reeks="{escape(short)}">')
        if any(step.startswith("L") for step in path):
            out.append(f'<path class="lijn" stroke="{colour}"{dash_attr} d="{"".join(path)}"/>')
        out += markers
        out.append("</g>")
        legend_y = TOP + 8 + i * 22
        legend_x = LEFT + PLOT_W + 18
        out.append(
            f'<line class="lijn" stroke="{colour}"{dash_attr} x1="{legend_x}" '
            f'x2="{legend_x + 30}" y1="{legend_y}" y2="{legend_y}"/>'
        )
        out.append(_marker(shape, legend_x + 15, legend_y, colour, name))
        out.append(f'<text x="{legend_x + 38}" y="{legend_y + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _bar_chart(
    chart_id: str, title: str, desc: str, bars: list[tuple[str, Decimal | None, bool]]
) -> str:
    """Half-years as bars of realisation (%), hatched when provisional; 100% dashed."""
    highest = max((float(v) for _, v, _ in bars if v is not None), default=0.0)
    step = 20 if highest <= 140 else 50 if highest <= 350 else 100
    top_value = max(100, -(-int(highest) // step) * step)
    if top_value < highest:
        top_value += step
    out = _svg_open(chart_id, title, desc)
    pattern = f"{chart_id}-arcering"
    out.append(
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_COLOUR}" stroke-width="3"/>'
        "</pattern></defs>"
    )
    out += _y_axis(top_value, step)
    band = PLOT_W / max(len(bars), 1)
    width = band * 0.7

    def y_of(value: float) -> float:
        return TOP + PLOT_H - value / top_value * PLOT_H

    previous_year = None
    for i, (periode, value, provisional) in enumerate(bars):
        x_mid = LEFT + band * (i + 0.5)
        if value is not None:
            y = y_of(float(value))
            fill = f"url(#{pattern})" if provisional else BAR_COLOUR
            status = "voorlopig" if provisional else "definitief"
            out.append(
                f'<rect class="staaf" x="{_n(x_mid - width / 2)}" y="{_n(y)}" '
                f'width="{_n(width)}" height="{_n(TOP + PLOT_H - y)}" fill="{fill}" '
                f'stroke="{BAR_COLOUR}" stroke-width="1">'
                f"<title>{escape(periode)}: {format_pct(value)} ({status})</title></rect>"
            )
        year, _, half = periode.partition("-")
        label_year = year if year != previous_year else ""
        previous_year = year
        out.append(
            f'<text x="{_n(x_mid)}" y="{TOP + PLOT_H + 17}" text-anchor="middle">'
            f"{escape(half)}</text>"
        )
        if label_year:
            out.append(
                f'<text x="{_n(x_mid)}" y="{TOP + PLOT_H + 33}" text-anchor="middle">'
                f"{escape(label_year)}</text>"
            )
    y100 = y_of(100)
    out.append(
        f'<line class="doel" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_n(y100)}" y2="{_n(y100)}"/>'
    )
    legend_x = LEFT + PLOT_W + 18
    out += [
        f'<rect x="{legend_x}" y="{TOP + 2}" width="14" height="14" fill="{BAR_COLOUR}"/>',
        f'<text x="{legend_x + 20}" y="{TOP + 13}">Definitief</text>',
        f'<rect x="{legend_x}" y="{TOP + 24}" width="14" height="14" fill="url(#{pattern})" '
        f'stroke="{BAR_COLOUR}"/>',
        f'<text x="{legend_x + 20}" y="{TOP + 35}">Voorlopig</text>',
        f'<line class="doel" x1="{legend_x}" x2="{legend_x + 14}" y1="{TOP + 53}" '
        f'y2="{TOP + 53}"/>',
        f'<text x="{legend_x + 20}" y="{TOP + 57}">Taakstelling</text>',
        "</svg>",
    ]
    return "\n".join(out)
