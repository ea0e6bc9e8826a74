"""What changed in a release: `diff.json` for machines and `CHANGELOG.md` for people.

Someone who downloads a new release wants to know what moved since the previous one: which
published values changed, which rows disclosure control newly withheld or released, which
cohorts and durations are new, and which deliveries it came from. `compare` reads two release
folders (the previous release and the staged new one) and returns that diff; `changelog`
renders its section of CHANGELOG.md on top of the previous release's. Both are pure functions
of their inputs, sorted throughout, so the same releases give byte-identical files; the caller
(`finish` in pipelines/defs/release.py) writes them into the staged release.

Nothing published may show a withheld value (disclosure.md, "Across releases"): a cell is
listed as changed only where both releases publish it, and a row that one of them withholds
is listed by its key alone, never with a value.

A change is attributed to a delivery only where that is proven. Each published value is
computed from known inputs (the marts' `meta.inputs` in dbt: the deliveries, as source/kind, a
value is computed from; and P, the earliest peildatum, which every delivery but the
taakstelling sets). When exactly one input of a changed value changed, that delivery caused
it; when several did, each is a possible cause; when none did, no delivery explains the change
(a change of method or of reference data) and it is counted as such.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

from publish.store import MANIFEST, TypedTexts, typed_value
from publish.tableschema import DATASETS, RESOURCES, Resource

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
EMPTY = "—"

Key = tuple
Row = tuple[str, ...]


def compare(previous: Path | None, current: Path, inputs: dict | None = None) -> dict:
    """The diff of release folder `current` against release folder `previous` (None: first
    release, everything in `current` is new).

    `current` may be the staged release: it needs `deliveries.json` and `data/*.csv`.
    `inputs` are per dataset the inputs of its values (see the module's docstring); without
    them no change is attributed.
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
    peildatum = {"old": _peildatum(previous), "new": _peildatum(current)}
    causes, unexplained = _causes(deliveries, full, inputs or {}, peildatum)
    return {
        "first_release": previous is None,
        "previous_version": _previous_version(previous),
        "peildatum": peildatum,
        "totals": _totals(deliveries, resources),
        "deliveries": deliveries,
        "resources": resources,
        "new_cohorts": new_cohorts,
        "new_durations": new_durations,
        "causes": causes,
        "unexplained": unexplained,
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
    fields = _schema_fields(resource)
    rows: dict[Key, Row] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        records = csv.reader(handle)
        header = next(records, [])
        # a repeated column name is its last column, as with csv.DictReader
        at = {name: i for i, name in enumerate(header)}
        # A column the file lacks reads as '' (past the end of every row).
        positions = [at.get(name, len(header)) for name in resource.field_names]
        width = len(header) + 1
        row_of = _picker(positions)
        key_of = _picker([resource.field_names.index(k) for k in resource.primary_key])
        # Each key field's typed values, made once per distinct text: keys repeat a lot.
        typed = [TypedTexts(fields[k], float) for k in resource.primary_key]
        for record in records:
            if not record:  # a blank line is no row (csv.DictReader skips it too)
                continue
            if len(record) < width:
                record += [""] * (width - len(record))
            row = row_of(record)
            key = tuple(map(TypedTexts.__getitem__, typed, key_of(row)))
            if key in rows:
                raise ValueError(f"{path}: primary key {key} occurs more than once")
            rows[key] = row
    return rows


def _picker(positions: list[int]) -> Callable[[list], tuple]:
    """The values at `positions` of a sequence, as a tuple (also for one position)."""
    if len(positions) == 1:
        (only,) = positions
        return lambda values: (values[only],)
    return itemgetter(*positions)


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


def _order(key: Key) -> tuple:
    return tuple((value is None, value) for value in key)


# --- comparing -------------------------------------------------------------------------------


def _compare_deliveries(old: dict[tuple, dict], new: dict[tuple, dict]) -> dict:
    """Added, replaced (other file, bytes or peildatum) and withdrawn, by (source, kind,
    deliverer)."""

    def order(identity: tuple) -> tuple:
        return tuple("" if part is None else str(part) for part in identity)

    def head(identity: tuple, entry: dict) -> dict:
        named = dict(zip(("source", "kind", "deliverer"), identity, strict=True))
        return {**named, **_supplier(entry)}

    def body(entry: dict) -> dict:
        return {k: entry.get(k) for k in ("file", "peildatum", "sha256", "rows")}

    def same(a: dict, b: dict) -> bool:
        return all(a.get(k) == b.get(k) for k in ("file", "peildatum", "sha256"))

    replaced = [
        {**head(i, new[i]), "old": body(old[i]), "new": body(new[i])}
        for i in sorted(old.keys() & new.keys(), key=order)
        if not same(old[i], new[i])
    ]
    return {
        "added": [
            {**head(i, new[i]), **body(new[i])} for i in sorted(new.keys() - old.keys(), key=order)
        ],
        "replaced": replaced,
        "withdrawn": [
            {**head(i, old[i]), **body(old[i])} for i in sorted(old.keys() - new.keys(), key=order)
        ],
    }


def _schema_fields(resource: Resource) -> dict[str, dict]:
    """The resource's fields as Table Schema fields, for `typed_value`; made once per table."""
    return {f.name: {"name": f.name, "type": f.type} for f in resource.fields}


def _compare_rows(resource: Resource, old: dict[Key, Row], new: dict[Key, Row]) -> dict:
    """Every changed published value, the rows newly withheld and released (by key), and the
    rows added and removed."""
    names = resource.field_names
    fields = _schema_fields(resource)
    values = [i for i, name in enumerate(names) if name not in resource.primary_key]
    geheim = names.index(GEHEIM) if GEHEIM in names else None
    changed, withheld, released = [], [], []
    differ = [key for key in old.keys() & new.keys() if old[key] != new[key]]
    for key in sorted(differ, key=_order):
        before, after = old[key], new[key]
        shown = dict(zip(resource.primary_key, key, strict=True))
        if geheim is not None and before[geheim] != after[geheim]:
            (withheld if after[geheim] == "true" else released).append({"key": shown})
        # Only values both releases publish: an empty one is withheld or missing in one.
        changed += [
            {
                "key": shown,
                "field": names[i],
                "old": typed_value(before[i], fields[names[i]], float),
                "new": typed_value(after[i], fields[names[i]], float),
            }
            for i in values
            if i != geheim and before[i] and after[i] and before[i] != after[i]
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

P = "P"  # the monitor's peildatum, an input of every value


def _causes(
    deliveries: dict, changes: dict[str, dict], inputs: dict, peildatum: dict
) -> tuple[list[dict], dict]:
    """Per changed delivery, the changed values it alone explains and those it may explain
    with others; and per dataset the changed values no delivery explains."""
    changed = [
        *(("added", d, d) for d in deliveries["added"]),
        *(("replaced", d, d["new"]) for d in deliveries["replaced"]),
        *(("withdrawn", d, d) for d in deliveries["withdrawn"]),
    ]
    changed.sort(key=lambda c: _identity(c[1]))
    by_input: dict[str, list[int]] = {}
    for i, (_, entry, _) in enumerate(changed):
        by_input.setdefault(f"{entry['source']}/{entry['kind']}", []).append(i)
    if peildatum["old"] != peildatum["new"]:
        by_input[P] = [i for i, (_, e, _) in enumerate(changed) if e["kind"] != "taakstelling"]
    alone = [dict.fromkeys((r.name for r in DATASETS), 0) for _ in changed]
    shared = [dict.fromkeys((r.name for r in DATASETS), 0) for _ in changed]
    through_p = [dict.fromkeys((r.name for r in DATASETS), 0) for _ in changed]
    unexplained = dict.fromkeys((r.name for r in DATASETS), 0)
    for resource in DATASETS:
        for cell in changes[resource.name]["changed"]:
            sources = _inputs_of(inputs.get(resource.name), cell)
            if sources is None:
                continue
            direct = {i for source in sources for i in by_input.get(source, ())}
            found = sorted(direct | set(by_input.get(P, ())))
            if not found:
                unexplained[resource.name] += 1
            for i in found:
                (alone if len(found) == 1 else shared)[i][resource.name] += 1
                if i not in direct:
                    # not an input of the value: the delivery can only have moved P
                    through_p[i][resource.name] += 1
    causes = [
        {
            "source": entry["source"],
            "kind": entry["kind"],
            "deliverer": entry["deliverer"],
            **_supplier(entry),
            "file": files["file"],
            "change": change,
            "alone": alone[i],
            "with_others": shared[i],
            "through_p": through_p[i],
        }
        for i, (change, entry, files) in enumerate(changed)
    ]
    return causes, unexplained


def _inputs_of(inputs: dict | None, cell: dict) -> list[str] | None:
    """The inputs of one changed value: by its row's indicator (or any) and its field (teller,
    noemer; a percentage has both). None when the dataset's inputs are not known."""
    if not inputs:
        return None
    per_field = inputs.get(cell["key"].get("indicator"), inputs.get("*"))
    if per_field is None:
        return None
    if "*" in per_field:
        return list(per_field["*"])
    if cell["field"] in per_field:
        return list(per_field[cell["field"]])
    return sorted({source for sources in per_field.values() for source in sources})


def _supplier(entry: dict) -> dict:
    """A delivery's supplier, where deliveries.json names one besides its deliverer."""
    return {"supplier": entry["supplier"]} if "supplier" in entry else {}


def _sender(entry: dict) -> str:
    """Who sent a delivery: its supplier where the deliverer is not one (a taakstelling's
    deliverer is its year, and COA sends it), with the year."""
    if "supplier" in entry:
        return f"{entry['supplier']} ({entry['deliverer']})"
    return entry["deliverer"]


def _identity(entry: dict) -> tuple:
    return tuple(str(entry[k] or "") for k in ("source", "kind", "deliverer"))


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
            cells = (label, d["source"], d["kind"], _sender(d), file, peildatum)
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
    moved = diff["peildatum"]["old"] not in (None, diff["peildatum"]["new"])
    rows = []
    for cause in diff["causes"]:
        delivery = f"{cause['source']}/{cause['kind']} {_sender(cause)} ({cause['change']})"
        counts = [sum(cause[k].values()) for k in ("alone", "with_others")]
        if moved:
            counts.append(sum(cause.get("through_p", {}).values()))
        rows.append(_row((delivery, *counts)))
    unexplained = sum(diff["unexplained"].values())
    if unexplained:
        label = "door geen levering verklaard / explained by no delivery"
        rows.append(_row((label, unexplained, "", *([""] if moved else []))))
    if not rows:
        return []
    explained = [
        "Een gewijzigde waarde komt van een levering als die de enige gewijzigde invoer van die "
        "waarde is; zijn er meer, dan is elk een mogelijke oorzaak. / A changed value comes from "
        "a delivery when that is the only changed input of the value; when there are more, each "
        "is a possible cause.",
    ]
    header = ["| Levering / Delivery | Alleen deze / This alone | Met andere / With others |"]
    if moved:
        old, new = diff["peildatum"]["old"], diff["peildatum"]["new"]
        explained.append(
            f"De peildatum P ging van {old} naar {new}: elke waarde tot P veranderde mee. Een "
            "levering die geen invoer van een waarde is, kan die alleen via P veranderd hebben "
            "(de laatste kolom), doordat haar nieuwe peildatum P opschoof. / P moved from "
            f"{old} to {new}, and every value counted up to P moved with it. A delivery that is "
            "not an input of a value can only have changed it through P (the last column), its "
            "new peildatum moving P."
        )
        header = [header[0] + " Waarvan via P / Of which through P |"]
    return [
        "### Oorzaken / Causes",
        "",
        *(line for text in explained for line in (text, "")),
        *header,
        "|---|---:|---:|" + ("---:|" if moved else ""),
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
    """Rows by key only: a value that one of the two releases withholds is never shown."""
    found = [(name, e) for name, r in diff["resources"].items() for e in r[category]]
    if not found:
        return []
    rows = [_row((name, _key(e["key"]))) for name, e in found]
    return [
        f"### {title}",
        "",
        "| Dataset | Sleutel / Key |",
        "|---|---|",
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
