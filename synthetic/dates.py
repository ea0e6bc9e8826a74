"""Day-number helpers: all generator dates are int64 days since 1970-01-01."""

from __future__ import annotations

import numpy as np

# An event that never happens sits infinitely far in the future, so "known at date D" is simply
# "date <= D" for both real and missing events.
NEVER = np.int64(10_000_000)
DAYS_PER_MONTH = 30.4375
_LAST_ISO_DAY = np.int64(2_932_896)  # 9999-12-31
# Excel serial day number of 1970-01-01 (Excel counts from 1899-12-30).
EXCEL_EPOCH_OFFSET = 25_569


def day(iso: str) -> int:
    """Day number of an ISO date string."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def month_end(month: str) -> int:
    """Day number of the last day of a `YYYY-MM` month."""
    return int((np.datetime64(month, "M") + 1).astype("datetime64[D]").astype(np.int64)) - 1


def shift_month(month: str, n: int) -> str:
    """`YYYY-MM` shifted by n months."""
    return str(np.datetime64(month, "M") + n)


def months(x: np.ndarray | float) -> np.ndarray:
    """Whole days in x months."""
    return np.round(np.asarray(x, dtype=float) * DAYS_PER_MONTH).astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers (NEVER maps to a far-future year)."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def add_years(days: np.ndarray, n: int) -> np.ndarray:
    """Same calendar day n years later; 29 February becomes 28 February."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + 12 * n
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, last - 1)


def _iso_fixed(days: np.ndarray) -> np.ndarray:
    # Clipping keeps every string exactly 10 characters, which the reordering in dutch() needs.
    clipped = np.minimum(np.asarray(days, dtype=np.int64), _LAST_ISO_DAY)
    return np.datetime_as_string(clipped.astype("datetime64[D]"), unit="D").astype("<U10")


def _masked(values: np.ndarray, shown: np.ndarray | None) -> np.ndarray:
    out = values.astype(object)
    if shown is not None:
        out[~np.asarray(shown, dtype=bool)] = ""
    return out


def iso(days: np.ndarray, shown: np.ndarray | None = None) -> np.ndarray:
    """ISO `YYYY-MM-DD` strings (object array); empty where not shown."""
    return _masked(_iso_fixed(days), shown)


def dutch(days: np.ndarray, shown: np.ndarray | None = None) -> np.ndarray:
    """`dd-mm-jjjj` strings (object array); empty where not shown."""
    s = _iso_fixed(days)
    chars = s.view("<U1").reshape(-1, 10)[:, [8, 9, 7, 5, 6, 4, 0, 1, 2, 3]]
    return _masked(np.ascontiguousarray(chars).view("<U10").ravel(), shown)
