"""Releases on disk (publish/store.py, publish/package.py): gates, atomicity, determinism.

The release folder is the contract with the public and the API: `latest` always names a
complete release, a refused release leaves the previous one live, and the same tables give
the same bytes and the same version.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publish.package import data_files, describe, validate
from publish.store import LATEST, MANIFEST, latest, publish, versions, write_file
from tests import sample_release

ROOT = Path(__file__).resolve().parents[2]


def sample_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(rows) for name, rows in sample_release.tables().items()}


def files_of(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    return {"deliveries.json": b"[]\n", **data_files(tables)}


def package_gate(staging: Path, version: str) -> None:
    """The package description and the frictionless gate, as the release asset runs them."""
    described = describe(
        {p.relative_to(staging).as_posix(): p.read_bytes() for p in staging.rglob("*.*")},
        version,
        sample_release.CREATED,
        sample_release.PEILDATUM,
        [],
    )
    write_file(staging / "datapackage.json", described)
    errors = validate(staging)
    if errors:
        raise ValueError("; ".join(errors))


def complete(release: Path) -> bool:
    """Every file the manifest lists is there."""
    manifest = json.loads((release / MANIFEST).read_text())
    return all((release / name).is_file() for name in manifest["files"])


def test_the_same_tables_in_any_row_order_give_byte_identical_files():
    tables = sample_tables()
    shuffled = {
        name: frame.sample(frac=1, random_state=7)[list(reversed(frame.columns))]
        for name, frame in tables.items()
    }
    first, again = data_files(tables), data_files(shuffled)
    assert first.keys() == again.keys() and len(first) == 16  # eight resources, CSV and Parquet
    assert all(first[name] == again[name] for name in first)


def test_the_same_input_publishes_the_same_version_and_new_data_a_new_one(tmp_path: Path):
    releases = tmp_path / "releases"
    first = publish(releases, files_of(sample_tables()), {}, finish=package_gate)
    again = publish(releases, files_of(sample_tables()), {}, finish=package_gate)
    assert (first.version, first.changed) == ("1.0.0", True)
    assert (again.version, again.changed, again.path) == ("1.0.0", False, first.path)

    tables = sample_tables()
    tables["huisvesting"].loc[0, "gehuisvest"] += 1
    changed = publish(releases, files_of(tables), {}, finish=package_gate)
    assert (changed.version, changed.changed) == ("1.1.0", True)
    assert versions(releases) == ["1.0.0", "1.1.0"] and latest(releases) == changed.path
    # the older release stays, unchanged
    assert (first.path / "data" / "huisvesting.csv").read_bytes() == data_files(sample_tables())[
        "data/huisvesting.csv"
    ]


def test_the_package_gate_passes_a_valid_release_and_refuses_a_broken_one(tmp_path: Path):
    releases = tmp_path / "releases"
    good = publish(releases, files_of(sample_tables()), {}, finish=package_gate)
    assert validate(good.path) == []

    tables = sample_tables()
    tables["indicatoren"].loc[0, "gebied_code"] = "GM9999"  # no such area: a foreign key fails
    with pytest.raises(ValueError, match="indicatoren"):
        publish(releases, files_of(tables), {}, finish=package_gate)
    assert latest(releases) == good.path
    assert versions(releases) == ["1.0.0"]
    assert sorted(p.name for p in releases.iterdir()) == ["1.0.0", LATEST]


def test_a_file_changed_after_it_was_described_fails_validation(tmp_path: Path):
    release = publish(tmp_path, files_of(sample_tables()), {}, finish=package_gate).path
    csv = release / "data" / "geslachten.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Man", b"Mam"))
    assert any("geslachten" in e and "hash" in e for e in validate(release))
    parquet = release / "data" / "leeftijdsklassen.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    assert any(e.startswith("leeftijdsklassen-parquet") for e in validate(release))


def test_a_parquet_twin_with_other_rows_fails_validation_though_its_hash_is_described(
    tmp_path: Path,
):
    """The Parquet file is rewritten with one percentage changed, one boolean flipped or its
    last row dropped, and the package described again, so its bytes and hash are right: only
    the check that it holds the CSV's rows can see it. The unchanged file passes."""
    release = publish(tmp_path, files_of(sample_tables()), {}, finish=package_gate).path
    path = release / "data" / "indicatoren.parquet"
    table = pq.read_table(path)
    percentage = table.column("percentage").to_pylist()
    at = next(i for i, v in enumerate(percentage) if v is not None)
    percentage[at] += 0.1
    geheim = [not v for v in table.column("geheim").to_pylist()]
    variants = {
        "percentage": table.set_column(
            table.schema.get_field_index("percentage"), "percentage", pa.array(percentage)
        ),
        "geheim": table.set_column(
            table.schema.get_field_index("geheim"), "geheim", pa.array(geheim)
        ),
        "a row fewer": table.slice(0, table.num_rows - 1),
        "the same": table,
    }
    for what, variant in variants.items():
        pq.write_table(variant, path, compression="zstd")
        files = {p.relative_to(release).as_posix(): p.read_bytes() for p in release.rglob("*.*")}
        write_file(
            release / "datapackage.json",
            describe(files, "1.0.0", sample_release.CREATED, sample_release.PEILDATUM, []),
        )
        errors = validate(release)
        if what == "the same":
            assert errors == []
        else:
            assert errors == ["indicatoren-parquet: its rows differ from indicatoren.csv"], what


CRASHING_PUBLISHER = """
import sys, time
from pathlib import Path
from publish.store import publish

releases = Path(sys.argv[1])
for n in range(10_000):
    files = {f"data/part{i}.csv": f"{n},{i}\\n".encode() * 2000 for i in range(6)}
    publish(releases, files, {"n": n})
"""


def test_a_publisher_killed_at_any_moment_leaves_latest_on_a_complete_release(tmp_path: Path):
    """SIGKILL a process that publishes release after release, at random moments: `latest`
    always names a complete release, and the next publish clears what the crash left."""
    releases = tmp_path / "releases"
    publish(releases, {"data/part0.csv": b"seed\n"}, {})
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_PUBLISHER, str(releases)], env=env, cwd=ROOT
        )
        time.sleep(rng.uniform(0.8, 2.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        current = latest(releases)
        assert current is not None and complete(current)
        assert not current.name.startswith(".")
        assert all(complete(releases / v) for v in versions(releases))
    assert len(versions(releases)) > 8  # the children did publish between the kills
    after = publish(releases, {"data/part0.csv": b"after the crashes\n"}, {})
    assert latest(releases) == after.path
    assert not [p.name for p in releases.iterdir() if p.name.startswith(".partial-")]
