"""The Table Schema of every resource: written into `datapackage.json`, documented by the API.

The OpenAPI document is built once at start-up, when no release may exist yet, so its
parameter and field descriptions come from here and not from a release. The texts are those
of `datapackage.json` (Dutch `title`/`description`, English `title_en`/`description_en`);
`tests/test_api_contract.py` checks that names, types and keys agree with a release. At run
time the API serves the release's own `datapackage.json` (`/v1/datasets/{name}`) and reads
the columns from the release's own Parquet files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# The dimensions a client can filter on; a filter only applies to datasets that have the column.
DIMENSIONS = (
    "gebied_code",
    "cohort_jaar",
    "duur_maanden",
    "geslacht",
    "leeftijdsklasse",
    "indicator",
    "periode",
    "jaar",
)


# The codes of the code lists, as in the dbt seeds (tests/test_api_contract.py holds them
# equal), so that the OpenAPI document can name them when no release exists yet.
MUNICIPALITIES = (
    *("GM0312", "GM0310", "GM0736", "GM0321", "GM0353", "GM0331", "GM0335", "GM0356"),
    *("GM0589", "GM1904", "GM0344", "GM1581", "GM1961", "GM0352", "GM0632", "GM0355"),
)
AREAS = (*MUNICIPALITIES, "U10", "U16")
COHORT_INDICATORS = (
    *("werk", "bijstand", "werk_zonder_bijstand", "activering", "onderwijs", "taalles"),
    *("participatie", "inburgering_voldaan", "taalniveau_b1"),
)
TARGET_INDICATORS = ("plaatsing_regio", "noa_binnen_3_maanden")
GESLACHTEN = ("M", "V", "T")
LEEFTIJDSKLASSEN = ("18-29", "30-49", "50-64", "T")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: string, integer, number, boolean
    title: str
    description: str
    title_en: str
    description_en: str
    required: bool = True
    codes: tuple[str, ...] = ()  # the values a coded column takes; empty: not coded

    def describe(self) -> str:
        """One text for OpenAPI: Dutch, then English."""
        return f"**{self.title}**: {self.description}\n\n**{self.title_en}**: {self.description_en}"


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str  # "dataset" or "codelist"
    title: str
    description: str
    title_en: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def dimensions(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.name in DIMENSIONS)

    def describe(self) -> str:
        return f"{self.title}: {self.description}\n\n{self.title_en}: {self.description_en}"


def _f(name, type_, title, description, title_en, description_en, required=True, codes=()) -> Field:
    return Field(name, type_, title, description, title_en, description_en, required, codes)


GEBIED_CODE = _f(
    "gebied_code",
    "string",
    "Gebiedscode",
    "CBS-gemeentecode (GMxxxx), of U10 of U16 voor de som van die gemeenten.",
    "Area code",
    "CBS municipality code (GMxxxx), or U10 or U16 for the sum of those municipalities.",
    codes=AREAS,
)
GEBIED_NAAM = _f(
    "gebied_naam",
    "string",
    "Gebiedsnaam",
    "Naam van de gemeente of de regio.",
    "Area name",
    "Name of the municipality or the region.",
)
INDICATOR = _f(
    "indicator",
    "string",
    "Indicator",
    "Code van de indicator; de definitie staat in de codelijst indicatoren_codelijst.",
    "Indicator",
    "Code of the indicator; its definition is in the code list indicatoren_codelijst.",
    codes=(*COHORT_INDICATORS, *TARGET_INDICATORS),
)
COHORT_INDICATOR = replace(INDICATOR, codes=COHORT_INDICATORS)
TARGET_INDICATOR = replace(INDICATOR, codes=TARGET_INDICATORS)
TELLER = _f(
    "teller",
    "integer",
    "Teller",
    "Aantal personen in de populatie voor wie de indicator geldt; leeg als het geheim is.",
    "Numerator",
    "Number of persons in the population for whom the indicator holds; empty when withheld.",
    required=False,
)
NOEMER = _f(
    "noemer",
    "integer",
    "Noemer",
    "Aantal personen in de populatie; leeg als het geheim is.",
    "Denominator",
    "Number of persons in the population; empty when withheld.",
    required=False,
)
PERCENTAGE = _f(
    "percentage",
    "number",
    "Percentage",
    "100 × teller / noemer op één decimaal, half van nul af afgerond; leeg als het geheim is "
    "of als de noemer 0 is.",
    "Percentage",
    "100 × numerator / denominator to one decimal, rounded half away from zero; empty when "
    "withheld or when the denominator is 0.",
    required=False,
)
GEHEIM = _f(
    "geheim",
    "boolean",
    "Geheim",
    "Waar als teller, noemer of percentage door geheimhouding zijn weggelaten (dan leeg).",
    "Withheld",
    "True when numerator, denominator or percentage are withheld by disclosure control "
    "(they are then empty).",
)
LABEL_NL = _f(
    "label_nl", "string", "Omschrijving (nl)", "Omschrijving in het Nederlands.", "Label (nl)",
    "Label in Dutch.",
)  # fmt: skip
LABEL_EN = _f(
    "label_en", "string", "Omschrijving (en)", "Omschrijving in het Engels.", "Label (en)",
    "Label in English.",
)  # fmt: skip

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "indicatoren",
        "dataset",
        "Indicatoren per cohort",
        "Werk, bijstand, activering, onderwijs, taalles, participatie, inburgering en taalniveau "
        "van statushouders per huisvestingscohort, duur na huisvesting, gebied, geslacht en "
        "leeftijdsklasse.",
        "Indicators per cohort",
        "Work, social assistance, activation, education, language classes, participation, civic "
        "integration and language level of permit holders per housing cohort, time since "
        "housing, area, sex and age group.",
        (
            GEBIED_CODE,
            GEBIED_NAAM,
            _f(
                "cohort_jaar",
                "integer",
                "Cohortjaar",
                "Kalenderjaar waarin de personen zijn gehuisvest.",
                "Cohort year",
                "Calendar year in which the persons were housed.",
            ),
            _f(
                "duur_maanden",
                "integer",
                "Duur in maanden",
                "Maanden na huisvesting waarop gemeten is: 6, 12, 18, 24, 30, 36, 48 of 60.",
                "Duration in months",
                "Months after housing at which it is measured: 6, 12, 18, 24, 30, 36, 48 or 60.",
            ),
            _f(
                "geslacht",
                "string",
                "Geslacht",
                "M (man), V (vrouw) of T (totaal).",
                "Sex",
                "M (male), V (female) or T (total).",
                codes=GESLACHTEN,
            ),
            _f(
                "leeftijdsklasse",
                "string",
                "Leeftijdsklasse",
                "Leeftijd op de referentiedatum: 18-29, 30-49, 50-64, of T (18 tot en met 64).",
                "Age group",
                "Age at the reference date: 18-29, 30-49, 50-64, or T (18 to 64).",
                codes=LEEFTIJDSKLASSEN,
            ),
            COHORT_INDICATOR,
            TELLER,
            NOEMER,
            PERCENTAGE,
            GEHEIM,
        ),
        ("cohort_jaar", "duur_maanden", "gebied_code", "geslacht", "leeftijdsklasse", "indicator"),
    ),
    Resource(
        "huisvesting",
        "dataset",
        "Huisvesting en taakstelling",
        "Gehuisveste statushouders tegenover de wettelijke taakstelling, per gebied en halfjaar.",
        "Housing and the housing task",
        "Permit holders housed against the legal housing task, per area and half-year.",
        (
            GEBIED_CODE,
            GEBIED_NAAM,
            _f(
                "periode",
                "string",
                "Periode",
                "Halfjaar: JJJJ-H1 (januari tot en met juni) of JJJJ-H2 (juli tot en met "
                "december).",
                "Period",
                "Half-year: YYYY-H1 (January to June) or YYYY-H2 (July to December).",
            ),
            _f(
                "taakstelling",
                "integer",
                "Taakstelling",
                "Wettelijke taakstelling: aantal te huisvesten statushouders, opgeteld over de "
                "gemeenten van het gebied.",
                "Housing task",
                "Legal housing task: the number of permit holders to house, summed over the "
                "area's municipalities.",
            ),
            _f(
                "gehuisvest",
                "integer",
                "Gehuisvest",
                "Personen (alle leeftijden) met een huisvestingsdatum in het halfjaar.",
                "Housed",
                "Persons (any age) with a housing date in the half-year.",
            ),
            _f(
                "realisatie_pct",
                "number",
                "Realisatie (%)",
                "100 × gehuisvest / taakstelling op één decimaal; leeg als de taakstelling 0 is.",
                "Achieved (%)",
                "100 × housed / housing task to one decimal; empty when the task is 0.",
                required=False,
            ),
            _f(
                "voorlopig",
                "boolean",
                "Voorlopig",
                "Waar als het halfjaar na de peildatum eindigt.",
                "Provisional",
                "True when the half-year ends after the monitor's reference date (peildatum).",
            ),
            _f(
                "achterstand_begin",
                "integer",
                "Achterstand begin",
                "De achterstand die het halfjaar in gaat: taakstelling min gehuisvest, opgeteld "
                "over de eerdere halfjaren van het gebied; 0 in het eerste. Negatief is een "
                "voorsprong.",
                "Backlog at start",
                "The backlog carried into the half-year: task minus housed, summed over the "
                "area's earlier half-years; 0 in the first. Negative is a lead.",
            ),
            _f(
                "achterstand_eind",
                "integer",
                "Achterstand eind",
                "Achterstand begin + taakstelling − gehuisvest: nog te huisvesten aan het eind "
                "van het halfjaar.",
                "Backlog at end",
                "Backlog at start + task − housed: still to house at the end of the half-year.",
            ),
        ),
        ("gebied_code", "periode"),
    ),
    Resource(
        "doorgaande_lijn",
        "dataset",
        "Doorgaande lijn",
        "De beleidsdoelen van het regionale plan per huisvestingsjaar, gebied en indicator.",
        "Continuous line",
        "The policy targets of the regional plan per housing year, area and indicator.",
        (
            GEBIED_CODE,
            GEBIED_NAAM,
            _f(
                "jaar",
                "integer",
                "Jaar",
                "Jaar van huisvesting.",
                "Year",
                "Year of housing.",
            ),
            TARGET_INDICATOR,
            TELLER,
            NOEMER,
            PERCENTAGE,
            _f(
                "doel_pct",
                "integer",
                "Doel (%)",
                "Het doel van het regionale plan, in procenten.",
                "Target (%)",
                "The regional plan's target, in percent.",
            ),
            GEHEIM,
        ),
        ("jaar", "gebied_code", "indicator"),
    ),
    Resource(
        "planresultaten",
        "dataset",
        "Resultaten van het plan",
        "De resultaten van het Plan van Aanpak U16 als richting: per gebied, indicator en duur "
        "het laatste gepubliceerde cohort tegenover het cohort ervoor, en of het percentage de "
        "kant op ging die het plan wil. Afgeleid van de gepubliceerde indicatoren (geslacht en "
        "leeftijd totaal).",
        "Results of the plan",
        "The results of the regional plan as directions: per area, indicator and duration the "
        "latest published cohort against the one before, and whether the percentage moved the "
        "way the plan wants. Derived from the published indicators (all sexes and ages).",
        (
            GEBIED_CODE,
            GEBIED_NAAM,
            COHORT_INDICATOR,
            _f(
                "duur_maanden",
                "integer",
                "Duur in maanden",
                "Maanden na huisvesting waarop de cohorten vergeleken worden: 12, 24 of 36.",
                "Duration in months",
                "Months after housing at which the cohorts are compared: 12, 24 or 36.",
            ),
            _f(
                "cohort_jaar",
                "integer",
                "Cohortjaar",
                "Het laatste cohort dat op deze duur gepubliceerd is.",
                "Cohort year",
                "The latest cohort published at this duration.",
            ),
            _f(
                "vorig_cohort_jaar",
                "integer",
                "Vorig cohortjaar",
                "Het cohort ervoor: cohortjaar − 1.",
                "Previous cohort year",
                "The cohort before it: cohort year − 1.",
            ),
            _f(
                "percentage",
                "number",
                "Percentage",
                "Het gepubliceerde percentage van het cohort (geslacht T, leeftijdsklasse T); "
                "leeg als het geheim is of de noemer 0 is.",
                "Percentage",
                "The cohort's published percentage (sex T, age group T); empty when withheld or "
                "when the denominator is 0.",
                required=False,
            ),
            _f(
                "vorig_percentage",
                "number",
                "Vorig percentage",
                "Het gepubliceerde percentage van het vorige cohort; leeg als het geheim is of "
                "de noemer 0 is.",
                "Previous percentage",
                "The previous cohort's published percentage; empty when withheld or when the "
                "denominator is 0.",
                required=False,
            ),
            _f(
                "richting",
                "string",
                "Richting",
                "gestegen, gedaald of gelijk; leeg als een van de twee percentages leeg is.",
                "Direction",
                "gestegen (rose), gedaald (fell) or gelijk (unchanged); empty when either "
                "percentage is empty.",
                required=False,
            ),
            _f(
                "doel",
                "string",
                "Doel",
                "De richting die het plan wil: gedaald voor bijstand, gestegen voor de andere.",
                "Aim",
                "The direction the plan wants: gedaald (fall) for bijstand, gestegen (rise) for "
                "the others.",
            ),
            _f(
                "behaald",
                "boolean",
                "Behaald",
                "Waar als de richting het doel is, onwaar als niet (gelijk is niet behaald); "
                "leeg zonder richting.",
                "Met",
                "True when the direction is the aim, false when not (unchanged is not met); "
                "empty without a direction.",
                required=False,
            ),
        ),
        ("gebied_code", "indicator", "duur_maanden"),
    ),
    Resource(
        "gebieden",
        "codelist",
        "Gebieden",
        "De 16 gemeenten van de U16 en de regio's U10 en U16.",
        "Areas",
        "The 16 municipalities of the U16 and the regions U10 and U16.",
        (
            GEBIED_CODE,
            GEBIED_NAAM,
            _f(
                "soort",
                "string",
                "Soort",
                "gemeente of regio.",
                "Kind",
                "gemeente (municipality) or regio (region).",
            ),
            _f(
                "in_u10",
                "boolean",
                "In U10",
                "Waar als het gebied tot de U10 behoort.",
                "In U10",
                "True when the area belongs to the U10.",
            ),
            _f(
                "in_u16",
                "boolean",
                "In U16",
                "Waar als het gebied tot de U16 behoort.",
                "In U16",
                "True when the area belongs to the U16.",
            ),
        ),
        ("gebied_code",),
    ),
    Resource(
        "indicatoren_codelijst",
        "codelist",
        "Indicatoren",
        "Definitie en populatie van elke indicator, met het doel waar er een is.",
        "Indicators",
        "Definition and population of every indicator, with its target where there is one.",
        (
            INDICATOR,
            _f(
                "resource",
                "string",
                "Dataset",
                "De dataset waarin de indicator staat.",
                "Dataset",
                "The dataset that holds the indicator.",
            ),
            LABEL_NL,
            LABEL_EN,
            _f(
                "definitie_nl",
                "string",
                "Definitie (nl)",
                "Wanneer de indicator geldt, in het Nederlands.",
                "Definition (nl)",
                "When the indicator holds, in Dutch.",
            ),
            _f(
                "definitie_en",
                "string",
                "Definitie (en)",
                "Wanneer de indicator geldt, in het Engels.",
                "Definition (en)",
                "When the indicator holds, in English.",
            ),
            _f(
                "populatie_nl",
                "string",
                "Populatie (nl)",
                "Wie de noemer telt, in het Nederlands.",
                "Population (nl)",
                "Who the denominator counts, in Dutch.",
            ),
            _f(
                "populatie_en",
                "string",
                "Populatie (en)",
                "Wie de noemer telt, in het Engels.",
                "Population (en)",
                "Who the denominator counts, in English.",
            ),
            _f(
                "doel_pct",
                "integer",
                "Doel (%)",
                "Het doel van het regionale plan, in procenten; leeg zonder doel.",
                "Target (%)",
                "The regional plan's target, in percent; empty without a target.",
                required=False,
            ),
        ),
        ("indicator",),
    ),
    Resource(
        "geslachten",
        "codelist",
        "Geslachten",
        "De codes van geslacht.",
        "Sexes",
        "The codes for sex.",
        (
            _f(
                "geslacht",
                "string",
                "Geslacht",
                "M, V of T.",
                "Sex",
                "M, V or T.",
                codes=GESLACHTEN,
            ),
            LABEL_NL,
            LABEL_EN,
        ),
        ("geslacht",),
    ),
    Resource(
        "leeftijdsklassen",
        "codelist",
        "Leeftijdsklassen",
        "De leeftijdsklassen, met hun grenzen.",
        "Age groups",
        "The age groups, with their bounds.",
        (
            _f(
                "leeftijdsklasse",
                "string",
                "Leeftijdsklasse",
                "18-29, 30-49, 50-64 of T.",
                "Age group",
                "18-29, 30-49, 50-64 or T.",
                codes=LEEFTIJDSKLASSEN,
            ),
            LABEL_NL,
            LABEL_EN,
            _f(
                "leeftijd_van",
                "integer",
                "Leeftijd van",
                "Laagste leeftijd in de klasse.",
                "Age from",
                "Lowest age in the group.",
            ),
            _f(
                "leeftijd_tot_en_met",
                "integer",
                "Leeftijd tot en met",
                "Hoogste leeftijd in de klasse.",
                "Age up to",
                "Highest age in the group, inclusive.",
            ),
        ),
        ("leeftijdsklasse",),
    ),
)

DATASETS = tuple(r for r in RESOURCES if r.kind == "dataset")
CODELISTS = tuple(r for r in RESOURCES if r.kind == "codelist")
