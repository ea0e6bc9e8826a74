"""When disclosure control leaves the tables as published (pipelines/defs/disclosure_control.py,
`_same_release`): only for the latest release's inputs, under its thresholds, with the tables
as published recorded for those inputs. A real DuckDB warehouse and a releases folder written
here by hand, as a release and its run leave them."""

import json
from pathlib import Path

import duckdb
import pytest

from pipelines import inputs
from pipelines.defs.disclosure_control import _same_release
from pipelines.defs.resources import MonitorResource
from publish import disclosure

MADE_FROM = "f" * 64  # the inputs fingerprint of release 1.1.0
OTHER = "0" * 64


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Releases 1.0.0 and 1.1.0 (latest), 1.1.0 made from MADE_FROM under the default
    thresholds; the tables as published recorded for MADE_FROM."""
    releases = tmp_path / "releases"
    for version, made_from in (("1.0.0", OTHER), ("1.1.0", MADE_FROM)):
        folder = releases / version
        folder.mkdir(parents=True)
        (folder / "release.json").write_text(json.dumps({"inputs_fingerprint": made_from}))
        # disclosure.md's thresholds, as a release states them: a population below 10, a
        # teller of 1 to 2, at least 2 possible values
        parameters = {"min_population": 10, "small_group": 2, "min_possible_values": 2}
        (folder / "disclosure.json").write_text(json.dumps({"parameters": parameters}))
    (releases / "latest").symlink_to("1.1.0")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        inputs.record(con, "1.0.0", OTHER)
        inputs.record(con, "1.1.0", MADE_FROM)
        inputs.record_published(con, MADE_FROM)
    return tmp_path


def same_release(data_dir: Path, made_from: str = MADE_FROM, **thresholds: int) -> str | None:
    monitor = MonitorResource(
        landing_dir=str(data_dir / "landing"),
        data_dir=str(data_dir),
        warehouse_path=str(data_dir / "warehouse.duckdb"),
    )
    with duckdb.connect(monitor.warehouse_path) as con:
        return _same_release(con, monitor, {}, made_from, disclosure.Thresholds(**thresholds))


def test_the_latest_releases_inputs_and_thresholds_leave_the_tables(data_dir: Path):
    assert same_release(data_dir) == "1.1.0"


def test_other_inputs_are_protected_again(data_dir: Path):
    assert same_release(data_dir, made_from=OTHER) is None  # an older release's: not the latest


def test_other_thresholds_are_protected_again(data_dir: Path):
    assert same_release(data_dir, min_population=15) is None
    assert same_release(data_dir, min_possible_values=3) is None


@pytest.mark.parametrize("recorded", [None, OTHER])
def test_tables_not_recorded_for_these_inputs_are_protected_again(data_dir: Path, recorded):
    """None: the tables were being written, or their audit failed; OTHER: a later run's."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        inputs.record_published(con, recorded)
    assert same_release(data_dir) is None


def test_a_data_dir_from_before_the_record_is_protected_again(data_dir: Path):
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("drop table history.published")
    assert same_release(data_dir) is None
