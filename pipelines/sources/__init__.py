"""One package per supplier. Each exposes `SOURCE` (its contract) and `defs` (its assets).

Adding a supplier means adding a package here; `all_sources` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def source_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if info.ispkg
    ]
