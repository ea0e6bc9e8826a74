"""Settings as a Dagster resource, read at run time: where the landing folder and state live.

One variable, STATUSHOUDERS_WAREHOUSE, names the warehouse file for Dagster and dbt alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.deliveries import DEFAULT_MAX_DELIVERY_MB
from pipelines.ingest.pseudonym import Pseudonymiser, load_key, pseudonymiser_for

LANDING_ENV = "STATUSHOUDERS_LANDING"
MAX_DELIVERY_ENV = "STATUSHOUDERS_MAX_DELIVERY_MB"
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

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

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
        value = os.environ.get(MAX_DELIVERY_ENV, "").strip() or str(DEFAULT_MAX_DELIVERY_MB)
        if not value.isdigit() or int(value) == 0:
            raise dg.Failure(
                description=f"{MAX_DELIVERY_ENV} must be a whole number of MiB, not {value!r}"
            )
        return int(value) << 20

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


def monitor_resource() -> MonitorResource:
    return MonitorResource(
        landing_dir=dg.EnvVar(LANDING_ENV),
        data_dir=dg.EnvVar(DATA_DIR_ENV),
        warehouse_path=dg.EnvVar(WAREHOUSE_ENV),
        public_url=os.environ.get(PUBLIC_URL_ENV, DEFAULT_PUBLIC_URL),
    )
