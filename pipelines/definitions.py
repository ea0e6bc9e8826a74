"""The code location: assembles what the source packages and the later stages define."""

import dagster as dg

from pipelines.defs.alerts import alert_on_run_failure
from pipelines.defs.automation import (
    cut_sensor,
    ingest_job,
    landing_sensor,
    monitor_job,
    monthly,
    publish_job,
    runs_left_behind,
)
from pipelines.defs.disclosure_control import disclosure_control
from pipelines.defs.indicators import (
    dbt_resource,
    mart_checks,
    monitor_dbt_assets,
    published_dbt_assets,
)
from pipelines.defs.ingestion import build_source_defs
from pipelines.defs.release import release
from pipelines.defs.resources import monitor_resource
from sources import all_sources

defs = dg.Definitions.merge(
    *(build_source_defs(source) for source in all_sources()),
    dg.Definitions(
        assets=[monitor_dbt_assets, disclosure_control, published_dbt_assets, release],
        asset_checks=mart_checks,
        jobs=[monitor_job, ingest_job, publish_job],
        schedules=[monthly],
        sensors=[landing_sensor, cut_sensor, runs_left_behind, alert_on_run_failure],
        resources={"monitor": monitor_resource(), "dbt": dbt_resource()},
        # DuckDB has one writer: warehouse steps run one after another in one process.
        executor=dg.in_process_executor,
    ),
)
