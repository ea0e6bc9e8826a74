"""One package per supplier, each exposing `SOURCE`: its delivery contract as data.

Adding a supplier is adding a package here. `all_sources` finds it; the code location builds
its assets (`pipelines/defs/ingestion.py`) and dbt reads its raw tables.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ingest.deliveries import Source


@functools.cache
def all_sources() -> tuple[Source, ...]:
    """Every supplier's contract, in the order of their package names."""
    return tuple(
        importlib.import_module(f"{__name__}.{info.name}").SOURCE
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if info.ispkg
    )
