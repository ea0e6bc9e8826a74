"""No file stops the pipeline: whatever a delivery holds, it is accepted or refused with a
reason a supplier can act on, and the report points at rows as the supplier sees them.

Each test gives `process()` a real file, checked by the real readers and suites; the
expected reasons and row numbers are worked out by hand from the file the test writes.
"""

import datetime as dt
import json
import os
import zipfile
from pathlib import Path

import pytest

from contract.tables import ROW_NUMBER, Violation
from expectations import validate_delivery
from ingest.deliveries import (
    ChangedWhileRead,
    DeliveryKind,
    Outcome,
    Source,
    archive,
    discover,
    expected_names,
    identify,
    misplaced,
    process,
    quarantine,
    render_report,
)
from ingest.pseudonym import pseudonymiser_for
from sources.coa import SOURCE as COA
from sources.duo import SOURCE as DUO
from sources.taalscholen import SOURCE as TAALSCHOLEN
from sources.werk_inkomen import SOURCE as WERK_INKOMEN
from tests.builders import (
    EXAMENS_HEADER,
    KOPPELINGEN_HEADER,
    deelnemer,
    koppeling,
    valid_bsns,
    write_school,
    write_taakstelling,
    write_text,
    write_workbook,
)

PSEUDONYMISER = pseudonymiser_for(b"a test key that is long enough for hmac")
BSNS = valid_bsns(200, start=300_000_000)


def check(
    source: Source, path: Path, max_bytes: int = 512 << 20, received: dt.date | None = None
) -> Outcome:
    file = identify(source, path)
    return process(
        source, file, PSEUDONYMISER, validate_delivery, path.parent / "staging", max_bytes, received
    )


def refused_because(outcome: Outcome) -> str:
    assert outcome.status == "refused"
    return outcome.reason


# --- files no reader foresaw ----------------------------------------------------------------


def test_a_json_document_nested_ten_thousand_levels_deep_is_refused_and_says_how_deep(tmp_path):
    path = write_text(
        tmp_path / "TS007_2025-06.json",
        '{"school": ' + "[" * 10_000 + "]" * 10_000 + ', "deelnemers": []}',
    )
    reason = refused_because(check(TAALSCHOLEN, path))
    # 10,000 arrays inside the document's own object
    assert reason.startswith("the document nests 10,001 levels of arrays and objects")


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    text = '{"school": {"naam": "' + "[" * 5000 + '"}, "x": ' + "[" * 2000 + "]" * 2000 + "}"
    path = write_text(tmp_path / "TS007_2025-06.json", text)
    # the document's object, then 2,000 arrays; the school's object closes at depth 2
    assert "nests 2,001 levels" in refused_because(check(TAALSCHOLEN, path))


def test_a_document_giving_a_key_twice_is_refused_not_read_as_its_last(tmp_path):
    """Two `deelnemers` lists in one document: Python's parser keeps the second and the
    first list's participants vanish without a word."""
    path = write_school(tmp_path, "TS001", "2025-06", [deelnemer(b) for b in BSNS[:3]])
    text = path.read_text()
    path.write_text(text[:-1] + ', "deelnemers": ' + json.dumps([deelnemer(BSNS[3])]) + "}")
    assert refused_because(check(TAALSCHOLEN, path)) == (
        "an object holds the key 'deelnemers' more than once "
        "(which one counts is not for the reader to guess)"
    )


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (DUO, "examens_2025-06.csv"),
        (COA, "koppelingen_2025-06.csv"),
        (TAALSCHOLEN, "TS001_2025-06.json"),
        (WERK_INKOMEN, "GM0344_2025-06.xlsx"),
    ],
)
def test_an_empty_file_is_refused_as_empty(tmp_path, source, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert refused_because(check(source, path)) == "the file is empty"


@pytest.mark.parametrize(
    ("source", "name", "content", "where"),
    [
        (COA, "koppelingen_2025-06.csv", KOPPELINGEN_HEADER + "\n", "it holds only its header row"),
        (DUO, "examens_2025-06.csv", EXAMENS_HEADER + "\r\n", "it holds only its header row"),
        (
            TAALSCHOLEN,
            "TS001_2025-06.json",
            '{"school": {"code": "TS001", "naam": "T", "keurmerk": true}, '
            '"peildatum": "2025-06-30", "deelnemers": []}',
            "its list deelnemers[] is empty",
        ),
        (WERK_INKOMEN, "GM0344_2025-06.xlsx", None, "each of its sheets holds only its header row"),
    ],
)
def test_a_file_with_headers_but_no_rows_is_refused_not_made_the_current_snapshot(
    tmp_path, source, name, content, where
):
    """A header-only koppelingen file was accepted with 0 rows and the marts' suites then
    failed on a monitor of no one; an empty workbook was published, the municipality's clients
    gone from it without a word. A full snapshot without a row is an export gone wrong."""
    path = tmp_path / name
    if content is None:
        write_workbook(path)  # the four sheets, each only its header
    else:
        write_text(path, content)
    reason = refused_because(check(source, path))
    assert reason.startswith(f"the file holds no rows: {where}; as a full snapshot it would ")


def test_a_workbook_with_one_cell_far_out_is_refused_before_the_reader_reserves_the_sheet(
    tmp_path,
):
    """One cell in XFD1048576 beside data in A1:E2 makes the sheet 16,384 columns by
    1,048,576 rows = 17,179,869,184 cells; the xlsx reader reserved that much memory
    (512 GiB) and the process aborted, every run, until the file was taken away."""
    path = write_workbook(
        tmp_path / "GM0344_2025-06.xlsx",
        {"intakes": [[BSNS[0], dt.date(2025, 1, 6), "J"]]},
    )
    stray = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    _rewrite_part(
        path,
        "xl/worksheets/sheet4.xml",
        lambda xml: xml.replace(b"</sheetData>", stray.encode() + b"</sheetData>"),
    )
    assert refused_because(check(WERK_INKOMEN, path)).startswith(
        "sheet intakes spans A1:XFD1048576, 17,179,869,184 cells, more than the 20,000,000"
    )


def _rewrite_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, change(data) if info.filename == part else data)


def test_a_file_name_that_is_not_utf8_is_refused_and_quarantined_not_a_failed_step(tmp_path):
    """`koppelingen_2025-07é.csv` saved by a Windows-1252 tool: é is byte 0xE9, which is not
    UTF-8. The name could not be written to the report or the log, and COA's step failed on
    every run. Character 20: `koppelingen_2025-07` is 19 characters."""
    folder = tmp_path / "coa"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"koppelingen_2025-07\xe9.csv"), "wb") as out:
        out.write(KOPPELINGEN_HEADER.encode())
    [file] = discover(tmp_path, COA)
    assert file.name == "koppelingen_2025-07\\xe9.csv"
    outcome = process(COA, file, PSEUDONYMISER, validate_delivery, tmp_path / "staging")
    assert refused_because(outcome) == (
        "the file name is not UTF-8: character 20 is byte 0xE9 (Windows-1252 reads it as 'é'), "
        f"written here as \\xe9; expected one of: {expected_names(COA)}"
    )
    report = json.loads((quarantine(outcome, tmp_path / "quarantine") / "report.json").read_text())
    assert report["file"] == "coa/koppelingen_2025-07\\xe9.csv"


def test_a_name_of_243_characters_is_quarantined_under_a_folder_name_that_fits(tmp_path):
    """The quarantine folder adds `.` and 12 characters of the hash: 256 for this name, one
    over the 255 a name may be, and COA's step failed on every run ("File name too long")."""
    name = "koppelingen_2025-08" + "_" * 220 + ".csv"
    path = write_text(tmp_path / "coa" / name, KOPPELINGEN_HEADER)
    outcome = check(COA, path)
    assert outcome.status == "refused"
    folder = quarantine(outcome, tmp_path / "quarantine")
    assert len(folder.name) == 255
    assert folder.name.endswith(f".{outcome.file.sha256[:12]}")
    assert (folder / name).read_bytes() == path.read_bytes()


def test_the_checks_read_the_archived_copy_and_a_file_changed_or_gone_meanwhile_waits(tmp_path):
    """A file replaced between its hash and its copy had the new bytes archived under the old
    hash; one removed meanwhile failed its source's step. The archive now holds exactly the
    bytes hashed, the checks read that copy, and a file that changed or went is left for the
    next run."""
    rows = [koppeling(f"000000000{i}", BSNS[i]) for i in range(1, 4)]
    path = write_text(tmp_path / "koppelingen_2025-06.csv", "\n".join([KOPPELINGEN_HEADER, *rows]))
    first = identify(COA, path)
    copy = archive(first, tmp_path / "archive")
    assert copy.path == tmp_path / "archive" / "coa" / f"{first.sha256}.csv"
    path.write_text(KOPPELINGEN_HEADER)  # replaced after it was archived: the copy is checked
    assert process(COA, copy, PSEUDONYMISER, validate_delivery, tmp_path / "s").rows == 3

    second = identify(COA, path)
    path.write_text(KOPPELINGEN_HEADER + "\n" + rows[0])  # replaced between hash and copy
    with pytest.raises(ChangedWhileRead):
        archive(second, tmp_path / "archive")
    third = identify(COA, path)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        archive(third, tmp_path / "archive")
    assert sorted(p.name for p in (tmp_path / "archive" / "coa").iterdir()) == [copy.path.name]


def test_deliveries_in_a_folder_named_almost_as_the_sources_or_at_the_top_are_named(tmp_path):
    """`Werk_Inkomen/` and `werk-inkomen/` beside `werk_inkomen/`, and a workbook dropped in the
    landing folder itself: no run reads them, and none said so. A stray file of no source's
    kind (a readme) and hidden entries stay unmentioned."""
    for folder in ("werk_inkomen", "Werk_Inkomen", "werk-inkomen", ".werk_inkomen", "duo"):
        (tmp_path / folder).mkdir()
    write_text(tmp_path / "GM0310_2025-08.xlsx", "a file")
    write_text(tmp_path / "LEESMIJ.txt", "a file")
    assert misplaced(tmp_path, WERK_INKOMEN) == [
        ("GM0310_2025-08.xlsx", "a Werk & Inkomen delivery belongs in werk_inkomen/"),
        (
            "Werk_Inkomen/",
            "Werk & Inkomen's deliveries are read from werk_inkomen/ only "
            "(the folder's name is exact)",
        ),
        (
            "werk-inkomen/",
            "Werk & Inkomen's deliveries are read from werk_inkomen/ only "
            "(the folder's name is exact)",
        ),
    ]
    assert misplaced(tmp_path, DUO) == []


def test_a_folder_or_a_link_to_nothing_in_the_landing_is_named_not_passed_over(tmp_path):
    """An upload that made a folder of the workbook's name, and a link whose file is gone:
    neither is a delivery, but a run that passed them over in silence would leave the
    municipality missing from the cut with nobody told why. A hidden folder stays silent."""
    folder = tmp_path / "werk_inkomen"
    folder.mkdir()
    (folder / "GM0356_2025-07.xlsx").mkdir()
    (folder / "GM0355_2025-07.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (folder / ".sync").mkdir()
    write_text(folder / "GM0310_2025-07.xlsx", "a file")
    unreadable: list[tuple[str, str]] = []

    found = discover(tmp_path, WERK_INKOMEN, unreadable)

    assert [f.name for f in found] == ["GM0310_2025-07.xlsx"]
    assert unreadable == [
        ("GM0355_2025-07.xlsx", "it is a link to a file that is not there"),
        (
            "GM0356_2025-07.xlsx",
            "it is a folder, not a file; the file itself belongs in the landing folder",
        ),
    ]


@pytest.mark.parametrize("lines", [2, 100])
def test_a_file_of_only_a_byte_order_mark_and_line_breaks_is_empty_too(tmp_path, lines):
    """100 line breaks are 200 bytes: they were reported as missing every column."""
    path = tmp_path / "examens_2025-06.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n" * lines)
    assert refused_because(check(DUO, path)) == "the file is empty (it holds only white space)"


def test_a_file_larger_than_a_delivery_may_be_is_refused_before_it_is_read(tmp_path):
    rows = [f"{b},2024-01-01,KNM,,GESLAAGD" for b in BSNS]
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")
    size = path.stat().st_size
    assert size > 4096
    reason = refused_because(check(DUO, path, max_bytes=4096))
    assert reason == (
        f"the file is {size / 1024:,.1f} KiB, more than the 4.0 KiB a delivery may be "
        "(STATUSHOUDERS_MAX_DELIVERY_MB)"
    )
    assert check(DUO, path).status == "accepted"


def test_a_workbook_that_unpacks_to_more_than_a_delivery_may_be_is_refused(tmp_path):
    """A zip of a few KiB may unpack to gigabytes; its declared size is read first."""
    path = tmp_path / "GM0344_2025-06.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (1 << 20))
    assert path.stat().st_size < 8192
    reason = refused_because(check(WERK_INKOMEN, path, max_bytes=64 << 10))
    assert reason.startswith("the file unpacks to 1.0 MiB, more than the 64.0 KiB")


def test_a_json_number_of_five_thousand_digits_is_refused(tmp_path):
    path = write_school(tmp_path, "TS001", "2025-06", [deelnemer(BSNS[0])])
    document = json.loads(path.read_text())
    path.write_text(json.dumps(document)[:-1] + ', "extra": ' + "9" * 5000 + "}")
    reason = refused_because(check(TAALSCHOLEN, path))
    assert (
        reason == "not valid JSON (Exceeds the limit (4300 digits) for integer string conversion)"
    )


def test_a_whole_number_too_large_for_64_bits_is_a_type_violation_of_its_row(tmp_path):
    path = write_text(
        tmp_path / "taakstelling_2025.csv",
        "gemeente_code;periode;taakstelling\nGM0344;2025-H1;10\nGM0344;2025-H2;" + "9" * 30 + "\n",
    )
    outcome = check(COA, path)
    [violation] = outcome.violations
    assert (violation.summary(), violation.rows) == (
        "1 row fails: taakstelling is a whole number",
        [3],  # line 3 of the file: the header, the first half-year, then this one
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "TS001_2025-06.json",
            '{"school": {}}'.encode("utf-16"),  # Python's utf-16 writes the mark first
            "the file is not UTF-8: it is UTF-16 (it starts with UTF-16's byte order mark); "
            "save the file as UTF-8",
        ),
        ("TS001_2025-06.json", b"\xef\xbb\xbf{}", "the document starts with a byte order mark"),
        ("TS001_2025-06.json", b"\x00" * 100, "not valid JSON (line 1, column 1"),
        # Python's message ends "starting at": the position is where the string starts
        (
            "TS001_2025-06.json",
            b'{"school": {"naam": "Taal',
            "not valid JSON (Unterminated string starting at line 1, column 21)",  # the quote
        ),
    ],
)
def test_json_in_odd_encodings_is_refused_with_a_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    assert refused_because(check(TAALSCHOLEN, path)).startswith(reason)


UTF16_TEXT = "the file is not UTF-8: its first line holds zero bytes, as UTF-16 text does; "


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # é in Windows-1252 (byte 0xE9), inside a value of the row on line 2
        (
            f"{EXAMENS_HEADER}\n{BSNS[0]},2024-01-01,KNM,,GESLAAGD\xe9\n".encode("cp1252"),
            "the file is not UTF-8: line 2 holds byte 0xE9 (Windows-1252 reads it as 'é'); ",
        ),
        # 0x81 is no character in Windows-1252 either: only the byte is named
        (
            f"{EXAMENS_HEADER}\n{BSNS[0]},2024-01-01,KNM,,GESLAAGD".encode() + b"\x81\n",
            "the file is not UTF-8: line 2 holds byte 0x81; ",
        ),
        # without its mark, UTF-16's ASCII header is every other byte zero
        (f"{EXAMENS_HEADER}\n".encode("utf-16-le"), UTF16_TEXT),
        (b"\x00\x01\x02" * 50, UTF16_TEXT),
    ],
)
def test_csv_in_odd_encodings_is_refused_saying_what_the_bytes_are(tmp_path, data, reason):
    path = tmp_path / "examens_2025-06.csv"
    path.write_bytes(data)
    assert refused_because(check(DUO, path)) == reason + "save the file as UTF-8"


def test_lines_ending_in_a_carriage_return_alone_are_named_as_such(tmp_path):
    """sources.md: line endings \\r\\n or \\n. A file saved with CR alone was refused as
    'missing required column(s) resultaat': the header ran into the first row."""
    rows = [f"{b},2024-01-01,KNM,,GESLAAGD" for b in BSNS[:3]]
    path = tmp_path / "examens_2025-06.csv"
    path.write_bytes("\r".join([EXAMENS_HEADER, *rows, ""]).encode())
    assert refused_because(check(DUO, path)) == (
        "its lines end in a carriage return alone (as old Mac files do); the contract asks "
        "for Windows (CRLF) or Unix (LF) line endings"
    )


def test_a_row_with_too_few_values_is_named_by_its_row_without_quoting_it(tmp_path):
    """pyarrow's message quotes the row, bsn included; the report names the row instead."""
    rows = [f"{b},2024-01-01,KNM,,GESLAAGD" for b in BSNS[:3]]
    rows[1] = f"{BSNS[1]},2024-01-01,KNM"  # line 3 of the file
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")
    reason = refused_because(check(DUO, path))
    assert reason == (
        "not a well-formed CSV file: row 3 has 3 value(s) where the header has 5 "
        "(delimiter ','; a value holding it must be quoted)"
    )


BLOCK = 1 << 20  # pyarrow reads a CSV in blocks of 1 MiB
[EXAMENS_KIND] = [kind for kind in DUO.kinds if kind.name == "examens"]


def examens_rows(count: int) -> list[str]:
    return [f"{BSNS[i % len(BSNS)]},2024-01-01,KNM,,GESLAAGD" for i in range(count)]


def test_a_quote_never_closed_in_a_file_of_several_blocks_refuses_it_at_its_row(tmp_path):
    """Row 3 (the second data row) opens a quote that nothing closes, in a file of about
    1.4 MiB: the quote makes one value of the rest of the file, so row 3 has 2 values. pyarrow
    cutting blocks at every line break used to drop the rest of the first block instead (over
    10,000 rows) and accept the file without a word."""
    rows = examens_rows(40_000)
    rows[1] = f'{BSNS[1]},"2024-01-01,KNM,,GESLAAGD'
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")
    assert path.stat().st_size > BLOCK
    assert refused_because(check(DUO, path)) == (
        "not a well-formed CSV file: row 3 has 2 value(s) where the header has 5 "
        "(delimiter ','; a value holding it must be quoted)"
    )


def test_quoted_line_breaks_across_a_block_boundary_keep_every_row(tmp_path):
    """Every row within 4 KiB of the first block's end has a quoted line break in its
    `niveau`: each is one value, and all 40,000 rows are read, numbered as a spreadsheet
    shows them (one row per record: the header is row 1)."""
    rows, size, broken = [], len(EXAMENS_HEADER) + 1, []
    for i, row in enumerate(examens_rows(40_000)):
        if abs(size - BLOCK) < 4096:
            row = row.replace(",,", ',"B\n1",')
            broken.append(i)
        rows.append(row)
        size += len(row) + 1
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")

    [table] = EXAMENS_KIND.parse(path, None).tables.values()

    assert table.num_rows == 40_000
    niveau = table.column("niveau").to_pylist()
    assert [i for i, value in enumerate(niveau) if value] == broken
    assert set(niveau[broken[0] : broken[-1] + 1]) == {"B\n1"}
    assert table.column(ROW_NUMBER).to_pylist()[-1] == 40_001


def test_a_value_of_megabytes_is_read_whole(tmp_path):
    """A record longer than pyarrow's block: read with the file as one block, not refused as
    'straddling object straddles two block boundaries'."""
    long = "x" * (2 * BLOCK)
    rows = [*examens_rows(2), f"{BSNS[2]},2024-01-01,KNM,{long},GESLAAGD"]
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")

    [table] = EXAMENS_KIND.parse(path, None).tables.values()

    assert table.column("niveau").to_pylist() == ["", "", long]


def test_rows_past_an_empty_line_are_numbered_as_a_spreadsheet_shows_them_past_long_values(
    tmp_path,
):
    """Row 2, an empty line (row 3), then row 4 with a quoted value of 200 KiB, more than the
    csv module takes by default: the rows are 2 and 4, not 2 and 3 as in record order."""
    long = "x" * (200 << 10)
    rows = [*examens_rows(1), "", f'{BSNS[1]},2024-01-01,KNM,"{long}",GESLAAGD']
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")

    [table] = EXAMENS_KIND.parse(path, None).tables.values()

    assert table.column(ROW_NUMBER).to_pylist() == [2, 4]


def test_any_other_failure_while_reading_refuses_that_file_and_names_the_error(tmp_path):
    """A reader bug or a library's surprise must not stop the source: the file is refused."""

    def broken(path, file):
        return {}["no such table"]

    source = Source(
        name="probe",
        title="Probe",
        kinds=(
            DeliveryKind(
                name="probe",
                pattern=r"probe_(?P<period>\d{4}-\d{2})\.csv",
                period="month",
                tables=(),
                parse=broken,
                deliverer="P",
            ),
        ),
    )
    path = write_text(tmp_path / "probe_2025-06.csv", "a\n1\n")
    assert refused_because(check(source, path)) == (
        "the file could not be read (KeyError: 'no such table')"
    )


def test_an_unforeseen_error_quoting_a_value_has_identifiers_masked(tmp_path):
    def quoting(path, file):
        return int(f"{BSNS[0]}x")

    source = Source(
        name="probe",
        title="Probe",
        kinds=(
            DeliveryKind("probe", r"probe_(?P<period>\d{4}-\d{2})\.csv", "month", (), quoting, "P"),
        ),
    )
    path = write_text(tmp_path / "probe_2025-06.csv", "a\n1\n")
    reason = refused_because(check(source, path))
    assert BSNS[0] not in reason
    assert reason == (
        "the file could not be read (ValueError: invalid literal for int() with base 10: "
        f"'{BSNS[0][:2]}*******x')"
    )


# --- names that look right ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "valid"),
    [
        (WERK_INKOMEN, "GM0344_2025-06.XLSX", "GM0344_2025-06.xlsx"),  # Windows' capitals
        (WERK_INKOMEN, "GM0344_2025-06 (1).xlsx", "GM0344_2025-06.xlsx"),  # a browser's copy
        (WERK_INKOMEN, "GM0344_2025-06 - kopie.xlsx", "GM0344_2025-06.xlsx"),  # Windows' copy
        (WERK_INKOMEN, "gm0344_2025-06.xlsx", "GM0344_2025-06.xlsx"),
        (WERK_INKOMEN, "GM0344-2025-06.xlsx", "GM0344_2025-06.xlsx"),
        (WERK_INKOMEN, "GM0344_2025-6.xlsx", "GM0344_2025-06.xlsx"),
        (DUO, "EXAMENS_2025_06 (2).CSV", "examens_2025-06.csv"),  # four slips at once
        (WERK_INKOMEN, "rapport juni.xlsx", None),  # nothing near: no guess
    ],
)
def test_a_name_a_slip_away_from_a_valid_one_says_which_name_it_would_be(
    tmp_path, source, name, valid
):
    """Still refused (the contract's names are exact, nothing is silently renamed); the
    reason names the valid name the supplier most likely meant."""
    path = write_text(tmp_path / name, "x\n")
    expected = f"the file name does not match; expected one of: {expected_names(source)}"
    if valid:
        expected += f"; as {valid} it would be a valid name: rename the file and deliver it again"
    assert refused_because(check(source, path)) == expected


@pytest.mark.parametrize("name", ["examens_2025-13.csv", "examens_2025-00.csv"])
def test_a_name_whose_month_is_no_month_says_so(tmp_path, name):
    path = write_text(tmp_path / name, "x\n")
    month = name.removeprefix("examens_").removesuffix(".csv")
    assert refused_because(check(DUO, path)) == (
        f"the file name does not match; expected one of: {expected_names(DUO)}; {month} is no "
        "month (YYYY-MM, the month 01 to 12)"
    )


def test_a_file_name_with_a_cyrillic_letter_says_which_and_what_it_looks_like(tmp_path):
    name = "k\u043eppelingen_2025-06.csv"  # о, CYRILLIC SMALL LETTER O
    path = write_text(tmp_path / name, f"{KOPPELINGEN_HEADER}\n")
    reason = refused_because(check(COA, path))
    assert reason == (
        "the file name k\\u043eppelingen_2025-06.csv contains U+043E CYRILLIC SMALL LETTER O "
        "at character 2, which looks like 'o'; typed plainly it reads koppelingen_2025-06.csv, "
        "a valid name: rename the file and deliver it again"
    )


def test_a_file_name_with_an_invisible_character_says_where_it_is(tmp_path):
    name = "examens_2025-06\u200b.csv"
    path = write_text(tmp_path / name, f"{EXAMENS_HEADER}\n")
    reason = refused_because(check(DUO, path))
    assert "an invisible U+200B ZERO WIDTH SPACE at character 16" in reason
    assert "typed plainly it reads examens_2025-06.csv, a valid name" in reason


def test_a_line_break_or_a_trailing_space_in_a_name_is_named_and_written_out(tmp_path):
    """A line break in a name was "U+000A unnamed character" and broke the run's log line
    in two; a space after the name got no hint at all."""
    broken = write_text(tmp_path / "examens_2025-06\n.csv", f"{EXAMENS_HEADER}\n")
    assert refused_because(check(DUO, broken)) == (
        "the file name examens_2025-06\\n.csv contains an invisible U+000A LINE FEED at "
        "character 16; typed plainly it reads examens_2025-06.csv, a valid name: rename the "
        "file and deliver it again"
    )
    spaced = write_text(tmp_path / "examens_2025-06.csv ", f"{EXAMENS_HEADER}\n")
    assert refused_because(check(DUO, spaced)).endswith(
        "; as examens_2025-06.csv it would be a valid name: rename the file and deliver it again"
    )


def test_a_school_document_with_a_byte_order_mark_is_told_how_to_save_it(tmp_path):
    """Python's parser said "Unexpected UTF-8 BOM (decode using utf-8-sig)": advice to a
    programmer. sources.md allows a byte order mark in the CSV files only."""
    path = write_school(tmp_path, "TS001", "2025-06", [deelnemer(BSNS[0])])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert refused_because(check(TAALSCHOLEN, path)) == (
        "the document starts with a byte order mark (bytes EF BB BF), which a JSON document "
        "may not; save it as UTF-8 without a byte order mark"
    )


def test_digits_of_another_script_are_not_a_period(tmp_path):
    """Python's \\d matches ٢ (ARABIC-INDIC DIGIT TWO); the contract's months are ASCII."""
    name = "examens_\u0662\u0660\u0662\u0665-06.csv"
    path = write_text(tmp_path / name, f"{EXAMENS_HEADER}\n")
    assert identify(DUO, path).kind is None
    reason = refused_because(check(DUO, path))
    assert "U+0662 ARABIC-INDIC DIGIT TWO at character 9, which looks like '2'" in reason
    assert "typed plainly it reads examens_2025-06.csv" in reason


def test_a_non_breaking_hyphen_in_a_name_that_would_still_not_match(tmp_path):
    name = "examens_2025\u201113.csv"
    path = write_text(tmp_path / name, f"{EXAMENS_HEADER}\n")
    reason = refused_because(check(DUO, path))
    assert "U+2011 NON-BREAKING HYPHEN at character 13, which looks like '-'" in reason
    # month 13: even typed plainly it is no valid name
    assert reason.endswith(
        "expected one of: inburgeringsplichtigen_<YYYY-MM>.csv, examens_<YYYY-MM>.csv"
    )


def test_a_monthly_snapshot_named_for_a_month_not_begun_is_refused_and_a_plan_for_next_year_is_not(
    tmp_path,
):
    """sources.md: the month in a name is that of the extract's peildatum, the day it was
    taken. Received on 30 June 2025, a July snapshot cannot be one (a typo: the file would
    stay COA's current snapshot and every real month after it history); a June one, taken
    that day, is accepted, and so is the taakstelling for 2026, a plan."""
    june_30 = dt.date(2025, 6, 30)
    rows = "\n".join([KOPPELINGEN_HEADER, koppeling("0000000001", BSNS[0])])
    july = write_text(tmp_path / "koppelingen_2025-07.csv", rows)
    assert refused_because(check(COA, july, received=june_30)) == (
        "the file name's month 2025-07 has not begun: the file arrived on 2025-06-30, and the "
        "month in its name is that of the day the extract was taken; rename the file and "
        "deliver it again"
    )
    june = write_text(tmp_path / "koppelingen_2025-06.csv", rows)
    assert check(COA, june, received=june_30).status == "accepted"
    plan = write_taakstelling(tmp_path / "landing", 2026)
    assert check(COA, plan, received=june_30).status == "accepted"


# --- reports: what fails, at which rows --------------------------------------------------------


def test_a_report_line_says_how_many_rows_fail_which_rule():
    violation = Violation(rule="bsn is present", table="t", rows=[2, 3], count=1_000_000)
    assert violation.summary() == "1,000,000 rows fail: bsn is present"


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them_past_empty_lines_and_quoted_breaks(
    tmp_path,
):
    """Line 1 the header, 2 a good row, 3 empty, 4-5 one row with a quoted line break in its
    huishouden_nr, 6 a row whose date does not exist: a spreadsheet shows that last one as
    row 5 (the quoted break stays inside one cell), and an editor as line 6."""
    good = koppeling("0000000001", BSNS[0])
    quoted = koppeling("0000000002", BSNS[1], huishouden_nr='"H1\nH2"')
    bad = koppeling("0000000003", BSNS[2], geboortedatum="31-02-1990")
    path = write_text(
        tmp_path / "koppelingen_2025-06.csv", "\n".join([KOPPELINGEN_HEADER, good, "", quoted, bad])
    )
    [violation] = check(COA, path).violations
    assert (violation.rule, violation.rows) == ("geboortedatum is a date dd-mm-jjjj", [5])


def test_workbook_rows_are_numbered_as_excel_shows_them_past_an_empty_row(tmp_path):
    """Excel row 1 the header, 2 and 3 good, 4 empty, 5 an intake with an unknown answer."""
    good = [[b, dt.date(2023, 1, 1), "J"] for b in BSNS[:2]]
    path = write_workbook(
        tmp_path / "GM0344_2025-06.xlsx",
        {"intakes": [*good, [None, None, None], [BSNS[2], dt.date(2023, 1, 1), "?"]]},
    )
    outcome = check(WERK_INKOMEN, path)
    # 1 of 3 intakes is above the 1% tolerance: the workbook is refused and the row named
    [violation] = outcome.violations
    assert [(c.rule, c.rows) for c in violation.causes] == [("noa_assessment is one of J, N", [5])]
    report = render_report(outcome)
    assert "- 1 of 3 rows (33.3%) fail row rules, more than the 1% that may be dropped " in report
    assert "(sheet intakes):\n  - 1 row fails: noa_assessment is one of J, N; row 5\n" in report
    assert "Row numbers are those Excel shows: the header is row 1" in report


def test_a_column_given_twice_is_refused_not_read_from_one_of_the_two(tmp_path):
    """Which of two `bsn` columns holds the bsn is not for the reader to guess: the workbook
    reader took the last one without a word, the CSV reader refused with pyarrow's words."""
    rows = [f"{b},2024-01-01,KNM,,GESLAAGD,{BSNS[0]}" for b in BSNS[1:4]]
    csv_path = write_text(
        tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER + ",bsn", *rows])
    )
    intakes = [[b, dt.date(2023, 1, 1), "J", BSNS[0]] for b in BSNS[1:4]]
    xlsx_path = write_workbook(
        tmp_path / "GM0344_2025-06.xlsx",
        {"intakes": intakes},
        headers={"intakes": ["bsn", "datum_intake", "noa_assessment", "bsn"]},
    )
    assert refused_because(check(DUO, csv_path)) == "the header holds column(s) bsn more than once"
    assert refused_because(check(WERK_INKOMEN, xlsx_path)) == (
        "sheet intakes holds column(s) bsn more than once"
    )


LOST_ZERO = (
    "row(s) hold a bsn of fewer than 9 digits: a bsn that starts with 0 loses it where a "
    "spreadsheet takes it for a number (012345678 becomes 12345678), in a workbook or when "
    "Excel opens and saves a CSV; keep the bsn column as text and deliver again"
)


def test_bsns_excel_stored_as_numbers_are_said_to_have_lost_their_leading_zero(tmp_path):
    """Intakes on Excel rows 2 to 4: row 2's bsn a text cell, rows 3 and 4 typed as numbers,
    row 3's bsn 010000008 (Excel keeps 10000008, 8 digits), row 4's 300000005 (all 9 kept).
    Only row 3 fails the elfproef, 1 of 3 rows, above the 1% that may be dropped; the report
    says why that bsn, valid to the supplier, fails, and names row 3 alone."""
    zero, nine = valid_bsns(1, start=10_000_000)[0], BSNS[0]
    assert (zero, nine) == ("010000008", "300000005")
    intakes = [
        [BSNS[1], dt.date(2023, 1, 1), "J"],
        [int(zero), dt.date(2023, 1, 1), "J"],
        [int(nine), dt.date(2023, 1, 1), "J"],
    ]
    outcome = check(
        WERK_INKOMEN, write_workbook(tmp_path / "GM0344_2025-06.xlsx", {"intakes": intakes})
    )
    report = render_report(outcome)
    assert "  - 1 row fails: bsn passes the elfproef; row 3\n" in report
    assert f"- 1 {LOST_ZERO} (sheet intakes)\n  row 3\n" in report


def test_a_csv_excel_opened_and_saved_is_said_to_have_lost_its_bsns_leading_zeros(tmp_path):
    """Excel opens examens.csv, takes 010000008 on line 3 for a number and saves 10000008:
    1 of 3 rows fails the elfproef, and the report says why, naming row 3."""
    zero = valid_bsns(1, start=10_000_000)[0]
    rows = [f"{b},2024-01-01,KNM,,GESLAAGD" for b in (BSNS[0], zero.lstrip("0"), BSNS[1])]
    path = write_text(tmp_path / "examens_2025-06.csv", "\n".join([EXAMENS_HEADER, *rows]) + "\n")
    report = render_report(check(DUO, path))
    assert "  - 1 row fails: bsn passes the elfproef; row 3\n" in report
    assert f"- 1 {LOST_ZERO}\n  row 3\n" in report


def test_a_workbook_date_typed_as_text_or_a_number_is_said_to_be_no_date_cell(tmp_path):
    """sources.md §3: dates are Excel date cells. Row 2 holds the text 01-02-2023, row 3 the
    number 45000 (a date's serial without a date format), row 4 a real date cell: rows 2
    and 3 fail, named for what the municipality sees, not as ISO text it never typed."""
    intakes = [
        [BSNS[0], "01-02-2023", "J"],
        [BSNS[1], 45000, "J"],
        [BSNS[2], dt.date(2023, 2, 1), "J"],
    ]
    outcome = check(
        WERK_INKOMEN, write_workbook(tmp_path / "GM0344_2025-06.xlsx", {"intakes": intakes})
    )
    assert "- 2 rows fail: datum_intake is an Excel date cell (sheet intakes)\n  rows 2, 3\n" in (
        render_report(outcome)
    )


def test_the_first_data_row_of_a_csv_is_row_2_in_the_report(tmp_path):
    rows = [koppeling(f"{i:010d}", BSNS[i]) for i in range(3)]
    rows.append(koppeling("0000000001", BSNS[3]))  # v_nummer of the first row again
    path = write_text(tmp_path / "koppelingen_2025-06.csv", "\n".join([KOPPELINGEN_HEADER, *rows]))
    outcome = check(COA, path)
    report = render_report(outcome)
    assert "- 2 rows fail: v_nummer is unique in the file\n  rows 3, 5\n" in report
    assert (tmp_path / "staging").exists() is False  # nothing staged for a refused file


def test_the_current_snapshot_is_the_newest_accepted_period_then_the_latest_version():
    """The rule of sources.md, in its one place (ingest/warehouse.py; dbt's
    int_deliveries__current selects what it marks). GM0344's June workbook was refused, so May
    stays current; COA's corrected June file (received second) replaces the first June file,
    and a May file received after both does not displace June."""
    from ingest.warehouse import current_deliveries

    def entry(hash_, kind, deliverer, period, status, seq):
        return {
            "delivery_hash": hash_,
            "kind": kind,
            "deliverer": deliverer,
            "period": period,
            "status": status,
            "received_seq": seq,
        }

    log = [
        entry("wi_may", "werk_inkomen", "GM0344", "2025-05", "accepted", 1),
        entry("wi_june", "werk_inkomen", "GM0344", "2025-06", "refused", 2),
        entry("coa_june_1", "koppelingen", "COA", "2025-06", "accepted", 1),
        entry("coa_june_2", "koppelingen", "COA", "2025-06", "accepted", 2),
        entry("coa_may", "koppelingen", "COA", "2025-05", "accepted", 3),
    ]
    assert [e["delivery_hash"] for e in current_deliveries(log)] == ["coa_june_2", "wi_may"]


def test_a_school_document_refused_on_its_school_object_names_no_row_and_explains_none(tmp_path):
    """The school object of TS002's file names school TS003: the rule fails once, on an object
    that is not in a list, so the report has no row numbers, and no sentence on how rows are
    numbered (it explained numbering with no row to find)."""
    path = write_school(
        tmp_path,
        "TS002",
        "2025-06",
        [deelnemer(BSNS[0])],
        school={"code": "TS003", "naam": "Taalschool", "keurmerk": True},
    )
    report = render_report(check(TAALSCHOLEN, path))
    assert "school.code equals the file name's school code" in report
    assert "row" not in report.split("school code", 1)[1]
    assert "Row numbers" not in report


def test_a_file_refused_for_its_structure_fails_its_tables_checks_and_drops_no_rows(tmp_path):
    """DUO's exams without the column onderdeel, and an empty school document, never reach a
    suite: their checks showed green with "0 deliveries validated" beside a refused file.
    The exams fail the examens check only (not inburgeringsplichtigen's); the empty document,
    wrong as a whole, fails its only table's check. A refused file drops no rows."""
    from pipelines.defs.ingestion import _check_result

    header = EXAMENS_HEADER.replace(",onderdeel", "")
    rows = [f"{b},2024-01-01,,GESLAAGD" for b in BSNS[:20]]
    exams = check(DUO, write_text(tmp_path / "examens_2025-06.csv", "\n".join([header, *rows])))
    empty = check(TAALSCHOLEN, write_text(tmp_path / "TS001_2025-06.json", ""))
    assert exams.status == empty.status == "refused"
    verdicts = {
        name: _check_result(name, outcomes)
        for name, outcomes in {
            "duo__examens": [exams],
            "duo__inburgeringsplichtigen": [exams],
            "taalscholen__deelnemers": [empty],
        }.items()
    }
    assert {name: result.passed for name, result in verdicts.items()} == {
        "duo__examens": False,
        "duo__inburgeringsplichtigen": True,
        "taalscholen__deelnemers": False,
    }
    refused = verdicts["duo__examens"].metadata["refused_files"].value
    assert refused == ["examens_2025-06.csv"]
    assert all(result.metadata["dropped_rows"].value == 0 for result in verdicts.values())
