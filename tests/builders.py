"""Small, hand-written deliveries for tests: every value visible in the test that uses it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import xlsxwriter

KOPPELINGEN_HEADER = (
    "v_nummer;bsn;geboortedatum;geslacht;nationaliteit;huishouden_nr;rol_huishouden;"
    "opvanglocatie;datum_vergunning;gemeente_code;datum_koppeling;datum_huisvesting;nareiziger"
)
INBURGERING_HEADER = (
    "bsn,wet,inburgeringsplichtig,route,datum_start_termijn,datum_einde_termijn,status,datum_status"
)
EXAMENS_HEADER = "bsn,examendatum,onderdeel,niveau,resultaat"
SHEETS = {
    "uitkeringen": ["bsn", "regeling", "datum_start", "datum_einde"],
    "dienstverbanden": ["bsn", "datum_start", "datum_einde", "uren_per_week", "soort"],
    "trajecten": ["bsn", "instrument", "datum_start", "datum_einde"],
    "intakes": ["bsn", "datum_intake", "noa_assessment"],
}


def elfproef(bsn: str) -> bool:
    """sources.md: weights 9..2 and -1, sum divisible by 11, not all zeros."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return (
        len(bsn) == 9
        and bsn.isdigit()
        and bsn != "000000000"
        and sum(int(d) * w for d, w in zip(bsn, weights, strict=True)) % 11 == 0
    )


def valid_bsns(count: int, start: int = 10_000_000) -> list[str]:
    """Elfproef-valid bsns, the first ones with a leading zero."""
    found, n = [], start
    while len(found) < count:
        candidate = f"{n:09d}"
        if elfproef(candidate):
            found.append(candidate)
        n += 1
    return found


def write_text(path: Path, text: str, *, bom: bool = False, crlf: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def koppeling(v_nummer: str, bsn: str, **overrides: str) -> str:
    row = {
        "v_nummer": v_nummer,
        "bsn": bsn,
        "geboortedatum": "15-03-1990",
        "geslacht": "M",
        "nationaliteit": "SYR",
        "huishouden_nr": f"H{v_nummer[-4:]}",
        "rol_huishouden": "HOOFD",
        "opvanglocatie": "UTR-HAYDN",
        "datum_vergunning": "01-02-2020",
        "gemeente_code": "GM0344",
        "datum_koppeling": "01-03-2020",
        "datum_huisvesting": "01-06-2020",
        "nareiziger": "N",
        **overrides,
    }
    return ";".join(row.values())


def write_koppelingen(landing: Path, month: str, rows: list[str], **kwargs: bool) -> Path:
    body = "\n".join([KOPPELINGEN_HEADER, *rows]) + "\n"
    return write_text(landing / "coa" / f"koppelingen_{month}.csv", body, **kwargs)


def write_taakstelling(landing: Path, year: int, task: int = 10) -> Path:
    rows = [f"GM0344;{year}-H1;{task}", f"GM0344;{year}-H2;{task}"]
    body = "\n".join(["gemeente_code;periode;taakstelling", *rows]) + "\n"
    return write_text(landing / "coa" / f"taakstelling_{year}.csv", body)


def write_duo(landing: Path, month: str, bsns: list[str]) -> list[Path]:
    plichtig = [f"{b},WI2013,J,,2020-06-01,2023-06-01,VOLDAAN,2022-01-10" for b in bsns]
    examens = [f"{b},2021-11-01,LEZEN,B1,GESLAAGD" for b in bsns]
    return [
        write_text(
            landing / "duo" / f"inburgeringsplichtigen_{month}.csv",
            "\n".join([INBURGERING_HEADER, *plichtig]) + "\n",
        ),
        write_text(
            landing / "duo" / f"examens_{month}.csv",
            "\n".join([EXAMENS_HEADER, *examens]) + "\n",
        ),
    ]


def write_workbook(
    path: Path,
    sheets: dict[str, list[list[object]]] | None = None,
    *,
    drop: str = "",
    headers: dict[str, list[str]] | None = None,
) -> Path:
    """A Werk & Inkomen workbook; dates are real Excel date cells, bsns text cells.
    `headers` replaces the header of the sheets it names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = sheets or {}
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": dt.datetime(2025, 1, 1)})
    date_format = workbook.add_format({"num_format": "dd-mm-yyyy"})
    for name, header in (SHEETS | (headers or {})).items():
        if name == drop:
            continue
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, header)
        for r, row in enumerate(sheets.get(name, []), start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write_number(r, c, value)
    workbook.close()
    return path


def write_school(
    landing: Path, code: str, month: str, deelnemers: list[dict], **document: object
) -> Path:
    body = {
        "school": {"code": code, "naam": f"Taalschool {code}", "keurmerk": True},
        "peildatum": f"{month}-28",
        "deelnemers": deelnemers,
        **document,
    }
    path = landing / "taalscholen" / f"{code}_{month}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body))
    return path


def deelnemer(bsn: str, **overrides: object) -> dict:
    return {
        "bsn": bsn,
        "traject": "B1_ROUTE",
        "datum_start": "2020-09-01",
        "datum_einde": None,
        "status": "ACTIEF",
        "aanwezigheid_pct": 87.5,
        "niveau_instroom": "A1",
        "niveau_behaald": None,
        **overrides,
    }


def write_minimal_landing(landing: Path, month: str = "2025-06") -> list[str]:
    """One valid delivery of every kind, for three people; returns their bsns."""
    bsns = valid_bsns(3)
    write_koppelingen(
        landing,
        month,
        [
            koppeling("0000000001", bsns[0]),
            koppeling("0000000002", bsns[1], geslacht="V", rol_huishouden="PARTNER"),
            koppeling("0000000003", bsns[2], datum_huisvesting=""),
            koppeling("0000000004", "", datum_huisvesting=""),
        ],
        bom=True,
        crlf=True,
    )
    write_taakstelling(landing, 2020)
    write_duo(landing, month, bsns)
    write_workbook(
        landing / "werk_inkomen" / f"GM0344_{month}.xlsx",
        {
            "uitkeringen": [[bsns[0], "PARTICIPATIEWET", dt.date(2020, 6, 1), None]],
            "dienstverbanden": [
                [bsns[1], dt.date(2021, 1, 1), dt.date(2022, 1, 1), 32, "LOONDIENST"]
            ],
            "trajecten": [[bsns[0], "TAAKSTAGE", dt.date(2020, 9, 1), None]],
            "intakes": [[bsns[0], dt.date(2020, 7, 1), "J"]],
        },
    )
    write_school(landing, "TS001", month, [deelnemer(bsns[0]), deelnemer(bsns[1])])
    return bsns
