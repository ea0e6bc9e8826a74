"""What a release is made from, and whether anything of it changed since the latest release.

The *inputs fingerprint* is a SHA-256 over everything that determines a release's content:

- the current snapshots: per source, kind and deliverer, the current delivery's period,
  peildatum, file name and SHA-256 (the delivery log's `current_deliveries`; refused files
  never count, so a refused file changes nothing);
- the dbt project (models, macros, seeds, which hold the reference data, tests, its YAML):
  the indicators and the plan's results; not the two files written into it from the
  supplier packages, which count as the packages (`code_files`);
- the Python code of `pipelines/`, `expectations/` and `publish/` (disclosure control, the
  package, the page and its templates) and `uv.lock`, the libraries' versions;
- STATUSHOUDERS_PUBLIC_URL, which the DCAT record's download URLs start with.

The same fingerprint also names the marts: disclosure control, which starts only once dbt
has built them and their suites have passed, records it (`history.marts`), and dbt clears it
when it starts to build. A `statushouders run` after one that failed later on (in disclosure
control, the published layer or the release) finds the marts of its inputs checked already,
and starts at disclosure control.

Disclosure control records it too for the tables it publishes (`history.published`), once
their audit passed. A run launched by hand on the latest release's inputs (the `monitor` job
in the UI, which builds everything) finds them, under the same thresholds, and does not
solve them again: the release step keeps the latest release anyway.

The pseudonym key is not in it: pseudonyms never reach a release. Disclosure control's run
config is not either: runs that skip use its defaults, as the schedule, the sensors and
`statushouders run` do; a run launched with other thresholds in the UI always runs in full.

The release asset records the fingerprint of every run that ends at a version (published or
unchanged) in the warehouse (`history.inputs`) and in the new release's `release.json`. A
run whose fingerprint is recorded for the latest release has nothing new to publish.

Sensors and `statushouders status` read the warehouse here without blocking a run: under the
data dir's lock held shared (pipelines/lock.py) and with a read-only connection, or not at all
(WarehouseBusy) while a run holds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import warehouse
from ingest.deliveries import Source, delivered_name, sha256_of
from pipelines.dbt_sources import GENERATED_FILES
from pipelines.lock import DataDirBusy, reading
from publish.store import MANIFEST, latest

ROOT = Path(__file__).resolve().parents[1]
# The code and configuration that make a release, relative to the repository.
CODE = ("contract", "ingest", "sources", "expectations", "pipelines", "publish", "dbt_project")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".md", ".html", ".jinja", ".css"}
SKIPPED = {"target", "logs", "dbt_packages", "__pycache__", "synthetic"}
RECORD = "history.inputs"
MARTS = "history.marts"
PUBLISHED = "history.published"


class WarehouseBusy(Exception):
    """A run holds the data dir or the warehouse; the message says which, in one line."""


@functools.cache
def code_digest() -> str:
    """The repository's code and reference data that shape a release, and uv.lock."""
    digest = hashlib.sha256()
    for path in code_files(ROOT):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def code_files(root: Path) -> list[Path]:
    """The files of `code_digest`, sorted.

    dbt's sources are written from the supplier packages (`sources/`, counted here) when a
    run starts (pipelines/dbt_sources.py). Counted too, they made a checkout's first run,
    which writes them after this digest is taken, and its second differ: the second rebuilt
    everything to publish the same release.
    """
    generated = {root / "dbt_project" / name for name in GENERATED_FILES}
    files = []
    for top in CODE:
        for path in (root / top).rglob("*"):
            parts = path.relative_to(root).parts
            # hidden files are tools' state (dbt's .user.yml), not code
            hidden = any(part.startswith(".") for part in parts)
            wanted = path.suffix in CODE_SUFFIXES and not hidden and not set(parts) & SKIPPED
            if wanted and path not in generated and path.is_file():
                files.append(path)
    lock = root / "uv.lock"
    if lock.is_file():
        files.append(lock)
    return sorted(files)


def current_snapshots(logs: dict[str, list[dict]]) -> list[tuple[str, ...]]:
    """(source, kind, deliverer, period, peildatum, file name, sha256) of every current
    snapshot. The same bytes under another month's name are another snapshot: its peildatum
    moves P."""
    return sorted(
        (
            source,
            e["kind"],
            e["deliverer"],
            e["period"],
            str(e["peildatum"]),
            e["file_name"],
            e["delivery_hash"],
        )
        for source, log in logs.items()
        for e in warehouse.current_deliveries(log)
    )


def fingerprint(logs: dict[str, list[dict]], public_url: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(current_snapshots(logs)).encode())
    digest.update(code_digest().encode())
    digest.update(public_url.encode())
    return digest.hexdigest()


def record(con: duckdb.DuckDBPyConnection, version: str, inputs: str) -> None:
    """A run ended at `version` from these inputs."""
    con.execute("create schema if not exists history")
    con.execute(
        f"create table if not exists {RECORD} "
        "(version varchar, fingerprint varchar, recorded_at timestamp)"
    )
    con.execute(f"insert into {RECORD} values (?, ?, now()::timestamp)", [version, inputs])


def logs_of(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Every source's delivery log, as the fingerprint reads them."""
    from sources import all_sources

    return {source.name: warehouse.read_log(con, source.name) for source in all_sources()}


def record_marts(con: duckdb.DuckDBPyConnection, inputs: str | None) -> None:
    """The marts are built from these inputs and passed their suites; None: they are being
    rebuilt, so no inputs can count on them."""
    _record(con, MARTS, inputs)


def record_published(con: duckdb.DuckDBPyConnection, inputs: str | None) -> None:
    """The tables as published (schema `published`) are disclosure control's, audit passed,
    for these inputs; None: they are being written, or their audit failed."""
    _record(con, PUBLISHED, inputs)


def published_from(con: duckdb.DuckDBPyConnection) -> str | None:
    """The inputs the tables as published were protected for, audit passed; None if unknown."""
    return _recorded_one(con, PUBLISHED)


def _record(con: duckdb.DuckDBPyConnection, table: str, inputs: str | None) -> None:
    con.execute("create schema if not exists history")
    con.execute(f"create table if not exists {table} (fingerprint varchar, recorded_at timestamp)")
    con.execute(f"delete from {table}")
    if inputs is not None:
        con.execute(f"insert into {table} values (?, now()::timestamp)", [inputs])


def _recorded_one(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    schema, name = table.split(".")
    if not warehouse.table_exists(con, schema, name):
        return None
    rows = con.execute(f"select fingerprint from {table}").fetchall()
    return rows[0][0] if rows else None


def recorded(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Per release version, the inputs it was recorded as made from."""
    found: dict[str, set[str]] = {}
    if warehouse.table_exists(con, "history", "inputs"):
        for version, inputs in con.execute(f"select version, fingerprint from {RECORD}").fetchall():
            found.setdefault(version, set()).add(inputs)
    return found


@dataclass
class State:
    """What the data dir holds: the delivery logs, the recorded fingerprints, the latest
    release."""

    logs: dict[str, list[dict]]
    recorded: dict[str, set[str]] = field(default_factory=dict)
    latest: Path | None = None
    # the inputs whose marts are built and passed their suites
    marts: str | None = None

    @property
    def latest_version(self) -> str | None:
        return self.latest.name if self.latest else None

    def unchanged_since(self, inputs: str) -> str | None:
        """The latest release's version when it was made from these inputs, else None."""
        if self.latest is None:
            return None
        if inputs in self.recorded.get(self.latest.name, set()):
            return self.latest.name
        return self.latest.name if self._manifest().get("inputs_fingerprint") == inputs else None

    @property
    def published_cut(self) -> str | None:
        """The month whose complete cut the latest release was made at (release.json's `cut`;
        None when its cut was not complete, or it is older than the record)."""
        return self._manifest().get("cut")

    def _manifest(self) -> dict:
        if self.latest is None:
            return {}
        try:
            manifest = json.loads((self.latest / MANIFEST).read_text())
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) else {}


def _why_busy(exc: duckdb.Error) -> str:
    """DuckDB's lock error in a few words: who holds the file, without its SQL-engine prose
    and documentation link."""
    text = str(exc).strip()
    holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    if holder:
        program = Path(holder[1]).name
        return f"another program has it open for writing (pid {holder[2]}, {program})"
    return text.splitlines()[0] if text else type(exc).__name__


def read_state(data_dir: Path, warehouse_path: Path, sources: Iterable[Source]) -> State:
    """The data dir's state, read without waiting: WarehouseBusy while a run holds it."""
    try:
        with reading(data_dir):
            logs: dict[str, list[dict]] = {s.name: [] for s in sources}
            made: dict[str, set[str]] = {}
            marts = None
            if warehouse_path.is_file():
                with duckdb.connect(str(warehouse_path), read_only=True) as con:
                    for name in logs:
                        logs[name] = warehouse.read_log(con, name)
                    made = recorded(con)
                    marts = _recorded_one(con, MARTS)
    except DataDirBusy as exc:
        raise WarehouseBusy(str(exc)) from None
    except duckdb.Error as exc:
        # another process has the file open for writing (DuckDB allows one writer)
        raise WarehouseBusy(
            f"the warehouse {warehouse_path} cannot be read now: {_why_busy(exc)}"
        ) from None
    return State(logs, made, latest(data_dir / "releases"), marts)


def new_files(
    landing: Path,
    sources: Iterable[Source],
    logs: dict[str, list[dict]],
    hashes: dict,
    unreadable: list[str] | None = None,
    changing: list[tuple[str, str, str]] | None = None,
) -> list[tuple[str, str, str]]:
    """(source, name, sha256) of every landing file the delivery logs do not know.

    The logs are what every run writes, whoever started it, so a file `statushouders run`
    took in is not new to a sensor that never saw it. `hashes` caches path → [size,
    mtime_ns, sha256] between calls (a sensor's cursor), so an unchanged file is hashed once;
    it is rewritten to hold the files present now. A file that cannot be read now is left
    out, and named in `unreadable`. The new files `hashes` did not hold with their size and
    time (arrived or changed since the previous call) are added to `changing` too.
    """
    found = []
    seen: dict[str, list] = {}
    for source in sources:
        known = {(e["file_name"], e["delivery_hash"]) for e in logs.get(source.name, [])}
        folder = landing / source.name
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            # as discover() lists them: files, hidden ones excepted
            if path.name.startswith(".") or not path.is_file():
                continue
            name = delivered_name(path)
            key = f"{source.name}/{name}"
            try:
                stat = path.stat()
                cached = hashes.get(key)
                unchanged = bool(cached) and cached[:2] == [stat.st_size, stat.st_mtime_ns]
                sha = cached[2] if unchanged else sha256_of(path)
            except OSError:
                if unreadable is not None:
                    unreadable.append(key)
                continue  # being replaced, or unreadable: the run reports it
            seen[key] = [stat.st_size, stat.st_mtime_ns, sha]
            if (name, sha) not in known:
                found.append((source.name, name, sha))
                if changing is not None and not unchanged:
                    changing.append((source.name, name, sha))
    hashes.clear()
    hashes.update(seen)
    return found


def public_url() -> str:
    from pipelines.defs.resources import DEFAULT_PUBLIC_URL, PUBLIC_URL_ENV

    return os.environ.get(PUBLIC_URL_ENV, DEFAULT_PUBLIC_URL)
