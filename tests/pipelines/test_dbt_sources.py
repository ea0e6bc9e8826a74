"""dbt's sources follow the supplier packages: a new package is a new dbt source, and its
delivery log joins the union of deliveries, without a line of dbt written by hand. (That the
code location's delivery logs feed the union is in test_defs.py, with the definitions.)"""

from __future__ import annotations

import json
import shutil

import pytest

from contract.tables import Column, Table
from ingest.deliveries import DeliveryKind, Source
from pipelines.dbt_manifest import DBT_PROJECT_DIR, parse_dbt
from pipelines.dbt_sources import GENERATED_FILES, write_dbt_sources
from pipelines.inputs import code_files
from sources import all_sources

# A fifth supplier as a package would declare it: one kind of file with one table.
GEMEENTEPANEL = Source(
    name="gemeentepanel",
    title="Gemeentepanel",
    kinds=(
        DeliveryKind(
            name="enquetes",
            pattern=r"enquetes_(?P<period>\d{4}-\d{2})\.csv",
            period="month",
            tables=(Table(name="antwoorden", columns=(Column("v_nummer", "v_nummer"),)),),
            parse=lambda path, file: None,
            deliverer="panel",
        ),
    ),
)


def test_an_unchanged_project_is_not_written_again(tmp_path):
    (tmp_path / "models" / "staging").mkdir(parents=True)
    (tmp_path / "macros").mkdir()
    assert len(write_dbt_sources(tmp_path, all_sources())) == 2
    assert write_dbt_sources(tmp_path, all_sources()) == []
    assert len(write_dbt_sources(tmp_path, (*all_sources(), GEMEENTEPANEL))) == 2


@pytest.mark.slow
def test_dbt_parses_a_new_supplier_from_its_package_alone(tmp_path):
    """A copy of the dbt project, its sources written with a fifth supplier, and one staging
    model that reads the new raw table: dbt parses it, the raw table is
    `raw.gemeentepanel__antwoorden` as ingestion names it, and the new delivery log is one
    of the union's inputs."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    write_dbt_sources(project, (*all_sources(), GEMEENTEPANEL))
    (project / "models" / "staging" / "stg_gemeentepanel__antwoorden.sql").write_text(
        "select v_nummer_pseudoniem as person_id from {{ source('gemeentepanel', 'antwoorden') }}\n"
    )
    parse_dbt(project)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    new = manifest["sources"]["source.statushouders.gemeentepanel.antwoorden"]
    assert (new["schema"], new["identifier"]) == ("raw", "gemeentepanel__antwoorden")
    union = manifest["nodes"]["model.statushouders.stg_ingest__deliveries"]
    assert sorted(union["depends_on"]["nodes"]) == sorted(
        f"source.statushouders.{name}.deliveries"
        for name in ("coa", "duo", "taalscholen", "werk_inkomen", "gemeentepanel")
    )


def test_the_code_fingerprint_leaves_out_the_files_written_from_the_packages(tmp_path):
    """A checkout's first run writes dbt's two source files after it has taken the code's
    fingerprint. Counted, they made its second run differ from the release it had just made
    (a full rebuild, 90 s at U16 scale 0.2, to publish the same release). The packages they
    are written from count already; a model written by hand still counts."""
    project = tmp_path / "dbt_project"
    (project / "models" / "staging").mkdir(parents=True)
    (project / "macros").mkdir()
    model = project / "models" / "staging" / "stg_example.sql"
    model.write_text("select 1 as one\n")
    before = code_files(tmp_path)
    written = write_dbt_sources(project, all_sources())
    assert sorted(written) == sorted(project / name for name in GENERATED_FILES)
    assert code_files(tmp_path) == before == [model]
