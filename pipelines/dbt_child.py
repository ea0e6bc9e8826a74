"""`statushouders-dbt`: dbt, stopped when the process that started it dies.

dagster-dbt starts `dbt build` as a child process and forwards an interrupt to it, but a
run that is killed outright (`kill -9`, the out-of-memory killer, a force-terminated run)
forwards nothing: dbt went on for about a minute, holding the warehouse. On Linux this
wrapper asks the kernel to send dbt SIGTERM when its parent dies (pipelines/children.py), then
becomes dbt. Elsewhere it only becomes dbt.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

from pipelines.children import die_with_parent

# The pid of the process that starts dbt, set by it: Python starts in about 0.1 s, and a
# parent killed in that time has already handed this process to another parent.
PARENT_ENV = "STATUSHOUDERS_DBT_PARENT"
WAREHOUSE_ENV = "STATUSHOUDERS_WAREHOUSE"
# The warehouse's file name, for dbt's profile, when dbt runs in the warehouse's folder.
RELATIVE_WAREHOUSE_ENV = "STATUSHOUDERS_DBT_WAREHOUSE"


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        # dagster-dbt asks for the version before every build; dbt's own answer also asks
        # PyPI for the latest release (network at run time, ~4 s here). The installed
        # version is all dagster-dbt reads.
        print(f"Core:\n  - installed: {importlib.metadata.version('dbt-core')}")
        return
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    if not die_with_parent(parent):
        sys.exit(1)  # the parent died before the request took effect: nobody waits for dbt
    _in_the_warehouse_folder()
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


def _in_the_warehouse_folder() -> None:
    """Run dbt in the warehouse's folder and name the warehouse by its file name alone.

    dbt's partial parse is valid only for the profile it was made with, and the profile names
    the warehouse: with its full path, a new data dir's first `dbt build` parsed the whole
    project again (6.5 s) instead of using the parse `dbt parse` left in the project. Named
    `warehouse.duckdb` relative to its folder, every data dir has the parse's profile.
    """
    warehouse = os.environ.get(WAREHOUSE_ENV)
    if not warehouse:
        return
    # dagster-dbt names these relative to the folder it started dbt in
    for name in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        if os.environ.get(name):
            os.environ[name] = os.path.abspath(os.environ[name])
    os.environ.setdefault("DBT_PROJECT_DIR", os.getcwd())
    path = Path(warehouse).resolve()
    os.chdir(path.parent)
    os.environ[RELATIVE_WAREHOUSE_ENV] = path.name


if __name__ == "__main__":
    main()
