"""One run at a time per data dir: an OS lock on `<data-dir>/run.lock`.

Two runs on one warehouse re-ingest and rebuild the marts underneath each other, and DuckDB
lets only one process write. `flock` is held by the process, not by a file's existence: the
kernel releases it when the holder exits or is killed (`kill -9` included), so no stale lock
is ever left to clean up. The file only tells a waiting run who holds it.

Every run takes it: `statushouders run` and `demo` before the Dagster run starts, and every
Dagster run through the `monitor` resource (`MonitorResource.setup_for_execution`), so a run
the UI or its sensor launches and a run from the command line exclude each other too. Within
one process the lock is re-entrant: the command's own Dagster run does not wait for it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "run.lock"
# How often a waiting run tries again.
POLL_SECONDS = 0.5
# A reader (a sensor, `statushouders status`) holds the lock shared for milliseconds and names
# no holder; a run that finds only such a reader tries this long before it counts as busy.
READER_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class Holder:
    pid: int
    started: str  # local time, to the second
    what: str
    host: str = ""

    def describe(self) -> str:
        host = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid}{host} ({self.what}, started {self.started})"


class DataDirBusy(Exception):
    """Another process holds the data dir's lock."""

    def __init__(self, data_dir: Path, holder: Holder | None) -> None:
        self.data_dir = data_dir
        self.holder = holder
        by = holder.describe() if holder else "another process (starting up)"
        super().__init__(f"the data dir {data_dir} is in use by {by}")


# path -> [file descriptor, depth]: the locks this process holds
_held: dict[Path, list[int]] = {}
_guard = threading.Lock()


def holder(data_dir: Path) -> Holder | None:
    """Who holds the lock, as the holder wrote it; None when nobody says."""
    try:
        text = (data_dir / LOCK_FILE).read_text()
        return Holder(**json.loads(text)) if text.strip() else None
    except (OSError, ValueError, TypeError):
        return None


@contextmanager
def data_dir_lock(
    data_dir: Path,
    what: str,
    wait: float | None = 0,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[None]:
    """Hold the data dir's lock for the block.

    `wait` 0 raises DataDirBusy at once when another process holds it; None waits as long
    as it takes; a number of seconds waits that long at most. `on_wait` is told once who
    is waited for.
    """
    path = (data_dir / LOCK_FILE).resolve()
    with _guard:
        if path in _held:
            _held[path][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release(path)
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, data_dir, wait, on_wait)
    except BaseException:
        os.close(fd)
        raise
    me = Holder(
        pid=os.getpid(),
        started=dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        what=what,
        host=socket.gethostname(),
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(me.__dict__).encode(), 0)
    with _guard:
        _held[path] = [fd, 1]
    try:
        yield
    finally:
        _release(path)


def _acquire(
    fd: int,
    data_dir: Path,
    wait: float | None,
    on_wait: Callable[[Holder | None], None] | None,
) -> None:
    started = time.monotonic()
    deadline = None if wait is None else started + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        by = holder(data_dir)
        grace = by is None and time.monotonic() < started + READER_GRACE_SECONDS
        if deadline is not None and time.monotonic() >= deadline and not grace:
            raise DataDirBusy(data_dir, by)
        if grace:
            time.sleep(0.05)
            continue
        if not told and on_wait is not None:
            on_wait(holder(data_dir))
            told = True
        time.sleep(POLL_SECONDS)


@contextmanager
def reading(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's lock shared for a short read, or raise DataDirBusy at once.

    Sensors and `statushouders status` read the warehouse while no run writes it: DuckDB
    lets one process write, and a reader that opened the file would make a starting run's
    connection fail. Readers exclude runs, not each other; a run that meets one waits
    READER_GRACE_SECONDS. In a process that holds the lock itself this is a no-op.
    """
    path = (data_dir / LOCK_FILE).resolve()
    with _guard:
        mine = path in _held
    try:
        fd = None if mine else os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        fd = None  # no data dir yet, or one nobody may write: no run writes it either
    if fd is None:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirBusy(data_dir, holder(data_dir)) from None
        yield
    finally:
        os.close(fd)


def _release(path: Path) -> None:
    with _guard:
        entry = _held[path]
        entry[1] -= 1
        if entry[1]:
            return
        del _held[path]
    fd = entry[0]
    # The file says who holds the lock; nobody does now. Truncated while still locked, so a
    # waiter never reads it half-written; it is never removed, since a process that opened
    # the old file and one that made a new one would each get "the" lock.
    os.ftruncate(fd, 0)
    os.close(fd)
