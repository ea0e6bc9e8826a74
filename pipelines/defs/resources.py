"""Settings as a Dagster resource, read at run time: where the landing folder and state live.

One variable, STATUSHOUDERS_WAREHOUSE, names the warehouse file for Dagster and dbt alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from ingest.deliveries import DEFAULT_MAX_DELIVERY_MB
from ingest.pseudonym import Pseudonymiser, load_key, pseudonymiser_for
from pipelines.lock import DataDirBusy, Holder, data_dir_lock

LANDING_ENV = "STATUSHOUDERS_LANDING"
MAX_DELIVERY_ENV = "STATUSHOUDERS_MAX_DELIVERY_MB"
# How long a Dagster run waits for another run's lock on the data dir before it fails. A run
# the sensor starts while `statushouders run` works should wait for it, not fail and alert.
LOCK_WAIT_ENV = "STATUSHOUDERS_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 3600
DATA_DIR_ENV = "STATUSHOUDERS_DATA_DIR"
WAREHOUSE_ENV = "STATUSHOUDERS_WAREHOUSE"
PUBLIC_URL_ENV = "STATUSHOUDERS_PUBLIC_URL"
# Where the API serves the releases (`statushouders serve`, `demo`); the DCAT record's download
# URLs start with it, so a public deployment sets STATUSHOUDERS_PUBLIC_URL.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


class MonitorResource(dg.ConfigurableResource):
    """The landing folder the suppliers write to, and the data dir the pipeline owns.

    Data dir layout: warehouse.duckdb, archive/, quarantine/, staging/, releases/.
    """

    landing_dir: str
    data_dir: str
    warehouse_path: str
    public_url: str = DEFAULT_PUBLIC_URL

    _run_lock: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A run holds the data dir's lock from its first step to its end (pipelines/lock.py).

        Every asset of the graph uses this resource, so every run takes the lock: a run the
        UI or a sensor starts waits here for a `statushouders run` on the same data dir, and
        `statushouders run` finds the data dir busy while such a run works. Sensors and
        schedules evaluate without a run and take nothing.
        """
        run = context.run
        if run is None:
            return
        wait = _whole_number(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS)

        def waiting(holder: Holder | None) -> None:
            if context.log is not None:
                by = holder.describe() if holder else "another process"
                context.log.info(f"waiting up to {wait:,} s for {by} to finish with {self.root}")

        self.root.mkdir(parents=True, exist_ok=True)
        stack = ExitStack()
        try:
            stack.enter_context(
                data_dir_lock(
                    self.root, f"Dagster run {run.run_id[:8]}, job {run.job_name}", wait, waiting
                )
            )
        except DataDirBusy as exc:
            raise dg.Failure(
                description=f"{exc}; gave up after {wait:,} s ({LOCK_WAIT_ENV})"
            ) from None
        self._run_lock = stack

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_lock is not None:
            self._run_lock.close()
            self._run_lock = None

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def warehouse_file(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def docs(self) -> Path:
        """GX Data Docs pages, one per suite run."""
        return self.root / "docs" / "validation"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    def max_delivery_bytes(self) -> int:
        """The largest delivery read (STATUSHOUDERS_MAX_DELIVERY_MB); larger ones are refused."""
        return _whole_number(MAX_DELIVERY_ENV, DEFAULT_MAX_DELIVERY_MB, unit="MiB") << 20

    def staging(self, pseudonymiser: Pseudonymiser) -> Path:
        # Staged tables hold pseudonyms, so they are only valid under the key that made them.
        return self.root / "staging" / pseudonymiser.fingerprint

    def pseudonymiser(self) -> Pseudonymiser:
        return pseudonymiser_for(load_key(self.root))

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = Path(self.warehouse_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()


def _whole_number(name: str, default: int, unit: str = "seconds") -> int:
    """A positive whole number from the environment, read when it is needed."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) == 0:
        raise dg.Failure(description=f"{name} must be a whole number of {unit}, not {value!r}")
    return int(value)


def monitor_resource() -> MonitorResource:
    return MonitorResource(
        landing_dir=dg.EnvVar(LANDING_ENV),
        data_dir=dg.EnvVar(DATA_DIR_ENV),
        warehouse_path=dg.EnvVar(WAREHOUSE_ENV),
        public_url=os.environ.get(PUBLIC_URL_ENV, DEFAULT_PUBLIC_URL),
    )
