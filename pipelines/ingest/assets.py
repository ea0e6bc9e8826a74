"""The Dagster assets every source gets: its deliveries, and its raw tables in the warehouse."""

import dagster as dg

from expectations import validate_delivery
from pipelines.ingest import warehouse
from pipelines.ingest.deliveries import (
    Outcome,
    Source,
    archive,
    archive_path,
    discover,
    identify,
    process,
    quarantine,
)
from pipelines.resources import MonitorResource


def deliveries_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey([source.name, "deliveries"])


def table_key(source: Source, table: str) -> dg.AssetKey:
    # The same key dagster-dbt gives dbt source `source.name`, table `table`.
    return dg.AssetKey([source.name, table])


def build_source_defs(source: Source) -> dg.Definitions:
    """Per source: a deliveries asset (discover, archive, check, refuse or stage) and one asset
    per raw table (the current snapshots, pseudonymised, with lineage)."""

    @dg.asset(
        key=deliveries_key(source),
        group_name=source.name,
        kinds={"python", "duckdb"},
        description=(
            f"{source.title}: every file in <landing>/{source.name}/, archived by content "
            "hash, checked against the contract, then refused into quarantine or "
            "pseudonymised and staged."
        ),
    )
    def deliveries(context: dg.AssetExecutionContext, monitor: MonitorResource):
        pseudonymiser = monitor.pseudonymiser()
        staging = monitor.staging(pseudonymiser)
        with monitor.warehouse() as con:
            log = warehouse.read_log(con, source.name)
            known = {(e["file_name"], e["delivery_hash"]): e for e in log}
            outcomes: list[Outcome] = []
            for file in discover(monitor.landing, source):
                entry = known.get((file.name, file.sha256))
                if entry and (entry["status"] == "refused" or (staging / file.sha256).is_dir()):
                    continue  # the same bytes again: nothing changes
                archived = archive(file, monitor.archive)
                outcome = process(source, file, pseudonymiser, validate_delivery, staging)
                if outcome.status == "refused":
                    folder = quarantine(outcome, monitor.quarantine)
                    context.log.warning(
                        f"{source.name}/{file.name} refused ({outcome.reason}); report in {folder}"
                    )
                else:
                    context.log.info(
                        f"{source.name}/{file.name} accepted: {outcome.rows:,} rows, "
                        f"archived as {archived.name[:12]}…"
                    )
                warehouse.record(log, outcome)
                outcomes.append(outcome)
            # Current snapshots staged under another key, or lost, are restaged from the archive.
            for entry in warehouse.current_deliveries(log):
                if not (staging / entry["delivery_hash"]).is_dir():
                    path = archive_path(
                        monitor.archive, source.name, entry["delivery_hash"], entry["file_name"]
                    )
                    file = identify(source, path, name=entry["file_name"])
                    outcome = process(source, file, pseudonymiser, validate_delivery, staging)
                    warehouse.record(log, outcome)
                    outcomes.append(outcome)
            warehouse.write_log(con, source.name, log)
        current = warehouse.current_deliveries(log)
        refused = [o for o in outcomes if o.status == "refused"]
        return dg.MaterializeResult(
            metadata={
                "new_files": len(outcomes),
                "accepted": len(outcomes) - len(refused),
                "refused": len(refused),
                "refused_files": dg.MetadataValue.md(
                    "\n".join(f"- `{o.file.name}`: {o.reason}" for o in refused) or "none"
                ),
                "current_snapshots": dg.MetadataValue.md(_current_table(current)),
            }
        )

    specs = [
        dg.AssetSpec(
            key=table_key(source, table.name),
            deps=[deliveries_key(source)],
            group_name=source.name,
            kinds={"duckdb"},
            description=(
                f"{kind.description or kind.name} ({table.location or table.name}): "
                "the current snapshot of every deliverer, as table "
                f"{warehouse.raw_table(source.name, table.name)}. Identifiers are pseudonyms."
            ),
        )
        for kind, table in source.tables()
    ]

    @dg.multi_asset(specs=specs, name=f"{source.name}_raw_tables")
    def raw_tables(context: dg.AssetExecutionContext, monitor: MonitorResource):
        pseudonymiser = monitor.pseudonymiser()
        with monitor.warehouse() as con:
            log = warehouse.read_log(con, source.name)
            loaded = warehouse.load_current(con, source, log, monitor.staging(pseudonymiser))
        for name, info in loaded.items():
            context.log.info(f"{info['table']}: {info['rows']:,} rows")
            yield dg.MaterializeResult(
                asset_key=table_key(source, name),
                metadata={
                    "table": info["table"],
                    "dagster/row_count": info["rows"],
                    "deliveries": dg.MetadataValue.json(
                        [{**d, "peildatum": str(d["peildatum"])} for d in info["deliveries"]]
                    ),
                },
            )

    return dg.Definitions(assets=[deliveries, raw_tables])


def _current_table(current: list[dict]) -> str:
    lines = ["| kind | deliverer | peildatum | file | sha256 |", "|---|---|---|---|---|"]
    lines += [
        f"| {e['kind']} | {e['deliverer']} | {e['peildatum']} | {e['file_name']} "
        f"| {e['delivery_hash'][:12]} |"
        for e in current
    ]
    return "\n".join(lines)
