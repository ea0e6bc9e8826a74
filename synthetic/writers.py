"""Snapshots of the world as a deliverer knows it at an extract date, and their file formats."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

from synthetic.dates import EXCEL_EPOCH_OFFSET, NEVER, dutch, iso
from synthetic.world import World

KOPPELINGEN_COLUMNS = (
    "v_nummer", "bsn", "geboortedatum", "geslacht", "nationaliteit", "huishouden_nr",
    "rol_huishouden", "opvanglocatie", "datum_vergunning", "gemeente_code", "datum_koppeling",
    "datum_huisvesting", "nareiziger",
)  # fmt: skip
TAAKSTELLING_COLUMNS = ("gemeente_code", "periode", "taakstelling")
PLICHTIGEN_COLUMNS = (
    "bsn", "wet", "inburgeringsplichtig", "route", "datum_start_termijn", "datum_einde_termijn",
    "status", "datum_status",
)  # fmt: skip
EXAMENS_COLUMNS = ("bsn", "examendatum", "onderdeel", "niveau", "resultaat")
# Sheet name -> (column, kind); kind s = text, d = date, n = number.
WI_SHEETS = {
    "uitkeringen": (("bsn", "s"), ("regeling", "s"), ("datum_start", "d"), ("datum_einde", "d")),
    "dienstverbanden": (
        ("bsn", "s"),
        ("datum_start", "d"),
        ("datum_einde", "d"),
        ("uren_per_week", "n"),
        ("soort", "s"),
    ),
    "trajecten": (("bsn", "s"), ("instrument", "s"), ("datum_start", "d"), ("datum_einde", "d")),
    "intakes": (("bsn", "s"), ("datum_intake", "d"), ("noa_assessment", "s")),
}


def _rank(world: World, person: pd.Series) -> np.ndarray:
    return world.persons["bsn_rank"].to_numpy()[person.to_numpy()]


def _jn(values: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "J", "N").astype(object)


def koppelingen(world: World, extract_day: int) -> pd.DataFrame:
    """COA regional extract: everyone linked by the extract date who left a regional location
    or was linked to a U16 municipality."""
    p = world.persons
    sel = (p["datum_koppeling"] <= extract_day) & (p["regio_locatie"] | p["u16"])
    p = p[sel].sort_values("v_nummer", kind="stable")
    return pd.DataFrame(
        {
            "v_nummer": p["v_nummer"].to_numpy(),
            "bsn": np.where(p["datum_bsn"] <= extract_day, p["bsn"], "").astype(object),
            "geboortedatum": dutch(p["geboortedatum"].to_numpy()),
            "geslacht": p["geslacht"].to_numpy(),
            "nationaliteit": p["nationaliteit"].to_numpy(),
            "huishouden_nr": p["huishouden_nr"].to_numpy(),
            "rol_huishouden": p["rol_huishouden"].to_numpy(),
            "opvanglocatie": p["opvanglocatie"].to_numpy(),
            "datum_vergunning": dutch(p["datum_vergunning"].to_numpy()),
            "gemeente_code": p["gemeente_code"].to_numpy(),
            "datum_koppeling": dutch(p["datum_koppeling"].to_numpy()),
            "datum_huisvesting": dutch(
                p["datum_huisvesting"].to_numpy(), p["datum_huisvesting"].to_numpy() <= extract_day
            ),
            "nareiziger": _jn(p["nareiziger"].to_numpy()),
        },
        columns=list(KOPPELINGEN_COLUMNS),
    )


def taakstelling(world: World, year: int) -> pd.DataFrame:
    """Half-year tasks of one year."""
    t = world.taakstelling[world.taakstelling["jaar"] == year]
    return pd.DataFrame(
        {
            "gemeente_code": t["gemeente_code"].to_numpy(),
            "periode": t["periode"].to_numpy(),
            "taakstelling": t["taakstelling"].to_numpy(),
        },
        columns=list(TAAKSTELLING_COLUMNS),
    )


def _duo_selection(world: World, extract_day: int) -> pd.DataFrame:
    d = world.duo
    return d[d["registratie"] <= extract_day]


def plichtigen(world: World, extract_day: int) -> pd.DataFrame:
    """DUO inburgeringsplichtigen with their status at the extract date."""
    d = _duo_selection(world, extract_day)
    d = d.iloc[np.argsort(_rank(world, d["person"]), kind="stable")]
    bsn = world.persons["bsn"].to_numpy()[d["person"].to_numpy()]
    vrij, onth, vold = (d[c].to_numpy() for c in ("vrijstelling", "ontheffing", "voldaan"))
    start, einde = d["start"].to_numpy(), d["einde"].to_numpy()
    conds = [vrij <= extract_day, onth <= extract_day, vold <= extract_day, einde < extract_day]
    status = np.select(
        conds, ["VRIJSTELLING", "ONTHEFFING", "VOLDAAN", "TERMIJN_OVERSCHREDEN"], "LOPEND"
    )
    datum_status = np.select(conds, [vrij, onth, vold, einde + 1], start)
    plichtig = d["plichtig"].to_numpy()
    return pd.DataFrame(
        {
            "bsn": bsn,
            "wet": d["wet"].to_numpy(),
            "inburgeringsplichtig": _jn(plichtig),
            "route": d["route"].to_numpy(),
            "datum_start_termijn": iso(start, plichtig),
            "datum_einde_termijn": iso(einde, plichtig),
            "status": status.astype(object),
            "datum_status": iso(datum_status),
        },
        columns=list(PLICHTIGEN_COLUMNS),
    )


def examens(world: World, extract_day: int) -> pd.DataFrame:
    """DUO exam sittings up to the extract date, for the registered persons."""
    registered = np.zeros(len(world.persons), dtype=bool)
    registered[_duo_selection(world, extract_day)["person"].to_numpy()] = True
    e = world.examens
    e = e[(e["datum"].to_numpy() <= extract_day) & registered[e["person"].to_numpy()]]
    onderdeel = pd.Categorical(e["onderdeel"].to_numpy())
    e = e.iloc[np.lexsort((onderdeel.codes, e["datum"].to_numpy(), _rank(world, e["person"])))]
    return pd.DataFrame(
        {
            "bsn": world.persons["bsn"].to_numpy()[e["person"].to_numpy()],
            "examendatum": iso(e["datum"].to_numpy()),
            "onderdeel": e["onderdeel"].to_numpy(),
            "niveau": e["niveau"].to_numpy(),
            "resultaat": e["resultaat"].to_numpy(),
        },
        columns=list(EXAMENS_COLUMNS),
    )


def csv_bytes(df: pd.DataFrame, *, sep: str, crlf: bool = False) -> bytes:
    """Header + rows as UTF-8 text; values are plain codes, so nothing needs quoting."""
    sink = pa.BufferOutputStream()
    options = pacsv.WriteOptions(
        delimiter=sep,
        eol="\r\n" if crlf else "\n",
        quoting_style="none",
        quoting_header="none",
    )
    pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), sink, options)
    return sink.getvalue().to_pybytes()


def write_csv(
    df: pd.DataFrame,
    path: Path,
    *,
    sep: str,
    bom: bool = False,
    crlf: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write a header + rows text file in the requested dialect."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = csv_bytes(df, sep=sep, crlf=crlf)
    if encoding != "utf-8":
        data = data.decode("utf-8").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + data)


_WI_TABLES = ("uitkeringen", "dienstverbanden", "trajecten", "intakes")


def _gemeente_tables(world: World, gemeente_code: str) -> dict[str, pd.DataFrame]:
    # Split each table once instead of scanning it for every workbook.
    if not world.by_gemeente:
        for name in _WI_TABLES:
            for code, part in getattr(world, name).groupby("gemeente_code", sort=True):
                world.by_gemeente.setdefault(str(code), {})[name] = part
    found = world.by_gemeente.get(gemeente_code, {})
    return {name: found.get(name, getattr(world, name).iloc[:0]) for name in _WI_TABLES}


def werk_inkomen(world: World, gemeente_code: str, extract_day: int) -> dict[str, pd.DataFrame]:
    """The four sheets of one municipality's workbook at the extract date.

    Date columns stay day numbers; NEVER marks a running spell.
    """
    bsn = world.persons["bsn"].to_numpy()

    def spells(df: pd.DataFrame, cols: dict[str, str]) -> pd.DataFrame:
        df = df[df["start"].to_numpy() <= extract_day]
        df = df.iloc[np.lexsort((df["start"].to_numpy(), _rank(world, df["person"])))]
        end = df["end"].to_numpy()
        out = pd.DataFrame({"bsn": bsn[df["person"].to_numpy()]})
        for name, src in cols.items():
            if src == "start":
                out[name] = df["start"].to_numpy()
            elif src == "end":
                out[name] = np.where(end <= extract_day, end, NEVER)
            else:
                out[name] = df[src].to_numpy()
        return out

    tables = _gemeente_tables(world, gemeente_code)
    i = tables["intakes"]
    i = i[i["datum"].to_numpy() <= extract_day]
    i = i.iloc[np.lexsort((i["datum"].to_numpy(), _rank(world, i["person"])))]
    intakes = pd.DataFrame(
        {
            "bsn": bsn[i["person"].to_numpy()],
            "datum_intake": i["datum"].to_numpy(),
            "noa_assessment": _jn(i["noa"].to_numpy()),
        }
    )
    return {
        "uitkeringen": spells(
            tables["uitkeringen"],
            {"regeling": "regeling", "datum_start": "start", "datum_einde": "end"},
        ),
        "dienstverbanden": spells(
            tables["dienstverbanden"],
            {
                "datum_start": "start",
                "datum_einde": "end",
                "uren_per_week": "uren_per_week",
                "soort": "soort",
            },
        ),
        "trajecten": spells(
            tables["trajecten"],
            {"instrument": "instrument", "datum_start": "start", "datum_einde": "end"},
        ),
        "intakes": intakes,
    }


def write_workbook(
    path: Path, sheets: dict[str, pd.DataFrame], created: datetime, skip: tuple[str, ...] = ()
) -> None:
    """Stream the sheets to an xlsx; dates become Excel date cells, running ends stay empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    # A fixed creation time keeps the bytes reproducible.
    wb.set_properties({"created": created, "author": "Werk en Inkomen", "company": "Gemeente"})
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    for name, spec in WI_SHEETS.items():
        if name in skip:
            continue
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [c for c, _ in spec])
        df = sheets[name]
        columns = []
        for c, kind in spec:
            v = df[c].to_numpy()
            if kind == "d":
                columns.append(
                    np.where(v < NEVER, v + EXCEL_EPOCH_OFFSET, -1).astype(np.int64).tolist()
                )
            elif kind == "n":
                columns.append(v.astype(float).tolist())
            else:
                columns.append(v.tolist())
        kinds = [k for _, k in spec]
        write_string, write_number = ws.write_string, ws.write_number
        for r, row in enumerate(zip(*columns, strict=True), start=1):
            for c, (value, kind) in enumerate(zip(row, kinds, strict=True)):
                if kind == "s":
                    write_string(r, c, value)
                elif kind == "n":
                    write_number(r, c, value)
                elif value >= 0:
                    write_number(r, c, value, date_fmt)
    wb.close()


def workbook_as_csv_text(sheets: dict[str, pd.DataFrame]) -> str:
    """The uitkeringen sheet as semicolon text (for the not-an-xlsx bad delivery)."""
    df = sheets["uitkeringen"].copy()
    for c in ("datum_start", "datum_einde"):
        v = df[c].to_numpy()
        df[c] = iso(v, v < NEVER)
    return csv_bytes(df, sep=";").decode("utf-8")


def school_document(world: World, code: str, naam: str, keurmerk: bool, extract_day: int) -> dict:
    """A language school's full enrolment list at the extract date."""
    e = world.inschrijvingen
    e = e[(e["school"] == code) & (e["start"] <= extract_day)]
    e = e.iloc[np.lexsort((e["start"].to_numpy(), _rank(world, e["person"])))]
    bsn = world.persons["bsn"].to_numpy()[e["person"].to_numpy()]
    end = e["end"].to_numpy()
    active = end > extract_day
    behaald = e["niveau_behaald"].to_numpy()
    df = pd.DataFrame(
        {
            "bsn": bsn,
            "traject": e["traject"].to_numpy(),
            "datum_start": iso(e["start"].to_numpy()),
            "datum_einde": np.where(active, None, iso(end)),
            "status": np.where(active, "ACTIEF", e["uitkomst"].to_numpy()),
            "aanwezigheid_pct": e["aanwezigheid_pct"].to_numpy(),
            "niveau_instroom": e["niveau_instroom"].to_numpy(),
            "niveau_behaald": np.where(active, None, behaald),
        }
    )
    deelnemers = [
        {
            "bsn": b,
            "traject": t,
            "datum_start": s,
            "datum_einde": d if isinstance(d, str) else None,
            "status": st,
            "aanwezigheid_pct": float(pct),
            "niveau_instroom": ni,
            "niveau_behaald": nb if isinstance(nb, str) else None,
        }
        for b, t, s, d, st, pct, ni, nb in df.itertuples(index=False, name=None)
    ]
    return {
        "school": {"code": code, "naam": naam, "keurmerk": keurmerk},
        "peildatum": str(np.datetime64(extract_day, "D")),
        "deelnemers": deelnemers,
    }


def school_json(doc: dict) -> bytes:
    """Serialise a school document (UTF-8, stable key order)."""
    return (json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8")
