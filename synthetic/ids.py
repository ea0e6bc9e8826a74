"""Person identifiers: BSN (elfproef), V-nummer and household numbers."""

from __future__ import annotations

import numpy as np

ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
# Share of BSNs per first digit. Real BSNs issued to newcomers start with 0-3 more often than
# not; the 0 share is generous on purpose so leading-zero handling is exercised at every scale.
BSN_FIRST_DIGIT_P = (0.10, 0.15, 0.17, 0.20, 0.14, 0.10, 0.08, 0.06, 0.0, 0.0)


def elfproef_ok(bsn: str) -> bool:
    """True if bsn is 9 digits, not all zeros, and passes the elfproef."""
    if len(bsn) != 9 or not bsn.isdigit() or bsn == "000000000":
        return False
    return sum(w * int(c) for w, c in zip(ELFPROEF_WEIGHTS, bsn, strict=True)) % 11 == 0


def _unique_in_order(values: np.ndarray) -> np.ndarray:
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def _fill_unique(draw, n: int) -> np.ndarray:
    # Draw in batches until n distinct values exist; order of first appearance keeps it seeded.
    got = np.empty(0, dtype=np.int64)
    while got.size < n:
        batch = draw(int((n - got.size) * 1.2) + 64)
        got = _unique_in_order(np.concatenate([got, batch]))
    return got[:n]


def bsn_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct valid BSNs as int64 (format with zfill(9))."""

    def draw(k: int) -> np.ndarray:
        first = rng.choice(10, size=k, p=BSN_FIRST_DIGIT_P)
        prefix = first.astype(np.int64) * 10_000_000 + rng.integers(0, 10_000_000, size=k)
        s = np.zeros(k, dtype=np.int64)
        for i, w in enumerate(ELFPROEF_WEIGHTS[:8]):
            s += w * (prefix // 10 ** (7 - i) % 10)
        check = s % 11
        ok = (check != 10) & (prefix != 0)
        return (prefix * 10 + check)[ok]

    return _fill_unique(draw, n)


def format_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded digit strings as an object array."""
    return np.char.zfill(values.astype(np.int64).astype(str), width).astype(object)


def random_bsns(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct valid BSN strings, some with a leading zero."""
    return format_digits(bsn_numbers(rng, n), 9)


def random_vnummers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 10-digit V-nummers."""
    return format_digits(
        _fill_unique(lambda k: rng.integers(1_000_000_000, 10_000_000_000, size=k), n), 10
    )


def random_household_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 8-digit household numbers (text; leading zeros are significant)."""
    return format_digits(_fill_unique(lambda k: rng.integers(0, 100_000_000, size=k), n), 8)


def break_elfproef(bsns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change the check digit so the elfproef fails (any check-digit change breaks it)."""
    out = bsns.copy()
    for i, b in enumerate(out):
        last = int(b[8])
        new = (last + int(rng.integers(1, 10))) % 10
        out[i] = b[:8] + str(new)
    return out
