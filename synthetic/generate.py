"""Write a synthetic landing folder: good deliveries and, optionally, refused ones."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from contract.reference import load_reference
from synthetic import calibration as cal
from synthetic import writers as w
from synthetic.dates import month_end, shift_month
from synthetic.ids import break_elfproef
from synthetic.world import World, build_world

# The W&I deliverer that is always a month late: its newest workbook is for peildatum - 1.
LATE_WI_DELIVERER = "GM0589"  # Oudewater
# Deliverers that also have an older (peildatum - 1) snapshot next to the current one. Small
# ones keep the national-scale volume down.
OLDER_WI_DELIVERERS = ("GM0312",)  # Bunnik
OLDER_SCHOOL = "TS004"
# Municipalities and schools that send the refused deliveries.
BAD_XLSX_NOT_ZIP = "GM0335"  # Montfoort
BAD_XLSX_MISSING_SHEET = "GM0353"  # IJsselstein
BAD_JSON_TRUNCATED = "TS002"
BAD_JSON_CODE = ("TS003", "TS033")  # file name code, code inside the document


@dataclass(frozen=True)
class GenerateSummary:
    """What generate() wrote; paths are relative to the output folder, with '/'."""

    peildatum: str
    persons: int
    files_written: int
    bad_files_written: int
    bad_files: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()


class _Writer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: list[str] = []
        self.bad: dict[str, str] = {}

    def path(self, rel: str, bad: str | None = None) -> Path:
        if bad is None:
            self.files.append(rel)
        else:
            self.bad[rel] = bad
        p = self.out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def _created(extract_day: int) -> datetime:
    d = np.datetime64(extract_day, "D").astype(object)
    return datetime(d.year, d.month, d.day, 6, 0, 0)


def _write_good(world: World, fw: _Writer, month: str) -> int:
    ref = load_reference()
    prev = shift_month(month, -1)
    m_day, p_day = month_end(month), month_end(prev)
    year = int(month[:4])

    current = w.koppelingen(world, m_day)
    w.write_csv(current, fw.path(f"coa/koppelingen_{month}.csv"), sep=";", bom=True, crlf=True)
    w.write_csv(w.koppelingen(world, p_day), fw.path(f"coa/koppelingen_{prev}.csv"), sep=";")
    for y in range(cal.FIRST_COHORT_YEAR, year + 1):
        w.write_csv(
            w.taakstelling(world, y),
            fw.path(f"coa/taakstelling_{y}.csv"),
            sep=";",
            bom=y == year,
            crlf=y == year,
        )

    for m, d in ((month, m_day), (prev, p_day)):
        w.write_csv(w.plichtigen(world, d), fw.path(f"duo/inburgeringsplichtigen_{m}.csv"), sep=",")
        w.write_csv(w.examens(world, d), fw.path(f"duo/examens_{m}.csv"), sep=",")

    for g in ref.gemeenten:
        months = [prev] if g == LATE_WI_DELIVERER else [month]
        if g in OLDER_WI_DELIVERERS:
            months.append(prev)
        for m in months:
            d = month_end(m)
            w.write_workbook(
                fw.path(f"werk_inkomen/{g}_{m}.xlsx"), w.werk_inkomen(world, g, d), _created(d)
            )

    for code, naam, keurmerk in world.scholen:
        for m in [month, prev] if code == OLDER_SCHOOL else [month]:
            doc = w.school_document(world, code, naam, keurmerk, month_end(m))
            fw.path(f"taalscholen/{code}_{m}.json").write_bytes(w.school_json(doc))
    return len(current)


def _write_bad(world: World, fw: _Writer, month: str, seed: int) -> None:
    # Own stream: the good files do not depend on with_errors.
    rng = np.random.Generator(np.random.PCG64([seed, 1]))
    nxt = shift_month(month, 1)
    n_day, m_day = month_end(nxt), month_end(month)
    names = {code: (naam, k) for code, naam, k in world.scholen}

    g = BAD_XLSX_NOT_ZIP
    fw.path(
        f"werk_inkomen/{g}_{nxt}.xlsx",
        "not a valid xlsx: semicolon CSV text saved under an .xlsx name",
    ).write_text(w.workbook_as_csv_text(w.werk_inkomen(world, g, n_day)), encoding="utf-8")

    ex = w.examens(world, n_day).drop(columns="resultaat")
    w.write_csv(
        ex,
        fw.path(f"duo/examens_{nxt}.csv", "required column 'resultaat' is missing"),
        sep=",",
    )

    code = BAD_JSON_TRUNCATED
    text = w.school_json(w.school_document(world, code, *names[code], n_day))
    fw.path(
        f"taalscholen/{code}_{nxt}.json", "invalid JSON: the document is truncated"
    ).write_bytes(text[: max(20, int(len(text) * 0.6))])

    file_code, doc_code = BAD_JSON_CODE
    doc = w.school_document(world, file_code, *names[file_code], n_day)
    doc["school"]["code"] = doc_code
    fw.path(
        f"taalscholen/{file_code}_{nxt}.json",
        f"school.code {doc_code} differs from the code {file_code} in the file name",
    ).write_bytes(w.school_json(doc))

    w.write_csv(
        w.koppelingen(world, n_day),
        fw.path(f"coa/koppelingen_{nxt}.csv", "wrong encoding: UTF-16 instead of UTF-8"),
        sep=";",
        crlf=True,
        encoding="utf-16",
    )

    bad_month = f"{month[:4]}-13"
    w.write_csv(
        w.examens(world, m_day),
        fw.path(f"duo/examens_{bad_month}.csv", "file name has an invalid month (13)"),
        sep=",",
    )

    g = BAD_XLSX_MISSING_SHEET
    w.write_workbook(
        fw.path(f"werk_inkomen/{g}_{nxt}.xlsx", "required sheet 'intakes' is missing"),
        w.werk_inkomen(world, g, n_day),
        _created(n_day),
        skip=("intakes",),
    )

    pl = w.plichtigen(world, n_day)
    n = len(pl)
    broken = rng.choice(n, size=max(1, round(0.05 * n)), replace=False) if n else []
    pl.loc[broken, "bsn"] = break_elfproef(pl.loc[broken, "bsn"].to_numpy(), rng)
    w.write_csv(
        pl,
        fw.path(
            f"duo/inburgeringsplichtigen_{nxt}.csv",
            "about 5% of bsn values fail the elfproef: above the 1% of rows that may be dropped",
        ),
        sep=",",
    )

    # Next year's task, delivered early, with one municipality listed twice for a half-year.
    year = int(month[:4]) + 1
    task = w.taakstelling(world, year - 1)
    task["periode"] = task["periode"].str.replace(str(year - 1), str(year))
    duplicate = task.iloc[[0]].assign(taakstelling=task["taakstelling"].iloc[0] + 5)
    w.write_csv(
        pd.concat([task, duplicate], ignore_index=True),
        fw.path(
            f"coa/taakstelling_{year}.csv",
            f"{task['gemeente_code'].iloc[0]} has two tasks for {task['periode'].iloc[0]}",
        ),
        sep=";",
    )


def generate(
    out: Path,
    *,
    seed: int = 0,
    scale: float = 1.0,
    peildatum: str = "2025-06",
    with_errors: bool = False,
) -> GenerateSummary:
    """Write the landing folder for peildatum (YYYY-MM) under out and summarise it.

    Existing files in out are overwritten when their names collide and otherwise left alone.
    """
    world = build_world(seed=seed, scale=scale, peildatum=peildatum)
    fw = _Writer(Path(out))
    persons = _write_good(world, fw, peildatum)
    if with_errors:
        _write_bad(world, fw, peildatum, seed)
    return GenerateSummary(
        peildatum=peildatum,
        persons=persons,
        files_written=len(fw.files),
        bad_files_written=len(fw.bad),
        bad_files=dict(fw.bad),
        files=tuple(fw.files),
    )


def send_new_files(following: Path, landing: Path) -> list[Path]:
    """The files of a later month's landing (`following`) that `landing` does not hold yet,
    copied into it, as the suppliers send them: a name `landing` holds already (the same month
    again, or a refused delivery's) is left as it is. Returns the copies."""
    sent = []
    for path in sorted(Path(following).rglob("*.*")):
        target = Path(landing) / path.relative_to(following)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            sent.append(target)
    return sent
