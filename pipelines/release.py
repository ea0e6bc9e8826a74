"""The release asset: the end of the graph. Everything upstream feeds what it publishes."""

import datetime as dt
import json

import dagster as dg

from pipelines.ingest import warehouse
from pipelines.ingest.assets import table_key
from pipelines.resources import MonitorResource
from pipelines.sources import source_modules
from publish.release import publish


def _upstream() -> list[dg.AssetKey]:
    return [
        table_key(module.SOURCE, table.name)
        for module in source_modules()
        for _kind, table in module.SOURCE.tables()
    ]


@dg.asset(
    deps=_upstream(),
    group_name="publish",
    kinds={"python"},
    description="A versioned release under <data-dir>/releases/, switched in as `latest`.",
)
def release(context: dg.AssetExecutionContext, monitor: MonitorResource) -> dg.MaterializeResult:
    deliveries = []
    with monitor.warehouse() as con:
        for module in source_modules():
            log = warehouse.read_log(con, module.SOURCE.name)
            deliveries += [
                {
                    "source": e["source"],
                    "kind": e["kind"],
                    "deliverer": e["deliverer"],
                    "file": e["file_name"],
                    "peildatum": e["peildatum"].isoformat(),
                    "sha256": e["delivery_hash"],
                    "rows": e["rows"],
                }
                for e in warehouse.current_deliveries(log)
            ]
    if not deliveries:
        raise dg.Failure(description="no accepted deliveries: there is nothing to publish")
    files = {"deliveries.json": (json.dumps(deliveries, indent=2) + "\n").encode()}
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    published = publish(monitor.releases, files, {"created": created})
    verb = "published" if published.changed else "unchanged, still"
    context.log.info(f"release {published.version} {verb} at {published.path}")
    return dg.MaterializeResult(
        metadata={
            "version": published.version,
            "path": str(published.path),
            "changed": published.changed,
            "deliveries": len(deliveries),
        }
    )
