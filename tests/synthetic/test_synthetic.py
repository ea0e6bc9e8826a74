"""Synthetic landing-folder generator: determinism, the delivery contract, calibration.

Files are parsed independently of the generator (csv, json, python_calamine) so the contract
is checked as an ingester would see it.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from synthetic import build_world, generate, writers
from synthetic import measure as m
from synthetic.dates import month_end as end_day

PEILDATUM = "2025-06"
SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

KOPPELINGEN_COLUMNS = [
    "v_nummer", "bsn", "geboortedatum", "geslacht", "nationaliteit", "huishouden_nr",
    "rol_huishouden", "opvanglocatie", "datum_vergunning", "gemeente_code", "datum_koppeling",
    "datum_huisvesting", "nareiziger",
]  # fmt: skip
PLICHTIGEN_COLUMNS = [
    "bsn", "wet", "inburgeringsplichtig", "route", "datum_start_termijn", "datum_einde_termijn",
    "status", "datum_status",
]  # fmt: skip
EXAMENS_COLUMNS = ["bsn", "examendatum", "onderdeel", "niveau", "resultaat"]
WI_SHEETS = {
    "uitkeringen": ["bsn", "regeling", "datum_start", "datum_einde"],
    "dienstverbanden": ["bsn", "datum_start", "datum_einde", "uren_per_week", "soort"],
    "trajecten": ["bsn", "instrument", "datum_start", "datum_einde"],
    "intakes": ["bsn", "datum_intake", "noa_assessment"],
}
NATIONALITEITEN = {
    "SYR", "ERI", "AFG", "TUR", "YEM", "IRN", "IRQ", "SOM", "ETH", "SDN", "UKR", "XXA", "XXX",
}  # fmt: skip
NIVEAUS = {"A0", "A1", "A2", "B1", "B2", None}


def elfproef(bsn: str) -> bool:
    if not re.fullmatch(r"\d{9}", bsn) or bsn == "0" * 9:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(w * int(c) for w, c in zip(weights, bsn, strict=True)) % 11 == 0


def month_end(month: str) -> date:
    y, mo = int(month[:4]), int(month[5:7])
    return date(y, mo, calendar.monthrange(y, mo)[1])


def shift(month: str, n: int) -> str:
    y, mo = divmod(int(month[:4]) * 12 + int(month[5:7]) - 1 + n, 12)
    return f"{y:04d}-{mo + 1:02d}"


def nl_date(s: str) -> date:
    return datetime.strptime(s, "%d-%m-%Y").date()


def iso_date(s: str) -> date:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", s), s
    return date.fromisoformat(s)


def read_csv(path: Path, sep: str) -> tuple[list[str], list[dict[str, str]], bytes]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header, *rows = list(reader)
    return header, [dict(zip(header, r, strict=True)) for r in rows], raw


def read_workbook(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def seed_table(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


U16 = {r["gemeente_code"] for r in seed_table("gemeenten.csv") if r["u16"] == "J"}
LOCATIES = {r["locatie_code"]: r["regio"] == "J" for r in seed_table("coa_locaties.csv")}


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    summary = generate(out, seed=7, scale=0.25, peildatum=PEILDATUM, with_errors=True)
    return out, summary


@pytest.fixture(scope="module")
def koppelingen(landing):
    out, _ = landing
    return {
        month: read_csv(out / "coa" / f"koppelingen_{month}.csv", ";")
        for month in (PEILDATUM, shift(PEILDATUM, -1))
    }


@pytest.fixture(scope="module")
def workbooks(landing):
    out, summary = landing
    return {
        Path(f).name: read_workbook(out / f) for f in summary.files if f.startswith("werk_inkomen/")
    }


# --- determinism -------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    kw = {"seed": 1, "scale": 0.05, "peildatum": PEILDATUM}
    generate(tmp_path / "a", with_errors=True, **kw)
    generate(tmp_path / "b", with_errors=True, **kw)
    generate(tmp_path / "clean", with_errors=False, **kw)
    a, b, clean = (_files(tmp_path / x) for x in ("a", "b", "clean"))
    assert a == b
    # The refused deliveries come on top; the good ones do not change.
    assert clean == {k: v for k, v in a.items() if k in clean}
    assert len(a) - len(clean) == 9

    # Another seed gives another population (checked on snapshots, no second folder needed).
    extract = end_day(PEILDATUM)
    other = build_world(seed=2, scale=0.05, peildatum=PEILDATUM)
    other_csv = writers.csv_bytes(writers.koppelingen(other, extract), sep=";", crlf=True)
    assert b"\xef\xbb\xbf" + other_csv != a["coa/koppelingen_2025-06.csv"]
    same = build_world(seed=1, scale=0.05, peildatum=PEILDATUM)
    same_csv = writers.csv_bytes(writers.koppelingen(same, extract), sep=";", crlf=True)
    assert b"\xef\xbb\xbf" + same_csv == a["coa/koppelingen_2025-06.csv"]
    for snapshot in (writers.plichtigen, writers.examens):
        assert not snapshot(other, extract).equals(snapshot(same, extract))


# --- folder layout -----------------------------------------------------------------------


def test_summary_and_layout(landing):
    out, s = landing
    assert s.peildatum == PEILDATUM
    assert s.persons > 3000
    assert s.files_written == len(s.files) == len(set(s.files))
    assert s.bad_files_written == len(s.bad_files) == 9
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(s.files) | set(s.bad_files)
    patterns = [
        r"coa/koppelingen_\d{4}-(0[1-9]|1[0-2])\.csv",
        r"coa/taakstelling_\d{4}\.csv",
        r"duo/(inburgeringsplichtigen|examens)_\d{4}-(0[1-9]|1[0-2])\.csv",
        r"werk_inkomen/GM\d{4}_\d{4}-(0[1-9]|1[0-2])\.xlsx",
        r"taalscholen/TS\d{3}_\d{4}-(0[1-9]|1[0-2])\.json",
    ]
    for f in s.files:
        assert any(re.fullmatch(p, f) for p in patterns), f

    prev = shift(PEILDATUM, -1)
    wi = {f for f in s.files if f.startswith("werk_inkomen/")}
    late = {f for f in wi if f.startswith("werk_inkomen/GM0589_")}
    assert late == {f"werk_inkomen/GM0589_{prev}.xlsx"}
    assert {f"werk_inkomen/{g}_{PEILDATUM}.xlsx" for g in U16 - {"GM0589"}} <= wi
    assert any(f.endswith(f"_{prev}.xlsx") and "GM0589" not in f for f in wi)
    for f in ("coa/koppelingen", "duo/inburgeringsplichtigen", "duo/examens"):
        assert f"{f}_{PEILDATUM}.csv" in s.files and f"{f}_{prev}.csv" in s.files
    schools = [f for f in s.files if f.startswith("taalscholen/") and PEILDATUM in f]
    assert len(schools) == 6
    assert any(f.startswith("taalscholen/") and prev in f for f in s.files)


# --- COA ---------------------------------------------------------------------------------


def test_koppelingen_contract(koppelingen):
    for month, (header, rows, raw) in koppelingen.items():
        extract = month_end(month)
        if month == PEILDATUM:
            assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
            assert raw.count(b"\r\n") == raw.count(b"\n")
        else:
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        assert header == KOPPELINGEN_COLUMNS
        v_nummers = [r["v_nummer"] for r in rows]
        assert len(set(v_nummers)) == len(rows)
        bsns = [r["bsn"] for r in rows if r["bsn"]]
        assert len(set(bsns)) == len(bsns)
        households = defaultdict(list)
        for r in rows:
            assert re.fullmatch(r"\d{10}", r["v_nummer"])
            assert r["bsn"] == "" or elfproef(r["bsn"]), r["bsn"]
            born, verg = nl_date(r["geboortedatum"]), nl_date(r["datum_vergunning"])
            kop = nl_date(r["datum_koppeling"])
            assert born <= verg <= kop <= extract
            if r["datum_huisvesting"]:
                assert kop <= nl_date(r["datum_huisvesting"]) <= extract
            assert r["geslacht"] in {"M", "V"}
            assert r["nationaliteit"] in NATIONALITEITEN
            assert r["rol_huishouden"] in {"HOOFD", "PARTNER", "KIND", "OVERIG"}
            assert r["opvanglocatie"] in LOCATIES
            assert re.fullmatch(r"GM\d{4}", r["gemeente_code"])
            assert r["nareiziger"] in {"J", "N"}
            # The regional extract: left a regional location, or linked to U16.
            assert LOCATIES[r["opvanglocatie"]] or r["gemeente_code"] in U16
            if r["rol_huishouden"] == "KIND":
                assert (verg - born).days < 18 * 366
            households[r["huishouden_nr"]].append(r)
        for members in households.values():
            assert sum(r["rol_huishouden"] == "HOOFD" for r in members) == 1
            assert len({r["gemeente_code"] for r in members}) == 1

    _, rows, _ = koppelingen[PEILDATUM]
    n = len(rows)
    no_bsn = sum(r["bsn"] == "" for r in rows) / n
    assert 0.005 < no_bsn < 0.06
    assert any(r["bsn"].startswith("0") for r in rows)
    assert any(r["nareiziger"] == "J" for r in rows)
    assert 0.01 < sum(r["datum_huisvesting"] == "" for r in rows) / n < 0.08
    gemeenten = {r["gemeente_code"] for r in rows}
    assert gemeenten >= U16 and {"GM0363", "GM0307"} & gemeenten
    adults = [r for r in rows if r["rol_huishouden"] != "KIND"]
    assert 0.5 < sum(r["geslacht"] == "M" for r in adults) / len(adults) < 0.7


def test_older_koppelingen_is_a_true_earlier_snapshot(koppelingen):
    _, now, _ = koppelingen[PEILDATUM]
    _, before, _ = koppelingen[shift(PEILDATUM, -1)]
    now_by_v = {r["v_nummer"]: r for r in now}
    assert {r["v_nummer"] for r in before} < set(now_by_v)
    housed_in_month = [
        r for r in now if r["datum_huisvesting"] and r["datum_huisvesting"][3:] == "06-2025"
    ]
    assert housed_in_month
    before_by_v = {r["v_nummer"]: r for r in before}
    for r in housed_in_month:
        assert (
            r["v_nummer"] not in before_by_v
            or before_by_v[r["v_nummer"]]["datum_huisvesting"] == ""
        )


def test_taakstelling(landing):
    out, summary = landing
    years = range(2016, int(PEILDATUM[:4]) + 1)
    for y in years:
        header, rows, _ = read_csv(out / "coa" / f"taakstelling_{y}.csv", ";")
        assert header == ["gemeente_code", "periode", "taakstelling"]
        assert len(rows) == 32
        assert {r["gemeente_code"] for r in rows} == U16
        assert {r["periode"] for r in rows} == {f"{y}-H1", f"{y}-H2"}
        assert all(re.fullmatch(r"\d+", r["taakstelling"]) for r in rows)
    # next year's task exists only as a bad delivery (a municipality listed twice)
    assert f"coa/taakstelling_{int(PEILDATUM[:4]) + 1}.csv" in summary.bad_files


# --- DUO ---------------------------------------------------------------------------------


def test_duo_contract(landing, koppelingen):
    out, _ = landing
    for month in (PEILDATUM, shift(PEILDATUM, -1)):
        extract = month_end(month)
        _, coa_rows, _ = koppelingen[month]
        housed = {
            r["bsn"]: nl_date(r["datum_huisvesting"])
            for r in coa_rows
            if r["bsn"] and r["datum_huisvesting"]
        }
        header, rows, raw = read_csv(out / "duo" / f"inburgeringsplichtigen_{month}.csv", ",")
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        assert header == PLICHTIGEN_COLUMNS
        assert len({r["bsn"] for r in rows}) == len(rows)
        status_of = {}
        for r in rows:
            assert elfproef(r["bsn"]) and r["bsn"] in housed
            assert r["wet"] == ("WI2021" if housed[r["bsn"]].year >= 2022 else "WI2013")
            assert r["inburgeringsplichtig"] in {"J", "N"}
            if r["wet"] == "WI2021" and r["inburgeringsplichtig"] == "J":
                assert r["route"] in {"B1", "ONDERWIJS", "Z"}
            else:
                assert r["route"] == ""
            if r["inburgeringsplichtig"] == "J":
                start, einde = (
                    iso_date(r["datum_start_termijn"]),
                    iso_date(r["datum_einde_termijn"]),
                )
                assert start <= extract and einde >= start
                assert (einde.year - start.year, einde.month) == (3, start.month)
                assert abs((start - housed[r["bsn"]]).days) <= 31
            assert r["status"] in {
                "LOPEND", "VOLDAAN", "ONTHEFFING", "VRIJSTELLING", "TERMIJN_OVERSCHREDEN",
            }  # fmt: skip
            assert iso_date(r["datum_status"]) <= extract
            status_of[r["bsn"]] = (r["status"], iso_date(r["datum_status"]))
        statuses = {s for s, _ in status_of.values()}
        assert statuses == {
            "LOPEND",
            "VOLDAAN",
            "ONTHEFFING",
            "VRIJSTELLING",
            "TERMIJN_OVERSCHREDEN",
        }
        assert {r["route"] for r in rows} == {"", "B1", "ONDERWIJS", "Z"}
        assert sum(r["inburgeringsplichtig"] == "J" for r in rows) / len(rows) > 0.85

        header, exams, _ = read_csv(out / "duo" / f"examens_{month}.csv", ",")
        assert header == EXAMENS_COLUMNS
        passed = defaultdict(dict)
        sittings = defaultdict(int)
        for e in exams:
            assert e["bsn"] in status_of
            d = iso_date(e["examendatum"])
            assert d <= extract
            assert e["onderdeel"] in {"LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM", "ONA"}
            if e["onderdeel"] in {"KNM", "ONA"}:
                assert e["niveau"] == ""
            else:
                assert e["niveau"] in {"A1", "A2", "B1", "B2"}
            assert e["resultaat"] in {"GESLAAGD", "GEZAKT", "AFWEZIG"}
            sittings[(e["bsn"], e["onderdeel"])] += 1
            if e["resultaat"] == "GESLAAGD":
                passed[e["bsn"]][e["onderdeel"]] = min(d, passed[e["bsn"]].get(e["onderdeel"], d))
        assert {e["resultaat"] for e in exams} == {"GESLAAGD", "GEZAKT", "AFWEZIG"}
        assert any(n > 1 for n in sittings.values())  # re-sits
        for bsn, (status, when) in status_of.items():
            if status == "VOLDAAN":
                assert "KNM" in passed[bsn] and passed[bsn]["KNM"] < when


# --- Werk & Inkomen ----------------------------------------------------------------------


def test_werk_inkomen_contract(workbooks, koppelingen):
    _, coa_rows, _ = koppelingen[PEILDATUM]
    known = {r["bsn"] for r in coa_rows if r["bsn"] and r["gemeente_code"] in U16}
    open_ended = 0
    clients = defaultdict(set)
    for name, sheets in workbooks.items():
        gemeente, month = name[:6], name[7:14]
        extract = month_end(month)
        assert list(sheets) == list(WI_SHEETS)
        for sheet, columns in WI_SHEETS.items():
            header, *rows = sheets[sheet]
            assert header == columns
            for row in rows:
                r = dict(zip(columns, row, strict=True))
                assert isinstance(r["bsn"], str) and elfproef(r["bsn"]) and r["bsn"] in known
                clients[r["bsn"]].add(gemeente)
                if sheet == "intakes":
                    assert isinstance(r["datum_intake"], date) and r["datum_intake"] <= extract
                    assert r["noa_assessment"] in {"J", "N"}
                    continue
                assert isinstance(r["datum_start"], date) and r["datum_start"] <= extract
                if r["datum_einde"] == "":
                    open_ended += 1
                else:
                    assert isinstance(r["datum_einde"], date)
                    assert r["datum_start"] <= r["datum_einde"] <= extract
                if sheet == "uitkeringen":
                    assert r["regeling"] in {"PARTICIPATIEWET", "IOAW", "ANW", "OVERIG"}
                elif sheet == "dienstverbanden":
                    assert 0 < r["uren_per_week"] <= 60
                    assert r["soort"] in {"LOONDIENST", "UITZEND", "ZELFSTANDIG"}
                else:
                    assert r["instrument"] in {
                        "WERKERVARINGSPLEK", "TAAKSTAGE", "WERKSTAGE", "MEELOOPSTAGE",
                        "VRIJWILLIGERSWERK", "OPLEIDING",
                    }  # fmt: skip
    assert open_ended > 0
    assert any(b.startswith("0") for b in clients)
    # People who moved within U16 appear in two municipalities' workbooks.
    assert sum(len(g) > 1 for g in clients.values()) > 0


# --- Taalscholen -------------------------------------------------------------------------


def test_taalscholen_contract(landing):
    out, s = landing
    schools_per_person = defaultdict(set)
    actief = 0
    for f in s.files:
        if not f.startswith("taalscholen/"):
            continue
        code, month = Path(f).stem.split("_")
        doc = json.loads((out / f).read_text(encoding="utf-8"))
        assert set(doc) == {"school", "peildatum", "deelnemers"}
        assert doc["school"]["code"] == code
        assert isinstance(doc["school"]["naam"], str) and isinstance(
            doc["school"]["keurmerk"], bool
        )
        peil = iso_date(doc["peildatum"])
        assert peil == month_end(month)
        for d in doc["deelnemers"]:
            assert elfproef(d["bsn"])
            assert d["traject"] in {
                "B1_ROUTE", "Z_ROUTE", "ONDERWIJSROUTE", "ALFABETISERING", "VOORINBURGERING",
            }  # fmt: skip
            start = iso_date(d["datum_start"])
            assert start <= peil
            if d["status"] == "ACTIEF":
                assert d["datum_einde"] is None
                actief += 1
            else:
                assert d["status"] in {"AFGEROND", "UITGEVALLEN"}
                assert start <= iso_date(d["datum_einde"]) <= peil
            assert 0 <= d["aanwezigheid_pct"] <= 100
            assert d["niveau_instroom"] in NIVEAUS and d["niveau_behaald"] in NIVEAUS
            if month == PEILDATUM:
                schools_per_person[d["bsn"]].add(code)
    assert actief > 0
    assert max(len(v) for v in schools_per_person.values()) == 2


# --- refused deliveries ------------------------------------------------------------------


def test_bad_files_break_their_rule(landing):
    out, s = landing
    nxt = shift(PEILDATUM, 1)
    bad = s.bad_files
    assert all(isinstance(v, str) and v for v in bad.values())

    not_xlsx = out / f"werk_inkomen/GM0335_{nxt}.xlsx"
    assert not zipfile.is_zipfile(not_xlsx)
    assert (out / f"werk_inkomen/GM0335_{PEILDATUM}.xlsx").exists()

    header, _, _ = read_csv(out / f"duo/examens_{nxt}.csv", ",")
    assert "resultaat" not in header and "bsn" in header

    with pytest.raises(json.JSONDecodeError):
        json.loads((out / f"taalscholen/TS002_{nxt}.json").read_text(encoding="utf-8"))

    doc = json.loads((out / f"taalscholen/TS003_{nxt}.json").read_text(encoding="utf-8"))
    assert doc["school"]["code"] != "TS003"

    with pytest.raises(UnicodeDecodeError):
        (out / f"coa/koppelingen_{nxt}.csv").read_bytes().decode("utf-8")

    wrong_name = out / f"duo/examens_{PEILDATUM[:4]}-13.csv"
    header, rows, _ = read_csv(wrong_name, ",")
    assert header == EXAMENS_COLUMNS and rows

    assert "intakes" not in read_workbook(out / f"werk_inkomen/GM0353_{nxt}.xlsx")

    header, rows, _ = read_csv(out / f"duo/inburgeringsplichtigen_{nxt}.csv", ",")
    assert header == PLICHTIGEN_COLUMNS
    invalid = sum(not elfproef(r["bsn"]) for r in rows) / len(rows)
    assert 0.03 < invalid < 0.07

    header, rows, _ = read_csv(out / f"coa/taakstelling_{int(PEILDATUM[:4]) + 1}.csv", ";")
    keys = [(r["gemeente_code"], r["periode"]) for r in rows]
    assert len(keys) - len(set(keys)) == 1

    for rel in bad:
        assert (out / rel).exists(), rel


# --- calibration -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_scale_1():
    return build_world(seed=0, scale=1.0, peildatum=PEILDATUM)


def test_calibration_at_scale_1(world_scale_1):
    w = world_scale_1
    assert 0.08 <= m.work_share(w, 30) <= 0.14
    assert 0.38 <= m.work_share(w, 72) <= 0.48
    assert 0.85 <= m.bijstand_share(w, 12) <= 0.94
    assert 0.53 <= m.voldaan_share(w, 48) <= 0.63
    assert 0.55 <= m.noa_share(w, 3) <= 0.65
    assert 0.85 <= m.regional_leavers_in_u16(w) <= 0.95
    assert 590 <= m.housed(w, "GM0344", 2016) <= 690
    assert 540 <= m.housed(w, "GM0344", 2017) <= 640
    r = m.realisation(w)
    assert r.quantile(0.1) >= 0.65 and r.quantile(0.9) <= 1.25


def test_population_shape_at_scale_1(world_scale_1):
    w = world_scale_1
    extract = end_day(PEILDATUM)
    p = w.persons[w.persons["datum_koppeling"] <= extract]
    assert 15_000 <= len(p) <= 25_000
    years = range(2016, int(PEILDATUM[:4]))
    per_year = {y: m.housed(w, "GM0344", y) for y in years}
    assert per_year[2016] > max(per_year[y] for y in range(2018, 2021))
    assert min(per_year[y] for y in (2022, 2023, 2024)) > max(per_year[y] for y in (2018, 2019))
    for g in U16:
        counts = [m.housed(w, g, y) for y in years]
        assert min(counts) >= 1, g
    for small in ("GM0589", "GM0331"):
        assert max(m.housed(w, small, y) for y in years) < 50
    adults = p[p["leeftijd"] >= 18]
    assert 0.55 <= (adults["geslacht"] == "M").mean() <= 0.65
    assert 0 < (adults["leeftijd"] >= 65).mean() < 0.03
    assert (p["rol_huishouden"] == "KIND").mean() > 0.2


def test_files_agree_with_world(landing, koppelingen):
    """The written extract matches the in-memory world of the same seed and scale."""
    w = build_world(seed=7, scale=0.25, peildatum=PEILDATUM)
    _, rows, _ = koppelingen[PEILDATUM]
    for g, y in (("GM0344", 2016), ("GM0589", 2020)):
        in_file = sum(
            r["gemeente_code"] == g and r["datum_huisvesting"].endswith(str(y)) for r in rows
        )
        assert in_file == m.housed(w, g, y)


@pytest.mark.parametrize("bad", ["2025-13", "2025-6", "2025", "2015-06"])
def test_rejects_bad_peildatum(bad):
    with pytest.raises(ValueError):
        build_world(seed=0, scale=0.01, peildatum=bad)
