"""A full or read-only disk under the data dir, said in one line.

When the disk fills up, every writer fails in its own words: DuckDB's "Could not write file
… No space left on device", SQLite's "disk I/O error" with the statement and its parameters,
dbt's "Runtime Error in model …". None of that tells a data engineer what to do. The data
dir's file system is asked instead, and the messages are only a hint.
"""

from __future__ import annotations

import os
from pathlib import Path

# Below this much free space, an error while writing is taken to be a full disk.
NEARLY_FULL = 1 << 20

_NO_SPACE = (
    "no space left on device",
    "database or disk is full",
    "disk quota exceeded",
)
_READ_ONLY = ("read-only file system", "readonly database")


def storage_problem(data_dir: Path, message: str = "") -> str | None:
    """One line when the data dir cannot be written (full, read-only), else None.

    `message` is the error that stopped the run; it decides only together with the file
    system, except where it names the cause itself (ENOSPC, EROFS, EDQUOT).
    """
    text = message.lower()
    folder = _existing(data_dir)
    try:
        stat = os.statvfs(folder)
    except OSError:
        stat = None
    if (stat is not None and stat.f_flag & os.ST_RDONLY) or any(s in text for s in _READ_ONLY):
        return f"the data dir {data_dir} is on a read-only file system: nothing can be written"
    free = stat.f_bavail * stat.f_frsize if stat is not None else None
    said = any(s in text for s in _NO_SPACE)
    if said or (free is not None and free < NEARLY_FULL and message):
        left = f" ({human_size(free)} free)" if free is not None else ""
        return (
            f"no space left on the disk of the data dir {data_dir}{left}: free some and run again"
        )
    return None


def _existing(path: Path) -> Path:
    """The folder itself, or its nearest existing parent (on the same file system, mostly)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def human_size(n: float) -> str:
    """`0 bytes`, `4.0 KiB`, `1.2 GiB`: sizes in the messages a person reads."""
    if n < 1024:
        return f"{int(n):,} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            break
    return f"{n:,.1f} {unit}"
