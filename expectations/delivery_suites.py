"""One suite per delivery kind: the rules of sources.md, as code.

The structural contract (file names, columns, types) is `contract.tables`; these
suites hold the business rules. Each suite validates a DataFrame of the parsed delivery, with
three context columns: `_peildatum` (the file's peildatum), `_file_code` and `_file_month`
(what the file name says).
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from contract.reference import load_reference
from expectations.rules import (
    Rule,
    between,
    equal,
    matches,
    not_before,
    one_of,
    required,
    unique,
    valid_bsn,
    when,
)

LEVELS = ["A0", "A1", "A2", "B1", "B2"]
SKILLS = ["LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN"]


def _koppelingen() -> list[Rule]:
    reference = load_reference()
    return [
        required("v_nummer"),
        matches("v_nummer", r"^\d{10}$", "10 digits"),
        unique("v_nummer"),
        valid_bsn(),
        unique("bsn"),
        required("geboortedatum"),
        not_before("_peildatum", "geboortedatum").renamed("geboortedatum is not in the future"),
        one_of("geslacht", ["M", "V"]),
        matches("nationaliteit", r"^[A-Z]{3}$", "an ISO 3166-1 alpha-3 code, XXA or XXX"),
        required("huishouden_nr"),
        one_of("rol_huishouden", ["HOOFD", "PARTNER", "KIND", "OVERIG"]),
        Rule(
            "opvanglocatie is a code of coa_locaties.csv",
            "row",
            gxe.ExpectColumnValuesToBeInSet(
                column="opvanglocatie", value_set=list(reference.locaties)
            ),
        ),
        required("opvanglocatie"),
        required("datum_vergunning"),
        matches("gemeente_code", r"^GM\d{4}$", "GM and 4 digits"),
        required("gemeente_code"),
        required("datum_koppeling"),
        not_before("datum_koppeling", "datum_vergunning"),
        not_before("datum_huisvesting", "datum_koppeling"),
        one_of("nareiziger", ["J", "N"]),
    ]


def _taakstelling() -> list[Rule]:
    return [
        Rule(
            "gemeente_code is a U16 municipality",
            "row",
            gxe.ExpectColumnValuesToBeInSet(
                column="gemeente_code", value_set=list(load_reference().gemeenten)
            ),
        ),
        matches("periode", r"^\d{4}-H[12]$", "YYYY-H1 or YYYY-H2"),
        required("taakstelling"),
        between("taakstelling", 0, 1_000_000),
        Rule(
            "a municipality has one task per half-year",
            "file",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["gemeente_code", "periode"]),
        ),
    ]


def _inburgeringsplichtigen() -> list[Rule]:
    return [
        required("bsn"),
        valid_bsn(),
        unique("bsn"),
        one_of("wet", ["WI2013", "WI2021"]),
        required("wet"),
        one_of("inburgeringsplichtig", ["J", "N"]),
        required("inburgeringsplichtig"),
        one_of("route", ["B1", "ONDERWIJS", "Z"]),
        when(
            'wet == "WI2013"',
            "route is empty under WI2013",
            gxe.ExpectColumnValuesToBeNull,
            column="route",
        ),
        when(
            'inburgeringsplichtig == "J"',
            "datum_start_termijn is present when plichtig",
            gxe.ExpectColumnValuesToNotBeNull,
            column="datum_start_termijn",
        ),
        not_before("datum_einde_termijn", "datum_start_termijn"),
        one_of(
            "status", ["LOPEND", "VOLDAAN", "ONTHEFFING", "VRIJSTELLING", "TERMIJN_OVERSCHREDEN"]
        ),
        required("status"),
    ]


def _examens() -> list[Rule]:
    return [
        required("bsn"),
        valid_bsn(),
        required("examendatum"),
        one_of("onderdeel", [*SKILLS, "KNM", "ONA"]),
        required("onderdeel"),
        one_of("niveau", ["A1", "A2", "B1", "B2"]),
        when(
            f"onderdeel in {SKILLS}",
            "niveau is present for a language skill",
            gxe.ExpectColumnValuesToNotBeNull,
            column="niveau",
        ),
        when(
            'onderdeel in ["KNM", "ONA"]',
            "niveau is empty for KNM and ONA",
            gxe.ExpectColumnValuesToBeNull,
            column="niveau",
        ),
        one_of("resultaat", ["GESLAAGD", "GEZAKT", "AFWEZIG"]),
        required("resultaat"),
    ]


def _spell(extra: list[Rule]) -> list[Rule]:
    return [
        required("bsn"),
        valid_bsn(),
        required("datum_start"),
        not_before("datum_einde", "datum_start"),
        *extra,
    ]


def _uitkeringen() -> list[Rule]:
    return _spell([one_of("regeling", ["PARTICIPATIEWET", "IOAW", "ANW", "OVERIG"])])


def _dienstverbanden() -> list[Rule]:
    return _spell(
        [
            required("uren_per_week"),
            between("uren_per_week", 0, 60, strict_low=True),
            one_of("soort", ["LOONDIENST", "UITZEND", "ZELFSTANDIG"]),
        ]
    )


def _trajecten() -> list[Rule]:
    instruments = [
        "WERKERVARINGSPLEK",
        "TAAKSTAGE",
        "WERKSTAGE",
        "MEELOOPSTAGE",
        "VRIJWILLIGERSWERK",
        "OPLEIDING",
    ]
    return _spell([one_of("instrument", instruments), required("instrument")])


def _intakes() -> list[Rule]:
    return [
        required("bsn"),
        valid_bsn(),
        required("datum_intake"),
        one_of("noa_assessment", ["J", "N"]),
        required("noa_assessment"),
    ]


def _scholen() -> list[Rule]:
    return [
        equal("code", "_file_code", "school.code equals the file name's school code"),
        equal("peildatum_maand", "_file_month", "peildatum falls in the file name's month"),
    ]


def _deelnemers() -> list[Rule]:
    return [
        required("bsn"),
        valid_bsn(),
        one_of(
            "traject",
            ["B1_ROUTE", "Z_ROUTE", "ONDERWIJSROUTE", "ALFABETISERING", "VOORINBURGERING"],
        ),
        required("datum_start"),
        not_before("datum_einde", "datum_start"),
        one_of("status", ["ACTIEF", "AFGEROND", "UITGEVALLEN"]),
        required("status"),
        when(
            'status == "ACTIEF"',
            "datum_einde is empty while ACTIEF",
            gxe.ExpectColumnValuesToBeNull,
            column="datum_einde",
        ),
        when(
            'status != "ACTIEF"',
            "datum_einde is present once not ACTIEF",
            gxe.ExpectColumnValuesToNotBeNull,
            column="datum_einde",
        ),
        between("aanwezigheid_pct", 0, 100),
        one_of("niveau_instroom", LEVELS),
        one_of("niveau_behaald", LEVELS),
    ]


SUITES = {
    ("coa", "koppelingen"): _koppelingen,
    ("coa", "taakstelling"): _taakstelling,
    ("duo", "inburgeringsplichtigen"): _inburgeringsplichtigen,
    ("duo", "examens"): _examens,
    ("werk_inkomen", "uitkeringen"): _uitkeringen,
    ("werk_inkomen", "dienstverbanden"): _dienstverbanden,
    ("werk_inkomen", "trajecten"): _trajecten,
    ("werk_inkomen", "intakes"): _intakes,
    ("taalscholen", "scholen"): _scholen,
    ("taalscholen", "deelnemers"): _deelnemers,
}


def rules_for(source: str, table: str) -> list[Rule]:
    return SUITES[(source, table)]()
