"""The release asset: the end of the graph. Everything upstream feeds what it publishes."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from ingest import warehouse
from pipelines import inputs
from pipelines.cut import plan_cut
from pipelines.defs.disclosure_control import HISTORY, MOVES, disclosure_control, moves_table
from pipelines.defs.indicators import dbt_project, mart_key, suite_summaries
from pipelines.defs.resources import MonitorResource
from publish import changelog, dcat, package
from publish.disclosure import summary
from publish.page import render_page
from publish.store import latest, publish, write_file
from sources import all_sources

# Every resource of the package, as published: code lists, suppressed marts, huisvesting
# (public administrative figures, not suppressed), and the plan's results derived from the
# published indicatoren.
TABLES = {
    "gebieden": "select * from marts.gebieden",
    "indicatoren_codelijst": "select * from reference.indicatoren_codelijst",
    "geslachten": "select * from reference.geslachten",
    "leeftijdsklassen": "select * from reference.leeftijdsklassen",
    "indicatoren": "select * from published.indicatoren",
    "doorgaande_lijn": "select * from published.doorgaande_lijn",
    "huisvesting": "select * from marts.huisvesting",
    "planresultaten": "select * from published.planresultaten",
}

CHANGELOG = "CHANGELOG.md"
NOTHING_TO_PUBLISH = "no accepted deliveries: there is nothing to publish"
MODELS = (
    "indicatoren",
    "huisvesting",
    "doorgaande_lijn",
    "monitor_metadata",
    "gebieden",
    "planresultaten",
)


@dg.asset(
    deps=[*(mart_key(name) for name in MODELS), disclosure_control],
    group_name="publish",
    kinds={"python"},
    description="A versioned release under <data-dir>/releases/, switched in as `latest`.",
)
def release(context: dg.AssetExecutionContext, monitor: MonitorResource) -> dg.MaterializeResult:
    deliveries = []
    logs = {}
    with monitor.warehouse() as con:
        cut = con.sql("select * from marts.monitor_metadata").to_arrow_table().to_pylist()[0]
        ((report,),) = con.sql("select report from published.disclosure_report").fetchall()
        tables = {name: con.sql(sql).df() for name, sql in TABLES.items()}
        made = inputs.recorded(con)
        for source in all_sources():
            log = logs[source.name] = warehouse.read_log(con, source.name)
            kinds = {kind.name: kind for kind in source.kinds}
            deliveries += [
                {
                    "source": e["source"],
                    "kind": e["kind"],
                    "deliverer": e["deliverer"],
                    # who sent it, where that is not the deliverer (a taakstelling's year)
                    **_supplier(kinds[e["kind"]].supplier_of(e["deliverer"]), e["deliverer"]),
                    "file": e["file_name"],
                    "peildatum": e["peildatum"].isoformat(),
                    "sha256": e["delivery_hash"],
                    "rows": e["rows"],
                    "dropped_rows": e["dropped"] or 0,
                    "validation": json.loads(e["validation"]) if e["validation"] else [],
                }
                for e in warehouse.current_deliveries(log)
            ]
    if not deliveries:
        raise dg.Failure(description=NOTHING_TO_PUBLISH)
    # What this release is made from: a later run with the same inputs skips everything
    # after ingestion (pipelines/inputs.py).
    made_from = inputs.fingerprint(logs, monitor.public_url)
    same = inputs.State(logs, made, latest(monitor.releases)).unchanged_since(made_from)
    if same is not None:
        # A run that recomputed what the latest release was made from (a run launched by hand
        # in the UI; `statushouders run` and the sensors stop before): its files would differ
        # only in naming that release as an earlier one, and a new version for the same
        # figures is one more release for an attacker to combine.
        context.log.info(f"release {same} unchanged, still: made from the same inputs")
        return _materialized(same, monitor.releases / same, False, len(deliveries), cut, made_from)
    files = {
        "deliveries.json": _json(
            [{k: v for k, v in d.items() if k != "validation"} for d in deliveries]
        ),
        "validation.json": _json(_validation_summary(deliveries, monitor)),
    }
    if cut["peildatum"] is None:
        raise dg.Failure(description="no current snapshot has a peildatum: P is unknown")
    context.log.info(
        f"peildatum P = {cut['peildatum']}; {cut['personen_zonder_bsn']:,} of "
        f"{cut['personen']:,} persons have no bsn and link to no other source"
    )
    files["monitor.json"] = _json(cut)
    disclosure = json.loads(report)
    if not disclosure["audit"]["passed"]:
        raise dg.Failure(description="the disclosure audit did not pass: nothing is published")
    files["disclosure.json"] = _json(disclosure)
    files["disclosure.md"] = summary(disclosure).encode()
    files.update(package.data_files(tables))
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    peildatum = cut["peildatum"].isoformat()

    def finish(staging: Path, version: str) -> None:
        """What carries the version: the package description, the changes against the
        previous release, the DCAT record and the page. The package is the gate."""
        described = package.describe(files, version, created, peildatum, deliveries)
        write_file(staging / "datapackage.json", described)
        errors = package.validate(staging)
        if errors:
            raise dg.Failure(description="the package is not valid: " + "; ".join(errors[:3]))
        previous = latest(monitor.releases)
        diff = changelog.compare(previous, staging, mart_inputs())
        kept = previous / CHANGELOG if previous else None
        history = kept.read_text() if kept and kept.is_file() else None
        write_file(
            staging / "diff.json",
            json.dumps(diff, ensure_ascii=False, separators=(",", ":")).encode() + b"\n",
        )
        write_file(
            staging / CHANGELOG,
            changelog.changelog(diff, version, created, history),
        )
        write_file(staging / "dcat.jsonld", dcat.describe(described, monitor.public_url))
        write_file(staging / "index.html", render_page(staging, monitor.public_url))
        context.log.info(
            f"against {diff['previous_version'] or 'no earlier release'}: "
            + ", ".join(f"{v:,} {_counted(k, v)}" for k, v in diff["totals"].items())
        )

    # The month whose complete cut this release is made at: the cut sensor publishes a month
    # once, whoever made its release (pipelines/cut.py).
    planned = plan_cut(list(all_sources()), logs)
    published = publish(
        monitor.releases,
        files,
        {
            "created": created,
            "peildatum": peildatum,
            "inputs_fingerprint": made_from,
            "cut": planned.month if planned.complete else None,
        },
        finish=finish,
    )
    with monitor.warehouse() as con:
        if published.changed:
            # The release's true values and what it withheld, for the releases after it
            # (publish/disclosure/history.py); they stay in the warehouse, never in a release.
            con.execute(f"delete from {HISTORY} where version = ?", [published.version])
            con.execute(
                f"insert into {HISTORY} select ?, key, value, withheld from published.cells",
                [published.version],
            )
            # Its moves replace the earlier release's: the next release reads the latest's only.
            # (A warehouse whose disclosure control ran before moves were kept has none.)
            moves_table(con)
            con.execute(f"delete from {MOVES}")
            if warehouse.table_exists(con, "published", "moves"):
                con.execute(
                    f"insert into {MOVES} select ?, move, key, delta from published.moves",
                    [published.version],
                )
        inputs.record(con, published.version, made_from)
    verb = "published" if published.changed else "unchanged, still"
    context.log.info(f"release {published.version} {verb} at {published.path}")
    return _materialized(
        published.version, published.path, published.changed, len(deliveries), cut, made_from
    )


def _materialized(
    version: str, path: Path, changed: bool, deliveries: int, cut: dict, made_from: str
) -> dg.MaterializeResult:
    """The release a run ends at, new or the latest one kept, as the asset's metadata."""
    return dg.MaterializeResult(
        metadata={
            "version": version,
            "path": str(path),
            "changed": changed,
            "deliveries": deliveries,
            "peildatum": cut["peildatum"].isoformat(),
            "persons_without_bsn": cut["personen_zonder_bsn"],
            "inputs_fingerprint": made_from,
        }
    )


def mart_inputs() -> dict:
    """Per mart, the inputs of its values as its YAML states them (`meta.inputs`): the changelog
    attributes a changed value to a delivery only when it is the one changed input."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        node["name"]: node["meta"]["inputs"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "inputs" in node.get("meta", {})
    }


def _supplier(supplier: str, deliverer: str) -> dict:
    return {"supplier": supplier} if supplier != deliverer else {}


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n").encode()


def _validation_summary(deliveries: list[dict], monitor: MonitorResource) -> dict:
    """Per suite: expectations, passed, failed, dropped rows per rule; for every delivery used
    and every mart. Row tolerance and what counts as a file-level rule are stated with it."""
    from expectations.gate import ROW_TOLERANCE

    with monitor.warehouse() as con:
        marts = suite_summaries(con)
    return {
        "row_tolerance": ROW_TOLERANCE,
        "deliveries": [
            {
                "file": f"{d['source']}/{d['file']}",
                "sha256": d["sha256"],
                "dropped_rows": d["dropped_rows"],
                "suites": d["validation"],
            }
            for d in deliveries
        ],
        "marts": marts,
    }


def _counted(total: str, count: int) -> str:
    """A changelog total's name for `count` of it: "deliveries_replaced" reads "1 delivery
    replaced", "added_rows" "1 added row"."""
    words = total.replace("_", " ")
    if count == 1:
        words = words.replace("deliveries", "delivery").replace("rows", "row")
    return words
