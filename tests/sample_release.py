"""A small release folder laid out as the publisher writes it, from hand-made tables.

Four areas, three cohorts and a peildatum of 30 September 2024, so that the published
(cohort, duration) pairs form the usual triangle: 2021 up to 30 months, 2022 up to 18, 2023
only 6. Withholding follows the two primary rules of disclosure.md (noemer below 10; one or two
people with or without the characteristic), enough to give the page geheim rows with empty
values. Tests work out what the page must show from these tables, never from the page. The
files are written as every test release is (`tests/release_fixture.py`, `package_files`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from tests.release_fixture import package_files

PEILDATUM = "2024-09-30"
CREATED = "2024-10-05T06:00:00+00:00"
VERSION = "1.3.0"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Naamsvermelding 4.0",
}

AREAS = {"U16": "U16", "U10": "U10", "GM0344": "Utrecht", "GM0589": "Oudewater"}

# Published (cohort_jaar, duur_maanden): 31 December of the cohort + duration <= 30 Sep 2024.
PAIRS = {2021: (6, 12, 18, 24, 30), 2022: (6, 12, 18), 2023: (6,)}
DURATIONS = (6, 12, 18, 24, 30, 36, 48, 60)

# Population per area and cohort (geslacht T, leeftijdsklasse T).
NOEMER = {
    "U16": {2021: 400, 2022: 380, 2023: 350},
    "U10": {2021: 300, 2022: 290, 2023: 260},
    "GM0344": {2021: 150, 2022: 140, 2023: 120},
    "GM0589": {2021: 6, 2022: 12, 2023: 4},
}
# Percentage of the 2021 cohort per indicator and duration; later cohorts do 2 points better.
RATE = {
    "werk": {6: 5, 12: 12, 18: 20, 24: 28, 30: 34},
    "bijstand": {6: 90, 12: 85, 18: 78, 24: 70, 30: 64},
    "participatie": {6: 60, 12: 66, 18: 72, 24: 75, 30: 78},
    "inburgering_voldaan": {6: 2, 12: 8, 18: 20, 24: 35, 30: 48},
    "taalles": {6: 55, 12: 60, 18: 58, 24: 50, 30: 40},
}

# (periode, taakstelling, gehuisvest) per area; half-year 2024-H2 ends after the peildatum.
HOUSING = {
    "U16": [
        ("2021-H1", 400, 380),
        ("2021-H2", 420, 450),
        ("2022-H1", 500, 430),
        ("2022-H2", 520, 540),
        ("2023-H1", 610, 600),
        ("2023-H2", 650, 590),
        ("2024-H1", 700, 660),
        ("2024-H2", 720, 300),
    ],
    "U10": [
        ("2021-H1", 300, 290),
        ("2021-H2", 310, 330),
        ("2022-H1", 380, 320),
        ("2022-H2", 390, 400),
        ("2023-H1", 460, 455),
        ("2023-H2", 490, 440),
        ("2024-H1", 520, 500),
        ("2024-H2", 540, 210),
    ],
    "GM0344": [
        ("2021-H1", 150, 141),
        ("2021-H2", 160, 170),
        ("2022-H1", 190, 160),
        ("2022-H2", 200, 205),
        ("2023-H1", 230, 229),
        ("2023-H2", 250, 221),
        ("2024-H1", 260, 255),
        ("2024-H2", 270, 110),
    ],
    "GM0589": [
        ("2021-H1", 4, 3),
        ("2021-H2", 4, 6),
        ("2022-H1", 5, 5),
        ("2022-H2", 5, 4),
        ("2023-H1", 6, 7),
        ("2023-H2", 0, 1),
        ("2024-H1", 7, 6),
        ("2024-H2", 7, 2),
    ],
}

# (gebied_code, jaar, indicator) -> (teller, noemer), before withholding.
DOORGAANDE_LIJN = {
    ("U16", 2021, "plaatsing_regio"): (184, 200),  # 92.0
    ("U16", 2022, "plaatsing_regio"): (1799, 2000),  # 89.95, published as 90.0
    ("U16", 2023, "plaatsing_regio"): (178, 200),  # 89.0
    ("U16", 2024, "plaatsing_regio"): (7, 8),  # noemer below 10: withheld
    ("U16", 2021, "noa_binnen_3_maanden"): (130, 200),  # 65.0
    ("U16", 2022, "noa_binnen_3_maanden"): (199, 380),  # 52.37, published as 52.4
    ("U16", 2023, "noa_binnen_3_maanden"): (217, 350),  # 62.0
    ("U16", 2024, "noa_binnen_3_maanden"): (40, 80),  # 50.0
    ("U10", 2021, "noa_binnen_3_maanden"): (195, 300),  # 65.0
    ("U10", 2022, "noa_binnen_3_maanden"): (174, 290),  # 60.0 exactly
    ("U10", 2023, "noa_binnen_3_maanden"): (150, 260),  # 57.69, published as 57.7
    ("U10", 2024, "noa_binnen_3_maanden"): (33, 60),  # 55.0
    ("GM0344", 2021, "noa_binnen_3_maanden"): (90, 150),  # 60.0
    ("GM0344", 2022, "noa_binnen_3_maanden"): (98, 140),  # 70.0
    ("GM0344", 2023, "noa_binnen_3_maanden"): (71, 120),  # 59.17, published as 59.2
    ("GM0344", 2024, "noa_binnen_3_maanden"): (28, 30),  # noemer - teller = 2: withheld
    ("GM0589", 2021, "noa_binnen_3_maanden"): (4, 6),  # noemer below 10: withheld
    ("GM0589", 2022, "noa_binnen_3_maanden"): (8, 12),  # 66.7
    ("GM0589", 2023, "noa_binnen_3_maanden"): (2, 4),  # withheld
    ("GM0589", 2024, "noa_binnen_3_maanden"): (1, 3),  # withheld
}
DOEL = {"plaatsing_regio": 90, "noa_binnen_3_maanden": 60}

CODELIJST = [
    ("werk", "indicatoren", "Werk", "Work"),
    ("bijstand", "indicatoren", "Bijstand", "Social assistance"),
    ("participatie", "indicatoren", "Participatie", "Participation"),
    ("inburgering_voldaan", "indicatoren", "Inburgering voldaan", "Civic integration completed"),
    ("taalles", "indicatoren", "Taalles", "Language classes"),
    ("plaatsing_regio", "doorgaande_lijn", "Plaatsing in de regio", "Placement in the region"),
    (
        "noa_binnen_3_maanden",
        "doorgaande_lijn",
        "NOA binnen 3 maanden",
        "NOA assessment within 3 months",
    ),
]

DOCUMENTS = {
    "CHANGELOG.md": "# Changelog\n\n## 1.3.0\n\n- Peildatum 30 september 2024.\n",
    "diff.json": '{"from": "1.2.0", "to": "1.3.0", "resources": {}}\n',
    "dcat.jsonld": '{"@context": "https://www.w3.org/ns/dcat", "@type": "Dataset"}\n',
    "disclosure.json": '{"min_noemer": 10, "withheld": {"indicatoren": 12}}\n',
    "disclosure.md": "# Onthullingscontrole\n\nDrempel noemer: 10.\n",
    "validation.json": '{"suites": []}\n',
    "deliveries.json": '{"deliveries": []}\n',
    "monitor.json": '{"peildatum": "2024-09-30", "eerste_jaar": 2021}\n',
}


def pct(teller: int, noemer: int) -> Decimal:
    """100 × teller / noemer, one decimal, half away from zero (indicators.md)."""
    return (Decimal(100 * teller) / noemer).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def withheld(teller: int, noemer: int) -> tuple[int | None, int | None, Decimal | None, bool]:
    """The two primary rules of disclosure.md: (teller, noemer, percentage, geheim)."""
    if noemer < 10:
        return None, None, None, True
    if teller in (1, 2) or noemer - teller in (1, 2):
        return None, noemer, None, True
    return teller, noemer, pct(teller, noemer), False


def indicator_teller(area: str, cohort: int, duur: int, indicator: str) -> int:
    rate = RATE[indicator][duur] + 2 * (cohort - 2021)
    return int((Decimal(NOEMER[area][cohort] * rate) / 100).quantize(0, rounding=ROUND_HALF_UP))


def indicatoren_rows() -> list[dict]:
    rows = []
    for area, name in AREAS.items():
        for cohort, durations in PAIRS.items():
            for duur in durations:
                for indicator in RATE:
                    teller = indicator_teller(area, cohort, duur, indicator)
                    t, n, p, geheim = withheld(teller, NOEMER[area][cohort])
                    rows.append(
                        {
                            "gebied_code": area,
                            "gebied_naam": name,
                            "cohort_jaar": cohort,
                            "duur_maanden": duur,
                            "geslacht": "T",
                            "leeftijdsklasse": "T",
                            "indicator": indicator,
                            "teller": t,
                            "noemer": n,
                            "percentage": p,
                            "geheim": geheim,
                        }
                    )
    # Rows by sex and age that the page's charts (all sexes, all ages) must leave out.
    for geslacht, leeftijdsklasse, teller in (("M", "T", 190), ("V", "T", 150), ("T", "18-29", 99)):
        rows.append(
            {
                **rows[0],
                "geslacht": geslacht,
                "leeftijdsklasse": leeftijdsklasse,
                "indicator": "werk",
                "teller": teller,
                "noemer": 200,
                "percentage": pct(teller, 200),
                "geheim": False,
            }
        )
    return rows


def huisvesting_rows() -> list[dict]:
    rows = []
    for area, periods in HOUSING.items():
        backlog = 0  # what was not housed in the area's earlier half-years (indicators.md)
        for periode, taak, gehuisvest in periods:
            rows.append(
                {
                    "gebied_code": area,
                    "gebied_naam": AREAS[area],
                    "periode": periode,
                    "taakstelling": taak,
                    "gehuisvest": gehuisvest,
                    "realisatie_pct": pct(gehuisvest, taak) if taak else None,
                    "voorlopig": periode == "2024-H2",
                    "achterstand_begin": backlog,
                    "achterstand_eind": backlog + taak - gehuisvest,
                }
            )
            backlog += taak - gehuisvest
    return rows


PLAN_DURATIONS = (12, 24, 36)
DOEL_RICHTING = {"bijstand": "gedaald"}  # every other indicator: gestegen


def planresultaten_rows() -> list[dict]:
    """indicators.md, resource 4, over the sample's published indicatoren (all sexes, ages)."""
    totals = {
        (r["gebied_code"], r["indicator"], r["duur_maanden"], r["cohort_jaar"]): r["percentage"]
        for r in indicatoren_rows()
        if r["geslacht"] == r["leeftijdsklasse"] == "T"
    }
    rows = []
    for duur in PLAN_DURATIONS:
        cohorts = sorted(c for c, durations in PAIRS.items() if duur in durations)
        if len(cohorts) < 2:
            continue
        latest = cohorts[-1]
        for area, name in AREAS.items():
            for indicator in RATE:
                now = totals[(area, indicator, duur, latest)]
                before = totals[(area, indicator, duur, latest - 1)]
                richting = None
                if now is not None and before is not None:
                    richting = (
                        "gestegen" if now > before else "gedaald" if now < before else "gelijk"
                    )
                doel = DOEL_RICHTING.get(indicator, "gestegen")
                rows.append(
                    {
                        "gebied_code": area,
                        "gebied_naam": name,
                        "indicator": indicator,
                        "duur_maanden": duur,
                        "cohort_jaar": latest,
                        "vorig_cohort_jaar": latest - 1,
                        "percentage": now,
                        "vorig_percentage": before,
                        "richting": richting,
                        "doel": doel,
                        "behaald": None if richting is None else richting == doel,
                    }
                )
    return rows


def doorgaande_lijn_rows() -> list[dict]:
    rows = []
    for (area, jaar, indicator), (teller, noemer) in DOORGAANDE_LIJN.items():
        t, n, p, geheim = withheld(teller, noemer)
        rows.append(
            {
                "gebied_code": area,
                "gebied_naam": AREAS[area],
                "jaar": jaar,
                "indicator": indicator,
                "teller": t,
                "noemer": n,
                "percentage": p,
                "doel_pct": DOEL[indicator],
                "geheim": geheim,
            }
        )
    return rows


def codelist_rows() -> dict[str, list[dict]]:
    return {
        "gebieden": [
            {
                "gebied_code": code,
                "gebied_naam": name,
                "soort": "regio" if code.startswith("U") else "gemeente",
                "in_u10": code in ("U10", "GM0344"),
                "in_u16": code != "U10",
            }
            for code, name in AREAS.items()
        ],
        "indicatoren_codelijst": [
            {
                "indicator": indicator,
                "resource": resource,
                "label_nl": nl,
                "label_en": en,
                "definitie_nl": f"Definitie van {nl.lower()}",
                "definitie_en": f"Definition of {en.lower()}",
                "populatie_nl": "Gehuisveste personen",
                "populatie_en": "Housed persons",
                "doel_pct": DOEL.get(indicator),
            }
            for indicator, resource, nl, en in CODELIJST
        ],
        "geslachten": [
            {"geslacht": "M", "label_nl": "Man", "label_en": "Male"},
            {"geslacht": "V", "label_nl": "Vrouw", "label_en": "Female"},
            {"geslacht": "T", "label_nl": "Totaal", "label_en": "Total"},
        ],
        "leeftijdsklassen": [
            {
                "leeftijdsklasse": klasse,
                "label_nl": f"{van} tot en met {tot} jaar",
                "label_en": f"{van} to {tot} years",
                "leeftijd_van": van,
                "leeftijd_tot_en_met": tot,
            }
            for klasse, van, tot in (("18-29", 18, 29), ("30-49", 30, 49), ("50-64", 50, 64))
        ]
        + [
            {
                "leeftijdsklasse": "T",
                "label_nl": "Totaal 18 tot en met 64 jaar",
                "label_en": "Total 18 to 64 years",
                "leeftijd_van": 18,
                "leeftijd_tot_en_met": 64,
            }
        ],
    }


def tables() -> dict[str, list[dict]]:
    return {
        "indicatoren": indicatoren_rows(),
        "huisvesting": huisvesting_rows(),
        "doorgaande_lijn": doorgaande_lijn_rows(),
        "planresultaten": planresultaten_rows(),
        **codelist_rows(),
    }


def write_sample_release(folder: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    """Write the release into `folder` (without index.html); `leave_out` skips documents."""
    files = package_files(
        tables(),
        version=VERSION,
        created=CREATED,
        peildatum=PEILDATUM,
        title="Monitor Statushouders U16",
        description="Hoe het statushouders in de U16-gemeenten vergaat na huisvesting.",
        title_en="Monitor of permit holders, U16 region",
        description_en="How permit holders in the U16 municipalities fare after housing.",
        licenses=[LICENCE],
        keywords=["statushouders", "inburgering"],
    )
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    for path, text in DOCUMENTS.items():
        if path not in leave_out:
            (folder / path).write_text(text, encoding="utf-8")
    return folder
