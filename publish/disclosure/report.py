"""The disclosure report: what was withheld, why and at which level, in numbers and one summary."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from publish.disclosure import optimal
from publish.disclosure.cells import (
    KEPT,
    LEVEL_LABELS,
    LEVELS,
    NONE,
    PRIMARY,
    SECONDARY,
)
from publish.disclosure.suppress import Suppression
from publish.formatting import level_percentages


def report(suppression: Suppression) -> dict:
    """The disclosure report: parameters, withheld cells, the audit, the information lost."""
    cells, reason = suppression.cells, suppression.reason
    is_noemer = cells.noemer_of < 0
    resources = {}
    for r, name in enumerate(cells.resources):
        mine = cells.resource == r
        teller_id, noemer_id = cells.rows[name]
        withheld_rows = suppression.withheld[teller_id] | suppression.withheld[noemer_id]
        primary_rows = (reason[teller_id] == PRIMARY) | (reason[noemer_id] == PRIMARY)
        levels = {}
        for tier, level in enumerate(LEVELS):
            at = cells.tier[teller_id] == tier
            if at.any():
                primary = (primary_rows & at).sum()
                secondary = (withheld_rows & ~primary_rows & at).sum()
                levels[level] = {
                    "rows": int(at.sum()),
                    "primary": _share(primary, at.sum()),
                    "secondary": _share(secondary, at.sum()),
                    # the counts, so that every text shows the same rounding of the same share
                    "primary_rows": int(primary),
                    "secondary_rows": int(secondary),
                }
        resources[name] = {
            "rows": len(teller_id),
            "rows_geheim": int(withheld_rows.sum()),
            "cells": int(mine.sum()),
            "tellers": _counts(reason[mine & ~is_noemer]),
            "noemers": _counts(reason[mine & is_noemer]),
            "share_withheld": _share((reason[mine] != NONE).sum(), mine.sum()),
            "rows_withheld_by_level": levels,
        }
    per_block = np.bincount(cells.block[reason == SECONDARY], minlength=len(cells.block_labels))
    result = suppression.audit
    return {
        "parameters": asdict(suppression.thresholds),
        "resources": resources,
        "secondary_suppression": _optimiser_summary(suppression.optimiser),
        "across_releases": suppression.across or {"earlier_releases": [], "passed": True},
        "audit": {
            "passed": result.passed and (suppression.across or {}).get("passed", True),
            "withheld_cells": result.withheld,
            "components": result.components,
            "linear_programs": result.lps,
            "pinned": [asdict(p) for p in result.pinned],
            "rounds": suppression.rounds,
        },
        "information_loss": {
            "share_of_cells_withheld": _share(suppression.withheld.sum(), len(reason)),
            "secondary_cells_per_block": {
                label: int(n) for label, n in zip(cells.block_labels, per_block, strict=True)
            },
        },
    }


def _optimiser_summary(outcomes: list[optimal.BlockResult]) -> dict:
    """How each block's secondary cells were chosen, and how close to the cheapest pattern."""
    methods = [o.method for o in outcomes]
    cost = sum(o.cost for o in outcomes if o.secondary is not None)
    bound = sum(o.lower_bound for o in outcomes if o.secondary is not None)
    return {
        "blocks": len(outcomes),
        "optimal": methods.count("optimal"),
        "near_optimal": methods.count("near-optimal"),
        "heuristic": methods.count("heuristic"),
        "reused": methods.count("reused"),
        "cost": cost,
        "lower_bound": bound,
        "gap": round((cost - bound) / cost, 6) if cost else 0.0,
        "per_block": {
            o.label: {
                "method": o.method,
                "cost": o.cost,
                "lower_bound": o.lower_bound,
                **({"notes": o.notes} if o.notes else {}),
            }
            for o in outcomes
        },
    }


def summary(report: dict) -> str:
    """The report as Markdown, for people."""
    params = report["parameters"]
    audit_ = report["audit"]
    lines = [
        "# Disclosure control / Geheimhouding",
        "",
        f"- Population below {params['min_population']} withheld whole "
        f"(noemer, tellers, percentages) / populations under {params['min_population']} withheld.",
        f"- Teller or noemer - teller of 1 to {params['small_group']} withheld "
        "with its percentage.",
        "- Secondary suppression over the relations U16 = its municipalities, U10 = its members, "
        "M + V = T, 18-29 + 30-49 + 50-64 = T, and the shared noemer of a population.",
        f"- Audit: every withheld teller and noemer must keep at least "
        f"{params['min_possible_values']} possible whole values for an attacker who solves "
        "linear programs over the published tables.",
        "",
        "## Audit",
        "",
        f"**{'Passed / geslaagd' if audit_['passed'] else 'FAILED / gezakt'}**: "
        f"{audit_['withheld_cells']:,} withheld cells in {audit_['components']:,} linked groups, "
        f"{_programs(audit_['linear_programs'])}, "
        f"{len(audit_['pinned'])} cells pinned to one value.",
        "",
        "## Withheld cells / Geheime cellen",
        "",
        "| resource | rows | rows geheim | tellers primary | tellers secondary "
        "| noemers primary | noemers secondary | kept from earlier releases "
        "| share of cells withheld |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in report["resources"].items():
        kept = r["tellers"].get("kept", 0) + r["noemers"].get("kept", 0)
        lines.append(
            f"| {name} | {r['rows']:,} | {r['rows_geheim']:,} | {r['tellers']['primary']:,} "
            f"| {r['tellers']['secondary']:,} | {r['noemers']['primary']:,} "
            f"| {r['noemers']['secondary']:,} | {kept:,} | {100 * r['share_withheld']:.1f}% |"
        )
    lines += [
        "",
        "## Rows withheld by level / Geheime rijen per niveau",
        "",
        "Headline rows are a region's or a municipality's cohort with geslacht T and "
        "leeftijdsklasse T; they are withheld only where the primary rules or the relations "
        "force it. / Koprijen (geslacht T, leeftijdsklasse T) worden alleen geheimgehouden waar "
        "de regels of de optellingen dat afdwingen.",
        "",
        "| resource | level / niveau | rows | primary | secondary |",
        "|---|---|---:|---:|---:|",
    ]
    for name, r in report["resources"].items():
        for level, counts in r.get("rows_withheld_by_level", {}).items():
            primary, secondary = level_percentages(counts)
            lines.append(
                f"| {name} | {LEVEL_LABELS[level]} | {counts['rows']:,} "
                f"| {primary}% | {secondary}% |"
            )
    chosen = report.get("secondary_suppression")
    if chosen:
        lines += [
            "",
            "## Secondary suppression / Secundaire geheimhouding",
            "",
            f"Per block the cheapest pattern is sought (a mixed-integer program, checked by the "
            f"attacker's linear programs): {chosen['optimal']} of {chosen['blocks']} blocks "
            f"optimal, {chosen['near_optimal']} within "
            f"{100 * chosen['gap']:.2f}% of a proven lower bound in all, "
            f"{chosen['heuristic']} by the heuristic"
            + (
                f", {chosen['reused']} unchanged since the latest release and kept as they were"
                if chosen.get("reused")
                else ""
            )
            + " (per block in disclosure.json).",
        ]
    across = report.get("across_releases")
    if across and "same_figures_as" in across:
        lines += [
            "",
            f"The true values are those of release {across['same_figures_as']}: this release "
            "is made as that one was, against the releases before it. / Dezelfde cijfers als "
            f"release {across['same_figures_as']}.",
        ]
    if across and across["earlier_releases"]:
        earlier = across["earlier_releases"]
        missing = across.get("without_true_values", [])
        lines += [
            "",
            "## Across releases / Over releases heen",
            "",
            f"The audit covered this release together with {len(earlier)} earlier "
            f"release{'s' * (len(earlier) != 1)} ({', '.join(earlier)}): "
            f"{'passed' if across['passed'] else 'FAILED'}, "
            f"{across['pinned']} cells pinned, {len(across['leaked'])} values an earlier "
            f"release withheld published now. {across['public_cells']:,} cells were published "
            f"before with the same value (public), {across['kept_cells']:,} stay withheld "
            "because an earlier release withheld the same value. / De controle dekte deze "
            "release samen met de eerdere.",
        ]
        if missing:
            lines.append(
                f"{'Releases' if len(missing) > 1 else 'Release'} {', '.join(missing)} "
                f"{'predate' if len(missing) > 1 else 'predates'} the kept true values: their "
                "published values count, every cell they withheld stays withheld."
            )
    loss = report["information_loss"]
    per_block = list(loss["secondary_cells_per_block"].values())
    lines += [
        "",
        "## Information lost / Informatieverlies",
        "",
        f"{100 * loss['share_of_cells_withheld']:.1f}% of all cells withheld. Secondary cells "
        f"per block: mean {np.mean(per_block) if per_block else 0:.1f}, "
        f"max {max(per_block, default=0)} (per block in disclosure.json).",
        "",
    ]
    return "\n".join(lines)


def _counts(reasons: np.ndarray) -> dict[str, int]:
    return {
        "total": len(reasons),
        "primary": int((reasons == PRIMARY).sum()),
        "secondary": int((reasons == SECONDARY).sum()),
        "kept": int((reasons == KEPT).sum()),
    }


def _programs(count: int) -> str:
    """The audit's own linear programs; none are needed where the solutions already found (the
    optimiser's moves, the true values) show every withheld cell taking enough values."""
    if count == 0:
        return (
            "no linear program of its own needed (the solutions already found show every "
            "withheld cell taking enough values)"
        )
    return f"{count:,} linear program{'' if count == 1 else 's'}"


def _share(part: int, whole: int) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0
