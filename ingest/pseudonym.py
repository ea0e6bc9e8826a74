"""Keyed pseudonyms for bsn and v_nummer (disclosure.md, "Inside the pipeline").

HMAC-SHA-256 under a secret key: the same key gives the same pseudonym in every source, so
sources still link; without the key a pseudonym cannot be recomputed from a guessed bsn.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

KEY_ENV = "STATUSHOUDERS_PSEUDONYM_KEY"
KEY_FILE_NAME = "pseudonym.key"


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key
        # The same bsn recurs in every source; each one is hashed once per process.
        self._memo: dict[str, dict[str, str]] = {}

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it, so state made under another key is not reused."""
        return hmac.new(self._key, b"statushouders:key-fingerprint", hashlib.sha256).hexdigest()[
            :16
        ]

    def pseudonym(self, kind: str, value: str) -> str:
        # The identifier kind is part of the message: a bsn and a v_nummer never share a pseudonym.
        return hmac.digest(self._key, f"{kind}:{value}".encode(), "sha256").hex()

    def column(self, kind: str, values: pa.Array) -> pa.Array:
        """Pseudonymise a column; unknown (null) stays null. Each distinct value is hashed once."""
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        distinct = pc.unique(values.drop_null())
        memo = self._memo.setdefault(kind, {})
        digests = []
        for value in distinct.to_pylist():
            digest = memo.get(value)
            if digest is None:
                digest = memo[value] = self.pseudonym(kind, value)
            digests.append(digest)
        return pc.take(pa.array(digests, pa.string()), pc.index_in(values, value_set=distinct))


_INSTANCES: dict[bytes, Pseudonymiser] = {}


def pseudonymiser_for(key: bytes) -> Pseudonymiser:
    """One pseudonymiser per key and process, so its memo serves every source of a run."""
    if key not in _INSTANCES:
        _INSTANCES.clear()
        _INSTANCES[key] = Pseudonymiser(key)
    return _INSTANCES[key]


def load_key(data_dir: Path) -> bytes:
    """The key from the environment, or else from the data dir's key file, made on first use.

    The key file lives in the data dir, never in the repository; it is created with mode 0600.
    """
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return from_env.encode()
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
