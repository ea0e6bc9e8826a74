"""The reference tables, read from the dbt seeds: the one copy of them in the project."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


@dataclass(frozen=True)
class Reference:
    """U16 municipalities and COA reception locations, in seed-file order."""

    gemeenten: tuple[str, ...]
    gemeente_namen: dict[str, str]
    u10: tuple[str, ...]
    locaties: tuple[str, ...]
    locatie_regio: tuple[bool, ...]


def _read(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def load_reference() -> Reference:
    """Load the seeds once per process."""
    gem = [r for r in _read("gemeenten.csv") if r["u16"].strip().upper() == "J"]
    loc = _read("coa_locaties.csv")
    return Reference(
        gemeenten=tuple(r["gemeente_code"] for r in gem),
        gemeente_namen={r["gemeente_code"]: r["gemeente_naam"] for r in gem},
        u10=tuple(r["gemeente_code"] for r in gem if r["u10"].strip().upper() == "J"),
        locaties=tuple(r["locatie_code"] for r in loc),
        locatie_regio=tuple(r["regio"].strip().upper() == "J" for r in loc),
    )
