"""The code location loads with everything it should define (as dagster-open-platform's
test_defs.py checks its own).

The expected keys are worked out here from what defines them, not from the Definitions: the
suppliers' contracts (`sources/<source>/`), the dbt project's model and seed files, and the
names the README gives the jobs, sensors and schedule.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sources import all_sources

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"
SEEDS = ROOT / "dbt_project" / "seeds"
DBT_TESTS = ROOT / "dbt_project" / "tests"
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from pipelines.definitions import defs

    return defs


def test_every_asset_is_defined(defs):
    # disclosure control publishes each suppressed mart as published/<mart>
    expected = {"release", "published/indicatoren", "published/doorgaande_lijn"}
    for source in all_sources():
        expected.add(f"{source.name}/deliveries")
        expected |= {f"{source.name}/{t.name}" for kind in source.kinds for t in kind.tables}
    # dbt: a model is <layer folder>/<file name>, a seed is reference/<file name>
    expected |= {f"{path.parent.name}/{path.stem}" for path in MODELS.glob("*/*.sql")}
    expected |= {f"reference/{path.stem}" for path in SEEDS.glob("*.csv")}

    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == expected


def test_every_suite_is_a_check_and_the_mart_suites_block_the_release(defs):
    from expectations import suite_name
    from expectations.mart_suites import SUITES

    checks = {
        (key.asset_key.to_user_string(), key.name)
        for key in defs.resolve_asset_graph().asset_check_keys
    }
    for source in all_sources():
        for kind in source.kinds:
            for table in kind.tables:
                name = suite_name(source.name, table.name)
                assert (f"{source.name}/deliveries", name) in checks
    blocking = {
        (spec.asset_key.to_user_string(), spec.name): spec.blocking
        for checks_def in defs.asset_checks
        for spec in checks_def.check_specs
    }
    for mart in SUITES:
        assert (f"marts/{mart}", f"suite_{mart}") in checks
        assert blocking[(f"marts/{mart}", f"suite_{mart}")] is True


def test_every_dbt_test_is_a_check(defs):
    """Each dbt test is a check on one asset, so that the UI shows its result where it belongs.
    A singular test that reads several tables names its asset in its config; without it,
    dagster-dbt logs the result as a loose observation, with a warning on every run."""
    import json

    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    tests = {node["name"] for node in nodes if node["resource_type"] == "test"}
    singular = {path.stem for path in DBT_TESTS.glob("*.sql")}
    assert singular and singular <= tests
    assert tests - checks == set()


def test_jobs_sensors_and_schedule_are_there_and_running(defs):
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"monitor", "ingest", "publish"}
    sensors = {sensor.name: sensor for sensor in defs.sensors}
    assert set(sensors) == {
        "landing_sensor",
        "cut_sensor",
        "runs_left_behind",
        "alert_on_run_failure",
    }
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    (schedule,) = defs.schedules
    assert schedule.name == "monthly"
    assert schedule.job_name == "monitor"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_every_delivery_log_feeds_the_union_of_deliveries(defs):
    """dbt's sources are written from the supplier packages (pipelines/dbt_sources.py)."""
    graph = defs.resolve_asset_graph()
    (union,) = [
        key
        for key in graph.get_all_asset_keys()
        if key.to_user_string() == "staging/stg_ingest__deliveries"
    ]
    upstream = {key.to_user_string() for key in graph.get(union).parent_keys}
    assert upstream == {f"{source.name}/deliveries" for source in all_sources()}


def test_the_code_location_loads_under_dagster_dev_without_the_environment_on_path():
    """`statushouders ui` runs `dagster dev` by its path, so the project's environment need not
    be on PATH. Its code server imports the definitions with DAGSTER_IS_DEV_CLI set; dbt must
    still be found (before, dagster-dbt's `prepare_if_dev` looked for `dbt` on PATH and the
    code location failed to load: no jobs, sensors or schedule in the UI)."""
    env = {**os.environ, "PATH": "/usr/bin:/bin", "DAGSTER_IS_DEV_CLI": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "from pipelines.definitions import defs; print(len(defs.jobs))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) >= 3
