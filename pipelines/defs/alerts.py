"""Alerts: a failed run, or a refused delivery, told to people who are not watching the UI.

The channels are set in the environment, read each time an alert is sent (never at import):

- e-mail over SMTP: `STATUSHOUDERS_ALERT_EMAIL_TO` (comma-separated) and
  `STATUSHOUDERS_ALERT_SMTP_HOST`, with `_SMTP_PORT`, `_SMTP_SECURITY` (starttls, ssl or
  none), `_SMTP_USER`, `_SMTP_PASSWORD` and `_EMAIL_FROM` where the server needs them;
- a webhook: `STATUSHOUDERS_ALERT_WEBHOOK_URL` gets a JSON POST whose `text` field Slack,
  Mattermost and Teams incoming webhooks show as it is.

With none of them set nothing is sent. Sending never fails a run: a channel that cannot be
reached is logged as a warning. An alert holds file names, rules, counts and row numbers,
never a value from a delivery.

Who sends: the deliveries asset when it refuses files (`notify_refused`), the sensor
`alert_on_run_failure` for runs Dagster starts (UI, sensor, schedule), and
`statushouders run` for its own runs, which the sensor does not see (they have no code
location).
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.storage import storage_problem
from pipelines.defs.resources import MonitorResource

SUBJECT_PREFIX = "[statushouders]"


class AlertSettings(BaseSettings):
    """Where alerts go. Every field is `STATUSHOUDERS_ALERT_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="STATUSHOUDERS_ALERT_", extra="ignore")

    email_to: str = Field("", description="addresses, comma-separated")
    email_from: str = Field("", description="default statushouders@<this host>")
    smtp_host: str = ""
    smtp_port: int = Field(0, ge=0, description="0: 465 for ssl, 587 for starttls, 25 for none")
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    # Its path usually holds the token: never logged.
    webhook_url: SecretStr = SecretStr("")
    timeout_seconds: float = Field(
        10, gt=0, description="per channel, so a dead server costs little"
    )

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]

    @property
    def channels(self) -> list[str]:
        found = []
        if self.smtp_host and self.recipients:
            found.append("e-mail")
        if self.webhook_url.get_secret_value():
            found.append("webhook")
        return found


def send_alert(subject: str, body: str, kind: str) -> tuple[list[str], list[str]]:
    """Send to every channel set in the environment: (channels reached, problems)."""
    try:
        settings = AlertSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "STATUSHOUDERS_ALERT_" + str(first["loc"][0]).upper()
        return [], [f"alerts are not sent: {name}: {first['msg']}"]
    reached, problems = [], []
    senders = {"e-mail": _send_email, "webhook": _send_webhook}
    for channel in settings.channels:
        try:
            senders[channel](settings, f"{SUBJECT_PREFIX} {subject}", body, kind)
            reached.append(channel)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            problems.append(f"the {channel} alert was not sent: {_why(exc)}")
    return reached, problems


def _send_email(settings: AlertSettings, subject: str, body: str, kind: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.email_from or f"statushouders@{socket.getfqdn()}"
    message["To"] = ", ".join(settings.recipients)
    message["X-Statushouders-Alert"] = kind
    message.set_content(body)
    security = settings.smtp_security
    port = settings.smtp_port or {"ssl": 465, "starttls": 587, "none": 25}[security]
    timeout = settings.timeout_seconds
    if security == "ssl":
        server = smtplib.SMTP_SSL(
            settings.smtp_host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(settings.smtp_host, port, timeout=timeout)
    with server:
        if security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        server.send_message(message)


def _send_webhook(settings: AlertSettings, subject: str, body: str, kind: str) -> None:
    payload = {"text": f"{subject}\n\n{body}", "subject": subject, "body": body, "kind": kind}
    request = urllib.request.Request(
        settings.webhook_url.get_secret_value(),
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:
        if not 200 <= response.status < 300:
            raise ValueError(f"the webhook answered {response.status}")


def _why(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"the webhook answered {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, Exception) else exc
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0]


# --- what is said -----------------------------------------------------------------------------


def _latest_release(data_dir: Path) -> str | None:
    try:
        return os.readlink(data_dir / "releases" / "latest")
    except OSError:
        return None


def run_failed_message(
    job: str,
    run_id: str | None,
    data_dir: Path,
    step: str | None,
    reason: str,
    landing: Path | None = None,
) -> tuple[str, str]:
    """Subject and body for a failed run: where, which step, why, and what stays published;
    the command that opens its steps and logs, as typed (with `landing`, the run's)."""
    problem = storage_problem(data_dir, reason)
    where = f"step {step}: " if step and not problem else ""
    latest = _latest_release(data_dir)
    published = (
        f"Release {latest} stays published." if latest else "No release has been published yet."
    )
    body = "\n".join(
        [
            f"The run of job {job} on {data_dir} failed. {published}",
            "",
            f"Why: {where}{problem or reason}",
            *(
                [
                    f"Run: {run_id}",
                    "",
                    f"Its steps and logs: statushouders ui{_landing(landing)} --data-dir "
                    f"{data_dir}, Runs, {run_id[:8]}.",
                ]
                if run_id
                else []
            ),
        ]
    )
    return f"run {job} failed: {problem or reason}"[:200], body


def _landing(landing: Path | None) -> str:
    return f" --landing {landing}" if landing is not None else ""


def refused_message(
    source: str, refused: Sequence[tuple[str, str, Path | None]]
) -> tuple[str, str]:
    """Subject and body for files refused in one run: (name, reason, quarantine folder)."""
    count = f"{len(refused)} deliver{'y' if len(refused) == 1 else 'ies'}"
    lines = [
        # one line a paragraph: a mail reader wraps it, and a line broken here stays broken
        f"{count} of {source} refused into quarantine. The previous snapshot of each deliverer "
        "stays current and the run goes on; the supplier can correct and deliver again.",
        "",
    ]
    for name, reason, folder in refused:
        lines.append(f"- {source}/{name}: {reason}")
        if folder is not None:
            lines.append(f"  report: {folder / 'report.txt'}")
    return f"{count} of {source} refused", "\n".join(lines)


def notify_refused(log, source: str, refused: Sequence[tuple[str, str, Path | None]]) -> None:
    """Tell the channels about files refused in this run; say in the log what happened."""
    subject, body = refused_message(source, refused)
    reached, problems = send_alert(subject, body, "refused_delivery")
    for problem in problems:
        log.warning(problem)
    if reached:
        log.info(f"alert sent by {' and '.join(reached)}: {subject}")


def failure_reason(events: Sequence[dg.DagsterEvent]) -> tuple[str | None, str]:
    """The step that failed first and why, or why the run failed before any step did."""
    for event in events:
        if event.is_step_failure and event.step_failure_data is not None:
            return event.step_key, root_message(event.step_failure_data.error)
    for event in events:
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            return None, root_message(error)
    return None, "the run did not finish"


# --- the sensor -------------------------------------------------------------------------------


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert (STATUSHOUDERS_ALERT_*) when a run of this code location fails.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, monitor: MonitorResource):
    run = context.dagster_run
    events = [*context.get_step_failure_events(), context.failure_event]
    step, reason = failure_reason(events)
    subject, body = run_failed_message(
        run.job_name, run.run_id, monitor.root, step, reason, monitor.landing
    )
    reached, problems = send_alert(subject, body, "run_failure")
    for problem in problems:
        context.log.warning(problem)
    if not reached and not problems:
        return dg.SkipReason("no alert channel is set (STATUSHOUDERS_ALERT_*)")
    return None


def root_message(error) -> str:
    """Dagster wraps a step's exception; the innermost cause says what went wrong."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return first_line(error.message)


# An error without a message is named by its class alone; these mean the run was stopped.
INTERRUPTIONS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt", "SystemExit"}
INTERRUPTED = "interrupted: the run was stopped in the UI, or its process was terminated"


def first_line(message: str) -> str:
    """The first line of an error, without the exception class Dagster puts in front."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    line = lines[0] if lines else "failed"
    bare = re.fullmatch(r"(?:[\w]+\.)*(\w+):?", line)
    if bare and bare[1] in INTERRUPTIONS:
        return INTERRUPTED
    if bare and re.search(r"(Error|Exception|Failure)$", bare[1]):
        return f"{bare[1]}, without a message"
    return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", line)
