"""The published contract is written once, in dbt's exposure `open_data_release`, and what
publish/ reads from it is what dbt parsed (the manifest that `tests/conftest.py` has dbt write)."""

from __future__ import annotations

import csv
import json

from pipelines.dbt_manifest import DBT_PROJECT_DIR
from publish import tableschema


def _exposure() -> dict:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    (exposure,) = [e for e in manifest["exposures"].values() if e["name"] == "open_data_release"]
    return exposure


def test_publish_reads_the_contract_dbt_parsed():
    exposure = _exposure()
    meta = exposure.get("meta") or exposure["config"]["meta"]
    assert meta["resources"] == tableschema.contract()


def test_the_release_depends_on_the_node_of_every_resource():
    """Each resource is a dbt node of the same name: a model, a seed, or a table disclosure
    control writes (a source of the published layer)."""
    nodes = _exposure()["depends_on"]["nodes"]
    assert sorted(node.rsplit(".", 1)[-1] for node in nodes) == sorted(
        r.name for r in tableschema.RESOURCES
    )


def test_a_code_list_resource_has_the_seeds_columns_and_its_codes_are_the_seeds():
    """The code lists are published as their seeds: same columns, in order; a coded column's
    values are the seed's, read here from the CSV."""
    for resource in tableschema.CODELISTS:
        if resource.name == "gebieden":  # a model over the gemeenten seed
            continue
        with (DBT_PROJECT_DIR / "seeds" / f"{resource.name}.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert resource.field_names == tuple(rows[0])
        key = resource.fields[0]
        assert key.codes in ((), tuple(row[key.name] for row in rows))
