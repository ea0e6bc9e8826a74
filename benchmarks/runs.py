"""Month after month: a full run, a run with nothing new, and a month's cut with one correction.

On a generated landing (default scale: the U16 region) in a temporary data dir, three
`statushouders run` commands as a user types them, each a fresh process:

1. a full run (nothing published yet);
2. the same landing again: nothing new, so ingestion only, then "nothing new since release"
   (target: at most 5% of the full run);
3. Utrecht (GM0344) re-delivers its latest Werk & Inkomen workbook under the same name with
   half of its jobs taken out, and the cut's run publishes a new release (target: at most 20%
   of the full run; dbt rebuilds in full, disclosure control reuses what it can);
4. the next month: the files the generator writes for the month after (the same world), each
   one the landing does not hold yet, as the suppliers send them; the run publishes a release
   a month later (no target: what a data engineer sees each month). Skipped with --landing.

    uv run python benchmarks/runs.py [--scale 1] [--landing DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from synthetic import send_new_files

MUNICIPALITY = "GM0344"
PEILDATUM, NEXT_MONTH = "2025-06", "2025-07"
SHEETS = ("uitkeringen", "dienstverbanden", "trajecten", "intakes")


# the step lines `statushouders run` prints (cli/console.py): "  ✓ release (4.2 s)"
STEP = re.compile(r"✓ (\S+) \(([\d.]+) s\)")


def statushouders(*args: str) -> tuple[float, str, dict[str, float]]:
    """Wall time, the last line said and the time of each step."""
    command = [str(Path(sys.executable).with_name("statushouders")), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed: {(done.stdout + done.stderr)[-2000:]}")
    last = [line for line in done.stdout.splitlines() if line.strip()][-1]
    steps = {m[1]: float(m[2]) for m in STEP.finditer(done.stderr)}
    return elapsed, last, steps


def slowest(steps: dict[str, float], count: int = 4) -> str:
    ranked = sorted(steps.items(), key=lambda s: -s[1])[:count]
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ranked)


def generate(landing: Path, args: argparse.Namespace, peildatum: str) -> None:
    statushouders(
        "generate", "--out", str(landing), "--scale", str(args.scale), "--seed", str(args.seed),
        "--peildatum", peildatum,
    )  # fmt: skip


def correct_workbook(landing: Path) -> Path:
    """The municipality's latest workbook again, half of its jobs gone, same name."""
    path = max((landing / "werk_inkomen").glob(f"{MUNICIPALITY}_*.xlsx"))
    book = CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in SHEETS}
    header, *jobs = sheets["dienstverbanden"]
    sheets["dienstverbanden"] = [header, *jobs[len(jobs) // 2 :]]
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "dd-mm-yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if type(value) is dt.date:
                    value = dt.datetime.combine(value, dt.time())
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None and value != "":
                    sheet.write_number(r, c, value)
    workbook.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is the U16 region")
    parser.add_argument("--landing", type=Path, help="a generated landing folder (copied)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("STATUSHOUDERS_PSEUDONYM_KEY", "benchmark-key-not-a-secret")

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as tmp:
        landing, data_dir = Path(tmp) / "landing", Path(tmp) / "data"
        if args.landing:
            shutil.copytree(args.landing, landing)
        else:
            generate(landing, args, PEILDATUM)
        run = ("run", "--landing", str(landing), "--data-dir", str(data_dir))

        full, said_full, steps_full = statushouders(*run)
        print(f"full run:          {full:7.1f} s   {said_full}")
        print(f"  slowest steps: {slowest(steps_full)}")
        again, said_again, _ = statushouders(*run)
        print(f"nothing new:       {again:7.1f} s   {said_again[:60]}…")
        workbook = correct_workbook(landing)
        cut, said_cut, steps_cut = statushouders(*run)
        print(f"corrected {workbook.name}: {cut:7.1f} s   {said_cut}")
        print(f"  its steps: {slowest(steps_cut, len(steps_cut))}")
        if not args.landing:
            following = Path(tmp) / "following"
            generate(following, args, NEXT_MONTH)
            sent = len(send_new_files(following, landing))
            month, said_month, steps_month = statushouders(*run)
            print(f"{NEXT_MONTH}, {sent} files: {month:7.1f} s   {said_month}")
            print(f"  slowest steps: {slowest(steps_month)}")

    print(f"nothing new / full: {again / full:6.1%}  (target <= 5%: {_met(again / full, 0.05)})")
    print(f"cut / full:         {cut / full:6.1%}  (target <= 20%: {_met(cut / full, 0.20)})")
    if not args.landing:
        print(f"next month / full:  {month / full:6.1%}  (no target)")
    return 0


def _met(ratio: float, target: float) -> str:
    return "met" if ratio <= target else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
