"""A generated landing folder, with every kind of refused delivery, through `statushouders run`."""

import json

import pytest

from pipelines.cli import main
from pipelines.synthetic import generate
from tests.conftest import query

pytestmark = pytest.mark.slow


def test_a_generated_landing_with_errors_runs_and_refuses_exactly_the_bad_files(
    pipeline_env, capsys
):
    landing, data_dir = pipeline_env
    summary = generate(landing, seed=3, scale=0.05, with_errors=True)
    assert len(summary.bad_files) == 9

    assert main(["run", "--landing", str(landing), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Release 1.0.0 published" in out
    assert "9 new deliveries refused" in out

    refused = {
        f"{report['file']}"
        for report in (
            json.loads(p.read_text()) for p in (data_dir / "quarantine").rglob("report.json")
        )
    }
    assert refused == set(summary.bad_files)
    # the late deliverer sets P a month before the others
    assert query(data_dir, "select peildatum from marts.monitor_metadata")[0][0].isoformat() == (
        "2025-05-31"
    )
    assert query(data_dir, "select count(*) from marts.indicatoren where noemer > 0")[0][0] > 0
