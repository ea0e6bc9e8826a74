"""Disclosure control for the published tables (disclosure.md): what is withheld, cell by cell.

The tables are turned into *cells*: one teller cell per row, and one noemer cell per population
(a noemer is shared by every indicator of its population, so it is one cell, withheld or
published in every row at once). The additive relations link the cells: the municipalities sum
to U16, the U10 members to U10, M + V = T, the three age classes to T; for tellers and noemers
alike.

1. **Primary suppression** (`suppress.primary`): a population below `min_population` is
   withheld whole: its noemer and every teller of it. A teller, or noemer - teller, of
   1 .. `small_group` withholds that teller.
2. **Secondary suppression** (`blocks.protect`, per block `suppress`): no relation may hold
   exactly one withheld cell (it would be the total minus the rest). Where one does, the
   cheapest published cell of that relation is withheld too: small cells before large ones,
   municipalities before regions, categories before their totals, and a teller before a whole
   population. Then cells that bound propagation pins (cheap, no LP), and after them those
   the attacker's audit (`audit`) finds pinned by bounds and overlapping relations together:
   around each one the cheapest published neighbour is withheld, until the audit passes.
   Every choice is ordered by (cost, cell), and cells are numbered from the sorted keys, so the
   same tables give the same suppression whatever their row order.

A withheld noemer withholds the population's tellers with it: a published teller next to an
empty noemer and percentage would be hard to read, and a published teller plus a published
percentage would give the noemer back. A percentage is published only where both teller and
noemer are.

The modules, in the order the work flows:

- `cells`: the cell model, the relations (hierarchies), the audit windows and balanced moves;
- `suppress`: primary suppression and the secondary choices of one block, until its audit passes;
- `optimal`: the optimiser that withholds the fewest cells a block needs (Tau-Argus' OPT idea);
- `audit`: the attacker's LPs, which find the cells a published table pins;
- `history`: what earlier releases published, and the audit across releases;
- `blocks`: whole tables in blocks of areas, in threads, a block reused when unchanged;
- `report`: what was withheld, why and at which level.
"""

from publish.disclosure.blocks import (
    audit_published,
    kept_cells,
    kept_moves,
    protect,
    protect_tables,
    published_frames,
)
from publish.disclosure.cells import (
    AGE,
    KEPT,
    LEVEL_LABELS,
    LEVELS,
    NONE,
    PRIMARY,
    SECONDARY,
    SEX,
    Cells,
    Hierarchy,
    Shape,
    Thresholds,
    area_hierarchy,
    cells_of,
    line_moves,
)
from publish.disclosure.report import report, summary
from publish.disclosure.suppress import Suppression, primary

__all__ = [
    "AGE",
    "KEPT",
    "LEVELS",
    "LEVEL_LABELS",
    "NONE",
    "PRIMARY",
    "SECONDARY",
    "SEX",
    "Cells",
    "Hierarchy",
    "Shape",
    "Suppression",
    "Thresholds",
    "area_hierarchy",
    "audit_published",
    "cells_of",
    "kept_cells",
    "kept_moves",
    "line_moves",
    "primary",
    "protect",
    "protect_tables",
    "published_frames",
    "report",
    "summary",
]
