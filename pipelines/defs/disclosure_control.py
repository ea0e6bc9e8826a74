"""The disclosure-control asset: between the marts and the release (publish/disclosure/).

It starts from the releases published before (publish/disclosure/history.py): their true values and
which cells they withheld are kept in the warehouse table `history.cells`, one row per cell
per release, written when the release is published (pipelines/defs/release.py). The latest
release's moves (the optimiser's proof that its withheld cells move) are kept beside them in
`history.moves`.
"""

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from contract.reference import load_reference
from pipelines import inputs
from pipelines.defs.indicators import mart_key, monitor_dbt_assets
from pipelines.defs.resources import MonitorResource
from publish import disclosure
from publish.disclosure import history
from publish.store import MANIFEST, latest, versions

SUPPRESSED = ("indicatoren", "doorgaande_lijn")
HISTORY = "history.cells"
# The latest release's moves (History.moves), one row per moved cell; only the latest's are
# kept: the next release reads no other.
MOVES = "history.moves"
# The thresholds that decide what is safe: a block unchanged since a release made under the
# same ones keeps that release's pattern (the others only steer which pattern is chosen).
RULES = ("min_population", "small_group", "min_possible_values")


class DisclosureConfig(dg.Config):
    """disclosure.md's thresholds; every release states the values it used."""

    min_population: int = disclosure.Thresholds.min_population
    small_group: int = disclosure.Thresholds.small_group
    min_possible_values: int = disclosure.Thresholds.min_possible_values


# The tables as published, one asset each (`published/<mart>`): what dbt's published layer
# reads as its source `published` and what the release publishes.
PUBLISHED_TABLES = [
    dg.AssetSpec(
        dg.AssetKey(["published", name]),
        deps=[mart_key(name)],
        group_name="publish",
        kinds={"python", "duckdb"},
        description=f"marts.{name} as published: withheld teller, noemer and percentage empty, "
        "geheim true (warehouse table published." + name + ").",
    )
    for name in SUPPRESSED
]


@dg.multi_asset(
    name="disclosure_control",
    specs=PUBLISHED_TABLES,
    description="Primary and secondary suppression of the marts, starting from the releases "
    "before and audited together with them by linear programming; the tables as published go "
    "to the warehouse schema `published`.",
)
def disclosure_control(
    context: dg.AssetExecutionContext, config: DisclosureConfig, monitor: MonitorResource
):
    thresholds = disclosure.Thresholds(
        min_population=config.min_population,
        small_group=config.small_group,
        min_possible_values=config.min_possible_values,
    )
    with monitor.warehouse() as con:
        logs = inputs.logs_of(con)
        made_from = inputs.fingerprint(logs, monitor.public_url)
        if _marts_built_here(context):
            # this step starts only when the marts' suites have passed (blocking checks)
            inputs.record_marts(con, made_from)
        same = _same_release(con, monitor, logs, made_from, thresholds)
        if same is None:
            frames = {name: con.sql(f"select * from marts.{name}").df() for name in SUPPRESSED}
            codelist = con.sql(
                "select indicator, resource, populatie_nl from reference.indicatoren_codelijst"
            ).df()
            stored = _stored(con)
    if same is not None:
        context.log.info(
            f"disclosure control not run again: the inputs are those of release {same}, made "
            "under the same thresholds, and the tables as published are still its own"
        )
        for spec in PUBLISHED_TABLES:
            yield dg.MaterializeResult(asset_key=spec.key, metadata={"same_as": same})
        return
    ref = load_reference()
    shapes = monitor_shapes(codelist, list(ref.gemeenten), list(ref.u10))
    published, report, suppression = disclosure.protect_tables(
        frames,
        shapes,
        thresholds,
        workers=min(2, os.cpu_count() or 1),
        history=lambda cells: earlier_releases(cells, shapes, monitor, stored, thresholds),
    )
    # The time is run metadata, not release content: the same input gives the same release.
    seconds = report.pop("seconds")
    with monitor.warehouse() as con:
        inputs.record_published(con, None)
        con.sql("create schema if not exists published")
        for name, table in published.items():
            columns = "*"
            if table.empty:  # no rows to infer the types from: the marts' (and geheim's)
                types = {row[0]: row[1] for row in con.sql(f"describe marts.{name}").fetchall()}
                types["geheim"] = "boolean"
                columns = ", ".join(
                    f'cast("{c}" as {types[c]}) as "{c}"' if c in types else f'"{c}"'
                    for c in table.columns
                )
            con.register("_table", table)
            con.sql(f"create or replace table published.{name} as select {columns} from _table")
            con.unregister("_table")
        con.sql("create or replace table published.disclosure_report (report json)")
        con.execute("insert into published.disclosure_report values (?)", [json.dumps(report)])
        con.register("_cells", disclosure.kept_cells(suppression))
        con.sql("create or replace table published.cells as select * from _cells")
        con.unregister("_cells")
        # by key, like the cells: the next release's cells are numbered afresh
        con.register("_moves", disclosure.kept_moves(suppression))
        con.register("_keys", _numbered(suppression.cells.keys))
        con.sql(
            "create or replace table published.moves as "
            "select m.move, k.key, m.delta from _moves m join _keys k using (cell)"
        )
        con.unregister("_moves")
        con.unregister("_keys")
        inputs.record_published(con, made_from if report["audit"]["passed"] else None)
    audit = report["audit"]
    across = report["across_releases"]
    if not audit["passed"]:
        raise dg.Failure(
            description=f"disclosure audit failed: {len(audit['pinned'])} withheld cells can be "
            "computed back from the published tables"
            + (" together with the earlier releases" if across["earlier_releases"] else "")
            + "; nothing is published",
            metadata={"pinned": dg.MetadataValue.json(audit["pinned"][:20])},
        )
    loss = report["information_loss"]["share_of_cells_withheld"]
    settled = sum(o.settled for o in suppression.optimiser)
    earlier = len(across["earlier_releases"])
    context.log.info(
        f"{audit['withheld_cells']:,} cells withheld ({100 * loss:.1f}%), audit passed: "
        f"no cell pinned ({audit['linear_programs']:,} linear "
        f"program{'s' * (audit['linear_programs'] != 1)})"
        + (f", together with {earlier} earlier release{'s' * (earlier != 1)}" if earlier else "")
        + (
            f"; the figures are those of {across['same_figures_as']}, made as it was"
            if "same_figures_as" in across
            else ""
        )
        + (
            f"; {settled:,} tables unchanged since the latest release not solved again"
            if settled
            else ""
        )
    )
    for spec in PUBLISHED_TABLES:
        name = spec.key.path[-1]
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={
                "rows": len(published[name]),
                "resource": dg.MetadataValue.json(report["resources"][name]),
                # the tables are protected together: these are the whole step's
                "share_withheld": loss,
                "withheld_cells": audit["withheld_cells"],
                "linear_programs": audit["linear_programs"],
                "earlier_releases": len(across["earlier_releases"]),
                "seconds": seconds,
            },
        )


def _marts_built_here(context: dg.AssetExecutionContext) -> bool:
    """Whether this run built every model up to the marts (a run of a whole job does)."""
    selection = context.run.asset_selection  # empty or None: the whole job
    return not selection or monitor_dbt_assets.keys <= selection


def _same_release(
    con: duckdb.DuckDBPyConnection,
    monitor: MonitorResource,
    logs: dict[str, list[dict]],
    made_from: str,
    thresholds: disclosure.Thresholds,
) -> str | None:
    """The latest release, when it was made from these inputs under these thresholds and the
    tables as published are still the ones protected for them: nothing to solve again. (A run
    launched by hand in the UI on the latest release's inputs; its release step keeps that
    release whatever this step does.)"""
    state = inputs.State(logs, inputs.recorded(con), latest(monitor.releases))
    version = state.unchanged_since(made_from)
    if version is None or inputs.published_from(con) != made_from:
        return None
    return version if _made_under(monitor.releases / version, thresholds) else None


def earlier_releases(
    cells: disclosure.Cells,
    shapes: dict,
    monitor: MonitorResource,
    stored: pd.DataFrame,
    thresholds: disclosure.Thresholds,
) -> history.History:
    """The published releases, oldest first, aligned with the new cells.

    A release whose cells are not kept (made before they were) has only its files. The latest
    gets its true values from the warehouse after all when it was made from exactly the
    deliveries current now: then the marts are its truth. When the marts equal the latest
    release's truth, the new release would be the latest again: it is made against the
    releases before it, as the latest was, so the same data gives the same release. With
    the latest release come the moves kept with it (`history.moves`): a table unchanged since
    is not solved again.
    """
    found = versions(monitor.releases)
    releases = []
    for version in found:
        mine = stored[stored["version"] == version]
        if not len(mine) and version == found[-1] and _made_from_current(monitor, version):
            mine = _from_files(monitor.releases / version, shapes)
            truth = dict(zip(cells.keys, cells.value, strict=True))
            mine = mine.assign(value=mine["key"].map(truth))
        if len(mine):
            releases.append(history.align(cells.keys, version, mine))
        else:
            files = _from_files(monitor.releases / version, shapes)
            releases.append(history.align(cells.keys, version, files, known=False))
    same_figures_as = None
    if releases and _same_truth(releases[-1], cells):
        same_figures_as = releases.pop().version
    same_rules = bool(releases) and _made_under(monitor.releases / releases[-1].version, thresholds)
    latest = releases[-1] if releases else None
    moves = _stored_moves(monitor, latest.version, cells) if latest and latest.known else None
    return history.History(releases, same_rules, moves, same_figures_as)


def _made_under(folder: Path, thresholds: disclosure.Thresholds) -> bool:
    """The release in `folder` states these thresholds (a release from before
    disclosure.json was written states none)."""
    path = folder / "disclosure.json"
    if not path.is_file():
        return False
    parameters = json.loads(path.read_text()).get("parameters", {})
    return all(parameters.get(name) == getattr(thresholds, name) for name in RULES)


def _same_truth(latest: history.Earlier, cells: disclosure.Cells) -> bool:
    return bool(latest.known and latest.present.all() and np.array_equal(latest.value, cells.value))


def _stored(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    con.sql("create schema if not exists history")
    con.sql(
        f"create table if not exists {HISTORY} "
        "(version varchar, key varchar, value double, withheld boolean)"
    )
    return con.sql(f"select version, key, value, withheld from {HISTORY}").df()


def moves_table(con: duckdb.DuckDBPyConnection) -> None:
    con.sql("create schema if not exists history")
    con.sql(
        f"create table if not exists {MOVES} "
        "(version varchar, move bigint, key varchar, delta double)"
    )


def _stored_moves(
    monitor: MonitorResource, version: str, cells: disclosure.Cells
) -> csr_matrix | None:
    """The moves kept with release `version` over the new cells (looked up by key in the
    warehouse: a million entries); None when it kept none."""
    with monitor.warehouse() as con:
        moves_table(con)
        con.register("_keys", _numbered(cells.keys))
        found = con.execute(
            f"select m.move, coalesce(k.cell, -1) as cell, m.delta from {MOVES} m "
            "left join _keys k using (key) where m.version = ?",
            [version],
        ).fetchnumpy()
        con.unregister("_keys")
    if not len(found["move"]):
        return None
    return history.moves_matrix(found["move"], found["cell"], found["delta"], len(cells.value))


def _numbered(keys: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"cell": np.arange(len(keys), dtype=np.int64), "key": keys})


def _from_files(folder: Path, shapes: dict) -> pd.DataFrame:
    """A release's cells as its files show them: the published values, which are withheld."""
    frames = {}
    for name in SUPPRESSED:
        path = folder / "data" / f"{name}.csv"
        if path.is_file():
            frames[name] = pd.read_csv(
                path,
                dtype={"gebied_code": str, "geslacht": str, "leeftijdsklasse": str},
                keep_default_na=False,
                na_values=[""],
            )
    cells = disclosure.cells_of(frames, {k: v for k, v in shapes.items() if k in frames})
    return pd.DataFrame(
        {"key": cells.keys.astype(str), "value": cells.value, "withheld": np.isnan(cells.value)}
    )


def _made_from_current(monitor: MonitorResource, version: str) -> bool:
    """Whether a release was made from exactly the deliveries current in the warehouse."""
    from ingest import warehouse

    path = monitor.releases / version / "deliveries.json"
    if not path.is_file() or not (monitor.releases / version / MANIFEST).is_file():
        return False
    used = {d["sha256"] for d in json.loads(path.read_text())}
    with monitor.warehouse() as con:
        current = {
            e["delivery_hash"]
            for log in inputs.logs_of(con).values()
            for e in warehouse.current_deliveries(log)
        }
    return used == current


def monitor_shapes(
    codelist: pd.DataFrame, municipalities: list[str], u10: list[str]
) -> dict[str, disclosure.Shape]:
    """The monitor's two suppressed resources. Indicators with the same population text in the
    code list share a noemer; U16 and U10 are totals of their municipalities."""
    populations = {
        row.indicator: f"{row.resource}: {row.populatie_nl}" for row in codelist.itertuples()
    }
    areas = disclosure.area_hierarchy(municipalities, u10)
    return {
        "indicatoren": disclosure.Shape(
            ("cohort_jaar", "duur_maanden"), (areas, disclosure.SEX, disclosure.AGE), populations
        ),
        "doorgaande_lijn": disclosure.Shape(("jaar",), (areas,), populations),
    }
