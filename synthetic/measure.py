"""Calibration measurements on the in-memory world (true histories, not snapshots)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.dates import month_end, months, year_of
from synthetic.world import World


def _adults(world: World, after_months: float) -> pd.DataFrame:
    """U16 adults 18-64 at housing whose housing + after_months lies before the peildatum."""
    p = world.persons
    t = p["datum_huisvesting"].to_numpy() + months(after_months)
    sel = (
        p["u16"]
        & p["leeftijd"].between(18, 65, inclusive="left")
        & (t <= month_end(world.peildatum))
    )
    return pd.DataFrame({"person": np.flatnonzero(sel.to_numpy()), "t": t[sel.to_numpy()]})


def _covered_share(spells: pd.DataFrame, pop: pd.DataFrame) -> float:
    m = spells.merge(pop, on="person")
    hit = m.loc[(m["start"] <= m["t"]) & (m["end"] >= m["t"]), "person"].unique()
    return len(hit) / max(1, len(pop))


def work_share(world: World, after_months: float) -> float:
    """Share of adults with a dienstverband covering housing + after_months."""
    return _covered_share(world.dienstverbanden, _adults(world, after_months))


def bijstand_share(world: World, after_months: float = 12) -> float:
    """Share of adults on Participatiewet at housing + after_months."""
    u = world.uitkeringen
    return _covered_share(u[u["regeling"] == "PARTICIPATIEWET"], _adults(world, after_months))


def voldaan_share(world: World, within_months: float = 48) -> float:
    """Share of inburgeringsplichtigen with VOLDAAN within within_months of housing."""
    d = world.duo[world.duo["plichtig"]]
    h = world.persons["datum_huisvesting"].to_numpy()[d["person"].to_numpy()]
    limit = h + months(within_months)
    sel = limit <= month_end(world.peildatum)
    return float(np.mean(d["voldaan"].to_numpy()[sel] <= limit[sel]))


def noa_share(world: World, within_months: float = 3) -> float:
    """Share of adults with an intake with NOA assessment by housing + within_months."""
    pop = _adults(world, within_months)
    i = world.intakes[world.intakes["noa"]].merge(pop, on="person")
    return i.loc[i["datum"] <= i["t"], "person"].nunique() / max(1, len(pop))


def housed(world: World, gemeente_code: str, year: int) -> int:
    """Persons housed in a municipality in a calendar year."""
    p = world.persons
    return int(
        (
            (p["gemeente_code"] == gemeente_code)
            & (year_of(p["datum_huisvesting"].to_numpy()) == year)
        ).sum()
    )


def regional_leavers_in_u16(world: World) -> float:
    """Share of people housed from a regional reception location who went to U16."""
    p = world.persons
    sel = p["regio_locatie"] & (p["datum_huisvesting"] <= month_end(world.peildatum))
    return float(p.loc[sel, "u16"].mean())


def realisation(world: World) -> pd.Series:
    """Housed / taakstelling per municipality and half-year (where the task is positive)."""
    t = world.taakstelling
    t = t[t["taakstelling"] > 0]
    return t["gehuisvest"] / t["taakstelling"]


def summary(world: World) -> dict[str, float]:
    """The headline calibration figures."""
    r = realisation(world)
    return {
        "work_30m": work_share(world, 30),
        "work_72m": work_share(world, 72),
        "bijstand_12m": bijstand_share(world, 12),
        "voldaan_48m": voldaan_share(world, 48),
        "noa_3m": noa_share(world, 3),
        "utrecht_2016": housed(world, "GM0344", 2016),
        "utrecht_2017": housed(world, "GM0344", 2017),
        "regional_leavers_in_u16": regional_leavers_in_u16(world),
        "realisation_p10": float(r.quantile(0.1)),
        "realisation_p90": float(r.quantile(0.9)),
    }
