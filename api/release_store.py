"""The published releases as the API reads them: each version loaded once, kept in memory.

A release folder is immutable (see publish/store.py), so everything derived from its
Parquet files — rows pre-rendered as JSON, an index per dimension value, sort ranks — is
computed once per version. Only `latest` moves: it is one `readlink` on every request, so
a release switched live is served from the next request on, without a restart, and a
request that started on the old release finishes on it.

Nothing here reads the warehouse; a release is read from `<data-dir>/releases/<version>/`
only, never through the `latest` link, so a switch half-way through a load cannot mix two.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import hashlib
import io
import itertools
import json
import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from publish.store import LATEST, MANIFEST, versions
from publish.tableschema import DIMENSIONS

VERSION_RE = re.compile(r"^\d{1,9}\.\d{1,9}\.\d{1,9}$")
PACKAGE = "datapackage.json"
RETRY_FAILED_AFTER = 60.0  # seconds before a release that failed to load is tried again
_EMPTY = np.empty(0, dtype=np.int64)


class ReleaseNotFound(Exception):
    pass


class ReleaseUnreadable(Exception):
    pass


@dataclass(frozen=True)
class ReleaseInfo:
    """What `release.json` says about a release."""

    version: str
    folder: Path
    created: str | None
    peildatum: str | None
    content_digest: str
    files: frozenset[str]

    @classmethod
    def read(cls, folder: Path) -> ReleaseInfo:
        raw = (folder / MANIFEST).read_bytes()
        manifest = json.loads(raw)
        return cls(
            version=folder.name,
            folder=folder,
            created=manifest.get("created"),
            peildatum=manifest.get("peildatum"),
            # A release without a digest still gets a strong validator: its manifest's hash.
            content_digest=manifest.get("content_digest") or hashlib.sha256(raw).hexdigest(),
            files=frozenset(str(name) for name in manifest.get("files", [])),
        )


def _to_json(value: Any) -> Any:
    """orjson's fallback for Parquet types it does not know (decimals)."""
    if hasattr(value, "__float__"):
        return float(value)
    raise TypeError(type(value).__name__)


def csv_cell(value: Any) -> str:
    """A value as the release's CSV writes it: empty for missing, true/false for booleans."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class Table:
    """One resource of a release: its rows in primary-key order, with what queries need.

    Every column is dictionary-encoded once. The codes give, per dimension value, the sorted
    positions of its rows (a filter is an index look-up and a mask, never a scan), and a
    dense rank per row for sorting on any column. Each row's JSON is rendered once.
    """

    def __init__(self, name: str, resource: dict, parquet: dict | None, table: pa.Table) -> None:
        self.name = name
        self.kind: str = resource.get("x-kind", "dataset")
        self.resource = resource
        self.parquet = parquet
        self.fields: tuple[str, ...] = tuple(table.column_names)
        self.integer_fields = frozenset(f.name for f in table.schema if pa.types.is_integer(f.type))
        self.num_rows = table.num_rows
        self.all_rows = np.arange(self.num_rows, dtype=np.int64)
        self.columns: dict[str, list] = {}
        self._ranks: dict[str, np.ndarray] = {}
        self._codes: dict[str, np.ndarray] = {}
        self._code_of: dict[str, dict[Any, int]] = {}
        self._positions: dict[str, list[np.ndarray]] = {}
        for field in self.fields:
            self._encode(field, table.column(field))
        self.json_rows = self._render_json()

    def _render_json(self) -> list[bytes]:
        """Every row's JSON, rendered once.

        orjson returns each row in a buffer sized for far more; kept as they are, 100,000
        of them fragment the heap (400 MB for 25 MB of JSON). Rendered into one buffer and
        cut into exact-size copies, the rows take what they weigh.
        """
        buffer, bounds = bytearray(), [0]
        columns = [self.columns[f] for f in self.fields]
        for row in zip(*columns, strict=True):
            buffer += orjson.dumps(dict(zip(self.fields, row, strict=True)), default=_to_json)
            bounds.append(len(buffer))
        rendered = bytes(buffer)
        return [rendered[start:end] for start, end in itertools.pairwise(bounds)]

    def _encode(self, field: str, column: pa.ChunkedArray) -> None:
        encoded = pc.dictionary_encode(column).combine_chunks()
        labels = encoded.dictionary.to_pylist()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        # Code -1 (missing) indexes the appended None; values share one object per distinct value.
        with_missing = [*labels, None]
        self.columns[field] = [with_missing[c] for c in codes.tolist()]
        # Dense ranks; a missing value ranks after every value.
        by_value = sorted(range(len(labels)), key=labels.__getitem__)
        rank_of_code = np.empty(len(labels) + 1, dtype=np.int64)
        rank_of_code[by_value] = np.arange(len(labels))
        rank_of_code[-1] = len(labels)
        self._ranks[field] = rank_of_code[codes]
        if field in DIMENSIONS:
            self._codes[field] = codes
            self._code_of[field] = {label: code for code, label in enumerate(labels)}
            order = np.argsort(codes, kind="stable")
            counts = np.bincount(codes[codes >= 0], minlength=len(labels))
            starts = np.concatenate([[0], np.cumsum(counts)]) + int((codes < 0).sum())
            self._positions[field] = [order[starts[c] : starts[c + 1]] for c in range(len(labels))]

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f in DIMENSIONS)

    def select(self, filters: dict[str, tuple]) -> np.ndarray:
        """Positions (ascending, so in primary-key order) of rows matching every filter."""
        if not filters:
            return self.all_rows
        chosen = []
        for field, values in filters.items():
            code_of = self._code_of[field]
            codes = [code_of[v] for v in values if v in code_of]
            if not codes:
                return _EMPTY
            size = sum(len(self._positions[field][c]) for c in codes)
            chosen.append((size, field, codes))
        chosen.sort(key=lambda item: item[0])
        _, field, codes = chosen[0]
        parts = [self._positions[field][c] for c in codes]
        rows = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        for _, field, codes in chosen[1:]:
            found = self._codes[field][rows]
            rows = rows[found == codes[0] if len(codes) == 1 else np.isin(found, codes)]
        return rows

    def order(self, rows: np.ndarray, sort: tuple[tuple[str, bool], ...]) -> np.ndarray:
        """`rows` sorted on (field, descending) keys; ties keep primary-key order."""
        if not sort or not len(rows):
            return rows
        keys = [
            -self._ranks[field][rows] if descending else self._ranks[field][rows]
            for field, descending in reversed(sort)
        ]
        return rows[np.lexsort(keys)]

    def json_array(self, rows: np.ndarray, fields: tuple[str, ...] | None = None) -> bytes:
        if fields is None:
            rendered = self.json_rows
            return b"[" + b",".join([rendered[i] for i in rows.tolist()]) + b"]"
        columns = [self.columns[f] for f in fields]
        return orjson.dumps(
            [dict(zip(fields, [c[i] for c in columns], strict=True)) for i in rows.tolist()],
            default=_to_json,
        )

    def csv_text(
        self, rows: np.ndarray, fields: tuple[str, ...] | None = None, *, header: bool = True
    ) -> str:
        fields = fields or self.fields
        columns = [self.columns[f] for f in fields]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(fields)
        writer.writerows([csv_cell(c[i]) for c in columns] for i in rows.tolist())
        return out.getvalue()

    def csv_chunks(
        self, rows: np.ndarray, fields: tuple[str, ...] | None = None, per_chunk: int = 2000
    ) -> Iterator[bytes]:
        """The CSV of `rows`, `per_chunk` rows at a time: a whole table is sent without ever
        being one text in memory, and the server answers others between chunks."""
        yield self.csv_text(rows[:per_chunk], fields).encode()
        for start in range(per_chunk, len(rows), per_chunk):
            yield self.csv_text(rows[start : start + per_chunk], fields, header=False).encode()


@dataclass(frozen=True)
class Release:
    info: ReleaseInfo
    package: dict
    tables: dict[str, Table]

    def table(self, name: str, kind: str) -> Table | None:
        table = self.tables.get(name)
        return table if table is not None and table.kind == kind else None

    def of_kind(self, kind: str) -> list[Table]:
        return [t for t in self.tables.values() if t.kind == kind]


def load_release(folder: Path) -> Release:
    """Read a release folder: its manifest, its package and every resource's Parquet file."""
    info = ReleaseInfo.read(folder)
    package = json.loads((folder / PACKAGE).read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package.get("resources", [])}
    tables: dict[str, Table] = {}
    for name, resource in resources.items():
        if resource.get("format") == "parquet" or name.endswith("-parquet"):
            continue
        twin = resources.get(f"{name}-parquet")
        path = _inside(folder, twin["path"] if twin else f"data/{name}.parquet")
        data = pq.read_table(path)
        key = [
            k for k in resource.get("schema", {}).get("primaryKey", []) if k in data.column_names
        ]
        if key:
            data = data.sort_by([(k, "ascending") for k in key])
        tables[name] = Table(name, resource, twin, data)
    return Release(info, package, tables)


def _load_settled(folder: Path) -> Release:
    """Load, then collect the loading's garbage, so that only the release itself is frozen."""
    release = load_release(folder)
    gc.collect()
    return release


def _inside(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ReleaseUnreadable(f"{relative} is outside the release")
    return path


class ReleaseStore:
    """The releases under `<data_dir>/releases`, loaded on first use and kept by version."""

    def __init__(self, data_dir: Path, keep: int) -> None:
        self.folder = Path(data_dir) / "releases"
        self._latest_link = str(self.folder / LATEST)
        self.keep = keep
        self._loaded: OrderedDict[str, Release] = OrderedDict()
        self._loading: dict[str, asyncio.Task[Release]] = {}
        self._failed: dict[str, float] = {}  # version: when it last failed to load
        self._infos: dict[str, ReleaseInfo] = {}

    def latest_version(self) -> str | None:
        """The version `latest` points at now: one readlink, so a switch is seen at once."""
        try:
            target = os.readlink(self._latest_link)
        except OSError:
            return None
        name = os.path.basename(target.rstrip("/"))
        return name if VERSION_RE.fullmatch(name) else None

    def versions(self) -> list[str]:
        """Complete releases, oldest first."""
        return versions(self.folder)

    def info(self, version: str) -> ReleaseInfo:
        if version in self._loaded:
            return self._loaded[version].info
        info = self._infos.get(version)
        if info is None:
            folder = self._folder(version)
            try:
                info = ReleaseInfo.read(folder)
            except (OSError, ValueError) as exc:
                raise ReleaseUnreadable(f"release {version} cannot be read") from exc
            self._infos[version] = info
        return info

    async def release(self, version: str) -> Release:
        """The loaded release; the first request for a version loads it, in a worker thread."""
        found = self._loaded.get(version)
        if found is not None:
            self._loaded.move_to_end(version)
            return found
        failed = self._failed.get(version)
        if failed is not None and time.monotonic() - failed < RETRY_FAILED_AFTER:
            raise ReleaseUnreadable(f"release {version} cannot be read")
        task = self._loading.get(version)
        if task is None:
            folder = self._folder(version)
            task = asyncio.get_running_loop().create_task(self._load(version, folder))
            self._loading[version] = task
        return await asyncio.shield(task)

    async def _load(self, version: str, folder: Path) -> Release:
        try:
            release = await anyio.to_thread.run_sync(_load_settled, folder)
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
            # Not again on every request: a release does not change, so neither will this.
            self._failed[version] = time.monotonic()
            raise ReleaseUnreadable(f"release {version} cannot be read") from exc
        finally:
            self._loading.pop(version, None)
        # A loaded release is some hundred thousand long-lived objects that the garbage
        # collector would otherwise walk in every full collection (60 ms with a 100,000-row
        # release: that was the API's p99). Frozen objects are skipped; rows never form
        # cycles, so reference counting still frees a release when it is dropped.
        gc.freeze()
        self._loaded[version] = release
        while len(self._loaded) > self.keep:
            self._loaded.popitem(last=False)
        return release

    def _folder(self, version: str) -> Path:
        if not VERSION_RE.fullmatch(version):
            raise ReleaseNotFound(version)
        folder = self.folder / version
        if not (folder / MANIFEST).is_file():
            raise ReleaseNotFound(version)
        return folder
