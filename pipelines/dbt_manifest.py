"""dbt's manifest, which `@dbt_assets` reads when `pipelines.defs.indicators` is imported.

Kept apart from the assets so that writing the manifest never depends on reading it.
"""

import os
import subprocess
import sys
from pathlib import Path

from pipelines.dbt_child import RELATIVE_WAREHOUSE_ENV
from pipelines.dbt_sources import write_dbt_sources
from sources import all_sources

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# dbt lives next to the interpreter in the project's environment, whatever PATH says. It is
# started through `statushouders-dbt` (pipelines/dbt_child.py), which the kernel stops when
# the run that started it dies; plain dbt where the project's scripts are not installed.
_WRAPPED = Path(sys.executable).parent / "statushouders-dbt"
DBT_EXECUTABLE = str(_WRAPPED if _WRAPPED.exists() else Path(sys.executable).parent / "dbt")


def prepare_dbt() -> None:
    """Write dbt's sources from the supplier packages, then dbt's manifest.json, which
    `@dbt_assets` reads when the definitions load.

    Parsing takes seconds, so it is skipped while the manifest is newer than every file of
    the dbt project.
    """
    write_dbt_sources(DBT_PROJECT_DIR, all_sources())
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    if manifest.exists() and manifest.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        return
    parse_dbt(DBT_PROJECT_DIR)


def parse_dbt(project_dir: Path) -> None:
    """`dbt parse` of a dbt project into its target/manifest.json, with the profile every
    build has (statushouders-dbt names the warehouse by its file name)."""
    completed = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(project_dir)],
        cwd=project_dir,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            RELATIVE_WAREHOUSE_ENV: "warehouse.duckdb",
        },
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stdout + completed.stderr).strip().splitlines()
        raise RuntimeError(f"dbt parse failed: {detail[-1] if detail else 'no output'}")
