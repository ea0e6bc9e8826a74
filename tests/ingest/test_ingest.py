"""Ingestion end to end: real Dagster runs of the `monitor` job against a real DuckDB file."""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pytest

from ingest.deliveries import sha256_of
from ingest.pseudonym import Pseudonymiser
from tests.builders import (
    KOPPELINGEN_HEADER,
    deelnemer,
    koppeling,
    valid_bsns,
    write_duo,
    write_koppelingen,
    write_minimal_landing,
    write_school,
    write_text,
    write_workbook,
)
from tests.conftest import TEST_KEY, query, run

pytestmark = pytest.mark.slow

RAW_TABLES = [
    "coa__koppelingen",
    "coa__taakstelling",
    "duo__inburgeringsplichtigen",
    "duo__examens",
    "werk_inkomen__uitkeringen",
    "werk_inkomen__dienstverbanden",
    "werk_inkomen__trajecten",
    "werk_inkomen__intakes",
    "taalscholen__scholen",
    "taalscholen__deelnemers",
]


def current_hashes(data_dir: Path, table: str) -> set[str]:
    return {row[0] for row in query(data_dir, f"select distinct _delivery_hash from raw.{table}")}


def sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_loads_every_source_with_lineage_and_publishes_a_release(pipeline_env):
    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    assert run(landing, data_dir, job="monitor") == 0

    counts = {t: query(data_dir, f"select count(*) from raw.{t}")[0][0] for t in RAW_TABLES}
    assert counts == {
        "coa__koppelingen": 4,
        "coa__taakstelling": 2,
        "duo__inburgeringsplichtigen": 3,
        "duo__examens": 3,
        "werk_inkomen__uitkeringen": 1,
        "werk_inkomen__dienstverbanden": 1,
        "werk_inkomen__trajecten": 1,
        "werk_inkomen__intakes": 1,
        "taalscholen__scholen": 1,
        "taalscholen__deelnemers": 2,
    }
    koppelingen = landing / "coa" / "koppelingen_2025-06.csv"
    assert query(
        data_dir, "select distinct _delivery_hash, _deliverer, _peildatum from raw.coa__koppelingen"
    ) == [(sha(koppelingen), "COA", dt.date(2025, 6, 30))]
    assert query(
        data_dir, "select distinct _deliverer, _peildatum from raw.taalscholen__deelnemers"
    ) == [("TS001", dt.date(2025, 6, 28))]
    # the person without bsn is kept, with an unknown pseudonym
    assert query(
        data_dir, "select count(*) from raw.coa__koppelingen where bsn_pseudoniem is null"
    ) == [(1,)]

    assert (data_dir / "archive" / "coa" / f"{sha(koppelingen)}.csv").read_bytes() == (
        koppelingen.read_bytes()
    )
    latest = data_dir / "releases" / "latest"
    assert latest.is_symlink() and latest.resolve() == data_dir / "releases" / "1.0.0"
    manifest = json.loads((latest / "deliveries.json").read_text())
    assert {d["file"] for d in manifest} == {p.name for p in landing.rglob("*") if p.is_file()}
    # Four persons: every population is below 10, so the release withholds them all, says so,
    # and the audit that let it through is in the release.
    disclosure = json.loads((latest / "disclosure.json").read_text())
    assert disclosure["audit"]["passed"] and disclosure["parameters"]["min_population"] == 10
    assert disclosure["resources"]["indicatoren"]["share_withheld"] == 1.0
    assert "Disclosure control" in (latest / "disclosure.md").read_text()


def test_pseudonyms_link_sources_under_the_key_and_change_with_another_key(pipeline_env):
    landing, data_dir = pipeline_env
    bsns = write_minimal_landing(landing)
    assert run(landing, data_dir) == 0
    expected = Pseudonymiser(TEST_KEY.encode()).pseudonym("bsn", bsns[0])
    for table in ("coa__koppelingen", "duo__examens", "werk_inkomen__intakes"):
        assert (expected,) in query(data_dir, f"select bsn_pseudoniem from raw.{table}")

    os.environ["STATUSHOUDERS_PSEUDONYM_KEY"] = "another-key-that-is-long-enough"
    assert run(landing, data_dir) == 0
    other = Pseudonymiser(b"another-key-that-is-long-enough").pseudonym("bsn", bsns[0])
    for table in ("coa__koppelingen", "duo__examens", "werk_inkomen__intakes"):
        pseudonyms = {row[0] for row in query(data_dir, f"select bsn_pseudoniem from raw.{table}")}
        assert other in pseudonyms and expected not in pseudonyms


def test_no_raw_identifier_reaches_the_warehouse_the_run_log_or_event_metadata(pipeline_env):
    landing, data_dir = pipeline_env
    bsns = write_minimal_landing(landing)
    # a refused file too: its report and log lines must not echo identifiers either
    write_text(landing / "duo" / "examens_2025-07.csv", f"bsn,examendatum\n{bsns[0]},x\n")
    assert run(landing, data_dir) == 0
    identifiers = [*bsns, "0000000001", "0000000002", "0000000003", "0000000004"]

    tables = query(
        data_dir,
        "select table_schema, table_name from information_schema.tables",
    )
    for schema, table in tables:
        dump = str(query(data_dir, f'select * from "{schema}"."{table}"'))
        assert not [i for i in identifiers if i in dump], f"{schema}.{table}"

    # everything Dagster stored: event log, run storage, captured compute logs
    dagster_home = data_dir / "dagster"
    stored = b"".join(p.read_bytes() for p in dagster_home.rglob("*") if p.is_file())
    assert stored, "the run left no Dagster storage to scan"
    assert not [i for i in identifiers if i.encode() in stored]

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        keys = instance.get_asset_keys()
        records = [
            r for key in keys for r in instance.fetch_materializations(key, limit=100).records
        ]
        metadata = str([r.asset_materialization.metadata for r in records])
    assert "refused" in metadata
    assert not [i for i in identifiers if i in metadata]

    for report in (data_dir / "quarantine").rglob("report.*"):
        assert not [i for i in identifiers if i in report.read_text()]


def test_the_same_bytes_again_change_nothing_and_corrected_bytes_replace_the_snapshot(
    pipeline_env, capfd
):
    """One published run, then the supplier re-delivers: the same bytes (a touched file) are
    nothing new, not even a release; corrected bytes for the same month replace the current
    snapshot and keep the earlier one as history. (Publishing the correction is the demo's
    test, test_demo_landing.py: a second full run here cost a minute.)"""
    landing, data_dir = pipeline_env
    bsns = write_minimal_landing(landing)
    assert run(landing, data_dir, job="monitor") == 0
    log_before = query(data_dir, "select * from raw.coa__deliveries order by received_seq")
    archive_before = sorted(p.name for p in (data_dir / "archive").rglob("*"))

    koppelingen = landing / "coa" / "koppelingen_2025-06.csv"
    first = sha(koppelingen)
    koppelingen.write_bytes(koppelingen.read_bytes())  # touched, same bytes
    assert run(landing, data_dir, job="monitor") == 0

    assert query(data_dir, "select * from raw.coa__deliveries order by received_seq") == log_before
    assert sorted(p.name for p in (data_dir / "archive").rglob("*")) == archive_before
    assert sorted(p.name for p in (data_dir / "releases").iterdir()) == ["1.0.0", "latest"]

    corrected = write_koppelingen(
        landing, "2025-06", [koppeling("0000000001", bsns[0], gemeente_code="GM0355")]
    )
    assert run(landing, data_dir, job="ingest") == 0

    assert current_hashes(data_dir, "coa__koppelingen") == {sha(corrected)}
    assert query(data_dir, "select gemeente_code from raw.coa__koppelingen") == [("GM0355",)]
    log = query(
        data_dir, "select delivery_hash, status from raw.coa__deliveries where kind = 'koppelingen'"
    )
    assert sorted(log) == sorted([(first, "accepted"), (sha(corrected), "accepted")])
    assert (data_dir / "archive" / "coa" / f"{first}.csv").exists()  # history is kept

    # June's corrected file sent again as July's: taken, and said to be a copy
    (landing / "coa" / "koppelingen_2025-07.csv").write_bytes(corrected.read_bytes())
    capfd.readouterr()
    assert run(landing, data_dir, job="ingest") == 0
    assert (
        "coa/koppelingen_2025-07.csv holds the same bytes as koppelingen_2025-06.csv, "
        "delivered before: a copy of an earlier snapshot?" in capfd.readouterr().err
    )


def test_a_newer_month_becomes_current_and_an_older_one_stays_history(pipeline_env):
    landing, data_dir = pipeline_env
    bsns = write_minimal_landing(landing)
    older = write_koppelingen(landing, "2025-05", [koppeling("0000000001", bsns[0])])
    assert run(landing, data_dir) == 0
    assert current_hashes(data_dir, "coa__koppelingen") == {
        sha(landing / "coa" / "koppelingen_2025-06.csv")
    }
    assert (data_dir / "archive" / "coa" / f"{sha(older)}.csv").exists()


def bad_deliveries(landing: Path, bsn: str) -> dict[str, tuple[str, str]]:
    """One refused delivery of each kind, all for July; file -> (source, rule in report)."""
    write_text(landing / "werk_inkomen" / "GM0344_2025-07.xlsx", "bsn;regeling\n")
    write_workbook(landing / "werk_inkomen" / "GM0355_2025-07.xlsx", drop="intakes")
    write_text(
        landing / "duo" / "examens_2025-07.csv",
        f"bsn,examendatum,onderdeel,niveau\n{bsn},2024-01-01,KNM,\n",
    )
    write_text(landing / "duo" / "inburgeringsplichtigen_2025-07.csv", "bsn,wet\n")
    write_text(landing / "duo" / "examens_2025-13.csv", f"bsn\n{bsn}\n")
    write_text(landing / "taalscholen" / "TS001_2025-07.json", '{"school": {')
    write_school(
        landing,
        "TS002",
        "2025-07",
        [deelnemer(bsn)],
        school={"code": "TS003", "naam": "Taalschool", "keurmerk": True},
    )
    (landing / "coa" / "koppelingen_2025-07.csv").write_bytes(
        f"{KOPPELINGEN_HEADER}\n{koppeling('0000000001', bsn, huishouden_nr='Ünal')}\n".encode(
            "utf-16"
        )
    )
    write_koppelingen(
        landing, "2025-08", [koppeling("0000000001", bsn, geboortedatum="31-02-1990")]
    )
    return {
        "GM0344_2025-07.xlsx": ("werk_inkomen", "not a readable xlsx workbook"),
        "GM0355_2025-07.xlsx": ("werk_inkomen", "missing required sheet intakes"),
        "examens_2025-07.csv": ("duo", "missing required column(s) resultaat"),
        "inburgeringsplichtigen_2025-07.csv": (
            "duo",
            "missing required column(s) inburgeringsplichtig",
        ),
        "examens_2025-13.csv": ("duo", "the file name does not match; expected one of"),
        "TS001_2025-07.json": ("taalscholen", "not valid JSON"),
        "TS002_2025-07.json": ("taalscholen", "school.code equals the file name's school code"),
        "koppelingen_2025-07.csv": ("coa", "the file is not UTF-8"),
        "koppelingen_2025-08.csv": (
            "coa",
            "- 1 row fails: geboortedatum is a date dd-mm-jjjj\n  row 2\n",
        ),
    }


def test_each_bad_delivery_is_quarantined_and_the_previous_snapshot_stays_current(pipeline_env):
    landing, data_dir = pipeline_env
    bsns = write_minimal_landing(landing)
    assert run(landing, data_dir) == 0
    before = {t: current_hashes(data_dir, t) for t in RAW_TABLES}

    bad = bad_deliveries(landing, bsns[0])
    assert run(landing, data_dir) == 0  # the run goes on and publishes from the good ones

    for name, (source, rule) in bad.items():
        folders = list((data_dir / "quarantine" / source).glob(f"{name}.*"))
        assert len(folders) == 1, name
        assert (folders[0] / name).read_bytes() == (landing / source / name).read_bytes()
        report = (folders[0] / "report.txt").read_text()
        assert f"Refused delivery: {source}/{name}" in report
        assert rule in report, (name, report)
        assert json.loads((folders[0] / "report.json").read_text())["status"] == "refused"
    assert {t: current_hashes(data_dir, t) for t in RAW_TABLES} == before

    report = json.loads(
        (
            next((data_dir / "quarantine" / "coa").glob("koppelingen_2025-08.csv.*"))
            / "report.json"
        ).read_text()
    )
    # the one data row under the header: row 2, as a spreadsheet shows the file
    assert report["violations"][0]["rows"] == [2] and report["violations"][0]["count"] == 1


def test_a_deep_json_an_empty_file_a_look_alike_name_and_a_month_to_come_are_quarantined(
    pipeline_env, capfd
):
    """The issue's files, and a workbook of Utrecht's named for June 2052 (2025 mistyped):
    each refused with its own reason as the run publishes, the other files of the same source
    still taken in. (Accepted, the 2052 workbook would be Utrecht's current snapshot until
    2052, and Utrecht's June workbook history.)"""
    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    june = landing / "werk_inkomen" / "GM0344_2025-06.xlsx"
    to_come = write_workbook(landing / "werk_inkomen" / "GM0344_2052-06.xlsx")  # no rows
    deep = write_text(
        landing / "taalscholen" / "TS002_2025-06.json",
        '{"school": ' + "[" * 10_000 + "]" * 10_000 + "}",
    )
    empty = landing / "duo" / "examens_2025-05.csv"
    empty.write_bytes(b"")
    look_alike = write_text(landing / "coa" / "k\u043eppelingen_2025-05.csv", KOPPELINGEN_HEADER)

    assert run(landing, data_dir, job="monitor") == 0
    out, err = capfd.readouterr()
    assert "Release 1.0.0 published" in out
    assert "4 new deliveries refused" in out
    assert "Traceback" not in out + err

    reasons = {
        deep: "the document nests 10,001 levels of arrays and objects",
        empty: "- the file is empty\n",
        look_alike: "contains U+043E CYRILLIC SMALL LETTER O at character 2, which looks like 'o'",
        to_come: "the file name's month 2052-06 has not begun",
    }
    for path, reason in reasons.items():
        [folder] = (data_dir / "quarantine" / path.parent.name).glob(f"{path.name}.*")
        assert (folder / path.name).read_bytes() == path.read_bytes()
        assert reason in (folder / "report.txt").read_text(), path.name
    # the school beside the deep document, the exams and the placements are all taken in
    assert query(
        data_dir, "select _deliverer, count(*) from raw.taalscholen__deelnemers group by 1"
    ) == [("TS001", 2)]
    assert query(data_dir, "select count(*) from raw.duo__examens")[0][0] == 3
    assert query(data_dir, "select count(*) from raw.coa__koppelingen")[0][0] == 4
    assert current_hashes(data_dir, "werk_inkomen__uitkeringen") == {sha(june)}


def test_a_refused_delivery_is_not_reprocessed_on_the_next_run(pipeline_env):
    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    write_text(landing / "duo" / "examens_2025-13.csv", "bsn\n")
    assert run(landing, data_dir) == 0
    log = query(data_dir, "select file_name, status, received_seq from raw.duo__deliveries")
    assert run(landing, data_dir) == 0
    assert query(data_dir, "select file_name, status, received_seq from raw.duo__deliveries") == log


def test_the_sensor_requests_an_ingest_run_for_files_the_delivery_logs_do_not_know(
    pipeline_env,
):
    """Before any run the logs are empty: every file is new. The first tick sees the files
    arrive and waits; the next finds them unchanged and asks for them, and they stay new (the
    same run key, which Dagster runs once) until a run has taken them in. A further file waits
    a tick while the others keep their key, then makes a new key."""
    from pipelines.defs.automation import landing_sensor
    from pipelines.defs.resources import MonitorResource

    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    monitor = MonitorResource(
        landing_dir=str(landing), data_dir=str(data_dir), warehouse_path=str(data_dir / "w.duckdb")
    )

    def evaluate(cursor):
        # a context manager: the monitor resource has a run lifecycle (it takes the data dir's
        # lock in a run; a sensor evaluates without one and takes nothing)
        with dg.build_sensor_context(cursor=cursor, resources={"monitor": monitor}) as context:
            return landing_sensor(context), context.cursor

    arriving, cursor = evaluate(None)
    assert isinstance(arriving, dg.SkipReason)
    # no tick before this one: nothing to have arrived since
    assert " first seen now, at the sensor's first tick: taken in once" in arriving.skip_message
    first, cursor = evaluate(cursor)
    assert isinstance(first, dg.RunRequest) and landing_sensor.job_name == "ingest"
    again, same = evaluate(cursor)
    assert isinstance(again, dg.RunRequest) and again.run_key == first.run_key
    assert same == cursor  # the hashes it caches
    write_duo(landing, "2025-07", valid_bsns(1))
    while_new, cursor = evaluate(cursor)
    assert isinstance(while_new, dg.RunRequest) and while_new.run_key == first.run_key
    after, _ = evaluate(cursor)
    assert isinstance(after, dg.RunRequest) and after.run_key != first.run_key


def ran_once(pipeline_env):
    """The minimal landing after one `statushouders run`, and the resource the sensors and
    the schedule are evaluated with: landing, data dir, monitor."""
    from pipelines.defs.resources import MonitorResource

    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    assert run(landing, data_dir) == 0
    monitor = MonitorResource(
        landing_dir=str(landing),
        data_dir=str(data_dir),
        warehouse_path=str(data_dir / "warehouse.duckdb"),
    )
    return landing, data_dir, monitor


def test_a_file_still_being_uploaded_is_not_refused_half_written(pipeline_env):
    """DUO uploads July: inburgeringsplichtigen at once, examens in two parts (a tick sees the
    first half: a header and a cut-off row). The next tick asks only for the finished file;
    its real ingest run leaves examens alone. Once examens stops changing a tick asks for it
    and it is accepted: no refusal, no quarantine, no alert for a file that was never bad."""
    from pipelines.definitions import defs
    from pipelines.defs.automation import landing_sensor

    landing, data_dir, monitor = ran_once(pipeline_env)

    with dg.instance_for_test() as instance:

        def tick(cursor):
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, resources={"monitor": monitor}
            ) as context:
                return landing_sensor(context), context.cursor

        def ingest(request):
            result = defs.resolve_job_def("ingest").execute_in_process(
                instance=instance, run_config=request.run_config, raise_on_error=False
            )
            assert result.success

        _, cursor = tick(None)
        plichtig, examens = write_duo(landing, "2025-07", valid_bsns(2))
        whole = examens.read_bytes()
        examens.write_bytes(whole[: len(whole) // 2])
        first, cursor = tick(cursor)  # both just arrived
        assert isinstance(first, dg.SkipReason)
        examens.write_bytes(whole)  # the upload goes on
        request, cursor = tick(cursor)
        assert isinstance(request, dg.RunRequest)
        named = request.run_config["ops"]["duo__deliveries"]["config"]["files"]
        assert named == [sha256_of(plichtig)]
        ingest(request)
        log = "select file_name, status from raw.duo__deliveries where file_name like '%2025-07%'"
        assert query(data_dir, log) == [(plichtig.name, "accepted")]

        later, cursor = tick(cursor)
        assert isinstance(later, dg.RunRequest) and later.run_key != request.run_key
        ingest(later)
    assert sorted(query(data_dir, log)) == [(examens.name, "accepted"), (plichtig.name, "accepted")]
    assert not list((data_dir / "quarantine").rglob("examens_2025-07*"))


def test_the_monthly_schedule_leaves_a_file_still_being_uploaded_for_a_later_run(pipeline_env):
    """06:00 on the 5th: DUO's inburgeringsplichtigen for July was written two minutes ago,
    its examens is still being uploaded (half of it, a header and a cut-off row, written
    now). The schedule has no previous tick to compare with, so its run takes a new file once
    it has not changed for a minute: it takes inburgeringsplichtigen and leaves examens, which
    is neither refused nor quarantined. Once examens is whole and a minute old, the next
    publishing run takes it. (The schedule's runs are of the whole graph; the deliveries steps
    they configure are the ingest job's, which runs here.)"""
    from pipelines.definitions import defs
    from pipelines.defs.automation import monthly

    landing, data_dir, monitor = ran_once(pipeline_env)
    plichtig, examens = write_duo(landing, "2025-07", valid_bsns(2))
    whole = examens.read_bytes()
    examens.write_bytes(whole[: len(whole) // 2])
    two_minutes_ago = dt.datetime.now().timestamp() - 120
    os.utime(plichtig, (two_minutes_ago, two_minutes_ago))
    log = "select file_name, status from raw.duo__deliveries where file_name like '%2025-07%'"

    with dg.instance_for_test() as instance:

        def publishing_run():
            with dg.build_schedule_context(
                instance=instance, resources={"monitor": monitor}
            ) as context:
                request = monthly(context)
            assert isinstance(request, dg.RunRequest) and monthly.job_name == "monitor"
            result = defs.resolve_job_def("ingest").execute_in_process(
                instance=instance, run_config=request.run_config, raise_on_error=False
            )
            assert result.success

        publishing_run()
        assert query(data_dir, log) == [(plichtig.name, "accepted")]
        assert not list((data_dir / "quarantine").rglob("examens_2025-07*"))

        examens.write_bytes(whole)
        os.utime(examens, (two_minutes_ago, two_minutes_ago))
        publishing_run()
    assert sorted(query(data_dir, log)) == [(examens.name, "accepted"), (plichtig.name, "accepted")]


def test_the_monthly_schedule_and_the_cut_sensor_target_the_whole_graph():
    from pipelines.definitions import defs

    schedule = defs.get_schedule_def("monthly")
    assert schedule.cron_schedule == "0 6 5 * *"
    assert schedule.job_name == "monitor"
    assert defs.get_sensor_def("cut_sensor").job_name == "monitor"


def test_run_with_a_missing_landing_folder_says_so_in_one_line(tmp_path, capsys):
    from cli.commands import main

    assert (
        main(["run", "--landing", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")]) == 2
    )
    err = capsys.readouterr().err
    assert err.strip() == f"statushouders: the landing folder {tmp_path / 'nope'} does not exist"


def test_run_with_nothing_acceptable_publishes_nothing_and_exits_non_zero(pipeline_env, capfd):
    landing, data_dir = pipeline_env
    write_text(landing / "duo" / "examens_2025-13.csv", "bsn\n")
    assert run(landing, data_dir, job="monitor") == 1
    out, err = capfd.readouterr()
    assert "no release published: no accepted deliveries" in out
    assert "Traceback" not in out + err
    assert not (data_dir / "releases" / "latest").exists()
    # said after ingestion, before dbt built the marts and disclosure control ran
    assert query(data_dir, "select count(*) from duckdb_schemas() where schema_name = 'marts'") == [
        (0,)
    ]
