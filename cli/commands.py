"""The `statushouders` command: generate synthetic deliveries, run the pipeline, run the demo."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules here: a second run on a locked data dir should say so at once, not after
# importing Dagster (seconds). The rest is imported where it is used.
from ingest.storage import storage_problem
from pipelines.lock import DataDirBusy, Holder, data_dir_lock

if TYPE_CHECKING:
    from pipelines.cut import Cut, Deliverer

# sysexits.h EX_TEMPFAIL: try again later. Lets a cron job tell "busy" from "failed".
EXIT_BUSY = 75

DAGSTER_YAML = """\
# Written by `statushouders`: no telemetry, nothing waits for a network.
telemetry:
  enabled: false
# Steps log through context.log into the event log; capturing raw stdout/stderr costs a
# watcher process per run and seconds at its end, for output nobody reads.
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
# One run at a time on this data dir (this instance is its own): a run the sensor, the
# schedule or the UI starts while another works waits in the queue, instead of re-ingesting
# and rebuilding the marts underneath it. `statushouders run` does not queue; the data dir's
# lock (run.lock) keeps it and the queued runs apart.
concurrency:
  runs:
    max_concurrent_runs: 1
# Dagster's SQLite event log in its usual place, keeping its connections open instead of
# opening one per event (pipelines/event_log.py; about 10 ms per event, ~500 per run).
event_log_storage:
  module: pipelines.event_log
  class: MonitorEventLogStorage
  config:
    base_dir: {runs}
"""


def dagster_yaml(home: Path) -> str:
    """The instance settings of the Dagster home `home` (`<data-dir>/dagster`)."""
    return DAGSTER_YAML.replace("{runs}", json.dumps(str(home.resolve() / "history" / "runs")))


class UserError(Exception):
    """A problem the user can fix; shown as one line, without a traceback."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="statushouders",
        description="Monitor Statushouders U16: ingest, model and publish the region's figures.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a synthetic landing folder")
    generate.add_argument("--out", required=True, type=Path, help="landing folder to write")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--scale", type=float, default=1.0, help="1.0 is the U16 region")
    generate.add_argument("--peildatum", default="2025-06", help="month of the current snapshots")
    generate.add_argument(
        "--with-errors", action="store_true", help="add deliveries the contract refuses"
    )
    generate.set_defaults(handler=_generate)

    run = commands.add_parser("run", help="materialise the whole asset graph once, in process")
    run.add_argument("--landing", required=True, type=Path, help="the suppliers' landing folder")
    run.add_argument("--data-dir", required=True, type=Path, help="where the pipeline keeps state")
    run.add_argument("--wait", action="store_true", help=WAIT_HELP)
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="generate synthetic deliveries and run on them")
    demo.add_argument("--data-dir", type=Path, default=Path(".data"))
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--port", type=int, default=8000, help="where the API and page are served")
    demo.add_argument("--no-serve", action="store_true", help="stop after the run")
    demo.add_argument("--wait", action="store_true", help=WAIT_HELP)
    demo.set_defaults(handler=_demo)

    ui = commands.add_parser("ui", help="open the Dagster UI on the same definitions")
    ui.add_argument("--landing", type=Path, default=Path(".data/landing"))
    ui.add_argument("--data-dir", type=Path, default=Path(".data"))
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)

    serve = commands.add_parser("serve", help="serve the API and the download page")
    serve.add_argument("--data-dir", required=True, type=Path, help="whose releases to serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 takes a free port")
    serve.set_defaults(handler=_serve)

    status = commands.add_parser(
        "status", help="per deliverer the last accepted month, what the cut waits for, releases"
    )
    status.add_argument("--data-dir", required=True, type=Path, help="whose state to show")
    status.set_defaults(handler=_status)

    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    if argv is None:  # the command itself, not a caller in process
        atexit.register(_quiet_shutdown)
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"statushouders: {exc}", file=sys.stderr)
        return 2
    except DataDirBusy as exc:
        print(f"statushouders: {exc}; try again when it is done, or pass --wait", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt:
        print("statushouders: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader left (`statushouders status | head`): nothing more to say, and nothing
        # for the interpreter to flush into the closed pipe at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from pipelines.defs.alerts import first_line

        print(f"statushouders: unexpected error: {first_line(str(exc))}", file=sys.stderr)
        return 1


def _quiet_shutdown() -> None:
    """After the command has said everything: the interpreter's own teardown stays silent.
    DuckDB's bindings list every object still alive then ("nanobind: leaked 6 types!", a
    hundred lines) when Dagster and dbt have held a connection, which reads like a crash
    after a run that went well."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())


def _generate(args: argparse.Namespace) -> int:
    from ingest.deliveries import today
    from synthetic import generate

    out = Path(args.out)
    if out.is_dir() and (held := sum(1 for p in out.rglob("*") if p.is_file())):
        raise UserError(
            f"{out} already holds {held:,} file{'s' * (held != 1)}: generate into a new or "
            "empty folder, so that two generated landings are not mixed (to grow a landing "
            "by a month, generate the month elsewhere and copy the files it lacks)"
        )
    now = today()
    # (a malformed month is the generator's to refuse)
    if re.fullmatch(r"\d{4}-\d{2}", args.peildatum or "") and args.peildatum > f"{now:%Y-%m}":
        raise UserError(
            f"--peildatum {args.peildatum} has not begun (today is {now:%Y-%m-%d}): a run "
            "refuses files named for a month that has not begun"
        )
    try:
        summary = generate(
            args.out,
            seed=args.seed,
            scale=args.scale,
            peildatum=args.peildatum,
            with_errors=args.with_errors,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(
        f"wrote {summary.files_written} files for {summary.persons:,} persons "
        f"(peildatum {summary.peildatum}) to {args.out}"
    )
    for name, description in sorted(summary.bad_files.items()):
        print(f"  bad on purpose: {name}: {description}")
    return 0


WAIT_HELP = "when another run holds the data dir, wait for it instead of stopping at once"


def _run(args: argparse.Namespace) -> int:
    return run_pipeline(args.landing, args.data_dir, wait=args.wait)


def _demo(args: argparse.Namespace) -> int:
    data_dir = args.data_dir.resolve()
    landing = data_dir / "landing"
    _make_data_dir(data_dir)
    # The lock covers writing the landing folder too: two demos would write it at once.
    with hold_data_dir(data_dir, "statushouders demo", args.wait):
        if not landing.exists():
            print(f"Generating synthetic deliveries in {landing} …")
            _generate(
                argparse.Namespace(
                    out=landing,
                    seed=args.seed,
                    scale=args.scale,
                    peildatum="2025-06",
                    with_errors=True,
                )
            )
        else:
            print(
                f"Using the landing {landing} the demo wrote before (--seed and --scale apply "
                "only to a new one: remove the folder to generate it again)"
            )
        # The release's citation, DCAT and page links name where it is published: here, the
        # port the demo serves on (unless a public URL is set).
        from pipelines.defs.resources import PUBLIC_URL_ENV

        os.environ.setdefault(PUBLIC_URL_ENV, f"http://127.0.0.1:{args.port}")
        status = run_pipeline(landing, data_dir)
    if args.no_serve:
        return status
    # Also after a failed run: the last good release (if any) stays published and is served.
    return _serve(argparse.Namespace(data_dir=data_dir, host="127.0.0.1", port=args.port))


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` on the data dir's instance, as a child that ends with this process, so
    that killing the UI stops its webserver and daemon too (pipelines/children.py)."""
    _a_free_port(args.port)
    prepare_environment(args.landing, args.data_dir)
    from pipelines.children import run_to_the_end
    from pipelines.dbt_manifest import prepare_dbt

    prepare_dbt()
    print(f"Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    # the dagster next to this interpreter: the project's environment need not be on PATH
    dagster = str(Path(sys.executable).with_name("dagster"))
    command = [dagster, "dev", "-m", "pipelines.definitions", "-p", str(args.port)]
    # Dagster's notices about its own API ("`dagster dev` is superseded by `dg dev`", a CLI
    # this stack does not install) say nothing to the user, as in `statushouders run`.
    env = {"PYTHONWARNINGS": "ignore::FutureWarning", **os.environ}
    return run_to_the_end(command, env)


def _a_free_port(port: int) -> None:
    """Dagster's webserver would fail on a taken port only after the daemon has started."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise UserError(
                f"port {port} is in use: is a Dagster UI still running? Open "
                f"http://127.0.0.1:{port}, stop that one, or pass --port"
            ) from None


def _status(args: argparse.Namespace) -> int:
    """Reads the data dir without waiting for, or getting in the way of, a run."""
    import json

    from publish.store import MANIFEST, latest, versions

    data_dir = args.data_dir.resolve()
    _a_folder(data_dir, "data dir")
    releases = data_dir / "releases"
    current = latest(releases)
    if current is None:
        print("Latest release: none yet")
    else:
        try:
            manifest = json.loads((current / MANIFEST).read_text())
        except (OSError, ValueError):
            manifest = {}
        count = len(versions(releases))
        print(
            f"Latest release: {current.name} (peildatum {manifest.get('peildatum', '?')}, "
            f"created {manifest.get('created', '?')}); {count} release{'s' * (count != 1)} "
            f"in {releases}"
        )
    from pipelines import inputs
    from pipelines.cut import outstanding_refusals, plan_cut

    try:
        state, fingerprint = _inputs_now(data_dir)
    except inputs.WarehouseBusy as exc:
        print(f"statushouders status: {exc}; try again when it is done", file=sys.stderr)
        return EXIT_BUSY
    sources = _sources()
    cut = plan_cut(sources, state.logs)
    if current is not None:
        made_from = state.unchanged_since(fingerprint)
        print(
            f"Inputs: unchanged since {current.name}; a run publishes nothing new"
            if made_from
            else f"Inputs: changed since {current.name}; `statushouders run` publishes them "
            f"now, and {cut.next_publication(state.published_cut, _cut_run_ended(data_dir, cut))}"
        )
    if cut.month is None:
        print("Next cut: no monthly delivery has been accepted yet")
        return 0
    print(_cut_line(cut))
    contract = {
        (source.name, kind.name): kind.deliverer for source in sources for kind in source.kinds
    }
    rows = [("source", "kind", "deliverer", "last accepted", f"cut {cut.month}")]
    yearly: dict[tuple[str, str], list[str]] = {}
    for d in cut.deliverers:
        if d.yearly:
            # one row per kind: each year's file (taakstelling) is its own deliverable
            yearly.setdefault((d.source, d.kind), []).append(d.last_accepted or "-")
            continue
        rows.append((d.source, d.kind, d.deliverer, d.last_accepted or "-", _verdict(d)))
    for (source, kind), years in yearly.items():
        span = f"{min(years)}..{max(years)}" if len(years) > 1 else years[0]
        rows.append(
            (source, kind, contract.get((source, kind)) or "-", max(years), f"yearly: {span}")
        )
    rows[1:] = sorted(rows[1:])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    refused = outstanding_refusals(sources, state.logs)
    if refused:
        print(
            f"Refused, and not replaced by an accepted file since ({len(refused)}; reports in "
            f"{data_dir / 'quarantine'}):"
        )
        for entry in refused:
            reason = (entry["reason"] or "refused").splitlines()[0]
            reason = reason if len(reason) <= 100 else reason[:99] + "…"
            print(f"  {entry['source']}/{entry['file_name']}: {reason}")
    if cut.behind:
        month = cut.behind[0].last_accepted
        who = ", ".join(
            d.name + ("" if d.expected else " (nothing since; has it stopped?)") for d in cut.behind
        )
        many = len(cut.behind) > 1
        print(
            f"P, the next release's peildatum, stays in {month}: the newest "
            f"snapshot{'s' * many} of {who} {'are' if many else 'is'} for that month "
            "(P is the earliest peildatum among the current snapshots)"
        )
    return 0


def _cut_run_ended(data_dir: Path, cut: Cut) -> str | None:
    """How the cut sensor's run for the month ended without publishing, if it did (the
    sensor asks once a month), from the data dir's Dagster instance."""
    home = data_dir / "dagster"
    if cut.month is None or not cut.complete or not (home / "dagster.yaml").exists():
        return None
    import dagster as dg

    from pipelines.cut import cut_run, cut_run_ended

    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run = cut_run(instance, cut.month)
    except Exception:
        return None  # status reads what it can; the instance is the daemon's
    return cut_run_ended(run, cut.month) if run is not None else None


def _cut_line(cut: Cut) -> str:
    """ "Cut 2025-07: 23 of 25 expected deliveries are in (…); missing: …" """
    from pipelines.cut import previous_month

    expected = cut.expected
    arrived = len(expected) - len(cut.missing)
    others = sum(d.delivered and not d.expected for d in cut.deliverers)
    return (
        f"Cut {cut.month}: {arrived} of {len(expected)} expected deliveries are in (the "
        f"contract's deliverers and whoever delivered for {previous_month(cut.month)})"
        + (f", and {others} more" if others else "")
        + (f"; missing: {cut.waiting_for}" if cut.missing else "; the cut is complete")
    )


def _verdict(d: Deliverer) -> str:
    if d.delivered:
        return "delivered"
    if d.refused:
        return "refused" if not d.expected else "refused, missing"
    return "missing" if d.expected else "not expected"


def _serve(args: argparse.Namespace) -> int:
    from api.main import serve

    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise UserError(f"the data dir {args.data_dir} is not a folder")
    try:
        serve(args.data_dir.resolve(), args.host, args.port)
    except OSError as exc:
        raise UserError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def _a_folder(path: Path, what: str) -> None:
    """`path` is an existing folder, or one line saying what it is instead."""
    if not path.is_dir():
        state = "is a file, not a folder" if path.exists() else "does not exist"
        raise UserError(f"the {what} {path} {state}")


def _make_data_dir(data_dir: Path) -> None:
    if data_dir.exists():
        _a_folder(data_dir, "data dir")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = storage_problem(data_dir, str(exc))
        raise UserError(
            problem or f"the data dir {data_dir} cannot be made: {exc.strerror}"
        ) from None


def _a_usable_key(data_dir: Path) -> None:
    """The pseudonym key, checked before a run: each source's step refused it on its own."""
    from ingest.pseudonym import KEY_ENV, KEY_FILE_NAME, load_key, pseudonymiser_for

    try:
        pseudonymiser_for(load_key(data_dir))
    except ValueError as exc:
        where = KEY_ENV if os.environ.get(KEY_ENV, "").strip() else data_dir / KEY_FILE_NAME
        raise UserError(f"{exc} ({where})") from None


def prepare_environment(landing: Path, data_dir: Path) -> None:
    """Point the Dagster definitions, dbt and the instance at these folders."""
    _a_folder(landing, "landing folder")
    data_dir = data_dir.resolve()
    _make_data_dir(data_dir)
    try:
        home = data_dir / "dagster"
        home.mkdir(exist_ok=True)
        (home / "dagster.yaml").write_text(dagster_yaml(home))
    except OSError as exc:
        problem = storage_problem(data_dir, str(exc))
        raise UserError(problem or f"cannot write to the data dir {data_dir}: {exc}") from None
    _a_usable_key(data_dir)
    from pipelines.defs.resources import DATA_DIR_ENV, LANDING_ENV, WAREHOUSE_ENV

    os.environ[LANDING_ENV] = str(landing.resolve())
    os.environ[DATA_DIR_ENV] = str(data_dir)
    os.environ[WAREHOUSE_ENV] = str(data_dir / "warehouse.duckdb")
    os.environ["DAGSTER_HOME"] = str(home)


class _WithoutEventLogDumps(io.TextIOBase):
    """stderr minus Dagster's report of each log line it could not store.

    When the disk is full, Dagster writes "Exception while writing logger call to event
    log" with the SQL statement and its parameters for every line a step logs, straight to
    stderr; the run then fails and the command says in one line why.
    """

    PREFIX = "Exception while writing logger call to event log"

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if text.startswith(self.PREFIX):
            return len(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    # what libraries ask of stderr besides writing to it
    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:
        return self.stream.encoding


@contextlib.contextmanager
def hold_data_dir(data_dir: Path, what: str, wait: bool):
    """The data dir's run lock for the block (pipelines/lock.py): DataDirBusy at once when
    another run holds it, or, with `wait`, once that run is done."""

    def waiting(holder: Holder | None) -> None:
        by = holder.describe() if holder else "another process"
        print(f"statushouders: waiting for {by} to finish with {data_dir} …", file=sys.stderr)

    stack = contextlib.ExitStack()
    try:
        stack.enter_context(
            data_dir_lock(data_dir, what, wait=None if wait else 0, on_wait=waiting)
        )
    except OSError as exc:
        problem = storage_problem(data_dir, str(exc))
        raise UserError(problem or f"cannot lock the data dir {data_dir}: {exc}") from None
    with stack:
        yield


def run_pipeline(
    landing: Path, data_dir: Path, job_name: str = "monitor", *, wait: bool = False
) -> int:
    """Run a job of the definitions in this process, holding the data dir's lock."""
    _a_folder(landing, "landing folder")
    landing, data_dir = landing.resolve(), data_dir.resolve()
    _make_data_dir(data_dir)
    with hold_data_dir(data_dir, "statushouders run", wait):
        prepare_environment(landing, data_dir)
        return _execute(landing, data_dir, job_name)


def _execute(landing: Path, data_dir: Path, job_name: str) -> int:
    """Run `job_name` in process. The whole graph ("monitor") runs as two Dagster runs: the
    `ingest` job, then, only when the inputs differ from the latest release's, `publish`."""
    if job_name == "monitor":
        # Nothing to take in and nothing to publish: stop before loading Dagster's definitions
        # (dbt's manifest, every asset), which costs more than the check.
        from pipelines.inputs import WarehouseBusy

        try:
            unchanged = _unchanged_since(data_dir, landing)
        except WarehouseBusy:
            unchanged = None  # another process has the warehouse open: the run says so
        if unchanged is not None:
            _say_nothing_new(unchanged, "ingestion, ")
            return 0
    import dagster as dg

    from pipelines.dbt_manifest import prepare_dbt

    prepare_dbt()
    from cli.console import compact_console
    from pipelines.definitions import defs
    from pipelines.defs.release import NOTHING_TO_PUBLISH
    from pipelines.inputs import current_snapshots

    # One line per step on stderr; the UI's runs keep Dagster's own console logger.
    defs = dg.Definitions.merge(defs, dg.Definitions(loggers={"console": compact_console}))
    print(f"Running the monitor on {landing} → {data_dir}", file=sys.stderr)
    try:
        with (
            contextlib.redirect_stderr(_WithoutEventLogDumps(sys.stderr)),
            dg.DagsterInstance.get() as instance,
        ):
            _fail_runs_left_behind(instance)
            if job_name != "monitor":
                result = _job(defs, job_name, instance)
                if not result.success:
                    return _run_failed(result, data_dir, landing)
                print(f"Job {job_name} finished")
                return 0
            ingested = _job(defs, "ingest", instance)
            if not ingested.success:
                return _run_failed(ingested, data_dir, landing)
            refused = _refused(ingested)
            state, made_from = _inputs_now(data_dir)
            if not current_snapshots(state.logs):
                # the release would refuse it, after dbt and disclosure control
                _say_refused(refused, data_dir)
                return _failed(job_name, None, data_dir, None, NOTHING_TO_PUBLISH, landing)
            unchanged = state.unchanged_since(made_from)
            if unchanged is not None:
                _say_nothing_new(unchanged, "")
                _say_refused(refused, data_dir)
                return 0
            result = _job(defs, "publish", instance, _after_checked_marts(defs, state, made_from))
    except Exception as exc:
        # Dagster's own storage failing (its event log is in the data dir) ends the run here.
        problem = storage_problem(data_dir, str(exc))
        if problem is None:
            raise
        return _failed(job_name, None, data_dir, None, problem)
    if not result.success:
        return _run_failed(result, data_dir, landing)
    release = result.asset_materializations_for_node("release")[-1].metadata
    state = "published" if release["changed"].value else "unchanged"
    print(f"Release {release['version'].value} {state}: {release['path'].value}")
    _say_refused(refused, data_dir)
    return 0


def _fail_runs_left_behind(instance) -> None:
    """A run of this command killed outright holds Dagster's run queue until it is marked
    failed (the daemon's sensor `runs_left_behind` does it too)."""
    from pipelines.defs.automation import fail_runs_left_behind

    for run in fail_runs_left_behind(instance):
        print(
            f"statushouders: run {run.run_id[:8]} ({run.job_name}) was left unfinished by a "
            "killed `statushouders run`; it is marked failed",
            file=sys.stderr,
        )


def _job(defs, name: str, instance, selection=None):
    from pipelines.defs.automation import PROCESS_TAG, process_id

    return defs.resolve_job_def(name).execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {}}},
        asset_selection=selection,
        tags={PROCESS_TAG: process_id()},
    )


def _after_checked_marts(defs, state, made_from: str) -> list | None:
    """The publish job's assets after the marts, when the marts are built from the inputs
    current now (`made_from`) and passed their suites (pipelines/inputs.py): a run after one
    that failed later on starts at disclosure control. None: the whole job."""
    from pipelines.defs.indicators import monitor_dbt_assets

    if state.marts != made_from:
        return None
    print(
        "  The marts are those of the current deliveries and passed their suites: "
        "skipped dbt's models and the suites",
        file=sys.stderr,
    )
    job = defs.resolve_job_def("publish")
    return sorted(job.asset_layer.executable_asset_keys - monitor_dbt_assets.keys)


def _run_failed(result, data_dir: Path, landing: Path) -> int:
    """The Dagster run that failed, by its job as the UI lists it (`monitor` is two runs)."""
    from pipelines.defs.alerts import INTERRUPTED, failure_reason

    step, reason = failure_reason(result.all_events)
    if reason == INTERRUPTED:
        # Ctrl-C, or a stop the user asked for: no alert to tell them what they did
        print("statushouders: interrupted; no release published", file=sys.stderr)
        return 130
    job = result.dagster_run.job_name
    return _failed(job, result.run_id, data_dir, step, reason, landing)


def _refused(result) -> int:
    return sum(
        int(m.metadata["refused"].value)
        for node in result.dagster_run.step_keys_to_execute or []
        for m in result.asset_materializations_for_node(node)
        if "refused" in m.metadata
    )


def _say_refused(refused: int, data_dir: Path) -> None:
    if refused:
        deliveries = "delivery" if refused == 1 else "deliveries"
        print(f"{refused} new {deliveries} refused; reports in {Path(data_dir) / 'quarantine'}")


def _say_nothing_new(version: str, also: str) -> None:
    print(
        f"Nothing new since release {version}: the current deliveries, the dbt project, the "
        "reference data and the code are those it was made from; skipped "
        f"{also}dbt, the suites, disclosure control and the release"
    )


def _sources() -> list:
    from sources import all_sources

    return list(all_sources())


def _inputs_now(data_dir: Path):
    """The data dir's state (pipelines/inputs.py) and the fingerprint of the inputs current
    now; WarehouseBusy while another process holds the warehouse."""
    from pipelines import inputs

    state = inputs.read_state(data_dir, data_dir / "warehouse.duckdb", _sources())
    return state, inputs.fingerprint(state.logs, inputs.public_url())


def _unchanged_since(data_dir: Path, landing: Path | None = None) -> str | None:
    """The latest release's version when it was made from the inputs current now. With
    `landing`, also only when ingestion has nothing to do: no landing file is new or
    unreadable, and every current delivery is staged under the pseudonym key in use."""
    from pipelines import inputs

    state, made_from = _inputs_now(data_dir)
    version = state.unchanged_since(made_from)
    if version is None or landing is None:
        return version
    unreadable: list[str] = []
    if inputs.new_files(landing, _sources(), state.logs, {}, unreadable) or unreadable:
        return None
    from ingest.pseudonym import load_key, pseudonymiser_for

    staging = data_dir / "staging" / pseudonymiser_for(load_key(data_dir)).fingerprint
    current = inputs.current_snapshots(state.logs)
    return version if all((staging / sha).is_dir() for *_, sha in current) else None


def _failed(
    job: str,
    run_id: str | None,
    data_dir: Path,
    step: str | None,
    reason: str,
    landing: Path | None = None,
) -> int:
    """One line on stdout, and an alert: the daemon's failure sensor never sees this run."""
    from pipelines.defs.alerts import run_failed_message, send_alert

    said = storage_problem(data_dir, reason) or (f"{step}: " if step else "") + reason
    print(f"statushouders run: no release published: {said}")
    subject, body = run_failed_message(job, run_id, data_dir, step, reason, landing)
    reached, problems = send_alert(subject, body, "run_failure")
    if reached:
        print(f"statushouders: alert sent by {' and '.join(reached)}: {subject}", file=sys.stderr)
    for line in problems:
        print(f"statushouders: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
