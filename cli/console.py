"""A compact console logger: one line per step and per message, no tracebacks.

Dagster's default console logger prints every engine event with run ids and stack traces;
a data engineer running `statushouders run` wants to see steps start, finish, and what
each one found. The full event log stays in the Dagster instance for the UI.
"""

import logging
import re
import sys
import time

import dagster as dg

from pipelines.defs.alerts import root_message
from pipelines.defs.indicators import monitor_dbt_assets, published_dbt_assets

_STARTED: dict[str, float] = {}
# the failed delivery checks said already: (run, asset, refused files)
_SAID: set[tuple[str, str, tuple[str, ...]]] = set()
# dbt prints a line per node, and dagster-dbt the command it runs; the command line shows only
# problems and the summary of both dbt steps.
_DBT_STEPS = frozenset(assets.op.name for assets in (monitor_dbt_assets, published_dbt_assets))
_DBT_WORTH_SHOWING = re.compile(r"ERROR|FAIL|WARN|Done\.|Finished running")


class _CompactHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {}) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.INFO and step:
                message = meta.get("orig_message", record.getMessage())
                if step in _DBT_STEPS and not _DBT_WORTH_SHOWING.search(message):
                    return
                if message.startswith("Dependencies for step"):
                    return  # "… failed … Not executing.": the step that failed is said above
                marker = "!" if record.levelno >= logging.WARNING else " "
                _write(f"    {marker} {message}")
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            _STARTED[step] = time.monotonic()
            _write(f"  ▸ {step}")
        elif kind == "STEP_SUCCESS":
            _write(f"  ✓ {step} ({time.monotonic() - _STARTED.get(step, time.monotonic()):.1f} s)")
        elif kind == "STEP_FAILURE":
            error = event.step_failure_data.error if event.step_failure_data else None
            reason = root_message(error) if error else "failed"
            _write(f"  ✗ {step}: {reason}")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data is not None and not data.passed:
                # a delivery suite's check fails when it refused a file: name the files
                refused = getattr(data.metadata.get("refused_files"), "value", None) or []
                if refused:
                    # one line per refusal, not one per table of the file (a workbook has four)
                    said = (
                        str(meta.get("run_id")),
                        data.asset_key.to_user_string(),
                        tuple(map(str, refused)),
                    )
                    if said in _SAID:
                        return
                    _SAID.add(said)
                files = f": it refused {', '.join(map(str, refused))}" if refused else ""
                _write(
                    f"    ! check {data.check_name} on {data.asset_key.to_user_string()} "
                    f"failed{files}"
                )


def _write(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dg.logger(description="One line per step and message, for the command line.")
def compact_console(_init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("statushouders.progress")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(_CompactHandler())
    return logger
