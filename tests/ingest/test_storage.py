"""A full or read-only disk under the data dir: one line that says so, no SQL, no traceback.

The end-to-end tests put the data dir on a real tmpfs of 2 MiB, or a read-only bind mount,
in a mount namespace of their own (`unshare -m`, which needs root): the mounts vanish with
the command, whatever happens. Without that permission they are skipped.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.storage import storage_problem
from tests.builders import write_minimal_landing
from tests.conftest import TEST_KEY

STATUSHOUDERS = Path(sys.executable).with_name("statushouders")


def test_the_errors_of_a_full_disk_are_read_as_one():
    data_dir = Path("/tmp/some/data")
    for message in (
        'IO Error: Could not write file "warehouse.duckdb.wal": No space left on device',
        "[Errno 28] No space left on device: '/tmp/some/data/archive/x.csv'",
        "(sqlite3.OperationalError) database or disk is full",
    ):
        problem = storage_problem(data_dir, message)
        assert problem is not None and problem.startswith(
            "no space left on the disk of the data dir /tmp/some/data ("
        ), message


def test_a_read_only_file_system_is_named(tmp_path):
    problem = storage_problem(tmp_path, "[Errno 30] Read-only file system: 'x'")
    assert (
        problem == f"the data dir {tmp_path} is on a read-only file system: nothing can be written"
    )


def test_other_errors_on_a_disk_with_room_are_not_storage_problems(tmp_path):
    assert storage_problem(tmp_path, "dbt build failed at 1 node(s): indicatoren") is None
    assert storage_problem(tmp_path) is None


def _may_mount() -> bool:
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


needs_mount = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0 or not _may_mount(),
    reason="needs root to mount a small tmpfs in its own mount namespace",
)


def _run_in_own_mounts(mounts: str, landing: Path, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STATUSHOUDERS_PSEUDONYM_KEY": TEST_KEY}
    for name in ("STATUSHOUDERS_LANDING", "STATUSHOUDERS_DATA_DIR", "STATUSHOUDERS_WAREHOUSE"):
        env.pop(name, None)
    command = f'{mounts} && exec "$0" run --landing "$1" --data-dir "$2"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", command, str(STATUSHOUDERS), str(landing), str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
@needs_mount
def test_a_run_that_fills_the_disk_ends_with_one_line_without_sql(tmp_path):
    """2 MiB fill up while the deliveries are taken in. Before, this printed SQLite's INSERT
    statements with their parameters and ended in "unexpected error: (sqlite3.
    OperationalError) disk I/O error"."""
    landing, disk = tmp_path / "landing", tmp_path / "disk"
    write_minimal_landing(landing)
    disk.mkdir()
    done = _run_in_own_mounts(f"mount -t tmpfs -o size=2m tmpfs {disk}", landing, disk / "data")
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "statushouders run: no release published: no space left on the disk of the data dir "
        f"{disk / 'data'} (0 bytes free): free some and run again"
    ]
    for noise in ("[SQL", "INSERT INTO", "Exception while writing", "Traceback"):
        assert noise not in done.stdout + done.stderr


@pytest.mark.slow
@needs_mount
def test_a_read_only_data_dir_is_said_in_one_line(tmp_path):
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    data_dir.mkdir()
    mounts = f"mount --bind {data_dir} {data_dir} && mount -o remount,ro,bind {data_dir}"
    done = _run_in_own_mounts(mounts, landing, data_dir)
    assert done.returncode == 2
    assert (done.stdout, done.stderr) == (
        "",
        f"statushouders: the data dir {data_dir} is on a read-only file system: "
        "nothing can be written\n",
    )
