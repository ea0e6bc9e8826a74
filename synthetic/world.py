"""The synthetic population and its true event histories (vectorised, seeded).

The world holds every event with its true date, including events after the peildatum; the
snapshot writers censor it to what a deliverer knows at its extract date.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contract.reference import Reference, load_reference
from synthetic import calibration as cal
from synthetic.dates import (
    DAYS_PER_MONTH,
    NEVER,
    add_years,
    day,
    months,
    year_of,
)
from synthetic.ids import random_bsns, random_household_numbers, random_vnummers

HH_TYPES = tuple(cal.HOUSEHOLD_TYPES)
# Fraction of a cohort's nareizigers housed in the head's housing year, the next and the one
# after: the delay is NAREIZIGER_DELAY_MONTHS plus ~1.5 months of COA lags.
NAREIZIGER_YEAR_SPLIT = (0.156, 0.688, 0.156)

SCHOLEN = (
    ("TS001", "Taalcentrum Utrecht", True),
    ("TS002", "NT2 Instituut Lekstroom", True),
    ("TS003", "Taalschool Zeist-Heuvelrug", True),
    ("TS004", "Inburgeringshuis Groene Hart", True),
    ("TS005", "Taalhuis Vecht en Venen", True),
    ("TS006", "Leerwerkplaats Nederlands", False),
)
# Nearby school(s) per municipality; the remaining weight is spread over the other schools.
HOME_SCHOOLS = {
    "GM0344": {"TS001": 0.55, "TS006": 0.25},
    "GM0356": {"TS002": 0.7},
    "GM0321": {"TS002": 0.6},
    "GM0353": {"TS002": 0.7},
    "GM1961": {"TS002": 0.6},
    "GM0331": {"TS002": 0.5, "TS004": 0.3},
    "GM0355": {"TS003": 0.7},
    "GM1581": {"TS003": 0.7},
    "GM0352": {"TS003": 0.6},
    "GM0312": {"TS003": 0.5, "TS001": 0.3},
    "GM0310": {"TS003": 0.5, "TS001": 0.3},
    "GM0632": {"TS004": 0.7},
    "GM0589": {"TS004": 0.8},
    "GM0335": {"TS004": 0.7},
    "GM0736": {"TS004": 0.4, "TS005": 0.4},
    "GM1904": {"TS005": 0.7},
}
# Exams needed to reach VOLDAAN: (onderdeel, niveau) per wet/route.
_SKILLS = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN")
REQUIRED_EXAMS = {
    "WI2013": (*((s, "A2") for s in _SKILLS), ("KNM", ""), ("ONA", "")),
    "B1": (*((s, "B1") for s in _SKILLS), ("KNM", ""), ("ONA", "")),
    "ONDERWIJS": (("KNM", ""),),
    "Z": (("KNM", ""),),
}
NIVEAUS = ("A0", "A1", "A2", "B1", "B2")


@dataclass
class World:
    """Persons and their event tables. Dates are int64 day numbers, NEVER when absent.

    ``person`` columns index rows of ``persons``. Spell tables carry the municipality the person
    lived in during the (split) spell.
    """

    peildatum: str
    persons: pd.DataFrame
    uitkeringen: pd.DataFrame
    dienstverbanden: pd.DataFrame
    trajecten: pd.DataFrame
    intakes: pd.DataFrame
    duo: pd.DataFrame
    examens: pd.DataFrame
    inschrijvingen: pd.DataFrame
    taakstelling: pd.DataFrame
    scholen: tuple[tuple[str, str, bool], ...] = SCHOLEN
    # Per-municipality slices of the spell tables, filled lazily by the writers.
    by_gemeente: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)


def _choice(rng: np.random.Generator, probs: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(probs), dtype=object)
    p = np.array(list(probs.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _uniform_days(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.floor(rng.uniform(lo, hi, n)).astype(np.int64)


def _to_days(x: np.ndarray) -> np.ndarray:
    """Float days (inf = never) to int64 day numbers."""
    finite = np.isfinite(x)
    out = np.full(x.shape, NEVER, dtype=np.int64)
    out[finite] = np.round(x[finite])
    return out


def _hh_expectations() -> tuple[float, float]:
    """Expected primary arrivals and nareizigers per household, from the type mix."""
    lam, cap = cal.KIDS_EXTRA_POISSON, cal.MAX_KIDS - 1
    pmf = [math.exp(-lam) * lam**k / math.factorial(k) for k in range(cap)]
    mean_kids = 1 + sum(k * p for k, p in enumerate(pmf)) + cap * (1 - sum(pmf))
    primary = nareiz = 0.0
    for p, adults, kids, _ in cal.HOUSEHOLD_TYPES.values():
        size = adults + (mean_kids if kids else 0)
        q = cal.NAREIZIGER_HOUSEHOLD_SHARE if size >= 2 else 0.0
        primary += p * ((1 - q) * size + q)
        nareiz += p * q * (size - 1)
    return primary, nareiz


def primary_targets(years: np.ndarray) -> np.ndarray:
    """Persons arriving as primary household members per year, so that primaries plus the
    nareizigers of earlier cohorts add up to REGION_HOUSED_PER_YEAR."""
    primary, nareiz = _hh_expectations()
    rho = nareiz / primary
    s0, s1, s2 = NAREIZIGER_YEAR_SPLIT
    out = np.zeros(len(years))
    for i, y in enumerate(years):
        target = cal.REGION_HOUSED_PER_YEAR.get(int(y), cal.REGION_HOUSED_LATER_YEARS)
        carry = rho * (s1 * (out[i - 1] if i >= 1 else 0) + s2 * (out[i - 2] if i >= 2 else 0))
        out[i] = max(0.3 * target, (target - carry) / (1 + s0 * rho))
    return out


def _gemeente_shares(ref: Reference) -> np.ndarray:
    w = np.array([cal.INWONERS.get(g, cal.INWONERS_FALLBACK) for g in ref.gemeenten], float)
    return w / w.sum()


def _composition(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    types = list(cal.HOUSEHOLD_TYPES.values())
    hh_type = rng.choice(len(types), size=n, p=[t[0] for t in types])
    adults = np.array([t[1] for t in types])[hh_type]
    has_kids = np.array([t[2] for t in types])[hh_type]
    kids = np.where(
        has_kids, 1 + np.minimum(rng.poisson(cal.KIDS_EXTRA_POISSON, n), cal.MAX_KIDS - 1), 0
    )
    size = adults + kids
    nareiz = (size >= 2) & (rng.random(n) < cal.NAREIZIGER_HOUSEHOLD_SHARE)
    return {"type": hh_type, "adults": adults, "size": size, "nareiz": nareiz}


def _households(rng: np.random.Generator, ref: Reference, years: np.ndarray, scale: float):
    primary_per_hh, _ = _hh_expectations()
    n_gem = len(ref.gemeenten)
    # Fill each (year, municipality) cell with whole households up to its target number of
    # primary arrivals: a household belongs to the cell its cumulative midpoint falls in. This
    # keeps cell totals within one household of the target, as a taakstelling would.
    targets = (primary_targets(years)[:, None] * _gemeente_shares(ref)[None, :] * scale).ravel()
    bounds = np.cumsum(targets)
    pool = int(bounds[-1] / primary_per_hh * 1.1) + 64
    comp = _composition(rng, pool)
    while np.sum(np.where(comp["nareiz"], 1, comp["size"])) < bounds[-1]:
        extra = _composition(rng, pool)
        comp = {k: np.concatenate([comp[k], extra[k]]) for k in comp}
    primary = np.where(comp["nareiz"], 1, comp["size"])
    cell = np.searchsorted(bounds, np.cumsum(primary) - primary / 2)
    keep = cell < len(targets)
    comp = {k: v[keep] for k, v in comp.items()}
    cell = cell[keep]
    year = years[cell // n_gem]
    gem_codes = np.array(ref.gemeenten, dtype=object)[cell % n_gem]
    n_u16 = len(year)

    regio = np.array(ref.locatie_regio)
    loc_j = np.flatnonzero(regio)
    loc_n = np.flatnonzero(~regio)
    from_region = rng.random(n_u16) < cal.SHARE_FROM_REGIONAL_LOCATION
    loc = np.where(
        from_region,
        loc_j[rng.integers(0, len(loc_j), n_u16)],
        loc_n[rng.integers(0, len(loc_n), n_u16)],
    )

    # Regional leavers housed outside U16, sized so ~90% of regional leavers stay in U16.
    ratio = 1 / cal.REGIONAL_LEAVERS_HOUSED_IN_U16 - 1
    per_year = np.array([np.sum(from_region & (year == y)) for y in years], dtype=float)
    n_else = rng.poisson(per_year * ratio)
    year_else = np.repeat(years, n_else)
    gem_else = _choice(rng, cal.ELSEWHERE_GEMEENTEN, len(year_else))
    loc_else = loc_j[rng.integers(0, len(loc_j), len(year_else))]
    comp_else = _composition(rng, len(year_else))

    year = np.concatenate([year, year_else])
    n = len(year)
    start = np.array([day(f"{y}-01-01") for y in years])[year - years[0]]
    length = np.array([day(f"{y + 1}-01-01") - day(f"{y}-01-01") for y in years])[year - years[0]]
    hh = {k: np.concatenate([comp[k], comp_else[k]]) for k in comp}
    hh.update(
        {
            "year": year,
            "gemeente": np.concatenate([gem_codes, gem_else]),
            "u16": np.arange(n) < n_u16,
            "loc": np.concatenate([loc, loc_else]),
            "housing": start + np.floor(rng.random(n) * length).astype(np.int64),
        }
    )
    return hh


def _nationality(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    keys = list(cal.NATIONALITEIT_EARLY)
    early = np.array([cal.NATIONALITEIT_EARLY[k] for k in keys])
    late = np.array([cal.NATIONALITEIT_LATE[k] for k in keys])
    out = np.empty(len(years), dtype=object)
    for y in np.unique(years):
        idx = np.flatnonzero(years == y)
        w = min(max((y - cal.FIRST_COHORT_YEAR) / 8, 0.0), 1.0)
        p = (1 - w) * early + w * late
        out[idx] = np.array(keys, dtype=object)[rng.choice(len(keys), len(idx), p=p / p.sum())]
    return out


def _persons(rng: np.random.Generator, ref: Reference, hh: dict) -> pd.DataFrame:
    n_hh = len(hh["year"])
    size = hh["size"]
    of = np.repeat(np.arange(n_hh), size)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    pos = np.arange(len(of)) - first[of]
    n = len(of)
    htype = hh["type"][of]
    overig_type = HH_TYPES.index("HEAD_OVERIG")
    adults = hh["adults"][of]
    rol = np.where(
        pos == 0,
        "HOOFD",
        np.where(
            (pos == 1) & (adults == 2), np.where(htype == overig_type, "OVERIG", "PARTNER"), "KIND"
        ),
    ).astype(object)

    # Ages at own housing (years). Parameters per household type: minimum, gamma shape, scale.
    head_par = {
        "SINGLE": (18, 2.0, 5.0),
        "COUPLE": (20, 3.0, 4.5),
        "SINGLE_PARENT": (21, 3.0, 4.0),
        "COUPLE_KIDS": (22, 3.0, 4.5),
        "HEAD_OVERIG": (22, 2.5, 5.0),
    }
    par = np.array([head_par[t] for t in HH_TYPES])[hh["type"]]
    head_age = np.minimum(par[:, 0] + rng.gamma(par[:, 1], par[:, 2]), 75)
    partner_age = np.clip(head_age + rng.normal(-3, 4, n_hh), 18, 75)
    parent_age = np.where(hh["adults"] == 2, partner_age, head_age)
    max_kid = np.clip(parent_age - 17, 0, 17.99)[of]
    age = np.select(
        [rol == "HOOFD", rol == "PARTNER", rol == "OVERIG"],
        [head_age[of], partner_age[of], np.minimum(45 + rng.gamma(2.0, 9.0, n), 90)],
        default=rng.random(n) * max_kid,
    )
    head_male_p = np.array([cal.HOUSEHOLD_TYPES[t][3] for t in HH_TYPES])[hh["type"]]
    head_male = rng.random(n_hh) < head_male_p
    male = np.select(
        [rol == "HOOFD", rol == "PARTNER", rol == "OVERIG"],
        [head_male[of], ~head_male[of], rng.random(n) < 0.4],
        default=rng.random(n) < 0.5,
    )

    # COA process dates of the primary arrivals, per household.
    h0 = hh["housing"]
    lo, shape, sc = cal.LAG_KOPPELING_HUISVESTING
    k0 = h0 - (lo + np.round(rng.gamma(shape, sc, n_hh))).astype(np.int64)
    v0 = k0 - np.round(rng.gamma(*cal.LAG_VERGUNNING_KOPPELING, n_hh)).astype(np.int64)
    bsn_at_h = rng.random(n_hh) < cal.BSN_AT_HOUSING
    r0 = np.where(bsn_at_h, h0, v0 + np.floor(rng.random(n_hh) * (k0 - v0 + 1)).astype(np.int64))

    nareiz = hh["nareiz"][of] & (pos > 0)
    lo_m, hi_m = cal.NAREIZIGER_DELAY_MONTHS
    v_n = h0[of] + months(rng.uniform(lo_m, hi_m, n))
    k_n = v_n + _uniform_days(rng, 0, 31, n)
    h_n = k_n + _uniform_days(rng, 7, 61, n)
    vergunning = np.where(nareiz, v_n, v0[of])
    koppeling = np.where(nareiz, k_n, k0[of])
    huisvesting = np.where(nareiz, h_n, h0[of])
    datum_bsn = np.where(nareiz, h_n, r0[of])

    locaties = np.array(ref.locaties, dtype=object)
    regio = np.array(ref.locatie_regio)
    ter_apel = (
        ref.locaties.index(cal.TER_APEL)
        if cal.TER_APEL in ref.locaties
        else int(np.flatnonzero(~regio)[0])
    )
    loc = np.where(nareiz & (rng.random(n) < cal.NAREIZIGER_VIA_TER_APEL), ter_apel, hh["loc"][of])

    # Birth dates from the age at own housing, never after the permit.
    birth = np.minimum(huisvesting - np.round(age * 365.25).astype(np.int64), vergunning - 1)

    # Moves within U16, per household, a few years after the last member was housed.
    last_h = np.maximum.reduceat(huisvesting, first)
    moves = hh["u16"] & (rng.random(n_hh) < cal.MOVE_SHARE)
    move_date = np.where(moves, last_h + months(rng.uniform(*cal.MOVE_AFTER_MONTHS, n_hh)), NEVER)
    shares = _gemeente_shares(ref)
    codes = np.array(ref.gemeenten, dtype=object)
    target = np.array(hh["gemeente"], dtype=object)
    for gi, g in enumerate(ref.gemeenten):
        idx = np.flatnonzero(moves & (hh["gemeente"] == g))
        w = shares.copy()
        w[gi] = 0
        target[idx] = codes[rng.choice(len(codes), len(idx), p=w / w.sum())]

    persons = pd.DataFrame(
        {
            "v_nummer": random_vnummers(rng, n),
            "bsn": random_bsns(rng, n),
            "geboortedatum": birth,
            "geslacht": np.where(male, "M", "V").astype(object),
            "nationaliteit": _nationality(rng, hh["year"])[of],
            "huishouden_nr": random_household_numbers(rng, n_hh)[of],
            "rol_huishouden": rol,
            "opvanglocatie": locaties[loc],
            "regio_locatie": regio[loc],
            "datum_vergunning": vergunning,
            "gemeente_code": hh["gemeente"][of],
            "datum_koppeling": koppeling,
            "datum_huisvesting": huisvesting,
            "datum_bsn": datum_bsn,
            "nareiziger": nareiz,
            "u16": hh["u16"][of],
            "datum_verhuizing": move_date[of],
            "gemeente_na_verhuizing": target[of],
            "leeftijd": (huisvesting - birth) / 365.25,
            "cohort": year_of(huisvesting),
        }
    )
    # Every BSN has 9 digits, so text order is numeric order; writers sort on this rank.
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(persons["bsn"].to_numpy().astype("<U9"), kind="stable")] = np.arange(n)
    persons["bsn_rank"] = rank
    return persons


def _split_by_move(persons: pd.DataFrame, person, start, end, extra: dict) -> pd.DataFrame:
    """Assign spells to the municipality of residence, splitting those that span a move."""
    move = persons["datum_verhuizing"].to_numpy()[person]
    g0 = persons["gemeente_code"].to_numpy()[person]
    g1 = persons["gemeente_na_verhuizing"].to_numpy()[person]
    before = start < move
    after = (move < NEVER) & (end >= move)
    parts = []
    for mask, gem, s, e in (
        (before, g0, start, np.where(end >= move, move - 1, end)),
        (after, g1, np.maximum(start, move), end),
    ):
        cols = {
            "person": person[mask],
            "gemeente_code": gem[mask],
            "start": s[mask],
            "end": e[mask],
        }
        cols.update({k: v[mask] for k, v in extra.items()})
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True).sort_values(["person", "start"], kind="stable")


def _work_and_income(rng: np.random.Generator, persons: pd.DataFrame):
    adult = persons["u16"].to_numpy() & (persons["leeftijd"].between(18, 65, inclusive="left"))
    idx = np.flatnonzero(adult.to_numpy())
    n = len(idx)
    h = persons["datum_huisvesting"].to_numpy()[idx].astype(float)
    k_shape, k_scale = cal.FIRST_JOB_WEIBULL

    # Job histories in months since housing: a first job, then end/gap/next job.
    starts, ends = [], []
    cur = k_scale * rng.weibull(k_shape, n)
    active = rng.random(n) < cal.P_EVER_WORK
    for j in range(cal.MAX_JOBS):
        s = np.where(active, cur, np.inf)
        permanent = rng.random(n) < cal.P_PERMANENT_JOB[j]
        e = np.where(permanent, np.inf, s + 1 + rng.exponential(cal.JOB_MEAN_MONTHS, n))
        starts.append(s)
        ends.append(e)
        active = active & ~permanent & (rng.random(n) < cal.P_NEXT_JOB)
        cur = e + rng.exponential(cal.JOB_GAP_MEAN_MONTHS, n)
    S = h[:, None] + np.stack(starts, 1) * DAYS_PER_MONTH
    E = h[:, None] + np.stack(ends, 1) * DAYS_PER_MONTH
    ft = rng.random(S.shape) < cal.P_FULLTIME
    soort = _choice(rng, cal.SOORT_P, S.size).reshape(S.shape)
    uren = np.where(
        ft,
        np.where(
            soort == "ZELFSTANDIG",
            rng.choice([40.0, 45.0, 50.0, 60.0], S.shape),
            rng.choice([32.0, 36.0, 38.0, 40.0], S.shape, p=[0.2, 0.3, 0.2, 0.3]),
        ),
        np.round(rng.uniform(8, 31.5, S.shape) * 2) / 2,
    )
    has_job = np.isfinite(S)
    person_j = np.repeat(idx, cal.MAX_JOBS).reshape(S.shape)
    jobs = _split_by_move(
        persons,
        person_j[has_job],
        _to_days(S[has_job]),
        _to_days(E[has_job]),
        {"uren_per_week": uren[has_job], "soort": soort[has_job]},
    )

    # Bijstand from housing until the first full-time job; it may resume after losing it.
    has_b = rng.random(n) < cal.P_BIJSTAND
    other_exit = h + rng.exponential(cal.BIJSTAND_OTHER_EXIT_MEAN_MONTHS, n) * DAYS_PER_MONTH
    ft_start = np.where(ft, S, np.inf)
    # Earliest full-time start among later jobs: reverse running minimum, shifted by one.
    later_ft = np.minimum.accumulate(ft_start[:, ::-1], axis=1)[:, ::-1]
    next_ft = np.concatenate([later_ft[:, 1:], np.full((n, 1), np.inf)], axis=1)
    b_start = [h + _uniform_days(rng, 0, 21, n)]
    b_end = [np.minimum(later_ft[:, 0] + _uniform_days(rng, 0, 61, n), other_exit)]
    for j in range(cal.MAX_JOBS):
        resume = ft[:, j] & np.isfinite(E[:, j]) & (rng.random(n) < cal.P_BIJSTAND_AFTER_JOB_LOSS)
        b_start.append(np.where(resume, E[:, j] + _uniform_days(rng, 1, 46, n), np.inf))
        b_end.append(np.minimum(next_ft[:, j] + _uniform_days(rng, 0, 61, n), other_exit))
    BS, BE = np.stack(b_start, 1), np.stack(b_end, 1)
    keep = has_b[:, None] & np.isfinite(BS) & (BE > BS)
    person_b = np.repeat(idx, BS.shape[1]).reshape(BS.shape)

    # A few other regelingen (IOAW, ANW, OVERIG), independent of work.
    other = rng.random(n) < cal.P_OTHER_REGELING
    o_start = h + months(rng.uniform(0, 48, n))
    o_end = np.where(rng.random(n) < 0.3, np.inf, o_start + months(rng.uniform(6, 36, n)))
    o_reg = _choice(rng, {"IOAW": 0.2, "ANW": 0.3, "OVERIG": 0.5}, n)
    # IOAW is for older unemployed people only.
    young = persons["leeftijd"].to_numpy()[idx] < 50
    o_reg = np.where((o_reg == "IOAW") & young, "OVERIG", o_reg).astype(object)
    uitkeringen = _split_by_move(
        persons,
        np.concatenate([person_b[keep], idx[other]]),
        _to_days(np.concatenate([BS[keep], o_start[other]])),
        _to_days(np.concatenate([BE[keep], o_end[other]])),
        {
            "regeling": np.concatenate(
                [np.full(keep.sum(), "PARTICIPATIEWET", dtype=object), o_reg[other]]
            )
        },
    )

    # Trajecten for a minority, sometimes a second one.
    t1 = rng.random(n) < cal.P_TRAJECT
    t2 = t1 & (rng.random(n) < cal.P_SECOND_TRAJECT)
    t1_s = h + months(rng.uniform(2, 36, n))
    t1_e = t1_s + months(rng.uniform(2, 12, n))
    t2_s = t1_e + months(rng.uniform(1, 12, n))
    t2_e = t2_s + months(rng.uniform(2, 12, n))
    trajecten = _split_by_move(
        persons,
        np.concatenate([idx[t1], idx[t2]]),
        np.concatenate([t1_s[t1], t2_s[t2]]).astype(np.int64),
        np.concatenate([t1_e[t1], t2_e[t2]]).astype(np.int64),
        {"instrument": _choice(rng, cal.INSTRUMENT_P, int(t1.sum() + t2.sum()))},
    )

    # Brede intake: mostly within 3 months of housing; some before (only once a BSN exists).
    has_i = rng.random(n) < cal.P_INTAKE
    timing = rng.choice(3, n, p=cal.INTAKE_TIMING_P)
    offset = np.select(
        [timing == 0, timing == 1],
        [-_uniform_days(rng, 5, 61, n), _uniform_days(rng, 0, 92, n)],
        default=_uniform_days(rng, 92, 400, n),
    )
    bsn_day = persons["datum_bsn"].to_numpy()[idx]
    when = np.maximum(h.astype(np.int64) + offset, bsn_day)
    intakes = pd.DataFrame(
        {
            "person": idx[has_i],
            "gemeente_code": persons["gemeente_code"].to_numpy()[idx][has_i],
            "datum": when[has_i],
            "noa": (rng.random(n) < cal.P_NOA)[has_i],
        }
    )
    return uitkeringen, jobs, trajecten, intakes


def _inburgering(rng: np.random.Generator, persons: pd.DataFrame):
    """DUO registration per person aged 16+ at housing, with true outcome dates."""
    idx = np.flatnonzero((persons["u16"] & (persons["leeftijd"] >= 16)).to_numpy())
    n = len(idx)
    h = persons["datum_huisvesting"].to_numpy()[idx]
    age = persons["leeftijd"].to_numpy()[idx]
    reg = h + _uniform_days(rng, 0, 29, n)
    plichtig = ~((age >= 65) | (rng.random(n) < cal.P_NIET_PLICHTIG))
    wi2021 = h >= day(f"{cal.WI2021_FROM_YEAR}-01-01")
    young = age < 28
    route = np.where(
        young,
        _choice(rng, {"ONDERWIJS": 0.55, "B1": 0.35, "Z": 0.10}, n),
        _choice(rng, {"B1": 0.72, "Z": 0.22, "ONDERWIJS": 0.06}, n),
    )
    route = np.where(wi2021 & plichtig, route, "").astype(object)
    start = np.where(plichtig, reg, NEVER)
    einde = np.where(plichtig, add_years(reg, cal.TERMIJN_YEARS), NEVER)

    u = rng.random(n)
    vrij = plichtig & (u < cal.P_VRIJSTELLING)
    onth = plichtig & ~vrij & (u < cal.P_VRIJSTELLING + cal.P_ONTHEFFING)
    passes = plichtig & ~vrij & ~onth & (rng.random(n) < cal.P_PASS_EVER)
    lo, median, sigma = cal.PASS_MONTHS
    pass_after = lo + rng.lognormal(np.log(median), sigma, n)
    duo = pd.DataFrame(
        {
            "person": idx,
            "wet": np.where(wi2021, "WI2021", "WI2013").astype(object),
            "plichtig": plichtig,
            "route": route,
            "registratie": reg,
            "start": start,
            "einde": einde,
            # Not plichtig is recorded as VRIJSTELLING from registration.
            "vrijstelling": np.where(
                vrij, start + months(rng.uniform(1, 9, n)), np.where(plichtig, NEVER, reg)
            ),
            "ontheffing": np.where(onth, start + months(rng.uniform(12, 42, n)), NEVER),
            "voldaan": np.where(passes, start + months(pass_after), NEVER),
        }
    )
    return duo, _examens(rng, duo)


def _examens(rng: np.random.Generator, duo: pd.DataFrame) -> pd.DataFrame:
    """Exam sittings: required parts before VOLDAAN, with failed, absent and re-sit rows."""
    key = np.where(duo["wet"] == "WI2013", "WI2013", duo["route"]).astype(object)
    sits = duo["plichtig"].to_numpy() & (duo["vrijstelling"].to_numpy() == NEVER)
    rows = []
    for k, parts in REQUIRED_EXAMS.items():
        sel = np.flatnonzero(sits & (key == k))
        rows.append(
            pd.DataFrame(
                {
                    "row": np.repeat(sel, len(parts)),
                    "onderdeel": np.tile([p[0] for p in parts], len(sel)),
                    "niveau": np.tile([p[1] for p in parts], len(sel)),
                }
            )
        )
    ex = pd.concat(rows, ignore_index=True).sort_values(["row"], kind="stable")
    r = ex["row"].to_numpy()
    m = len(r)
    start = duo["start"].to_numpy()[r]
    voldaan = duo["voldaan"].to_numpy()[r]
    onth = duo["ontheffing"].to_numpy()[r]
    passer = voldaan < NEVER
    earliest = start + 30
    # Passers pass each part in the months before VOLDAAN; others try some parts at random times
    # (before an ontheffing, if any) and pass a few.
    last_try = np.minimum(start + months(40), onth - 7)
    other_date = start + months(rng.uniform(3, 40, m))
    final_date = np.where(
        passer,
        np.maximum(voldaan - _uniform_days(rng, 7, 241, m), earliest),
        np.minimum(other_date, last_try),
    )
    attempted = passer | (rng.random(m) < 0.5)
    passed = passer | (rng.random(m) < 0.4)
    n_fail = rng.geometric(1 - cal.P_EXAM_FAIL, m) - 1
    # Under WI2021 people who keep failing at B1 may sit the A2 exam instead.
    niveau = ex["niveau"].to_numpy()
    niveau = np.where((niveau == "B1") & ~passer & (rng.random(m) < 0.3), "A2", niveau)
    absent = rng.random(m) < cal.P_EXAM_ABSENT

    final = pd.DataFrame(
        {
            "person": duo["person"].to_numpy()[r],
            "datum": final_date,
            "onderdeel": ex["onderdeel"].to_numpy(),
            "niveau": niveau.astype(object),
            "resultaat": np.where(passed, "GESLAAGD", "GEZAKT").astype(object),
            "earliest": earliest,
        }
    )[attempted & (final_date >= earliest)]
    # Earlier failed sittings: each one 35-120 days before the next.
    base = final.loc[np.repeat(final.index.to_numpy(), n_fail[final.index])].copy()
    k = base.groupby(level=0).cumcount().to_numpy() + 1
    gaps = rng.uniform(35, 121, (len(base), 1))[:, 0]
    base["datum"] = base["datum"].to_numpy() - np.round(k * gaps).astype(np.int64)
    base["resultaat"] = "GEZAKT"
    no_show = final[absent[final.index]].copy()
    no_show["datum"] = no_show["datum"].to_numpy() - _uniform_days(rng, 20, 91, len(no_show))
    no_show["resultaat"] = "AFWEZIG"
    out = pd.concat([final, base, no_show], ignore_index=True)
    out = out[out["datum"] >= out["earliest"] - 16].drop(columns="earliest")
    out = out.drop_duplicates(["person", "datum", "onderdeel"])
    return out.sort_values(["person", "datum", "onderdeel"], kind="stable", ignore_index=True)


def _school_weights(ref: Reference) -> np.ndarray:
    codes = [s[0] for s in SCHOLEN]
    w = np.full((len(ref.gemeenten), len(codes)), 0.0)
    for gi, g in enumerate(ref.gemeenten):
        home = HOME_SCHOOLS.get(g, {})
        rest = (1 - sum(home.values())) / max(1, len(codes) - len(home))
        for si, c in enumerate(codes):
            w[gi, si] = home.get(c, rest)
    return w / w.sum(axis=1, keepdims=True)


def _pick_school(rng, weights: np.ndarray, gem_idx: np.ndarray, exclude=None) -> np.ndarray:
    w = weights[gem_idx].copy()
    if exclude is not None:
        w[np.arange(len(w)), exclude] = 0
        w /= w.sum(axis=1, keepdims=True)
    # Inverse-CDF sampling per row keeps this vectorised with row-specific weights.
    u = rng.random(len(w))[:, None]
    return np.minimum((np.cumsum(w, axis=1) < u).sum(axis=1), w.shape[1] - 1)


_BEHAALD_P = {
    "B1_ROUTE": {"A2": 0.35, "B1": 0.60, "B2": 0.05},
    "Z_ROUTE": {"A1": 0.6, "A2": 0.4},
    "ONDERWIJSROUTE": {"B1": 0.6, "B2": 0.4},
    "ALFABETISERING": {"A1": 0.7, "A2": 0.3},
    "VOORINBURGERING": {"A1": 0.7, "A2": 0.3},
}


def _niveau_index(values: np.ndarray) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(NIVEAUS)}
    return np.array([lookup.get(v, -1) for v in values.tolist()], dtype=np.int64)


def _enrolment(rng, traject, start, instroom, p_afgerond, months_afgerond, months_uitval, end=None):
    """One course per row; the outcome decides the duration unless end is given."""
    n = len(start)
    afgerond = rng.random(n) < p_afgerond
    if end is None:
        dur = np.where(afgerond, rng.uniform(*months_afgerond, n), rng.uniform(*months_uitval, n))
        end = start + months(dur)
    behaald = np.empty(n, dtype=object)
    for t, p in _BEHAALD_P.items():
        sel = np.flatnonzero(traject == t)
        behaald[sel] = _choice(rng, p, len(sel))
    # A level reached is never below the entry level.
    lvl = np.maximum(_niveau_index(behaald), _niveau_index(instroom))
    behaald = np.array(NIVEAUS, dtype=object)[lvl]
    behaald = np.where(afgerond, behaald, np.where(rng.random(n) < 0.6, None, instroom))
    pct = np.where(afgerond, rng.beta(9, 2, n), rng.beta(3, 3, n)) * 100
    return pd.DataFrame(
        {
            "traject": traject,
            "start": start,
            "end": end,
            "uitkomst": np.where(afgerond, "AFGEROND", "UITGEVALLEN").astype(object),
            "aanwezigheid_pct": np.round(pct, 1),
            "niveau_instroom": instroom,
            "niveau_behaald": behaald,
        }
    )


def _taalscholen(rng, ref: Reference, persons: pd.DataFrame, duo: pd.DataFrame) -> pd.DataFrame:
    n = len(duo)
    pid = duo["person"].to_numpy()
    h = persons["datum_huisvesting"].to_numpy()[pid]
    bsn_day = persons["datum_bsn"].to_numpy()[pid]
    gem_pos = {g: i for i, g in enumerate(ref.gemeenten)}
    gem_idx = np.array([gem_pos[g] for g in persons["gemeente_code"].to_numpy()[pid].tolist()])
    weights = _school_weights(ref)
    plichtig = duo["plichtig"].to_numpy()
    route = duo["route"].to_numpy()
    vrij = plichtig & (duo["vrijstelling"].to_numpy() < NEVER)
    p = np.where(
        plichtig,
        np.where(route == "ONDERWIJS", cal.P_ENROL_ONDERWIJS, cal.P_ENROL_PLICHTIG),
        cal.P_ENROL_NIET_PLICHTIG,
    )
    enrol = ~vrij & (rng.random(n) < p)
    alfa = rng.random(n) < np.where(route == "", 0.25, 0.15)
    traject = np.select(
        [route == "Z", route == "ONDERWIJS", alfa],
        ["Z_ROUTE", "ONDERWIJSROUTE", "ALFABETISERING"],
        default="B1_ROUTE",
    ).astype(object)
    instroom = np.where(
        traject == "ALFABETISERING", "A0", _choice(rng, {"A0": 0.15, "A1": 0.55, "A2": 0.30}, n)
    ).astype(object)
    s1 = _pick_school(rng, weights, gem_idx)
    start = h + _uniform_days(rng, 20, 121, n)
    main = _enrolment(rng, traject, start, instroom, cal.P_AFGEROND, (10, 30), (2, 18))
    main["person"], main["school"] = pid, s1

    # Voorinburgering in the reception location, at another school, before housing.
    voor = enrol & (bsn_day <= h - 90) & (rng.random(n) < cal.P_VOORINBURGERING)
    v_start = np.maximum(bsn_day, h - _uniform_days(rng, 60, 201, n))
    v_end = h - _uniform_days(rng, 0, 21, n)
    v_end = np.where(v_end >= v_start + 14, v_end, h)
    pre = _enrolment(
        rng,
        np.full(n, "VOORINBURGERING", dtype=object),
        v_start,
        _choice(rng, {"A0": 0.6, "A1": 0.4}, n),
        0.8,
        (0, 0),
        (0, 0),
        end=v_end,
    )
    pre["person"], pre["school"] = pid, _pick_school(rng, weights, gem_idx, exclude=s1)

    # Some switch to a second school after the first course ends.
    switch = enrol & ~voor & (rng.random(n) < cal.P_SWITCH_SCHOOL)
    sw_start = main["end"].to_numpy() + _uniform_days(rng, 14, 181, n)
    prev = main["niveau_behaald"].to_numpy()
    sw_in = np.where(pd.isna(prev), instroom, prev).astype(object)
    # Literacy courses are followed by a regular course.
    sw_traject = np.where(traject == "ALFABETISERING", "B1_ROUTE", traject).astype(object)
    second = _enrolment(rng, sw_traject, sw_start, sw_in, 0.6, (6, 24), (2, 12))
    second["person"], second["school"] = pid, _pick_school(rng, weights, gem_idx, exclude=s1)

    out = pd.concat([pre[voor], main[enrol], second[switch]], ignore_index=True)
    out["school"] = np.array([s[0] for s in SCHOLEN], dtype=object)[out["school"].to_numpy()]
    return out.sort_values(["person", "start"], kind="stable", ignore_index=True)


def _taakstelling(rng, ref: Reference, persons: pd.DataFrame, last_year: int) -> pd.DataFrame:
    housed = persons[persons["u16"]]
    h = housed["datum_huisvesting"].to_numpy()
    half = np.where(h.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12 < 6, 1, 2)
    counts = (
        pd.DataFrame({"g": housed["gemeente_code"].to_numpy(), "y": year_of(h), "h": half})
        .groupby(["g", "y", "h"])
        .size()
    )
    rows = [
        (g, y, hh, int(counts.get((g, y, hh), 0)))
        for y in range(cal.FIRST_COHORT_YEAR, last_year + 1)
        for g in ref.gemeenten
        for hh in (1, 2)
    ]
    df = pd.DataFrame(rows, columns=["gemeente_code", "jaar", "helft", "gehuisvest"])
    r = np.clip(rng.normal(cal.REALISATIE_MEAN, cal.REALISATIE_SD, len(df)), *cal.REALISATIE_RANGE)
    task = np.round(df["gehuisvest"].to_numpy() / r).astype(np.int64)
    df["taakstelling"] = np.where(df["gehuisvest"] == 0, rng.integers(0, 3, len(df)), task)
    df["periode"] = df["jaar"].astype(str) + "-H" + df["helft"].astype(str)
    return df


def build_world(seed: int = 0, scale: float = 1.0, peildatum: str = "2025-06") -> World:
    """Build the seeded population and its histories (no files written)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", peildatum):
        raise ValueError(f"peildatum must be YYYY-MM, got {peildatum!r}")
    if int(peildatum[:4]) < cal.FIRST_COHORT_YEAR:
        raise ValueError(f"peildatum lies before the first cohort year {cal.FIRST_COHORT_YEAR}")
    ref = load_reference()
    rng = np.random.Generator(np.random.PCG64(seed))
    peil_year = int(peildatum[:4])
    # One cohort beyond the peildatum's year so people linked but not yet housed exist.
    years = np.arange(cal.FIRST_COHORT_YEAR, peil_year + 2)
    persons = _persons(rng, ref, _households(rng, ref, years, scale))
    uitkeringen, jobs, trajecten, intakes = _work_and_income(rng, persons)
    duo, examens = _inburgering(rng, persons)
    return World(
        peildatum=peildatum,
        persons=persons,
        uitkeringen=uitkeringen,
        dienstverbanden=jobs,
        trajecten=trajecten,
        intakes=intakes,
        duo=duo,
        examens=examens,
        inschrijvingen=_taalscholen(rng, ref, persons, duo),
        taakstelling=_taakstelling(rng, ref, persons, peil_year),
    )
