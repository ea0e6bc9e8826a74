"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

The manifest must exist before this module is imported: `pipelines.dbt_manifest.prepare_dbt()`
runs `dbt parse`; the CLI and the test suite call it first, and under `dagster dev` this
module does.
"""

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev

from contract.tables import without_identifiers
from ingest import warehouse
from ingest.storage import storage_problem
from pipelines import inputs
from pipelines.dbt_child import PARENT_ENV as DBT_PARENT_ENV
from pipelines.dbt_manifest import DBT_EXECUTABLE, DBT_PROJECT_DIR, prepare_dbt
from pipelines.defs.resources import MonitorResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if using_dagster_dev():
    # `dagster dev` started by hand: the project may have changed since the manifest was
    # written. Not dagster-dbt's `prepare_if_dev()`: it runs the `dbt` on PATH (the code
    # location failed to load when the project's environment was not on it), does not write
    # dbt's sources from the supplier packages, and parses with another profile than the
    # builds' (so each build parsed again).
    prepare_dbt()


# The layer dbt builds from the tables disclosure control publishes (models/published/): a
# second dbt invocation, after `disclosure_control`, whose assets `published/<table>` are the
# source `published` (dbt's default source keys: source name, table name).
PUBLISHED_LAYER = "path:models/published"
# dbt's artifacts and log of a data dir's runs, inside it (`<data-dir>/dbt/`)
DBT_TARGET = "dbt"
# The command of both dbt steps. dbt's unit tests check the models' logic on fixed rows, not
# this month's data: the test suite runs them (tests/dbt_project/test_indicators_by_hand.py),
# as dbt advises, and each run skips them (about 4 s of dbt's time for the nine).
BUILD = ("build", "--exclude-resource-type", "unit_test")


class MonitorTranslator(DagsterDbtTranslator):
    """Sources keep dbt's default keys (source, table): the ingestion assets' raw tables, and
    the tables disclosure control publishes (published/…). Models are keyed and grouped by
    their layer: staging/…, intermediate/…, marts/…, published/…; seeds are the reference
    group."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any):
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        kind = props["resource_type"]
        if kind == "model":
            layer = props["fqn"][1]
            return spec.replace_attributes(
                key=dg.AssetKey([layer, props["name"]]), group_name=layer
            )
        if kind == "seed":
            return spec.replace_attributes(
                key=dg.AssetKey(["reference", props["name"]]), group_name="reference"
            )
        return spec


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=MonitorTranslator(),
    project=dbt_project,
    exclude=PUBLISHED_LAYER,
)
def monitor_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, monitor: MonitorResource
):
    yield from _build(context, dbt, monitor, marts=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=MonitorTranslator(),
    project=dbt_project,
    select=PUBLISHED_LAYER,
    name="published_dbt_assets",
)
def published_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, monitor: MonitorResource
):
    yield from _build(context, dbt, monitor)


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    monitor: MonitorResource,
    marts: bool = False,
):
    if marts:
        # the marts change now: no inputs can count on them until their suites pass again
        with monitor.warehouse() as con:
            inputs.record_marts(con, None)
    # `monitor` is asked for so that a run of dbt models alone holds the data dir's lock too.
    # statushouders-dbt stops dbt when this process dies; it is told which process that is.
    os.environ[DBT_PARENT_ENV] = str(os.getpid())
    # One target folder per data dir, not one per invocation: dbt's partial parse is only
    # valid for the profile it was made with, and the profile names the data dir's warehouse.
    # A fresh folder per invocation made every `dbt build` parse the project again (6.5 s).
    invocation = dbt.cli(
        list(BUILD),
        context=context,
        raise_on_error=False,
        target_path=monitor.root / DBT_TARGET,
    )
    # dagster-dbt echoes every line of dbt's log to stdout, where `statushouders run` says its
    # result; the log stays whole in <data-dir>/dbt/dbt.log and the events in Dagster's.
    events = invocation.stream()
    with open(os.devnull, "w") as echo:
        while True:
            with contextlib.redirect_stdout(echo):
                event = next(events, None)
            if event is None:
                break
            yield event
    if not invocation.is_successful():
        results = invocation.get_artifact("run_results.json")["results"]
        failed = [
            r["unique_id"].split(".")[-2 if r["unique_id"].startswith("test.") else -1]
            for r in results
            if r["status"] in ("error", "fail")
        ]
        # a full disk fails every model after it; saying so beats listing them
        messages = " ".join(str(r.get("message") or "") for r in results if r["unique_id"])
        problem = storage_problem(monitor.root, messages)
        raise dg.Failure(
            description=problem
            or f"dbt build failed at {len(failed)} node(s): {', '.join(sorted(failed))}"
            + _first_error(results, monitor.root / DBT_TARGET / "dbt.log")
        )


def _first_error(results: list[dict], log: Path) -> str:
    """dbt's message for the first node that failed, in one line: the failure said which
    model, and why was only in dbt's log, JSON lines of several MiB."""
    message = next(
        (
            r.get("message")
            for r in results
            if r["status"] in ("error", "fail") and r.get("message")
        ),
        None,
    )
    if not message:
        return f" (dbt's log: {log})"
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    # "Runtime Error in model x (models/x.sql)" comes first; the error itself after it
    said = " ".join(
        lines[1:3] if len(lines) > 1 and lines[0].startswith("Runtime Error") else lines[:2]
    )
    said = without_identifiers(said if len(said) <= 300 else said[:299] + "…")
    return f"; {said} (dbt's log: {log})"


class MonitorDbtCliResource(DbtCliResource):
    """dbt as a child process, without the in-process handle on dbt's adapter.

    Before each `dbt build` dagster-dbt loads dbt's profile, project and adapter into this
    process, for fetching row counts and column metadata afterwards. The monitor fetches
    neither, and the handle cost 4.3 s of the first dbt step of every run (importing dbt
    here). dagster-dbt runs without it when it cannot be made (`adapter` None).
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return MonitorDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
    )


def mart_key(name: str) -> dg.AssetKey:
    """The asset of a dbt model: a mart, or a model of the published layer."""
    from dagster_dbt import get_asset_key_for_model

    for assets in (monitor_dbt_assets, published_dbt_assets):
        try:
            return get_asset_key_for_model([assets], name)
        except KeyError:
            continue
    raise KeyError(f"no dbt model {name}")


def _mart_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart_key(name),
        name=f"suite_{name}",
        blocking=True,
        description=f"Great Expectations suite for mart {name} (expectations/mart_suites.py). "
        "A failure stops the release.",
    )
    def check(monitor: MonitorResource) -> dg.AssetCheckResult:
        from expectations.data_docs import write_page
        from expectations.mart_suites import validate_mart

        with monitor.warehouse() as con:
            cut = con.sql("select peildatum, eerste_jaar from marts.monitor_metadata").fetchall()
            frame = con.sql(f"select * from marts.{name}").df()
        peildatum, first_year = cut[0]
        if peildatum is None:
            # no current snapshot at all: the marts are empty and the release step says why
            return dg.AssetCheckResult(passed=True, metadata={"rows": len(frame)})
        outcomes, result = validate_mart(name, frame, peildatum, first_year)
        write_page(result, set(), monitor.docs / "marts" / f"{name}.html")
        summary = {
            "suite": f"mart__{name}",
            "expectations": len(outcomes),
            "passed": sum(1 for o in outcomes if not o["failing"]),
            "failed": sum(1 for o in outcomes if o["failing"]),
            "rules": [{"rule": o["rule"], "failing": o["failing"]} for o in outcomes],
        }
        with monitor.warehouse() as con:
            record_suite_summary(con, name, summary)
        failing = [o for o in outcomes if o["failing"]]
        return dg.AssetCheckResult(
            passed=not failing,
            metadata={
                "rows": len(frame),
                "expectations": len(outcomes),
                "failures": dg.MetadataValue.md(
                    "\n".join(
                        f"- {o['rule']}: {o['failing']:,} failing (e.g. {', '.join(o['sample'])})"
                        for o in failing
                    )
                    or "none"
                ),
            },
        )

    return check


# The release's validation.json states each mart suite's outcome: the checks keep them in the
# warehouse, next to the marts they judge, and the release reads them there.
SUITE_SUMMARIES = ("checks", "mart_suites")


def record_suite_summary(con: duckdb.DuckDBPyConnection, mart: str, summary: dict) -> None:
    schema, table = SUITE_SUMMARIES
    con.execute(f"create schema if not exists {schema}")
    con.execute(
        f"create table if not exists {schema}.{table} (mart varchar primary key, summary json)"
    )
    row = [mart, json.dumps(summary)]
    con.execute(f"insert or replace into {schema}.{table} values (?, ?)", row)


def suite_summaries(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The latest outcome of every mart suite, by mart name."""
    schema, table = SUITE_SUMMARIES
    if not warehouse.table_exists(con, schema, table):
        return []
    query = f"select summary from {schema}.{table} order by mart"
    return [json.loads(summary) for (summary,) in con.execute(query).fetchall()]


MART_SUITES = ("indicatoren", "huisvesting", "doorgaande_lijn")
mart_checks = [_mart_check(name) for name in MART_SUITES]
