"""What changed in a release: `diff.json` for machines and `CHANGELOG.md` for people.

Someone who downloads a new release wants to know what moved since the previous one: which
cells changed value, which rows disclosure control newly withheld or released, which cohorts
and durations are new, and which deliveries it came from. `compare` reads two release folders
(the previous release and the staged new one) and returns that diff; `changelog` renders its
section of CHANGELOG.md on top of the previous release's. Both are pure functions of their
inputs, sorted throughout, so the same releases give byte-identical files; the caller
(`finish` in pipelines/release.py) writes them into the staged release.

Cells are compared as the CSV text a release publishes (empty = missing) and reported typed
by the Table Schema of publish/schema.py. The diff holds only values that one of the two
releases published, so it discloses nothing that was not public already.

Causes are attributed by scope, not proven. A delivery that was added, replaced or withdrawn
is a possible cause. One from a municipality (a Werk & Inkomen workbook: its deliverer is the
gemeentecode, GMxxxx; a municipality's name is matched as well) is named for the changes in
its own gebied_code and in the regions it belongs to (`in_u10`, `in_u16` of the release's
`gebieden` code list). A regional delivery (COA, DUO, the language schools) is named for
every change. A change can have several possible causes; a change within no changed
delivery's scope (a change of method or of disclosure control) is counted as unattributed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from publish.release import MANIFEST
from publish.schema import DATASETS, RESOURCES, Resource

DELIVERIES = "deliveries.json"
MONITOR = "monitor.json"
HEADER = (
    "# Changelog\n"
    "\n"
    "Wat er per release van de Monitor Statushouders U16 veranderde; de volledige lijst staat in "
    "`diff.json` van elke release.\n"
    "What changed in each release of the monitor; each release's `diff.json` has the full "
    "list.\n"
)
SHOWN = 50  # rows per table in CHANGELOG.md; diff.json lists every changed cell
LISTED = 20  # keys of added and removed rows listed in diff.json, besides their count
GEHEIM = "geheim"
WITHHELD = ("teller", "noemer", "percentage")  # the fields disclosure control may empty
# The datasets by cohort: their cohort field and, where there is one, their duration field.
COHORTS = {"indicatoren": ("cohort_jaar", "duur_maanden"), "doorgaande_lijn": ("jaar", None)}
CATEGORIES = ("changed", "newly_withheld", "released", "added_rows", "removed_rows")
GEBIEDEN = next(r for r in RESOURCES if r.name == "gebieden")
EMPTY = "—"

Key = tuple
Row = tuple[str, ...]


def compare(previous: Path | None, current: Path) -> dict:
    """The diff of release folder `current` against release folder `previous` (None: first
    release, everything in `current` is new).

    `current` may be the staged release: it needs `deliveries.json` and `data/*.csv`.
    """
    deliveries = _compare_deliveries(_deliveries(previous), _deliveries(current))
    resources, full, new_cohorts, new_durations = {}, {}, {}, {}
    for resource in RESOURCES:
        old, new = _read(previous, resource), _read(current, resource)
        full[resource.name] = _compare_rows(resource, old, new)
        resources[resource.name] = _listed(resource, full[resource.name], len(old), len(new))
        if resource.name in COHORTS:
            cohorts, durations = _new_cohorts(resource, old, new)
            new_cohorts[resource.name] = cohorts
            if durations is not None:
                new_durations[resource.name] = durations
    gebieden = _read(current, GEBIEDEN) or _read(previous, GEBIEDEN)
    causes, unattributed = _causes(deliveries, full, gebieden)
    return {
        "first_release": previous is None,
        "previous_version": _previous_version(previous),
        "peildatum": {"old": _peildatum(previous), "new": _peildatum(current)},
        "totals": _totals(deliveries, resources),
        "deliveries": deliveries,
        "resources": resources,
        "new_cohorts": new_cohorts,
        "new_durations": new_durations,
        "causes": causes,
        "unattributed": unattributed,
    }


def changelog(diff: dict, version: str, created: str, history: str | None) -> bytes:
    """CHANGELOG.md: this version's section (from `compare`'s diff) on top of the previous
    release's CHANGELOG.md text (`history`; None for the first release)."""
    text = HEADER + "\n" + "\n".join(_section(diff, version, created)).rstrip("\n") + "\n"
    earlier = _earlier(history)
    if earlier:
        text += "\n" + earlier
    return (text.rstrip("\n") + "\n").encode("utf-8")


# --- reading a release -----------------------------------------------------------------------


def _read(folder: Path | None, resource: Resource) -> dict[Key, Row]:
    """The rows of `data/<name>.csv` by typed primary key, each the CSV text of the schema's
    fields ('' = missing). No folder or no file: no rows."""
    path = None if folder is None else folder / "data" / f"{resource.name}.csv"
    if path is None or not path.is_file():
        return {}
    types = {f.name: f.type for f in resource.fields}
    rows: dict[Key, Row] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            key = tuple(_typed(types[k], record.get(k) or "") for k in resource.primary_key)
            if key in rows:
                raise ValueError(f"{path}: primary key {key} occurs more than once")
            rows[key] = tuple(record.get(name) or "" for name in resource.field_names)
    return rows


def _deliveries(folder: Path | None) -> dict[tuple, dict]:
    """The release's deliveries by (source, kind, deliverer)."""
    path = None if folder is None else folder / DELIVERIES
    if path is None or not path.is_file():
        return {}
    found: dict[tuple, dict] = {}
    for entry in json.loads(path.read_text(encoding="utf-8")):
        identity = (entry["source"], entry["kind"], entry["deliverer"])
        if identity in found:
            raise ValueError(f"{path}: {identity} is listed more than once")
        found[identity] = entry
    return found


def _previous_version(folder: Path | None) -> str | None:
    if folder is None or not (folder / MANIFEST).is_file():
        return None
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("version")


def _peildatum(folder: Path | None) -> str | None:
    """P of the release: from `monitor.json` (also in a staged release), else `release.json`."""
    for name in (MONITOR, MANIFEST):
        path = None if folder is None else folder / name
        if path is not None and path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get("peildatum")
            if value is not None:
                return str(value)
    return None


def _typed(type_: str, text: str) -> object:
    if text == "":
        return None
    if type_ == "integer":
        return int(text)
    if type_ == "number":
        return float(text)
    if type_ == "boolean":
        return text == "true"
    return text


def _order(key: Key) -> tuple:
    return tuple((value is None, value) for value in key)


# --- comparing -------------------------------------------------------------------------------


def _compare_deliveries(old: dict[tuple, dict], new: dict[tuple, dict]) -> dict:
    """Added, replaced (other file, bytes or peildatum) and withdrawn, by (source, kind,
    deliverer)."""

    def order(identity: tuple) -> tuple:
        return tuple("" if part is None else str(part) for part in identity)

    def head(identity: tuple) -> dict:
        return dict(zip(("source", "kind", "deliverer"), identity, strict=True))

    def body(entry: dict) -> dict:
        return {k: entry.get(k) for k in ("file", "peildatum", "sha256", "rows")}

    def same(a: dict, b: dict) -> bool:
        return all(a.get(k) == b.get(k) for k in ("file", "peildatum", "sha256"))

    replaced = [
        {**head(i), "old": body(old[i]), "new": body(new[i])}
        for i in sorted(old.keys() & new.keys(), key=order)
        if not same(old[i], new[i])
    ]
    return {
        "added": [{**head(i), **body(new[i])} for i in sorted(new.keys() - old.keys(), key=order)],
        "replaced": replaced,
        "withdrawn": [
            {**head(i), **body(old[i])} for i in sorted(old.keys() - new.keys(), key=order)
        ],
    }


def _compare_rows(resource: Resource, old: dict[Key, Row], new: dict[Key, Row]) -> dict:
    """Every changed cell, newly withheld and released row, added and removed row."""
    names = resource.field_names
    types = [f.type for f in resource.fields]
    values = [i for i, name in enumerate(names) if name not in resource.primary_key]
    suppressible = [names.index(f) for f in WITHHELD if f in names] if GEHEIM in names else []
    geheim = names.index(GEHEIM) if suppressible else None
    changed, withheld, released = [], [], []
    for key in sorted(old.keys() & new.keys(), key=_order):
        before, after = old[key], new[key]
        if before == after:
            continue
        shown = dict(zip(resource.primary_key, key, strict=True))
        flipped: set[int] = set()
        if geheim is not None and before[geheim] != after[geheim]:
            flipped = {*suppressible, geheim}
            entry = {
                "key": shown,
                "old": {names[i]: _typed(types[i], before[i]) for i in suppressible},
                "new": {names[i]: _typed(types[i], after[i]) for i in suppressible},
            }
            (withheld if after[geheim] == "true" else released).append(entry)
        changed += [
            {
                "key": shown,
                "field": names[i],
                "old": _typed(types[i], before[i]),
                "new": _typed(types[i], after[i]),
            }
            for i in values
            if i not in flipped and before[i] != after[i]
        ]

    def keys(found: set[Key]) -> list[dict]:
        return [dict(zip(resource.primary_key, k, strict=True)) for k in sorted(found, key=_order)]

    return {
        "changed": changed,
        "newly_withheld": withheld,
        "released": released,
        "added_rows": keys(new.keys() - old.keys()),
        "removed_rows": keys(old.keys() - new.keys()),
    }


def _listed(resource: Resource, changes: dict, old_rows: int, new_rows: int) -> dict:
    """A resource's part of diff.json: every cell, the first LISTED added and removed rows."""
    return {
        "kind": resource.kind,
        "primary_key": list(resource.primary_key),
        "rows": {"old": old_rows, "new": new_rows},
        "totals": {
            "changed": len(changes["changed"]),
            "changed_rows": len({_frozen(c["key"]) for c in changes["changed"]}),
            **{c: len(changes[c]) for c in CATEGORIES if c != "changed"},
        },
        "changed": changes["changed"],
        "newly_withheld": changes["newly_withheld"],
        "released": changes["released"],
        **{
            c: {"count": len(changes[c]), "first": changes[c][:LISTED]}
            for c in ("added_rows", "removed_rows")
        },
    }


def _frozen(key: dict) -> tuple:
    return tuple(key.items())


def _new_cohorts(
    resource: Resource, old: dict[Key, Row], new: dict[Key, Row]
) -> tuple[list, list[dict] | None]:
    """Cohorts, and (cohort, duration) pairs where the dataset has durations, new in `new`."""
    cohort, duration = COHORTS[resource.name]
    i = resource.primary_key.index(cohort)
    cohorts = sorted({k[i] for k in new} - {k[i] for k in old}, key=lambda v: (v is None, v))
    if duration is None:
        return cohorts, None
    j = resource.primary_key.index(duration)
    pairs = {(k[i], k[j]) for k in new} - {(k[i], k[j]) for k in old}
    return cohorts, [{cohort: c, duration: d} for c, d in sorted(pairs, key=_order)]


def _totals(deliveries: dict, resources: dict[str, dict]) -> dict:
    return {
        **{f"deliveries_{change}": len(deliveries[change]) for change in deliveries},
        **{c: sum(r["totals"][c] for r in resources.values()) for c in CATEGORIES},
    }


# --- causes ----------------------------------------------------------------------------------


def _causes(
    deliveries: dict, changes: dict[str, dict], gebieden: dict[Key, Row]
) -> tuple[list[dict], dict]:
    """Per changed delivery, the dataset changes within its scope; and those within none."""
    scopes, names = _scopes(gebieden)
    per_area = {r.name: _per_area(changes[r.name]) for r in DATASETS}
    causes = []
    candidates = [
        *(("added", d, d) for d in deliveries["added"]),
        *(("replaced", d, d["new"]) for d in deliveries["replaced"]),
        *(("withdrawn", d, d) for d in deliveries["withdrawn"]),
    ]
    for change, entry, files in sorted(candidates, key=lambda c: _identity(c[1])):
        code = _municipality(entry["deliverer"], scopes, names)
        area = None if code is None else scopes[code]
        causes.append(
            {
                "source": entry["source"],
                "kind": entry["kind"],
                "deliverer": entry["deliverer"],
                "file": files["file"],
                "change": change,
                "scope": "regio" if area is None else "gemeente",
                "gebied_codes": None if area is None else sorted(area),
                "changes": {
                    name: _tally(counts, lambda g, a=area: a is None or g in a)
                    for name, counts in per_area.items()
                },
            }
        )
    regional = any(c["scope"] == "regio" for c in causes)
    covered = {g for c in causes for g in c["gebied_codes"] or ()}
    unattributed = {
        name: _tally(counts, lambda g: not regional and g not in covered)
        for name, counts in per_area.items()
    }
    return causes, unattributed


def _identity(entry: dict) -> tuple:
    return tuple(str(entry[k] or "") for k in ("source", "kind", "deliverer"))


def _scopes(gebieden: dict[Key, Row]) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Each municipality's gebied_code with itself and the regions it belongs to (column
    `in_<region>` true); and gebied_code by casefolded municipality name."""
    areas = [dict(zip(GEBIEDEN.field_names, row, strict=True)) for row in gebieden.values()]
    regions = [a["gebied_code"] for a in areas if a["soort"] == "regio"]
    municipalities = [a for a in areas if a["soort"] == "gemeente"]
    scopes = {
        a["gebied_code"]: frozenset(
            {a["gebied_code"], *(r for r in regions if a.get(f"in_{r.lower()}") == "true")}
        )
        for a in municipalities
    }
    names = {a["gebied_naam"].casefold(): a["gebied_code"] for a in municipalities}
    return scopes, names


def _municipality(
    deliverer: str | None, scopes: dict[str, frozenset[str]], names: dict[str, str]
) -> str | None:
    """The gebied_code of a deliverer that is a municipality (by code or name), else None."""
    if not deliverer:
        return None
    text = str(deliverer).strip()
    if text.upper() in scopes:
        return text.upper()
    return names.get(text.casefold())


def _per_area(changes: dict) -> Counter:
    """How many changes of each category fall in each gebied_code."""
    counts: Counter = Counter()
    for category in CATEGORIES:
        for item in changes[category]:
            key = item.get("key", item)
            counts[category, key.get("gebied_code")] += 1
    return counts


def _tally(counts: Counter, inside: Callable[[str | None], bool]) -> dict[str, int]:
    tally = dict.fromkeys(CATEGORIES, 0)
    for (category, area), n in counts.items():
        if inside(area):
            tally[category] += n
    return tally


# --- CHANGELOG.md ----------------------------------------------------------------------------


def _section(diff: dict, version: str, created: str) -> list[str]:
    lines = [f"## {version} ({created[:10]})", ""]
    if diff["first_release"]:
        lines += [f"Eerste release. / First release.{_peildatum_text(diff)}", ""]
        lines += _first_summary(diff)
        lines += _deliveries_table(diff["deliveries"])
        return lines
    lines += [
        f"Vergeleken met / compared with {diff['previous_version']}.{_peildatum_text(diff)}",
        "",
    ]
    lines += _summary(diff)
    lines += _deliveries_table(diff["deliveries"])
    lines += _causes_table(diff)
    lines += _changed_table(diff)
    lines += _flipped_table(diff, "newly_withheld", "Nieuw geheim / Newly withheld")
    lines += _flipped_table(diff, "released", "Vrijgegeven / Released")
    return lines


def _peildatum_text(diff: dict) -> str:
    old, new = diff["peildatum"]["old"], diff["peildatum"]["new"]
    if new is None:
        return ""
    if old is None or old == new:
        return f" Peildatum: {new}."
    return f" Peildatum: {old} → {new}."


def _first_summary(diff: dict) -> list[str]:
    lines = [
        f"- `{name}`: {r['rows']['new']} rijen / rows"
        for name, r in diff["resources"].items()
        if r["kind"] == "dataset"
    ]
    lines += _cohort_lines(diff, "Cohorten / Cohorts", "Duren / Durations")
    return [*lines, ""]


def _summary(diff: dict) -> list[str]:
    totals = diff["totals"]
    per_resource = ", ".join(
        f"{name} {r['totals']['changed']}"
        for name, r in diff["resources"].items()
        if r["totals"]["changed"]
    )
    lines = [
        f"- Leveringen / Deliveries: {totals['deliveries_added']} nieuw / added, "
        f"{totals['deliveries_replaced']} vervangen / replaced, "
        f"{totals['deliveries_withdrawn']} ingetrokken / withdrawn",
        f"- Gewijzigde cellen / Changed cells: {totals['changed']}"
        + (f" ({per_resource})" if per_resource else ""),
        f"- Nieuw geheim / Newly withheld: {totals['newly_withheld']} rijen / rows",
        f"- Vrijgegeven / Released: {totals['released']} rijen / rows",
        f"- Rijen erbij / Rows added: {totals['added_rows']}; "
        f"vervallen / removed: {totals['removed_rows']}",
        *_cohort_lines(diff, "Nieuwe cohorten / New cohorts", "Nieuwe duren / New durations"),
    ]
    return [*lines, ""]


def _cohort_lines(diff: dict, cohorts_label: str, durations_label: str) -> list[str]:
    cohorts = "; ".join(
        f"{name} {', '.join(str(c) for c in found)}"
        for name, found in diff["new_cohorts"].items()
        if found
    )
    durations = "; ".join(
        f"{name} " + ", ".join(" × ".join(str(v) for v in pair.values()) for pair in found)
        for name, found in diff["new_durations"].items()
        if found
    )
    return [
        f"- {cohorts_label}: {cohorts or 'geen / none'}",
        f"- {durations_label} (cohort × maanden / months): {durations or 'geen / none'}",
    ]


def _deliveries_table(deliveries: dict) -> list[str]:
    rows = []
    for change, label in (
        ("added", "nieuw / added"),
        ("replaced", "vervangen / replaced"),
        ("withdrawn", "ingetrokken / withdrawn"),
    ):
        for d in deliveries[change]:
            if change == "replaced":
                file = f"{d['old']['file']} → {d['new']['file']}"
                peildatum = f"{d['old']['peildatum']} → {d['new']['peildatum']}"
            else:
                file, peildatum = d["file"], d["peildatum"]
            cells = (label, d["source"], d["kind"], d["deliverer"], file, peildatum)
            rows.append(_row(cells))
    if not rows:
        return []
    return [
        "### Leveringen / Deliveries",
        "",
        "| Wijziging / Change | Bron / Source | Soort / Kind | Leverancier / Deliverer "
        "| Bestand / File | Peildatum |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _causes_table(diff: dict) -> list[str]:
    changes = sum(diff["totals"][c] for c in CATEGORIES)
    if not changes:
        return ["Geen wijzigingen in de data. / No changes in the data.", ""]
    rows = []
    for cause in diff["causes"]:
        counts = {c: sum(r[c] for r in cause["changes"].values()) for c in CATEGORIES}
        scope = ", ".join(cause["gebied_codes"] or ["alle gebieden / all areas"])
        delivery = f"{cause['source']}/{cause['kind']} {cause['deliverer']} ({cause['change']})"
        rows.append(_row((delivery, scope, *_counts(counts))))
    unattributed = {c: sum(r[c] for r in diff["unattributed"].values()) for c in CATEGORIES}
    if any(unattributed.values()):
        rows.append(_row(("geen levering / no delivery", "", *_counts(unattributed))))
    return [
        "### Mogelijke oorzaken / Possible causes",
        "",
        "Toegeschreven naar bereik, niet bewezen: een levering van een gemeente aan de wijzigingen "
        "in die gemeente en haar regio's, een regionale levering aan alle. / Attributed by scope, "
        "not proven: a municipality's delivery to the changes in that municipality and its "
        "regions, a regional delivery to all.",
        "",
        "| Levering / Delivery | Bereik / Scope | Cellen / Cells | Nieuw geheim / Withheld "
        "| Vrijgegeven / Released | Rijen erbij / Rows added | Vervallen / Removed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _counts(counts: dict[str, int]) -> list[str]:
    return [str(counts[c]) for c in CATEGORIES]


def _changed_table(diff: dict) -> list[str]:
    cells = [(name, c) for name, r in diff["resources"].items() for c in r["changed"]]
    if not cells:
        return []
    rows = [
        _row((name, _key(c["key"]), c["field"], f"{_shown(c['old'])} → {_shown(c['new'])}"))
        for name, c in cells[:SHOWN]
    ]
    return [
        "### Gewijzigde cellen / Changed cells",
        "",
        "| Dataset | Sleutel / Key | Veld / Field | Oud → nieuw / Old → new |",
        "|---|---|---|---|",
        *rows,
        *_more(len(cells)),
        "",
    ]


def _flipped_table(diff: dict, category: str, title: str) -> list[str]:
    found = [(name, e) for name, r in diff["resources"].items() for e in r[category]]
    if not found:
        return []
    rows = [_row((name, _key(e["key"]), _values(e["old"]), _values(e["new"]))) for name, e in found]
    return [
        f"### {title}",
        "",
        "| Dataset | Sleutel / Key | Was / Old | Nu / New |",
        "|---|---|---|---|",
        *rows[:SHOWN],
        *_more(len(found)),
        "",
    ]


def _more(count: int) -> list[str]:
    if count <= SHOWN:
        return []
    return ["", f"… en nog {count - SHOWN} / and {count - SHOWN} more: zie / see `diff.json`."]


def _key(key: dict) -> str:
    return ", ".join(f"{k}={_shown(v)}" for k, v in key.items())


def _values(values: dict) -> str:
    return ", ".join(f"{k}={_shown(v)}" for k, v in values.items())


def _shown(value: object) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _row(cells: tuple | list) -> str:
    text = [_shown(c).replace("|", "\\|").replace("\n", " ") for c in cells]
    return "| " + " | ".join(text) + " |"


def _earlier(history: str | None) -> str:
    """The sections of the previous CHANGELOG.md, without its header."""
    if not history or not history.strip():
        return ""
    if history.startswith(HEADER):
        return history[len(HEADER) :].lstrip("\n")
    lines = history.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("## "):
            return "".join(lines[i:])
    return history.lstrip("\n")
