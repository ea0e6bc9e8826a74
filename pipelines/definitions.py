"""The code location: assembles what the source packages and the later stages define."""

import dagster as dg

from pipelines.alerts import alert_on_run_failure
from pipelines.automation import (
    cut_sensor,
    ingest_job,
    landing_sensor,
    monitor_job,
    monthly,
    publish_job,
)
from pipelines.disclosure import disclosure_control
from pipelines.indicators import (
    dbt_resource,
    mart_checks,
    monitor_dbt_assets,
    published_dbt_assets,
)
from pipelines.progress import compact_console
from pipelines.release import release
from pipelines.resources import monitor_resource
from pipelines.sources import source_modules

defs = dg.Definitions.merge(
    *(module.defs for module in source_modules()),
    dg.Definitions(
        assets=[monitor_dbt_assets, disclosure_control, published_dbt_assets, release],
        asset_checks=mart_checks,
        jobs=[monitor_job, ingest_job, publish_job],
        schedules=[monthly],
        sensors=[landing_sensor, cut_sensor, alert_on_run_failure],
        resources={"monitor": monitor_resource(), "dbt": dbt_resource()},
        loggers={"console": compact_console},
        # DuckDB has one writer: warehouse steps run one after another in one process.
        executor=dg.in_process_executor,
    ),
)
