"""The warehouse side of ingestion: the delivery log and the current snapshots.

Raw tables live in schema `raw`, named `<source>__<table>`; each source's delivery log is
`raw.<source>__deliveries`. Only the current snapshot of each deliverer is loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa

from contract.tables import stored_schema
from ingest.deliveries import Outcome, Source

LOG_SCHEMA = pa.schema(
    [
        pa.field("delivery_hash", pa.string()),
        pa.field("file_name", pa.string()),
        pa.field("source", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("deliverer", pa.string()),
        pa.field("period", pa.string()),
        pa.field("peildatum", pa.date32()),
        pa.field("counts_for_peildatum", pa.bool_()),
        pa.field("status", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("rows", pa.int64()),
        # rows dropped by row rules, and the suites' summary (JSON) for the release
        pa.field("dropped", pa.int64()),
        pa.field("validation", pa.string()),
        pa.field("received_seq", pa.int64()),
        pa.field("received_at", pa.timestamp("s")),
        # The current-snapshot rule's verdict (`current_deliveries`), written with the log so
        # that dbt reads it instead of stating the rule again.
        pa.field("is_current", pa.bool_()),
    ]
)


def raw_table(source: str, table: str) -> str:
    return f"raw.{source}__{table}"


def log_table(source: str) -> str:
    return raw_table(source, "deliveries")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def read_log(con: duckdb.DuckDBPyConnection, source: str) -> list[dict]:
    """The source's delivery log, oldest first; empty before its first run. Reads only, so a
    read-only connection will do (the sensors and `statushouders status` use one)."""
    if not table_exists(con, "raw", f"{source}__deliveries"):
        return []
    return (
        con.sql(f"select * from {log_table(source)} order by received_seq")
        .to_arrow_table()
        .to_pylist()
    )


def record(log: list[dict], outcome: Outcome) -> None:
    """Add an outcome to the log, replacing an earlier entry for the same bytes and name."""
    file = outcome.file
    log[:] = [e for e in log if (e["file_name"], e["delivery_hash"]) != (file.name, file.sha256)]
    log.append(
        {
            "delivery_hash": file.sha256,
            "file_name": file.name,
            "source": file.source,
            "kind": file.kind.name if file.kind else None,
            "deliverer": file.deliverer or None,
            "period": file.period or None,
            "peildatum": outcome.peildatum or file.peildatum,
            "counts_for_peildatum": file.kind.counts_for_peildatum if file.kind else None,
            "status": outcome.status,
            "reason": outcome.reason or None,
            "rows": outcome.rows,
            "dropped": outcome.dropped,
            "validation": (
                json.dumps(outcome.validation.summary()) if outcome.validation is not None else None
            ),
            "received_seq": max((e["received_seq"] for e in log), default=0) + 1,
            "received_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        }
    )


def write_log(con: duckdb.DuckDBPyConnection, source: str, log: list[dict]) -> None:
    current = {id(entry) for entry in current_deliveries(log)}
    rows = [{**entry, "is_current": id(entry) in current} for entry in log]
    entries = pa.Table.from_pylist(rows, schema=LOG_SCHEMA)  # noqa: F841 (read by duckdb below)
    con.execute("create schema if not exists raw")
    con.execute(f"create or replace table {log_table(source)} as select * from entries")


def current_deliveries(log: list[dict]) -> list[dict]:
    """The current snapshot per (kind, deliverer): the newest accepted period, and within a
    period the latest received version (a corrected file replaces the earlier one).
    Refused deliveries never become current, so a refused newer file leaves the older current.
    """
    best: dict[tuple[str, str], dict] = {}
    for entry in log:
        if entry["status"] != "accepted":
            continue
        key = (entry["kind"], entry["deliverer"])
        rank = (entry["period"], entry["received_seq"])
        if key not in best or rank > (best[key]["period"], best[key]["received_seq"]):
            best[key] = entry
    return sorted(best.values(), key=lambda e: (e["kind"], e["deliverer"]))


def load_current(
    con: duckdb.DuckDBPyConnection, source: Source, log: list[dict], staging: Path
) -> dict[str, dict]:
    """Replace each raw table of the source with the union of its current snapshots."""
    current = current_deliveries(log)
    loaded: dict[str, dict] = {}
    con.execute("create schema if not exists raw")
    for kind, table in source.tables():
        deliveries = [e for e in current if e["kind"] == kind.name]
        files = [str(staging / e["delivery_hash"] / f"{table.name}.parquet") for e in deliveries]
        target = raw_table(source.name, table.name)
        if files:
            con.execute(
                f"create or replace table {target} as select * from read_parquet(?)", [files]
            )
        else:
            empty = stored_schema(table).empty_table()  # noqa: F841 (read by duckdb below)
            con.execute(f"create or replace table {target} as select * from empty")
        rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
        loaded[table.name] = {
            "table": target,
            "rows": rows,
            "deliveries": [
                {
                    "file": e["file_name"],
                    "deliverer": e["deliverer"],
                    "peildatum": e["peildatum"],
                    "sha256": e["delivery_hash"],
                }
                for e in deliveries
            ],
        }
    return loaded
