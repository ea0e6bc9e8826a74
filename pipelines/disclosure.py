"""The disclosure-control asset: between the marts and the release (publish/disclosure.py)."""

import json
import os

import dagster as dg

from pipelines.indicators import mart_key
from pipelines.reference import load_reference
from pipelines.resources import MonitorResource
from publish import disclosure

SUPPRESSED = ("indicatoren", "doorgaande_lijn")


class DisclosureConfig(dg.Config):
    """disclosure.md's thresholds; every release states the values it used."""

    min_population: int = disclosure.Thresholds.min_population
    small_group: int = disclosure.Thresholds.small_group
    min_possible_values: int = disclosure.Thresholds.min_possible_values


@dg.asset(
    deps=[mart_key(name) for name in SUPPRESSED],
    group_name="publish",
    kinds={"python", "duckdb"},
    description="Primary and secondary suppression of the marts, audited by linear programming; "
    "the tables as published go to the warehouse schema `published`.",
)
def disclosure_control(
    context: dg.AssetExecutionContext, config: DisclosureConfig, monitor: MonitorResource
) -> dg.MaterializeResult:
    thresholds = disclosure.Thresholds(
        min_population=config.min_population,
        small_group=config.small_group,
        min_possible_values=config.min_possible_values,
    )
    with monitor.warehouse() as con:
        frames = {name: con.sql(f"select * from marts.{name}").df() for name in SUPPRESSED}
        codelist = con.sql(
            "select indicator, resource, populatie_nl from reference.indicatoren_codelijst"
        ).df()
    ref = load_reference()
    shapes = disclosure.monitor_shapes(codelist, list(ref.gemeenten), list(ref.u10))
    published, report = disclosure.protect_tables(
        frames, shapes, thresholds, workers=min(2, os.cpu_count() or 1)
    )
    # The time is run metadata, not release content: the same input gives the same release.
    seconds = report.pop("seconds")
    with monitor.warehouse() as con:
        con.sql("create schema if not exists published")
        for name, table in published.items():
            con.register("_table", table)
            con.sql(f"create or replace table published.{name} as select * from _table")
            con.unregister("_table")
        con.sql("create or replace table published.disclosure_report (report json)")
        con.execute("insert into published.disclosure_report values (?)", [json.dumps(report)])
    audit = report["audit"]
    if not audit["passed"]:
        raise dg.Failure(
            description=f"disclosure audit failed: {len(audit['pinned'])} withheld cells can be "
            "computed back from the published tables; nothing is published",
            metadata={"pinned": dg.MetadataValue.json(audit["pinned"][:20])},
        )
    loss = report["information_loss"]["share_of_cells_withheld"]
    context.log.info(
        f"{audit['withheld_cells']:,} cells withheld ({100 * loss:.1f}%), audit passed: "
        f"no cell pinned ({audit['linear_programs']:,} linear programs)"
    )
    return dg.MaterializeResult(
        metadata={
            "share_withheld": loss,
            "withheld_cells": audit["withheld_cells"],
            "linear_programs": audit["linear_programs"],
            "seconds": seconds,
            "resources": dg.MetadataValue.json(report["resources"]),
        }
    )
