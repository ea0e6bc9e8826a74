"""Alerts reach real sinks on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP server.

What the sinks receive is parsed with the standard library (email, json) and compared with
what the test itself set up: the file it refused, the step it broke, the setting it gave.
"""

import email
import email.policy
import json
import socket
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from pipelines.defs.alerts import alert_on_run_failure, first_line, send_alert
from tests.builders import write_minimal_landing, write_text
from tests.conftest import isolate_pipeline_env

ALERT_ENV = (
    "EMAIL_TO",
    "EMAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "WEBHOOK_URL",
    "TIMEOUT_SECONDS",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp_sink():
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, mailbox.messages
    finally:
        controller.stop()


@pytest.fixture
def http_sink():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "json": json.loads(body)})
            status = 500 if self.path == "/broken" else 204
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_channel(monkeypatch):
    for name in ALERT_ENV:
        monkeypatch.delenv(f"STATUSHOUDERS_ALERT_{name}", raising=False)


@pytest.fixture
def channels(no_channel, monkeypatch, smtp_sink, http_sink):
    """Both channels set, as a data engineer would in the environment."""
    smtp_port, mails = smtp_sink
    http_port, posts = http_sink
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_SECURITY", "none")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_EMAIL_TO", "data@regio.example, beheer@regio.example")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_EMAIL_FROM", "monitor@regio.example")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{http_port}/hook")
    return mails, posts


def _wait_for(items: list, count: int, seconds: float = 10) -> list:
    deadline = time.monotonic() + seconds
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return items


def test_with_no_channel_set_nothing_is_sent(no_channel, smtp_sink, http_sink):
    assert send_alert("subject", "body", "test") == ([], [])
    time.sleep(0.2)
    assert smtp_sink[1] == [] and http_sink[1] == []


def test_an_alert_reaches_the_mail_server_and_the_webhook(channels):
    mails, posts = channels
    assert send_alert("a subject", "the body", "test") == (["e-mail", "webhook"], [])
    [mail] = _wait_for(mails, 1)
    assert mail["Subject"] == "[statushouders] a subject"
    assert mail["To"] == "data@regio.example, beheer@regio.example"
    assert mail["From"] == "monitor@regio.example"
    assert mail.get_content().strip() == "the body"
    [post] = posts
    assert post["path"] == "/hook"
    assert post["json"]["text"] == "[statushouders] a subject\n\nthe body"
    assert post["json"]["kind"] == "test"


def test_a_channel_that_cannot_be_reached_is_a_problem_not_an_error(
    no_channel, monkeypatch, http_sink
):
    http_port, _posts = http_sink
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_PORT", str(_free_port()))  # nobody listens
    monkeypatch.setenv("STATUSHOUDERS_ALERT_EMAIL_TO", "data@regio.example")
    monkeypatch.setenv("STATUSHOUDERS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{http_port}/broken")
    started = time.monotonic()
    reached, problems = send_alert("s", "b", "test")
    assert time.monotonic() - started < 5
    assert reached == []
    assert problems == [
        "the e-mail alert was not sent: Connection refused",
        "the webhook alert was not sent: the webhook answered 500",
    ]


def test_a_malformed_setting_says_which(no_channel, monkeypatch):
    monkeypatch.setenv("STATUSHOUDERS_ALERT_SMTP_PORT", "twenty-five")
    reached, [problem] = send_alert("s", "b", "test")
    assert reached == []
    assert problem.startswith("alerts are not sent: STATUSHOUDERS_ALERT_SMTP_PORT: ")


def test_the_failure_sensor_alerts_on_a_real_failed_run(tmp_path, monkeypatch, channels):
    """A run Dagster started fails in its first steps (a malformed setting); the sensor the
    daemon would evaluate sends the step and the reason."""
    mails, posts = channels
    isolate_pipeline_env(monkeypatch)
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    write_minimal_landing(landing)
    from cli.commands import prepare_environment

    prepare_environment(landing, data_dir)
    monkeypatch.setenv("STATUSHOUDERS_MAX_DELIVERY_MB", "lots")
    from pipelines.definitions import defs
    from pipelines.defs.resources import monitor_resource

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("ingest").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not result.success
        [entry] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        failure = entry.dagster_event
        with dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            resources={"monitor": monitor_resource()},
        ) as context:
            alert_on_run_failure(context.for_run_failure())

    [mail] = _wait_for(mails, 1)
    reason = "STATUSHOUDERS_MAX_DELIVERY_MB must be a whole number of MiB, not 'lots'"
    assert mail["Subject"] == f"[statushouders] run ingest failed: {reason}"
    body = mail.get_content()
    assert f"The run of job ingest on {data_dir.resolve()} failed." in body
    assert "No release has been published yet." in body
    # the four sources fail alike; the first in the run's order is named
    assert f"Why: step coa__deliveries: {reason}" in body
    assert f"Run: {result.run_id}" in body
    # the command as typed, with the landing: without it, `ui` looked in .data/landing
    assert (
        f"Its steps and logs: statushouders ui --landing {landing.resolve()} --data-dir "
        f"{data_dir.resolve()}, Runs, {result.run_id[:8]}."
    ) in body
    [post] = posts
    assert post["json"]["kind"] == "run_failure" and reason in post["json"]["text"]


@pytest.mark.slow
def test_statushouders_run_alerts_on_a_refused_delivery_and_on_its_failure(
    tmp_path, monkeypatch, channels, capsys
):
    """The command line's own runs: the daemon's sensor never sees them, so the command
    sends the failure alert itself; the refusal is sent by the deliveries step."""
    mails, posts = channels
    isolate_pipeline_env(monkeypatch)
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    bsn = "111222333"
    write_text(landing / "duo" / "examens_2025-13.csv", f"bsn\n{bsn}\n")
    from cli.commands import main

    assert main(["run", "--landing", str(landing), "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "statushouders run: no release published: no accepted deliveries: "
        "there is nothing to publish"
    )

    refused, failed = _wait_for(mails, 2)
    assert refused["Subject"] == "[statushouders] 1 delivery of duo refused"
    assert refused["X-Statushouders-Alert"] == "refused_delivery"
    body = refused.get_content()
    assert "- duo/examens_2025-13.csv: the file name does not match; expected one of" in body
    [folder] = (data_dir / "quarantine" / "duo").glob("examens_2025-13.csv.*")
    assert f"  report: {folder / 'report.txt'}" in body

    assert failed["Subject"] == (
        "[statushouders] run monitor failed: no accepted deliveries: there is nothing to publish"
    )
    # found after ingestion, before dbt: no Dagster run failed, so no run to open
    body = failed.get_content()
    assert "Why: no accepted deliveries: there is nothing to publish" in body
    assert "Run: " not in body
    assert [p["json"]["kind"] for p in posts] == ["refused_delivery", "run_failure"]
    for message in [*(m.as_string() for m in (refused, failed)), *map(str, posts)]:
        assert bsn not in message


@pytest.mark.parametrize(
    ("message", "said"),
    [
        # how Dagster serialises an exception without a message: its class alone
        (
            "dagster._core.errors.DagsterExecutionInterruptedError\n",
            "interrupted: the run was stopped in the UI, or its process was terminated",
        ),
        (
            "KeyboardInterrupt",
            "interrupted: the run was stopped in the UI, or its process was terminated",
        ),
        ("builtins.MemoryError\n", "MemoryError, without a message"),
        ("duckdb.IOException: Could not write file\nat line 2", "Could not write file"),
        ("the workbook has no sheet 'uitkeringen'", "the workbook has no sheet 'uitkeringen'"),
    ],
)
def test_an_error_reads_as_what_happened_not_as_a_class_name(message, said):
    assert first_line(message) == said


def test_a_dbt_failure_says_why_in_dbts_own_words(pipeline_env, capfd):
    """A model that cannot run: the failure named the model and nothing more, and why (DuckDB's
    Binder Error) was only in dbt's log, JSON lines of several MiB. Here the raw koppelingen
    lose their gemeente_code after ingestion, which stg_coa__koppelingen selects."""
    import duckdb

    from tests.conftest import run

    landing, data_dir = pipeline_env
    write_minimal_landing(landing)
    assert run(landing, data_dir, job="ingest") == 0
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("alter table raw.coa__koppelingen drop column gemeente_code")
    capfd.readouterr()
    assert run(landing, data_dir, job="publish") == 1
    [said] = [x for x in capfd.readouterr().out.splitlines() if "no release published" in x]
    assert said.startswith(
        "statushouders run: no release published: monitor_dbt_assets: dbt build failed at 1 "
        'node(s): stg_coa__koppelingen; Binder Error: Referenced column "gemeente_code" not found'
    )
    assert said.endswith(f"(dbt's log: {data_dir.resolve() / 'dbt' / 'dbt.log'})")
