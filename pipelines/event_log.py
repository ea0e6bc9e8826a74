"""Dagster's SQLite event log, with a connection per database kept open.

Dagster's SQLite event log makes a new SQLAlchemy engine and connection for every event it
stores, and closes both afterwards. Closing the last connection to a database in WAL mode
checkpoints and deletes the write-ahead log, and the next event creates it again. An event
cost 9 ms for a log line and 21 ms for a materialisation here. One `statushouders run`
stores about 500: every dbt model's output and materialisation, every dbt test as a
planned and an evaluated check, every step's start and end.

`MonitorEventLogStorage` is that event log with one connection per database kept open, as
SQLite is meant to be used: a log line costs 3 ms and a materialisation 7 ms. Nothing else
changes: the same files, tables and WAL mode, so the UI and `dagster` read them as before,
and Dagster's other storages (runs, schedules) stay as they are.

- The UI follows a running run by watching the run's `.db` file for changes, not its
  `-wal`. A passive checkpoint after each write to a run's database keeps that file
  changing with every event, as closing the connection did.
- Open connections are bounded: the index and the runs written to last (`KEEP_RUNS`).
- A process forked from one that holds connections opens its own.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import StaticPool

# How many runs' databases stay open besides the index: a run writes to its own, and the
# UI reads a few.
KEEP_RUNS = 4


class MonitorEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage that keeps one open connection per database file."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._pid = os.getpid()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> MonitorEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _engine(self, shard: str) -> db.Engine:
        if self._pid != os.getpid():
            # a forked child must not use its parent's connections
            self._engines = OrderedDict()
            self._pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = db.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in runs[:-KEEP_RUNS]:
            self._engines.pop(name).dispose()
        return engine

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # the run databases are deleted: no connection may keep writing to a deleted file
        self._close_all()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
