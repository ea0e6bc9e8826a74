"""Tau-Argus' optimal suppression (OPT, Fischetti-Salazar) of one table, through `pytauargus`.

Only for benchmarks/disclosure.py, to compare the project's secondary suppression with the
reference method on the same tables: `uv run --group bench` installs `pytauargus` (EUPL; the
Tau-Argus engine with HiGHS bundled). It is never a dependency of the monitor.

The table goes in as tabular data, one line per cell (totals included): codes, value, cost,
protection levels and status (`U` for the given primary cells, `S` for the rest), so no safety
rule derives primaries: Tau-Argus gets exactly ours. The OPT step is driven as pytauargus'
`<SUPPRESS> OPT` drives it, with two changes measured to matter:

- every cell's a-priori bounds are 0 and a ceiling far above any count (pytauargus 0.6 passes
  the table's smallest and largest value, which can exclude the true value of a total's
  neighbours);
- the cost column holds our integer costs exactly (the stock route rescales costs to at most
  20,000 and rounds them; on 5 test tables it then found dearer patterns in 3).

Reaching these needs the engine objects pytauargus keeps private (`Engine._tau`, `_hitas`).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# Tau-Argus cell statuses (the engine's defines.h).
PRIMARY_STATUSES = (3, 4, 5, 6, 7, 8, 9)
SECONDARY_STATUSES = (11, 12)
CEILING = 1e7


def tree(groups: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, list[str]]]:
    """A laminar family of groups (U16 = 16 codes, U10 = 10 of them) as a tree: the root and
    each group's children, a group under the smallest group that holds it."""
    sets = {g: frozenset(members) for g, members in groups.items()}
    leaves = frozenset().union(*sets.values())
    (root,) = [g for g, members in sets.items() if members == leaves]

    def parent(members: frozenset, me: str) -> str:
        around = [g for g in sets if g != me and members <= sets[g] and members != sets[g]]
        return min(around, key=lambda g: len(sets[g]))

    up = {g: parent(sets[g], g) for g in sets if g != root}
    up.update(
        {
            leaf: min((g for g in sets if leaf in sets[g]), key=lambda g: len(sets[g]))
            for leaf in leaves
        }
    )
    children: dict[str, list[str]] = {g: [] for g in sets}
    for node in sorted(up):
        children[up[node]].append(node)
    return root, children


def _hrc(root: str, children: dict[str, list[str]], depth: int = 0) -> list[str]:
    lines = []
    for child in children.get(root, []):
        lines += ["@" * depth + child, *_hrc(child, children, depth + 1)]
    return lines


def tau_opt(
    frame: pd.DataFrame,
    hierarchies: Mapping[str, Mapping[str, Sequence[str]]],
    upl: float = 1.0,
    time_limit: float = 60.0,
) -> tuple[np.ndarray, float, dict]:
    """Secondary cells of one table by Tau-Argus OPT: (secondary per row, seconds, info).

    `frame` has a row per cell: the dimensions (the keys of `hierarchies`, totals included),
    `value`, `primary` and an integer `cost`. Every primary cell gets an upper protection
    level of `upl` units. The time limit is rounded up to whole minutes (the engine's unit).
    """
    from pytauargus.engine import run_batch

    dims = list(hierarchies)
    primary = frame["primary"].to_numpy(dtype=bool)
    if not primary.any():
        return np.zeros(len(frame), dtype=bool), 0.0, {"optimal": True}
    cost = frame["cost"].to_numpy(dtype=float)
    if not np.array_equal(cost, np.round(cost)):
        raise ValueError("Tau-Argus reads costs as whole numbers")
    with tempfile.TemporaryDirectory(prefix="tauargus-") as tmp:
        work = Path(tmp)
        trees = {d: tree(groups) for d, groups in hierarchies.items()}
        rda = ['<SEPARATOR> ";"']
        for d in dims:
            root, children = trees[d]
            rda += [d, "  <RECODEABLE>", f'  <TOTCODE> "{root}"']
            if any(children[g] for g in children if g != root):
                (work / f"{d}.hrc").write_text("\n".join(_hrc(root, children)) + "\n")
                rda += [
                    "  <HIERARCHICAL>",
                    f'  <HIERCODELIST> "{work / f"{d}.hrc"}"',
                    '  <HIERLEADSTRING> "@"',
                ]
        rda += [
            "value",
            "  <NUMERIC>",
            "cost",
            "  <NUMERIC> <COSTVAR>",
            "lpl",
            "  <NUMERIC> <LOWERPL>",
            "upl",
            "  <NUMERIC> <UPPERPL>",
            "status",
            "  <STATUS>",
        ]
        (work / "table.rda").write_text("\n".join(rda) + "\n")
        lines = [
            ";".join(
                [
                    *(str(row[d]) for d in dims),
                    str(int(row["value"])),
                    str(int(row["cost"])),
                    "0" if row["primary"] else "",
                    f"{upl:g}" if row["primary"] else "",
                    "U" if row["primary"] else "S",
                ]
            )
            for row in frame.to_dict("records")
        ]
        (work / "table.tab").write_text("\n".join(lines) + "\n")
        (work / "read.arb").write_text(
            f'<OPENTABLEDATA> "{work / "table.tab"}"\n<OPENMETADATA> "{work / "table.rda"}"\n'
            "<SPECIFYTABLE> " + "".join(f'"{d}"' for d in dims) + '|"value"||"cost"\n'
            "<SAFETYRULE>\n<READTABLE> 0\n"
        )
        engine = run_batch(str(work / "read.arb"))
        tau, hitas = engine._tau, engine._hitas
        index = _cell_index(engine, frame, dims, trees)
        status = np.array([tau.get_table_cell_status(0, int(c)) for c in index])
        if not np.array_equal(np.isin(status, PRIMARY_STATUSES), primary):
            raise RuntimeError("Tau-Argus does not hold exactly the given primary cells")
        jj_in = work / "JJ.IN"
        if not tau.write_jj_format(0, str(jj_in), 0.0, CEILING, False, False, False):
            raise RuntimeError("Tau-Argus could not write the JJ file")
        weights = dict(zip(index.tolist(), cost.astype(np.int64).tolist(), strict=True))
        jj = jj_in.read_text().splitlines()
        for k in range(2, 2 + int(jj[1])):
            fields = jj[k].split()
            fields[2] = str(weights[int(fields[0])])
            jj[k] = " ".join(fields)
        jj_in.write_text("\n".join(jj) + "\n")
        out = work / "opt"
        out.mkdir()
        start = time.perf_counter()
        code = hitas.full_jj(
            in_file_jj=str(jj_in),
            out_file=str(work / "JJ.OUT"),
            max_time=max(1, math.ceil(time_limit / 60)),
            out_dir=str(out) + "/",
        )
        seconds = time.perf_counter() - start
        if code > 1:
            raise RuntimeError(f"Tau-Argus OPT failed: {hitas.error_string(code)}")
        marked = ["fop", "fop"] + [
            line.rstrip() + " m" for line in (work / "JJ.OUT").read_text().splitlines() if line
        ]
        (work / "JJ2.OUT").write_text("\n".join(marked) + "\n")
        tau.set_secondary_jjformat(0, str(work / "JJ2.OUT"), False)
        status = np.array([tau.get_table_cell_status(0, int(c)) for c in index])
    return np.isin(status, SECONDARY_STATUSES), seconds, {"optimal": code == 0}


def _cell_index(engine, frame: pd.DataFrame, dims: list[str], trees: dict) -> np.ndarray:
    """Each row's cell number in the engine's table (row-major over its code order)."""
    tau = engine._tau
    index = np.zeros(len(frame), dtype=np.int64)
    for d in dims:
        variable = engine.metadata.index_of(d)
        _, active = tau.get_var_number_of_codes(variable)
        codes = {}
        for i in range(active):
            code = (tau.get_var_code(variable, i)[2] or "").strip()
            codes[code or trees[d][0]] = i
        index = index * active + frame[d].astype(str).map(codes).to_numpy()
    return index
