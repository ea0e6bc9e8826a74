"""The structural contract: every edge case sources.md allows is accepted, the rest refused."""

import datetime as dt
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from contract.tables import Column, StructureError, Table, cast_table
from ingest.deliveries import identify
from ingest.readers import read_csv, read_xlsx
from sources.coa import KOPPELINGEN
from sources.coa import SOURCE as COA
from sources.duo import SOURCE as DUO
from sources.taalscholen import SOURCE as TAALSCHOLEN
from sources.taalscholen import parse as parse_school
from sources.werk_inkomen import SHEETS
from sources.werk_inkomen import SOURCE as WERK_INKOMEN
from tests.builders import (
    deelnemer,
    koppeling,
    valid_bsns,
    write_koppelingen,
    write_school,
    write_text,
    write_workbook,
)

DATES = Table("t", (Column("d", "date_dmy"), Column("i", "date_iso"), Column("b", "bsn")))


def cast(**columns: list[str]) -> tuple[pa.Table, list]:
    return cast_table(DATES, pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}))


def test_dates_parse_in_their_own_format_and_empty_means_unknown():
    typed, problems = cast(d=["29-02-2024", ""], i=["2024-02-29", ""], b=["012345672", ""])
    assert problems == []
    assert typed["d"].to_pylist() == [dt.date(2024, 2, 29), None]
    assert typed["i"].to_pylist() == [dt.date(2024, 2, 29), None]


@pytest.mark.parametrize(
    "value",
    ["31-02-2020", "29-02-2023", "1-2-2020", "2020-02-01", "01/02/2020", "32-01-2020"],
)
def test_a_date_that_does_not_exist_or_has_another_format_is_a_type_violation(value):
    """strptime alone would roll 31 February into March; the contract must not."""
    _, problems = cast(d=["01-01-2020", value], i=["2020-01-01", "2020-01-01"], b=["", ""])
    # a table made by hand numbers its rows from 1
    assert [(p.rule, p.rows, p.count) for p in problems] == [("d is a date dd-mm-jjjj", [2], 1)]
    assert problems[0].summary() == "1 row fails: d is a date dd-mm-jjjj"


def test_a_bsn_stays_text_with_its_leading_zero_and_its_digits_are_left_to_the_suites():
    """One malformed bsn is a dropped row (expectations/), not a structurally broken file."""
    typed, problems = cast(d=["", "", ""], i=["", "", ""], b=["012345672", "12345672", "0123456a2"])
    assert typed["b"].to_pylist() == ["012345672", "12345672", "0123456a2"]
    assert problems == []


def test_koppelingen_with_bom_crlf_empty_bsn_and_leading_zero_are_read_as_text(tmp_path):
    bsn = valid_bsns(1)[0]
    assert bsn.startswith("0")
    path = write_koppelingen(
        tmp_path,
        "2025-06",
        [koppeling("0000000001", bsn), koppeling("0000000002", "", datum_huisvesting="")],
        bom=True,
        crlf=True,
    )
    typed, problems = cast_table(KOPPELINGEN, read_csv(path, KOPPELINGEN, delimiter=";"))
    assert problems == []
    assert typed["v_nummer"].to_pylist() == ["0000000001", "0000000002"]
    assert typed["bsn"].to_pylist() == [bsn, None]
    assert typed["datum_huisvesting"].to_pylist() == [dt.date(2020, 6, 1), None]
    assert typed["nareiziger"].to_pylist() == ["N", "N"]  # no stray \r from CRLF


def test_a_missing_column_is_named(tmp_path):
    path = write_text(tmp_path / "k.csv", "v_nummer;bsn\n0000000001;\n")
    with pytest.raises(StructureError, match=r"missing required column.*geboortedatum"):
        read_csv(path, KOPPELINGEN, delimiter=";")


def test_the_wrong_delimiter_reads_as_missing_columns(tmp_path):
    path = write_text(tmp_path / "k.csv", koppeling("0000000001", "").replace(";", ","))
    with pytest.raises(StructureError, match="missing required column"):
        read_csv(path, KOPPELINGEN, delimiter=";")


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_file_in_another_encoding_is_refused(tmp_path, encoding):
    from tests.builders import KOPPELINGEN_HEADER

    text = f"{KOPPELINGEN_HEADER}\n{koppeling('0000000001', '', huishouden_nr='Müller')}\n"
    path = tmp_path / "k.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(StructureError, match="not UTF-8"):
        read_csv(path, KOPPELINGEN, delimiter=";")


def test_workbook_dates_are_date_cells_and_an_empty_end_is_an_open_spell(tmp_path):
    bsn = valid_bsns(1)[0]
    path = write_workbook(
        tmp_path / "GM0344_2025-06.xlsx",
        {"uitkeringen": [[bsn, "PARTICIPATIEWET", dt.date(2020, 6, 1), None]]},
    )
    tables = read_xlsx(path, SHEETS)
    typed, problems = cast_table(SHEETS[0], tables["uitkeringen"])
    assert problems == []
    assert typed.to_pylist() == [
        {
            "bsn": bsn,
            "regeling": "PARTICIPATIEWET",
            "datum_start": dt.date(2020, 6, 1),
            "datum_einde": None,
            "_row_number": 2,  # Excel's row: the header is row 1
        }
    ]


def test_a_workbook_without_a_required_sheet_is_refused(tmp_path):
    path = write_workbook(tmp_path / "GM0344_2025-06.xlsx", drop="intakes")
    with pytest.raises(StructureError, match="missing required sheet intakes"):
        read_xlsx(path, SHEETS)


def test_a_file_that_is_not_xlsx_is_refused_saying_what_it_is_instead(tmp_path):
    """A CSV under an .xlsx name, a workbook cut off half-way (an upload broken off), an
    old .xls renamed, a zip of something else: each refused with what its bytes are."""
    text = write_text(tmp_path / "GM0344_2025-06.xlsx", "bsn;regeling\n")
    with pytest.raises(StructureError, match="not a readable xlsx workbook: it is text, not a "):
        read_xlsx(text, SHEETS)
    whole = write_workbook(tmp_path / "GM0310_2025-06.xlsx").read_bytes()
    cut = tmp_path / "GM0312_2025-06.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(StructureError, match=f"damaged or cut off after {len(whole) // 2:,} "):
        read_xlsx(cut, SHEETS)
    old = tmp_path / "GM0321_2025-06.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(StructureError, match=r"Excel 97-2003 \(\.xls\)"):
        read_xlsx(old, SHEETS)
    other = tmp_path / "GM0331_2025-06.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(StructureError, match="a zip archive without a workbook in it"):
        read_xlsx(other, SHEETS)


def _school_file(path: Path):
    return identify(TAALSCHOLEN, path)


def test_a_school_document_with_open_enrolments_is_accepted(tmp_path):
    bsn = valid_bsns(1)[0]
    path = write_school(tmp_path, "TS001", "2025-06", [deelnemer(bsn)])
    parsed = parse_school(path, _school_file(path))
    assert parsed.peildatum == dt.date(2025, 6, 28)
    assert parsed.tables["deelnemers"]["datum_einde"].to_pylist() == [""]


def test_truncated_json_is_refused_with_its_position(tmp_path):
    path = write_text(tmp_path / "taalscholen" / "TS001_2025-06.json", '{"school": {"code": ')
    with pytest.raises(StructureError, match=r"not valid JSON \(line 1"):
        parse_school(path, _school_file(path))


def test_a_participant_missing_a_field_is_refused(tmp_path):
    incomplete = deelnemer(valid_bsns(1)[0])
    del incomplete["status"]
    path = write_school(tmp_path, "TS001", "2025-06", [incomplete])
    with pytest.raises(StructureError, match=r"misses required field.*status"):
        parse_school(path, _school_file(path))


@pytest.mark.parametrize(
    ("source", "name", "kind", "deliverer", "period"),
    [
        (COA, "koppelingen_2025-06.csv", "koppelingen", "COA", "2025-06"),
        (COA, "taakstelling_2024.csv", "taakstelling", "2024", "2024"),
        (DUO, "examens_2025-06.csv", "examens", "DUO", "2025-06"),
        (WERK_INKOMEN, "GM0344_2025-05.xlsx", "werk_inkomen", "GM0344", "2025-05"),
        (TAALSCHOLEN, "TS014_2025-06.json", "taalscholen", "TS014", "2025-06"),
    ],
)
def test_file_names_give_kind_deliverer_and_period(tmp_path, source, name, kind, deliverer, period):
    file = identify(source, write_text(tmp_path / name, ""))
    assert (file.kind.name, file.deliverer, file.period) == (kind, deliverer, period)


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (DUO, "examens_2025-13.csv"),
        (COA, "koppelingen-2025-07.csv"),
        (COA, "koppelingen_2025-07.txt"),
        (WERK_INKOMEN, "GM344_2025-06.xlsx"),
        (TAALSCHOLEN, "TS014_2025-06.JSON"),
    ],
)
def test_a_wrong_file_name_is_not_any_kind(tmp_path, source, name):
    assert identify(source, write_text(tmp_path / name, "")).kind is None
