"""How the download page writes numbers and dates: Dutch style, the same text every time."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

MONTHS_NL = (
    *("januari", "februari", "maart", "april", "mei", "juni"),
    *("juli", "augustus", "september", "oktober", "november", "december"),
)


def format_pct(value: Decimal | float | int | None) -> str:
    """A percentage in Dutch style with one decimal: 42.5 -> "42,5%"."""
    if value is None:
        return ""
    return f"{_tenths(Decimal(str(value))):.1f}".replace(".", ",") + "%"


def _tenths(value: Decimal) -> Decimal:
    """To one decimal, half away from zero, as the marts round."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_of(part: int, whole: int) -> Decimal:
    """100 * part / whole to one decimal, half away from zero, from the counts themselves:
    a share rounded before (0.23249 stored as 0.2325) would round up to 23.3 where it is 23.2."""
    if not whole:
        return Decimal("0.0")
    return _tenths(Decimal(100 * int(part)) / Decimal(int(whole)))


def level_percentages(counts: dict) -> tuple[Decimal, Decimal]:
    """The shares of a level's rows withheld by the primary rules and by secondary suppression,
    in percent to one decimal, for disclosure.md and the page alike (from the counts; a report
    made before they were kept has the shares only)."""
    if "primary_rows" in counts:
        keys = ("primary_rows", "secondary_rows")
        return tuple(percent_of(counts[k], counts["rows"]) for k in keys)
    return tuple(_tenths(Decimal(str(100 * counts[k]))) for k in ("primary", "secondary"))


def format_int(value: int) -> str:
    """Whole numbers with Dutch thousands separators and a real minus: -12345 -> "−12.345"."""
    return f"{value:,}".replace(",", ".").replace("-", "−")


def format_size(size: int) -> str:
    """File sizes in decimal units, Dutch style: 12345 -> "12,3 kB"."""
    if size < 1000:
        return f"{size} B"
    for unit, factor in (("kB", 10**3), ("MB", 10**6), ("GB", 10**9)):
        if size < factor * 1000 or unit == "GB":
            scaled = (Decimal(size) / factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            return f"{scaled:.1f}".replace(".", ",") + f" {unit}"
    raise AssertionError("unreachable")


def format_date_nl(value: str) -> str:
    """An ISO date or timestamp as a Dutch date: "2024-09-30" -> "30 september 2024"."""
    day = dt.datetime.fromisoformat(value).date() if "T" in value else dt.date.fromisoformat(value)
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def format_date_short(value: str) -> str:
    """An ISO date as dd-mm-jjjj: "2024-09-30" -> "30-09-2024"."""
    day = dt.date.fromisoformat(value[:10])
    return f"{day.day:02d}-{day.month:02d}-{day.year}"
