"""Releases: immutable, versioned folders under `<data-dir>/releases/`, switched in atomically.

A release is written in full to a hidden temporary folder, renamed into place, and only then
does the `latest` symlink move to it (a rename, so readers see the old or the new release,
never a half-written one). The same data gives the same release: a version is added only
when the content differs from the latest release.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

LATEST = "latest"
MANIFEST = "release.json"
PARTIAL = ".partial-"  # a release being written: `.partial-<version>-<pid>`
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Published:
    version: str
    path: Path
    changed: bool


def versions(releases: Path) -> list[str]:
    """Complete releases, oldest first."""
    if not releases.is_dir():
        return []
    found = [p.name for p in releases.iterdir() if p.is_dir() and _VERSION_RE.match(p.name)]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def latest(releases: Path) -> Path | None:
    link = releases / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def content_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def publish(
    releases: Path,
    files: dict[str, bytes],
    manifest: dict,
    finish: Callable[[Path, str], None] | None = None,
) -> Published:
    """Write `files` as a new release unless the latest release holds the same content.

    `finish(staging, version)` adds the files that carry the version (with `write_file`; they
    are not part of the content digest) and is the gate: if it raises, the staged release is
    removed and `latest` stays where it was. It sees the previous release as `latest`.
    """
    releases.mkdir(parents=True, exist_ok=True)
    digest = content_digest(files)
    current = latest(releases)
    if current is not None:
        previous = json.loads((current / MANIFEST).read_text())
        if previous.get("content_digest") == digest:
            return Published(previous["version"], current, changed=False)
    _remove_abandoned(releases)
    version = _next_version(versions(releases))
    staging = releases / f"{PARTIAL}{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, data in files.items():
            write_file(staging / name, data)
        if finish is not None:
            finish(staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    record = {**manifest, "version": version, "content_digest": digest, "files": written}
    write_file(staging / MANIFEST, (json.dumps(record, indent=2, default=str) + "\n").encode())
    target = releases / version
    staging.rename(target)
    switch_latest(releases, version)
    return Published(version, target, changed=True)


def _remove_abandoned(releases: Path) -> None:
    """Staging folders left by a publisher that crashed: its process is gone."""
    for folder in releases.glob(f"{PARTIAL}*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def switch_latest(releases: Path, version: str) -> None:
    link = releases / f".{LATEST}-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(version, target_is_directory=True)
    os.replace(link, releases / LATEST)
    _fsync_dir(releases)


def _next_version(existing: list[str]) -> str:
    if not existing:
        return "1.0.0"
    major, minor, _ = (int(x) for x in existing[-1].split("."))
    return f"{major}.{minor + 1}.0"


def write_file(path: Path, data: bytes) -> None:
    """Write and fsync, so a release renamed into place is on disk in full."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading a release's rows ------------------------------------------------------------------


def read_rows(release: Path, name: str, number: Callable[[str], object] = Decimal) -> list[dict]:
    """The rows of the release's CSV resource `name`, typed by the release's own
    datapackage.json (see `read_resource`)."""
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == name)
    return read_resource(release, resource, number)


def read_resource(
    release: Path, resource: dict, number: Callable[[str], object] = Decimal
) -> list[dict]:
    """The rows of a CSV resource as its Table Schema types them: integers as int, numbers by
    `number` (Decimal keeps "42.5" exactly what the file says; floats would invite 42.49999),
    booleans, and missing values as None."""
    schema = resource.get("schema", {})
    fields = {field["name"]: field for field in schema.get("fields", [])}
    missing = frozenset(schema.get("missingValues", [""]))
    with (release / resource["path"]).open(encoding="utf-8", newline="") as handle:
        records = csv.reader(handle)
        header = next(records, [])
        typed = [TypedTexts(fields.get(name, {}), number, missing) for name in header]
        # a blank line is no row, as with csv.DictReader
        return [
            dict(zip(header, map(TypedTexts.__getitem__, typed, record), strict=True))
            for record in records
            if record
        ]


class TypedTexts(dict):
    """One field's CSV texts and their values as `typed_value` types them (a missing value
    as None), each typed when first seen: a release's values repeat a lot."""

    def __init__(
        self,
        field: dict,
        number: Callable[[str], object] = Decimal,
        missing: frozenset[str] = frozenset({""}),
    ) -> None:
        super().__init__()
        self.field, self.number, self.missing = field, number, missing

    def __missing__(self, text: str) -> object:
        value = None if text in self.missing else typed_value(text, self.field, self.number)
        self[text] = value
        return value


def typed_value(text: str, field: dict, number: Callable[[str], object] = Decimal) -> object:
    """One CSV value typed by its Table Schema field; "" is missing (None)."""
    if text == "":
        return None
    kind = field.get("type", "string")
    if kind == "integer":
        return int(text)
    if kind == "number":
        return number(text)
    if kind == "boolean":
        if text in field.get("trueValues", ["true", "True", "TRUE", "1"]):
            return True
        if text in field.get("falseValues", ["false", "False", "FALSE", "0"]):
            return False
        raise ValueError(f"not a boolean in {field.get('name')}: {text!r}")
    return text
