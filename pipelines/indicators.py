"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

The manifest must exist before this module is imported: `prepare_dbt()` runs `dbt parse`; the
CLI and the test suite call it first, and `dagster dev` does through `prepare_if_dev()`.
"""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# dbt lives next to the interpreter in the project's environment, whatever PATH says.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_dbt() -> None:
    """Write dbt's manifest.json, which `@dbt_assets` reads when the definitions load.

    Parsing takes seconds, so it is skipped while the manifest is newer than every file of
    the dbt project.
    """
    manifest = dbt_project.manifest_path
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    if manifest.exists() and manifest.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        return
    completed = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stdout + completed.stderr).strip().splitlines()
        raise RuntimeError(f"dbt parse failed: {detail[-1] if detail else 'no output'}")


class MonitorTranslator(DagsterDbtTranslator):
    """Sources keep dbt's default keys (source, table), which are the ingestion assets' keys.
    Models are keyed and grouped by their layer: staging/…, intermediate/…, marts/…; seeds
    are the reference group."""

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
)
def monitor_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
    )


def mart_key(name: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([monitor_dbt_assets], name)
