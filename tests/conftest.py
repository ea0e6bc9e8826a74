import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# A developer's own alert channels must not hear from the test suite;
# tests/pipelines/test_alerts.py sets sinks on 127.0.0.1 where it needs them.
for _name in [n for n in os.environ if n.startswith("STATUSHOUDERS_ALERT_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parents[1]
TEST_KEY = "test-key-0123456789abcdef-not-a-secret"


PIPELINE_ENV = (
    "STATUSHOUDERS_LANDING",
    "STATUSHOUDERS_DATA_DIR",
    "STATUSHOUDERS_WAREHOUSE",
    "DAGSTER_HOME",
)


def isolate_pipeline_env(patch: pytest.MonkeyPatch, key: str = TEST_KEY) -> None:
    """Unset what `statushouders run` sets, so that it is restored after; fix the key."""
    for name in PIPELINE_ENV:
        # set-then-delete makes monkeypatch restore the variable, also when it was absent
        patch.setenv(name, "")
        patch.delenv(name)
    patch.setenv("STATUSHOUDERS_PSEUDONYM_KEY", key)


@pytest.fixture
def pipeline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A landing folder and a data dir; the env vars the pipeline sets are restored after."""
    isolate_pipeline_env(monkeypatch)
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    return landing, data_dir


def run(landing: Path, data_dir: Path, job: str = "ingest") -> int:
    """The real `statushouders run` path: a Dagster job in process against a real DuckDB file.

    Ingestion tests run the `ingest` job (the source groups only); tests about releases run
    the whole `monitor` job, which also builds the dbt project.
    """
    from cli.commands import run_pipeline

    return run_pipeline(landing, data_dir, job)


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def dbt_test(
    select: str, warehouse: Path, folder: Path
) -> tuple[subprocess.CompletedProcess, list]:
    """`dbt test --select <select>` of the project against `warehouse`, its artifacts and log in
    `folder`: the finished process and run_results.json's results."""
    from pipelines.dbt_child import WAREHOUSE_ENV
    from pipelines.dbt_manifest import DBT_EXECUTABLE, DBT_PROJECT_DIR

    target = folder / "target"
    completed = subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--select",
            select,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(folder),
        ],
        env={
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            WAREHOUSE_ENV: str(warehouse),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return completed, json.loads((target / "run_results.json").read_text())["results"]


# The two files that run the whole pipeline most often take about two thirds of the suite's
# time (test_demo_landing.py alone about 740 s of 1,630). Started first, one on each worker
# (`--dist loadfile` deals the first files out in turn; `--no-loadscope-reorder` in
# pyproject.toml keeps this order), they run while the other files fill in around them;
# started later they end the suite after the rest.
HEAVIEST_FIRST = ("test_demo_landing.py", "test_ingest.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    """`@dbt_assets` reads dbt's manifest when the definitions are imported."""
    from pipelines.dbt_manifest import prepare_dbt

    prepare_dbt()


# --- a real headless browser ---------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Headless without sandbox (containers run as root), and nothing that phones home.
# Playwright adds --headless and gives every launch a fresh, temporary user-data-dir.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed when missing: CI starts from a clean machine."""
    if not CHROMIUM.exists():
        done = subprocess.run(
            [str(ROOT / "scripts" / "install-chromium")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not CHROMIUM.exists():
            detail = (done.stdout + done.stderr).strip().splitlines()[-5:]
            pytest.fail(
                "The download page tests need Debian's chromium at /usr/bin/chromium and "
                "scripts/install-chromium could not install it (needs root and apt-get): "
                + " | ".join(detail),
                pytrace=False,
            )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path):
    """Playwright's Chromium API on Debian's chromium (Playwright cannot download its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()
