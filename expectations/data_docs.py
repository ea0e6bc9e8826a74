"""GX Data Docs pages for validation results, with no raw identifier in them.

GX renders failing values into its pages; a bsn that fails the elfproef must not end up in
a document. Each result is copied with its failing values masked (identifiers) or hidden
(dates) and without row indices, then rendered with GX's own page renderer.
"""

from __future__ import annotations

import copy
import html
from functools import lru_cache
from pathlib import Path
from typing import Any

from expectations.gate import mask

_VALUE_LISTS = ("partial_unexpected_list", "unexpected_list")
_DROPPED_KEYS = ("unexpected_index_list", "partial_unexpected_index_list", "unexpected_index_query")


def sanitized(result: Any, identifiers: set[str]) -> Any:
    clean = copy.deepcopy(result)
    for outcome in clean.results:
        kwargs = outcome.expectation_config.kwargs
        column = kwargs.get("column") or kwargs.get("column_A") or ""
        values = outcome.result or {}
        for key in _DROPPED_KEYS:
            values.pop(key, None)
        values.pop("unexpected_list", None)
        if "partial_unexpected_list" in values:
            values["partial_unexpected_list"] = [
                mask(v, column, identifiers) for v in values["partial_unexpected_list"]
            ]
        if "partial_unexpected_counts" in values:
            values["partial_unexpected_counts"] = [
                {"value": mask(c["value"], column, identifiers), "count": c["count"]}
                for c in values["partial_unexpected_counts"]
            ]
    return clean


@lru_cache(maxsize=1)
def _renderers() -> tuple[Any, Any]:
    """One renderer and one page view per process: the view compiles its Jinja templates
    once and caches them, which is most of the cost of a page."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    return ValidationResultsPageRenderer(), DefaultJinjaPageView()


def write_page(result: Any, identifiers: set[str], path: Path) -> Path:
    renderer, view = _renderers()
    document = renderer.render(sanitized(result, identifiers))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(view.render(document))
    return path


def write_index(folder: Path) -> Path:
    """A plain index of every page under the docs folder, newest folders first."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = sorted(folder.rglob("*.html"), reverse=True)
    items = "\n".join(
        f'<li><a href="{html.escape(str(p.relative_to(folder)))}">'
        f"{html.escape(str(p.relative_to(folder)))}</a></li>"
        for p in pages
        if p.name != "index.html"
    )
    index = folder / "index.html"
    index.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Validation results</title></head><body><h1>Validation results</h1>"
        "<p>Great Expectations Data Docs, one page per suite run.</p>"
        f"<ul>{items}</ul></body></html>\n"
    )
    return index
