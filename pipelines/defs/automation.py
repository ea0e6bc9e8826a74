"""When the graph runs: ingestion when a file arrives, publishing on the monthly cut.

- `landing_sensor` (every 60 s) runs the `ingest` job when the landing folder holds a file
  the delivery logs do not know: archive, check, quarantine, report and the refused-delivery
  alert, the same day the file arrives. It publishes nothing. A file is taken once a tick
  has seen it unchanged (size and time), so an upload in progress is not refused half
  written; the run takes in only the files the sensor named.
- `cut_sensor` (every 5 min) runs the `monitor` job once a month, as soon as every expected
  deliverer has delivered for the month (pipelines/cut.py); run key `cut-<month>`. Once that
  run, or any run whose release records the month's complete cut (release.json's `cut`), is
  done, its ticks say so, and what changes later waits for the schedule or the next cut.
- `monthly` runs the `monitor` job on the 5th for whoever has delivered by then.

The publishing runs have no previous tick to compare a file with: they take a new file once
it has not changed for a minute, and leave one still being uploaded for a later run.

Both publishing triggers skip when the latest release was made from the same inputs
(pipelines/inputs.py). What is new is decided from the warehouse's delivery logs, which
every run writes, whether the UI, a sensor or `statushouders run` started it: the sensors'
cursors only cache file hashes.
"""

import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from pipelines import inputs
from pipelines.cut import cut_run, cut_run_ended, cut_run_key, next_month, plan_cut
from pipelines.defs.ingestion import deliveries_op
from pipelines.defs.resources import MonitorResource
from sources import all_sources

monitor_job = dg.define_asset_job(
    name="monitor",
    selection=dg.AssetSelection.all(),
    description="Ingest every delivery, model the indicators, publish a release.",
)

# every source package's assets are grouped under the source's name
_SOURCE_GROUPS = dg.AssetSelection.groups(*(source.name for source in all_sources()))

ingest_job = dg.define_asset_job(
    name="ingest",
    selection=_SOURCE_GROUPS,
    description="Only take in the deliveries: archive, check, quarantine, load the raw tables.",
)

publish_job = dg.define_asset_job(
    name="publish",
    selection=dg.AssetSelection.all() - _SOURCE_GROUPS,
    description="Everything after ingestion, from the raw tables as they are: the indicators, "
    "their suites, disclosure control, the release.",
)


def _sources():
    return list(all_sources())


# The tag of a run `statushouders run` executes in its own process: that process, as
# `process_id()` gives it. The daemon's run monitoring watches the runs it launched; nobody
# watched these.
PROCESS_TAG = "statushouders/process"


def process_id(pid: int | None = None) -> str:
    """`<pid>` or, where /proc tells it, `<pid>:<start time>`, so a pid the system gave to
    another process since is not taken for the run's."""
    pid = pid or os.getpid()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return str(pid)
    # the fields after the program's name, which may hold spaces, in parentheses
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"


def fail_runs_left_behind(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Mark failed the runs `statushouders run` started whose process is gone (killed, out of
    memory, the machine restarted): they stayed "started" for good, and the run queue, one run
    at a time, waited behind them, so the sensors and the schedule ran nothing more."""
    left = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        tag = run.tags.get(PROCESS_TAG, "")
        pid = tag.split(":")[0]
        if not pid.isdigit() or _alive(int(pid), tag):
            continue
        instance.report_run_failed(
            run,
            message=f"the process of `statushouders run` (pid {pid}) ended before the run did: "
            "it was killed, ran out of memory or its machine stopped",
        )
        left.append(run)
    return left


def _alive(pid: int, tag: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return ":" not in tag or process_id(pid) == tag


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed a run `statushouders run` started whose process is gone, so "
    "that it does not hold the run queue, and the failure alert goes out.",
)
def runs_left_behind(context: dg.SensorEvaluationContext):
    left = fail_runs_left_behind(context.instance)
    if not left:
        return dg.SkipReason("no run of `statushouders run` was left behind")
    return dg.SkipReason(
        "marked failed, its process gone: " + ", ".join(r.run_id[:8] for r in left)
    )


def _state(monitor: MonitorResource) -> inputs.State:
    return inputs.read_state(monitor.root, monitor.warehouse_file, _sources())


def _hashes(cursor: str | None) -> dict:
    try:
        hashes = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    return hashes if isinstance(hashes, dict) else {}


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Ingests a file the delivery logs do not know yet, on the day it arrives. "
    "Publishes nothing: that waits for the cut.",
)
def landing_sensor(context: dg.SensorEvaluationContext, monitor: MonitorResource):
    try:
        state = _state(monitor)
    except inputs.WarehouseBusy as exc:
        return dg.SkipReason(f"{exc}; looking again at the next tick")
    first_tick = context.cursor is None
    hashes = _hashes(context.cursor)
    sources = _sources()
    changing: list[tuple[str, str, str]] = []
    new = inputs.new_files(monitor.landing, sources, state.logs, hashes, changing=changing)
    context.update_cursor(json.dumps(hashes, sort_keys=True))
    if not new:
        return dg.SkipReason("every file in the landing folder is in the delivery logs")
    # A file is taken in once the previous tick saw it with the same size and time: one still
    # being uploaded would be refused half written, and its supplier alerted for nothing.
    settled = [f for f in new if f not in changing]
    if not settled:
        when = (
            "first seen now, at the sensor's first tick"
            if first_tick
            else "arrived or changed since the previous tick"
        )
        return dg.SkipReason(f"{_names(new)} {when}: taken in once they have stopped changing")
    key = hashlib.sha256(json.dumps(sorted(settled)).encode()).hexdigest()
    waiting = len(new) - len(settled)
    context.log.info(
        f"{len(settled)} new files: {_names(settled)}"
        + (f"; {waiting} still changing wait for a later tick" if waiting else "")
    )
    files = {source.name: [sha for s, _, sha in settled if s == source.name] for source in sources}
    return dg.RunRequest(
        run_key=f"ingest-{key}",
        run_config={
            "ops": {deliveries_op(s): {"config": {"files": files[s.name]}} for s in sources}
        },
        tags={"statushouders/new_files": str(len(settled))},
    )


def _names(files: list[tuple[str, str, str]]) -> str:
    names = ", ".join(f"{source}/{name}" for source, name, _ in files[:5])
    return names + (f" and {len(files) - 5} more" if len(files) > 5 else "")


# A publishing run takes in a new landing file once it has not changed for this long (the
# landing sensor's interval): it has no previous tick to compare with, and it may start long
# after its tick, queued behind another run.
SETTLED_SECONDS = 60


def _publish_run(run_key: str | None) -> dg.RunRequest:
    config = {"config": {"settled_seconds": SETTLED_SECONDS}}
    return dg.RunRequest(
        run_key=run_key,
        run_config={"ops": {deliveries_op(source): config for source in _sources()}},
    )


def publish_request(
    monitor: MonitorResource, *, cut: bool, instance: dg.DagsterInstance | None = None
) -> dg.RunRequest | dg.SkipReason:
    """A monitor run unless the latest release was made from the same inputs; for the cut
    sensor, also only once every expected deliverer has delivered, and once a month (its
    `instance` holds the month's run, run key `cut-<month>`). The run leaves a landing file
    that is still changing for a later run."""
    try:
        state = _state(monitor)
    except inputs.WarehouseBusy as exc:
        if cut:
            return dg.SkipReason(f"{exc}; looking again at the next tick")
        # The schedule's tick comes once: the run queues and waits for the data dir.
        return _publish_run(None)
    sources = _sources()
    month = None
    if cut:
        planned = plan_cut(sources, state.logs)
        if planned.month is None:
            return dg.SkipReason("no monthly delivery has been accepted yet")
        if planned.missing:
            return dg.SkipReason(
                f"cut {planned.month}: {len(planned.missing)} of {len(planned.expected)} "
                f"expected deliveries are not in: {planned.waiting_for}"
            )
        month = planned.month
    run_key = cut_run_key(month) if month else None
    if inputs.new_files(monitor.landing, sources, state.logs, {}):
        if cut:
            return dg.SkipReason("new landing files wait for the landing sensor's ingest run")
        return _publish_run(run_key)
    version = state.unchanged_since(inputs.fingerprint(state.logs, monitor.public_url))
    if version is not None:
        same = "the same current deliveries, dbt project and code"
        if month and state.published_cut == month:
            return dg.SkipReason(
                f"the cut of {month} is published as release {version}, and nothing is new "
                f"since: {same}"
            )
        return dg.SkipReason(f"nothing new since release {version}: {same}")
    if month:
        published = _cut_published(instance, month, state)
        if published is not None:
            return published
    return _publish_run(run_key)


def _cut_published(
    instance: dg.DagsterInstance | None, month: str, state: inputs.State
) -> dg.SkipReason | None:
    """Why the cut sensor does not ask for its month's run again: Dagster runs a run key
    once, and would skip the request without a word."""
    run = cut_run(instance, month) if instance else None
    succeeded = run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    # published by the sensor's run, or by `statushouders run` after that run failed
    if succeeded or state.published_cut == month:
        made = f" in run {run.run_id[:8]}" if succeeded else ""
        return dg.SkipReason(
            f"the cut of {month} is published{made}; what changed since is published on the "
            f"5th or at the cut of {next_month(month)}, or now by `statushouders run`"
        )
    if run is None:
        return None
    ended = cut_run_ended(run, month)
    if ended is not None:
        return dg.SkipReason(ended)
    return dg.SkipReason(f"the cut of {month} is run {run.run_id[:8]}, not finished yet")


@dg.sensor(
    job=monitor_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes once a month, as soon as every expected deliverer has delivered "
    "for the month (the contract's deliverers and last month's).",
)
def cut_sensor(context: dg.SensorEvaluationContext, monitor: MonitorResource):
    return publish_request(monitor, cut=True, instance=context.instance)


# Suppliers deliver in the first days of the month; the run on the 5th catches the stragglers.
@dg.schedule(
    job=monitor_job,
    cron_schedule="0 6 5 * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Publishes on the 5th of every month what has been delivered, unless the "
    "latest release was made from the same inputs.",
)
def monthly(context: dg.ScheduleEvaluationContext, monitor: MonitorResource):
    return publish_request(monitor, cut=False)
