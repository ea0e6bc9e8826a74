"""Child processes that end with the process that started them.

A child outlives a parent killed outright (`kill -9`, the out-of-memory killer): nothing
forwards it a signal. On Linux the kernel can send one when the parent dies
(PR_SET_PDEATHSIG, which survives exec). `statushouders-dbt` (pipelines/dbt_child.py) asks
for it before it becomes dbt, and `statushouders ui` for `dagster dev`, whose webserver and
daemon otherwise kept the port and the instance's heartbeats after the UI was killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
# How long an interrupted supervisor waits for its child to shut down on its own.
SHUTDOWN_SECONDS = 30


def die_with_parent(parent: int) -> bool:
    """Ask for SIGTERM when the parent dies; False when `parent` has died already (this
    process has another parent now). Elsewhere than on Linux, only True.

    SIGINT and SIGTERM go back to their defaults first: a command started in the background
    (`cmd &`, setsid, cron) inherits SIGINT ignored, and `dagster dev` gives SIGTERM whatever
    SIGINT has, so the kernel's SIGTERM was ignored too."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)
    if not sys.platform.startswith("linux"):
        return True
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        print("statushouders: prctl failed; the child outlives a killed parent", file=sys.stderr)
    return os.getppid() == parent


def run_to_the_end(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run `command` (in `env`, by default this one's) and return its exit status. It gets
    SIGTERM when this process dies, however; an interrupt here (Ctrl-C reaches the child
    too) waits for it to shut down."""
    parent = os.getpid()

    def in_the_child() -> None:
        if not die_with_parent(parent):
            os._exit(1)

    child = subprocess.Popen(command, preexec_fn=in_the_child, env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait()
        return 130
