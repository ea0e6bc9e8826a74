"""A rows request read from its query string: filters, sort, fields, page size and cursor.

There is no query language: a filter is equality on a dimension, with a list meaning "any
of these"; sorting and field selection name columns; nothing is computed over rows. Every
parameter is checked here, so a bad one is a 400 that says which and why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from api.errors import bad_request
from publish.tableschema import DIMENSIONS

CODE_PATTERN = r"[A-Za-z0-9_\-]{1,64}"
WHOLE_PATTERN = r"\d{1,9}"
FORMATS = ("json", "csv")
CONTROL = ("sort", "fields", "limit", "cursor", "format")
_CODE = re.compile(rf"^{CODE_PATTERN}$")
_WHOLE = re.compile(rf"^{WHOLE_PATTERN}$")
CURSOR_PATTERN = r"[A-Za-z0-9_\-]{1,200}"
_CURSOR = re.compile(rf"^{CURSOR_PATTERN}$")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: in which release, after how many rows, for which query."""

    version: str
    offset: int
    query: str

    def encode(self) -> str:
        raw = orjson.dumps({"v": self.version, "o": self.offset, "q": self.query})
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, text: str) -> Cursor:
        if not _CURSOR.fullmatch(text):
            raise bad_request("the cursor is not one this API gave out", "cursor")
        try:
            data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(str(data["v"]), data["o"], str(data["q"]))
        except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise bad_request("the cursor is not one this API gave out", "cursor") from None
        if type(cursor.offset) is not int or cursor.offset < 0:
            raise bad_request("the cursor is not one this API gave out", "cursor")
        return cursor


@dataclass(frozen=True)
class RowsQuery:
    filters: tuple[tuple[str, tuple], ...]  # (column, values), columns and values sorted
    sort: tuple[tuple[str, bool], ...]  # (column, descending)
    fields: tuple[str, ...] | None
    limit: int  # rows per page: the client's `limit`, else the default
    cursor: Cursor | None
    format: str | None
    limit_given: bool = False

    def whole(self, format_: str) -> bool:
        """CSV without `limit` or `cursor` is every matching row in one answer: spreadsheets
        (Excel's "From Web", IMPORTDATA) read one URL and ignore the `Link` header."""
        return format_ == "csv" and not self.limit_given and self.cursor is None

    @property
    def filter_map(self) -> dict[str, tuple]:
        return dict(self.filters)

    @property
    def order_key(self) -> str:
        """What fixes the order of the matching rows; a cursor belongs to exactly this."""
        text = orjson.dumps([self.filters, self.sort]).decode()
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def canonical(self, format_: str) -> str:
        """The query normalised: equal for requests that must get the same answer."""
        return orjson.dumps(
            [
                self.filters,
                self.sort,
                self.fields,
                None if self.whole(format_) else self.limit,
                self.cursor.encode() if self.cursor else None,
            ]
        ).decode()

    def query_string(self, cursor: Cursor | None, format_: str, *, paged: bool = True) -> str:
        """This query in canonical form, at `cursor`: equal queries get equal links.

        `format=csv` is kept, so that a CSV page's next link gives CSV whatever the client's
        `Accept` header; JSON is the default and needs no parameter. Without `paged`, no
        `limit`: the link to a whole CSV answer.
        """
        parts = [f"{column}={','.join(map(str, values))}" for column, values in self.filters]
        if self.sort:
            parts.append("sort=" + ",".join(("-" if d else "") + f for f, d in self.sort))
        if self.fields is not None:
            parts.append("fields=" + ",".join(self.fields))
        if paged:
            parts.append(f"limit={self.limit}")
        if format_ == "csv":
            parts.append("format=csv")
        if cursor is not None:
            parts.append(f"cursor={cursor.encode()}")
        return "&".join(parts)


def parse_rows_query(
    params: Mapping[str, Sequence[str]],
    *,
    dataset: str,
    fields: Sequence[str],
    integer_fields: frozenset[str],
    codes: Mapping[str, Sequence[str]] | None = None,
    default_limit: int,
    max_limit: int,
    max_values: int,
) -> RowsQuery:
    """Read a rows request; `params` maps each parameter to all its values, in order."""
    for name in params:
        if name in DIMENSIONS and name not in fields:
            raise bad_request(f"the dataset {dataset} has no column {name} to filter on", name)
        if name not in DIMENSIONS and name not in CONTROL:
            raise bad_request(f"unknown parameter {name}", name)

    filters = []
    for name in sorted(n for n in params if n in DIMENSIONS):
        items = [item for value in params[name] for item in value.split(",")]
        if len(items) > max_values:
            raise bad_request(f"at most {max_values} values per filter", name)
        if name in integer_fields:
            if not all(_WHOLE.fullmatch(item) for item in items):
                raise bad_request(f"{name} takes whole numbers of at most 9 digits", name)
            values: tuple = tuple(sorted({int(item) for item in items}))
        else:
            if not all(_CODE.fullmatch(item) for item in items):
                raise bad_request(
                    f"{name} takes codes of letters, digits, '-' and '_' (at most 64)", name
                )
            values = tuple(sorted(set(items)))
            _known_codes(name, values, (codes or {}).get(name, ()))
        filters.append((name, values))

    sort: list[tuple[str, bool]] = []
    for item in _names(_one(params, "sort"), "sort"):
        column = item.removeprefix("-")
        if column not in fields:
            raise bad_request(f"cannot sort on {column!r}: not a column of {dataset}", "sort")
        if all(column != seen for seen, _ in sort):
            sort.append((column, item.startswith("-")))

    selected = None
    if (text := _one(params, "fields")) is not None:
        selected = tuple(dict.fromkeys(_names(text, "fields")))
        unknown = [f for f in selected if f not in fields]
        if unknown or not selected:
            raise bad_request(f"no column {', '.join(unknown) or '(none)'} in {dataset}", "fields")

    limit = default_limit
    if (text := _one(params, "limit")) is not None:
        if not _WHOLE.fullmatch(text) or not 1 <= int(text) <= max_limit:
            raise bad_request(f"limit is a whole number from 1 to {max_limit}", "limit")
        limit = int(text)

    cursor = None
    if (text := _one(params, "cursor")) is not None:
        cursor = Cursor.decode(text)

    format_ = _one(params, "format")
    if format_ is not None and format_ not in FORMATS:
        raise bad_request("format is json or csv", "format")

    return RowsQuery(
        tuple(filters),
        tuple(sort),
        selected,
        limit,
        cursor,
        format_,
        limit_given=_one(params, "limit") is not None,
    )


def _known_codes(name: str, values: Sequence[str], codes: Sequence[str]) -> None:
    """A coded column's filter takes its codes only: a mistyped one (`u16`, `GM9999`) matched
    no row and answered an empty page, read as "no data". Codes are case-sensitive."""
    unknown = [v for v in values if codes and v not in codes]
    if not unknown:
        return
    upper = {c.upper(): c for c in codes}
    meant = [upper[v.upper()] for v in unknown if v.upper() in upper]
    hint = f" (did you mean {', '.join(meant)}?)" if meant else ""
    raise bad_request(
        f"{name} has no code {', '.join(unknown)}{hint}; its codes are {', '.join(codes)}", name
    )


def parse_format(params: Mapping[str, Sequence[str]]) -> str | None:
    """The `format` of a request that takes no other parameter."""
    for name in params:
        if name != "format":
            raise bad_request(f"unknown parameter {name}", name)
    format_ = _one(params, "format")
    if format_ is not None and format_ not in FORMATS:
        raise bad_request("format is json or csv", "format")
    return format_


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"give {name} once", name)
    return values[0]


def _names(text: str | None, parameter: str) -> list[str]:
    if text is None:
        return []
    names = text.split(",")
    if not all(names):
        raise bad_request("an empty name in a comma-separated list", parameter)
    return names
