"""The event log that keeps its connections open (pipelines/event_log.py).

Read back through Dagster's own SQLite event log on the same folder, as the UI and
`dagster` would read it, and followed by Dagster's own watcher, as the UI follows a run.
"""

import glob
import logging
import os
import threading
import time
from pathlib import Path

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from cli.commands import dagster_yaml
from pipelines.event_log import KEEP_RUNS, MonitorEventLogStorage


def _instance(home: Path) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml(home))
    return dg.DagsterInstance.from_config(str(home))


def _line(run_id: str, text: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level=logging.INFO, user_message=text, run_id=run_id, timestamp=time.time()
    )


@dg.asset
def counted() -> int:
    return 3


@dg.asset
def doubled(counted: int) -> int:
    return 2 * counted


@dg.asset_check(asset=doubled)
def doubled_is_even(doubled: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=doubled % 2 == 0)


def test_a_run_reads_back_through_dagsters_own_event_log(tmp_path):
    """A real materialisation: every event, materialisation and check evaluation it stored is
    there for Dagster's stock SQLite event log, in the usual folder (history/runs)."""
    home = tmp_path / "dagster"
    with _instance(home) as instance:
        assert isinstance(instance.event_log_storage, MonitorEventLogStorage)
        result = dg.materialize([counted, doubled, doubled_is_even], instance=instance)
        assert result.success
        stored = instance.all_logs(result.run_id)
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    again = stock.get_logs_for_run(result.run_id)
    assert [e.dagster_event_type for e in again] == [e.dagster_event_type for e in stored]
    # the cross-run index too: what the UI's asset pages read
    for key in ("counted", "doubled"):
        latest = stock.get_latest_materialization_events([dg.AssetKey(key)])
        assert latest[dg.AssetKey(key)].run_id == result.run_id
    evaluations = [e for e in again if e.dagster_event_type == "ASSET_CHECK_EVALUATION"]
    assert len(evaluations) == 1 and evaluations[0].dagster_event.event_specific_data.passed


def test_dagsters_watcher_sees_each_event_as_it_is_stored(tmp_path):
    """The UI follows a running run through Dagster's watcher on the run's .db file. Each
    event must reach it while the writer still holds its connection open."""
    home = tmp_path / "dagster"
    seen: list[str] = []
    arrived = threading.Event()

    def callback(entry, _cursor):
        seen.append(entry.user_message)
        arrived.set()

    with _instance(home) as instance:
        storage = instance.event_log_storage
        storage.store_event(_line("r1", "first"))
        watcher = SqliteEventLogStorage(str(home / "history" / "runs"))
        watcher.watch("r1", None, callback)
        try:
            for text in ("second", "third"):
                arrived.clear()
                storage.store_event(_line("r1", text))
                assert arrived.wait(10), f"the watcher did not see {text!r}"
                assert seen[-1] == text
        finally:
            watcher.end_watch("r1", callback)
            watcher.dispose()


def test_open_files_stay_bounded_and_wipe_starts_clean(tmp_path):
    """Writing to many runs keeps only the index and the last few runs' databases open; after
    a wipe, new events go to new files, not to the deleted ones."""
    home = tmp_path / "dagster"
    runs = home / "history" / "runs"

    def open_databases() -> set[str]:
        names = set()
        for fd in glob.glob(f"/proc/{os.getpid()}/fd/*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith(str(runs)) and target.endswith(".db"):
                names.add(Path(target).stem)
        return names

    with _instance(home) as instance:
        storage = instance.event_log_storage
        for n in range(KEEP_RUNS + 6):
            storage.store_event(_line(f"run{n}", f"event of run {n}"))
        opened = open_databases()
        assert opened == {"index", *(f"run{n}" for n in range(6, KEEP_RUNS + 6))}
        # every run's event is stored, open or not
        for n in range(KEEP_RUNS + 6):
            assert [e.user_message for e in storage.get_logs_for_run(f"run{n}")] == [
                f"event of run {n}"
            ]
        storage.wipe()
        assert storage.get_logs_for_run("run9") == []
        storage.store_event(_line("run9", "after the wipe"))
        assert (runs / "run9.db").exists()
        stock = SqliteEventLogStorage(str(runs))
        assert [e.user_message for e in stock.get_logs_for_run("run9")] == ["after the wipe"]
