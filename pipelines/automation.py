"""When the graph runs: on new files in the landing folder, and once a month."""

import hashlib

import dagster as dg

from pipelines.resources import MonitorResource
from pipelines.sources import source_modules

monitor_job = dg.define_asset_job(
    name="monitor",
    selection=dg.AssetSelection.all(),
    description="Ingest every delivery, model the indicators, publish a release.",
)

ingest_job = dg.define_asset_job(
    name="ingest",
    # every source package's assets are grouped under the source's name
    selection=dg.AssetSelection.groups(*(m.SOURCE.name for m in source_modules())),
    description="Only take in the deliveries: archive, check, quarantine, load the raw tables.",
)

# Suppliers deliver in the first days of the month; the run on the 5th catches the stragglers.
monthly = dg.ScheduleDefinition(
    name="monthly",
    job=monitor_job,
    cron_schedule="0 6 5 * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint(monitor: MonitorResource) -> str:
    """Names, sizes and modification times of every landing file: changes when a file does."""
    digest = hashlib.sha256()
    if monitor.landing.is_dir():
        for path in sorted(p for p in monitor.landing.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(monitor.landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


@dg.sensor(
    job=monitor_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a run when a file appears in, or changes in, the landing folder.",
)
def landing_sensor(context: dg.SensorEvaluationContext, monitor: MonitorResource):
    fingerprint = landing_fingerprint(monitor)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed files in the landing folder")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
