"""The Dagster assets every source gets: its deliveries, and its raw tables in the warehouse."""

import time
from pathlib import Path

import dagster as dg

from expectations import suite_name, validate_delivery
from expectations.data_docs import write_index, write_page
from ingest import warehouse
from ingest.deliveries import (
    ChangedWhileRead,
    Outcome,
    Source,
    archive,
    archive_path,
    could_not_read,
    discover,
    identify,
    keyed_folder,
    misplaced,
    process,
    quarantine,
    today,
)
from ingest.names import escaped
from pipelines.defs.alerts import notify_refused
from pipelines.defs.resources import MonitorResource


def deliveries_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey([source.name, "deliveries"])


def deliveries_op(source: Source) -> str:
    """The op of a source's deliveries asset, as run config names it."""
    return deliveries_key(source).to_python_identifier()


class DeliveriesConfig(dg.Config):
    """Which new files a run takes in. The landing sensor names those it saw unchanged since
    its previous tick (their sha256), so a file still being uploaded is not refused half
    written; it waits for a later run. The publishing runs (the monthly schedule, the cut
    sensor) have no previous tick: they take a new file once it has not changed for
    `settled_seconds`. Unset (a run started by hand, `statushouders run`): every file in the
    landing folder."""

    files: list[str] | None = None
    settled_seconds: int = 0


def _changed_within(path: Path, seconds: int) -> bool:
    """Whether the file was written less than `seconds` ago: an upload still going on."""
    if seconds <= 0:
        return False
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return True  # being replaced: a later run looks again


def table_key(source: Source, table: str) -> dg.AssetKey:
    # The same key dagster-dbt gives dbt source `source.name`, table `table`.
    return dg.AssetKey([source.name, table])


def build_source_defs(source: Source) -> dg.Definitions:
    """Per source: a deliveries asset (discover, archive, check, refuse or stage) and one asset
    per raw table (the current snapshots, pseudonymised, with lineage)."""

    suites = {suite_name(source.name, table.name): table for _kind, table in source.tables()}

    def shown(name: str) -> str:
        """A landing file as the log names it, its odd characters written out."""
        return f"{source.name}/{escaped(name)}"

    @dg.asset(
        key=deliveries_key(source),
        group_name=source.name,
        kinds={"python", "duckdb"},
        check_specs=[
            dg.AssetCheckSpec(
                name=name,
                asset=deliveries_key(source),
                description=f"Great Expectations suite {name} on every new delivery "
                "(expectations/delivery_suites.py)",
            )
            for name in suites
        ],
        description=(
            f"{source.title}: every file in <landing>/{source.name}/, archived by content "
            "hash, checked against the contract, then refused into quarantine or "
            "pseudonymised and staged."
        ),
    )
    def deliveries(
        context: dg.AssetExecutionContext, config: DeliveriesConfig, monitor: MonitorResource
    ):
        pseudonymiser = monitor.pseudonymiser()
        staging = monitor.staging(pseudonymiser)
        max_bytes = monitor.max_delivery_bytes()
        unreadable: list[tuple[str, str]] = []
        arriving: list[tuple[str, str]] = []
        with monitor.warehouse() as con:
            log = warehouse.read_log(con, source.name)
            known = {(e["file_name"], e["delivery_hash"]): e for e in log}
            outcomes: list[Outcome] = []
            quarantined: dict[str, Path] = {}
            for file in discover(monitor.landing, source, unreadable):
                entry = known.get((file.name, file.sha256))
                if entry and (entry["status"] == "refused" or (staging / file.sha256).is_dir()):
                    continue  # the same bytes again: nothing changes
                if config.files is not None and not entry and file.sha256 not in config.files:
                    arriving.append(
                        (file.name, "it arrived or changed after the landing sensor looked")
                    )
                    continue
                if not entry and _changed_within(file.path, config.settled_seconds):
                    arriving.append(
                        (file.name, f"it changed in the last {config.settled_seconds} s")
                    )
                    continue
                try:
                    file = archive(file, monitor.archive)  # its copy from now on
                except ChangedWhileRead:
                    arriving.append((file.name, "it changed while the run read it"))
                    continue
                except FileNotFoundError as exc:
                    unreadable.append((file.name, could_not_read(exc)))
                    continue
                outcome = process(
                    source, file, pseudonymiser, validate_delivery, staging, max_bytes, today()
                )
                if outcome.status == "refused":
                    folder = quarantine(outcome, monitor.quarantine)
                    quarantined[file.name] = folder
                    context.log.warning(
                        f"{shown(file.name)} refused ({outcome.reason}); report in {folder}"
                    )
                else:
                    dropped = (
                        f", {outcome.dropped:,} dropped by row rules" if outcome.dropped else ""
                    )
                    context.log.info(
                        f"{shown(file.name)} accepted: {outcome.rows:,} rows"
                        f"{dropped}, archived as {file.path.name[:12]}…"
                    )
                    copied = _same_bytes_as(log, file)
                    if copied:
                        context.log.warning(
                            f"{shown(file.name)} holds the same bytes as "
                            f"{escaped(copied)}, delivered before: a copy of an earlier "
                            "snapshot? It counts as the snapshot its name says; ask the "
                            "supplier for the real one"
                        )
                if outcome.validation is not None:
                    _write_docs(context, monitor, file, outcome)
                warehouse.record(log, outcome)
                outcomes.append(outcome)
            # Current snapshots staged under another key, or lost, are restaged from the archive.
            for entry in warehouse.current_deliveries(log):
                if not (staging / entry["delivery_hash"]).is_dir():
                    path = archive_path(
                        monitor.archive, source.name, entry["delivery_hash"], entry["file_name"]
                    )
                    file = identify(source, path, name=entry["file_name"])
                    outcome = process(
                        source, file, pseudonymiser, validate_delivery, staging, max_bytes
                    )
                    warehouse.record(log, outcome)
                    outcomes.append(outcome)
            warehouse.write_log(con, source.name, log)
        for name, why in arriving:
            context.log.info(
                f"{shown(name)} waits: {why}; a later run takes it in once it has stopped changing"
            )
        for name, reason in unreadable:
            context.log.warning(f"{shown(name)} is skipped: {reason}; the next run looks again")
        for name, reason in misplaced(monitor.landing, source):
            context.log.warning(f"{escaped(name)} in the landing folder is not read: {reason}")
        current = warehouse.current_deliveries(log)
        refused = [o for o in outcomes if o.status == "refused"]
        if outcomes:
            write_index(monitor.docs)
        if refused:
            notify_refused(
                context.log,
                source.name,
                [(escaped(o.file.name), o.reason, quarantined.get(o.file.name)) for o in refused],
            )
        return dg.MaterializeResult(
            check_results=[_check_result(name, outcomes) for name in suites],
            metadata={
                "new_files": len(outcomes),
                "accepted": len(outcomes) - len(refused),
                "refused": len(refused),
                "dropped_rows": sum(o.dropped for o in outcomes),
                "refused_files": dg.MetadataValue.md(
                    "\n".join(f"- `{escaped(o.file.name)}`: {o.reason}" for o in refused) or "none"
                ),
                "current_snapshots": dg.MetadataValue.md(_current_table(current)),
            },
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


def _same_bytes_as(log: list[dict], file) -> str | None:
    """An accepted delivery under another name with these very bytes: a month's file sent
    again as the next month's is the same snapshot twice, and the cut would count it as new."""
    return next(
        (
            e["file_name"]
            for e in log
            if e["delivery_hash"] == file.sha256
            and e["file_name"] != file.name
            and e["status"] == "accepted"
        ),
        None,
    )


def _write_docs(context, monitor: MonitorResource, file, outcome: Outcome) -> None:
    """GX Data Docs pages for this delivery's suites, identifiers masked.

    The pages are a view of a verdict already taken: a page GX cannot render for odd values
    is left out with a warning. Storage errors still stop the run.
    """
    folder = monitor.docs / "deliveries" / file.source / keyed_folder(file)
    identifiers = {suite_name(file.source, t.name): t.identifier_names for t in file.kind.tables}
    for name, result in outcome.validation.results.items():
        try:
            write_page(result, identifiers[name], folder / f"{name}.html")
        except OSError:
            raise
        except Exception as exc:
            context.log.warning(
                f"no Data Docs page for {file.source}/{file.name}, suite {name}: "
                f"{type(exc).__name__}"
            )


def _check_result(name: str, outcomes: list[Outcome]) -> dg.AssetCheckResult:
    """One suite over this run's new deliveries: failing rules, counts, masked samples."""
    rules = [
        (o.file.name, r)
        for o in outcomes
        if o.validation is not None
        for r in o.validation.outcomes
        if r.suite == name
    ]
    failing = [(f, r) for f, r in rules if r.failing]
    # refused by this suite: a file rule of its table failed, or its table broke the tolerance;
    # or refused before any suite ran, for its structure (a missing column or sheet, an empty
    # or unreadable file): a green check beside it read as "this table's delivery is fine"
    refused = sorted(
        o.file.name
        for o in outcomes
        if (
            o.validation is not None
            and any(suite_name(o.file.source, v.table) == name for v in o.validation.violations)
        )
        or (o.status == "refused" and o.validation is None and name in _structure_of(o))
    )
    # rows dropped from the files taken in; a refused file drops none, it is not used at all
    accepted = {o.file.name for o in outcomes if o.status == "accepted"}
    dropped = sum(r.failing for f, r in failing if r.level == "row" and f in accepted)
    table = ["| file | rule | level | failing | sample |", "|---|---|---|---|---|"] + [
        f"| {f} | {r.rule} | {r.level} | {r.failing:,} | {', '.join(r.sample)} |"
        for f, r in failing
    ]
    return dg.AssetCheckResult(
        check_name=name,
        passed=not refused,
        severity=dg.AssetCheckSeverity.ERROR if refused else dg.AssetCheckSeverity.WARN,
        metadata={
            "deliveries_validated": len({f for f, _ in rules}),
            "expectations_evaluated": len(rules),
            "failing_rules": len(failing),
            "refused_files": dg.MetadataValue.json(refused),
            "dropped_rows": dropped,
            "failures": dg.MetadataValue.md("\n".join(table) if failing else "none"),
        },
    )


def _structure_of(outcome: Outcome) -> set[str]:
    """The suites of the tables a file refused for its structure fails: those its violations
    name, or every table of its kind when one is about the whole file."""
    kind = outcome.file.kind
    if kind is None:
        return set()
    tables = {t.name for t in kind.tables}
    named = {v.table for v in outcome.violations}
    if not named <= tables:  # a violation of the whole file (its name, encoding, emptiness)
        named = tables
    return {suite_name(outcome.file.source, table) for table in named}


def _current_table(current: list[dict]) -> str:
    lines = ["| kind | deliverer | peildatum | file | sha256 |", "|---|---|---|---|---|"]
    lines += [
        f"| {e['kind']} | {e['deliverer']} | {e['peildatum']} | {e['file_name']} "
        f"| {e['delivery_hash'][:12]} |"
        for e in current
    ]
    return "\n".join(lines)
