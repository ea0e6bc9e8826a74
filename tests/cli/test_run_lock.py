"""One run per data dir: the lock on `<data-dir>/run.lock`, and Dagster's run queue.

The lock's holders here are real processes: a helper that takes the lock with the same code
and sleeps, or a real `statushouders run`. Nothing is mocked: the kernel's flock decides.
"""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from cli.commands import EXIT_BUSY, dagster_yaml, main
from pipelines.lock import LOCK_FILE, DataDirBusy, data_dir_lock, holder
from tests.builders import write_minimal_landing
from tests.conftest import TEST_KEY, isolate_pipeline_env

STATUSHOUDERS = Path(sys.executable).with_name("statushouders")


class HeldLock:
    """A separate process holding the data dir's lock until it is stopped."""

    def __init__(self, data_dir: Path, what: str = "a test holder") -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        code = textwrap.dedent(
            f"""
            import sys, time
            from pathlib import Path
            from pipelines.lock import data_dir_lock
            with data_dir_lock(Path({str(data_dir)!r}), {what!r}):
                print("held", flush=True)
                time.sleep(600)
            """
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "held"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def __enter__(self) -> "HeldLock":
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.kill()


def test_a_second_run_on_a_locked_data_dir_exits_at_once_with_one_line(tmp_path, capsys):
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    with HeldLock(data_dir, "statushouders run") as held:
        started = time.monotonic()
        status = main(["run", "--landing", str(landing), "--data-dir", str(data_dir)])
        seconds = time.monotonic() - started
        out, err = capsys.readouterr()
        info = holder(data_dir)
    assert status == EXIT_BUSY == 75
    assert info is not None and info.pid == held.process.pid
    assert (out, err) == (
        "",
        f"statushouders: the data dir {data_dir} is in use by pid {held.process.pid} "
        f"(statushouders run, started {info.started}); try again when it is done, "
        "or pass --wait\n",
    )
    assert seconds < 2, seconds  # the lock is checked before Dagster is imported


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    """kill -9 runs no cleanup; the kernel releases a flock when its process dies."""
    held = HeldLock(tmp_path)
    with pytest.raises(DataDirBusy), data_dir_lock(tmp_path, "me"):
        pass
    held.kill()
    with data_dir_lock(tmp_path, "me"):
        assert holder(tmp_path).pid == os.getpid()
    # released: the file stays (removing it could give two processes "the" lock) but is empty
    assert (tmp_path / LOCK_FILE).read_text() == ""


def test_the_lock_is_re_entrant_within_a_process_and_waits_for_another(tmp_path):
    with data_dir_lock(tmp_path, "outer"), data_dir_lock(tmp_path, "inner"):
        assert holder(tmp_path).what == "outer"
    with HeldLock(tmp_path) as held:
        told = []
        started = time.monotonic()
        busy = pytest.raises(DataDirBusy, match=f"in use by pid {held.process.pid}")
        with busy, data_dir_lock(tmp_path, "me", wait=1.5, on_wait=told.append):
            pass
        assert 1.5 <= time.monotonic() - started < 5
        assert [h.pid for h in told] == [held.process.pid]


def test_a_dagster_run_waits_for_the_lock_and_gives_up_with_a_reason(tmp_path, monkeypatch):
    """A run the UI or the sensor starts takes the lock through the `monitor` resource."""
    isolate_pipeline_env(monkeypatch)
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    from cli.commands import prepare_environment

    prepare_environment(landing, data_dir)
    monkeypatch.setenv("STATUSHOUDERS_LOCK_WAIT_SECONDS", "1")
    from pipelines.definitions import defs

    with HeldLock(data_dir, "statushouders run") as held, dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("ingest").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    assert not result.get_asset_materialization_events()  # nothing ran beside the other run
    errors = [getattr(e.event_specific_data, "error", None) for e in result.all_events]
    text = " ".join(str(error) for error in errors if error is not None)
    assert f"the data dir {data_dir.resolve()} is in use by pid {held.process.pid}" in text
    assert "gave up after 1 s (STATUSHOUDERS_LOCK_WAIT_SECONDS)" in text


def test_the_instance_queues_runs_one_at_a_time(tmp_path):
    (tmp_path / "dagster.yaml").write_text(dagster_yaml(tmp_path))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


# --- two real runs ----------------------------------------------------------------------------


def _start_run(landing: Path, data_dir: Path, *extra: str, log: Path | None = None):
    """`statushouders run` in its own process group; when its output is long, stdout to `log`
    and stderr to `log` with suffix .err."""
    env = {**os.environ, "STATUSHOUDERS_PSEUDONYM_KEY": TEST_KEY}
    for name in ("STATUSHOUDERS_LANDING", "STATUSHOUDERS_DATA_DIR", "STATUSHOUDERS_WAREHOUSE"):
        env.pop(name, None)
    return subprocess.Popen(
        [str(STATUSHOUDERS), "run", "--landing", str(landing), "--data-dir", str(data_dir), *extra],
        stdout=log.open("w") if log else subprocess.PIPE,
        stderr=log.with_suffix(".err").open("w") if log else subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def _wait_for_holder(data_dir: Path, pid: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = holder(data_dir)
        if info is not None and info.pid == pid:
            return
        time.sleep(0.1)
    raise AssertionError("the first run never took the lock")


@pytest.mark.slow
def test_two_real_runs_one_refused_at_once_and_one_that_waits(tmp_path):
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    first = _start_run(landing, data_dir, log=tmp_path / "first.log")
    try:
        _wait_for_holder(data_dir, first.pid)
        refused = _start_run(landing, data_dir)
        out, err = refused.communicate(timeout=60)
        assert refused.returncode == EXIT_BUSY
        assert out == ""
        assert err.count("\n") == 1 and f"is in use by pid {first.pid} (statushouders run" in err

        waiting = _start_run(landing, data_dir, "--wait")
        out, err = waiting.communicate(timeout=900)
        assert waiting.returncode == 0, err[-2000:]
        # it waited for the first run, then found nothing new since its release
        assert err.startswith(f"statushouders: waiting for pid {first.pid} (statushouders run")
        assert "Nothing new since release 1.0.0" in out
        assert first.wait(timeout=60) == 0
        # stdout is the result alone: not dbt's log, which dagster-dbt echoes there; and
        # stderr ends with the run, not with DuckDB's list of objects alive at exit
        release = data_dir / "releases" / "1.0.0"
        assert (tmp_path / "first.log").read_text() == f"Release 1.0.0 published: {release}\n"
        progress = (tmp_path / "first.err").read_text()
        assert "✓ release (" in progress
        assert "leaked" not in progress and "nanobind" not in progress
        # dbt's steps say what they found, not which command they ran or how Dagster logs it
        assert "Running dbt command" not in progress and "AssetObservation" not in progress
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)


def _children(pid: int) -> dict[int, str]:
    """Live child processes of `pid` and their command lines, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(ppid) == pid and state != "Z":
            found[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode()
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie no container init reaped has stopped all the same


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_a_run_during_dbt_stops_dbt_too(tmp_path):
    """SIGKILL runs no handler, so dagster-dbt cannot forward it; the kernel does. Before,
    `dbt build` went on alone (about a minute at U16), holding the warehouse."""
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    run = _start_run(landing, data_dir, log=tmp_path / "run.log")
    try:
        deadline = time.monotonic() + 300
        dbt = {}
        while not dbt and time.monotonic() < deadline and run.poll() is None:
            dbt = {pid: cmd for pid, cmd in _children(run.pid).items() if " build" in cmd}
            time.sleep(0.05)
        assert dbt, "dbt build never started: " + (tmp_path / "run.err").read_text()[-2000:]
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        killed = time.monotonic()
        while any(_alive(pid) for pid in dbt) and time.monotonic() - killed < 30:
            time.sleep(0.05)
        stopped_after = time.monotonic() - killed
        assert not any(_alive(pid) for pid in dbt), "dbt still runs 30 s after its run died"
        assert stopped_after < 3, stopped_after
        # and the next run may start: the lock died with the run
        with data_dir_lock(data_dir, "the next run"):
            pass
        _left_behind_is_marked_failed(data_dir, run.pid)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for pid in _children(run.pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ctrl_c_of_a_run_sends_no_alert(tmp_path, monkeypatch):
    """The engineer's own Ctrl-C went out by e-mail and webhook as "run publish failed:
    interrupted". It is said on the terminal, and the webhook (a sink here) hears nothing."""
    import http.server
    import threading

    posts: list[bytes] = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("STATUSHOUDERS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/")
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    run = _start_run(landing, data_dir, log=tmp_path / "run.log")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and run.poll() is None:
            if any(" build" in cmd for cmd in _children(run.pid).values()):
                break
            time.sleep(0.05)
        os.kill(run.pid, signal.SIGINT)
        assert run.wait(timeout=60) == 130
        said = (tmp_path / "run.err").read_text()
        assert "statushouders: interrupted" in said
        assert "alert sent" not in said and "Traceback" not in said
        assert posts == []
    finally:
        server.shutdown()
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)


def _left_behind_is_marked_failed(data_dir: Path, pid: int) -> None:
    """The killed run stayed "started" in Dagster, and the daemon's queue (one run at a time)
    waited behind it for good: the sensor marks it failed, naming the process."""
    from pipelines.defs.automation import runs_left_behind

    with dg.DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        [left] = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert left.job_name == "publish"
        told = runs_left_behind(dg.build_sensor_context(instance=instance))
        assert told.skip_message == f"marked failed, its process gone: {left.run_id[:8]}"
        assert instance.get_run_by_id(left.run_id).status == dg.DagsterRunStatus.FAILURE
        [failure] = instance.all_logs(left.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert failure.message.startswith(
            f"the process of `statushouders run` (pid {pid}) ended before the run did"
        )
        again = runs_left_behind(dg.build_sensor_context(instance=instance))
        assert again.skip_message == "no run of `statushouders run` was left behind"


def _descendants(pid: int) -> dict[int, str]:
    found = _children(pid)
    for child in list(found):
        found.update(_descendants(child))
    return found


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_ui_stops_its_webserver_and_daemon_and_frees_its_port(tmp_path, capfd):
    """`statushouders ui` killed outright: before, `dagster dev`'s webserver and daemon went
    on, re-parented, so the next start found the port taken and a second daemon ticking. It
    is started as a background job is, with SIGINT ignored (dagster dev then ignored the
    kernel's SIGTERM too). A UI started while one holds the port says so in one line."""
    import socket

    import httpx

    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "STATUSHOUDERS_PSEUDONYM_KEY": TEST_KEY}
    for name in ("STATUSHOUDERS_LANDING", "STATUSHOUDERS_DATA_DIR", "STATUSHOUDERS_WAREHOUSE"):
        env.pop(name, None)
    command = ["ui", "--landing", str(landing), "--data-dir", str(data_dir), "--port", str(port)]
    log = (tmp_path / "ui.log").open("w")
    # as `setsid statushouders ui … &` starts it: a background job has SIGINT ignored
    ui = subprocess.Popen(
        [str(STATUSHOUDERS), *command],
        stdout=log,
        stderr=log,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    started: dict[int, str] = {}
    try:
        deadline, answered = time.monotonic() + 120, False
        while not answered and time.monotonic() < deadline and ui.poll() is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/server_info").status_code == 200
            except httpx.HTTPError:
                time.sleep(0.5)
        assert answered, (tmp_path / "ui.log").read_text()[-2000:]
        said = (tmp_path / "ui.log").read_text()
        assert "Warning" not in said and "Traceback" not in said, said
        started = _descendants(ui.pid)
        assert any("dagster_webserver" in c for c in started.values()), started
        assert any("dagster._daemon" in c for c in started.values()), started

        capfd.readouterr()
        assert main(command) == 2
        assert capfd.readouterr().err == (
            f"statushouders: port {port} is in use: is a Dagster UI still running? Open "
            f"http://127.0.0.1:{port}, stop that one, or pass --port\n"
        )

        os.kill(ui.pid, signal.SIGKILL)
        ui.wait(timeout=30)
        killed = time.monotonic()
        while any(_alive(pid) for pid in started) and time.monotonic() - killed < 60:
            time.sleep(0.2)
        assert not [c for pid, c in started.items() if _alive(pid)], "outlived the UI"
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))  # free for the next start
    finally:
        for pid in [ui.pid, *_descendants(ui.pid), *started]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_dbt_wrapper_answers_its_version_without_asking_pypi():
    """dagster-dbt runs `dbt --version` before every build; dbt's own answer fetches PyPI's
    latest version. The wrapper gives the installed one, which is all dagster-dbt reads."""
    import importlib.metadata

    wrapper = Path(sys.executable).with_name("statushouders-dbt")
    done = subprocess.run(
        [str(wrapper), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == f"Core:\n  - installed: {importlib.metadata.version('dbt-core')}\n"
