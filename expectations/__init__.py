"""Great Expectations suites: the single place where the contract's business rules live.

- `deliveries.py`: one suite per delivery kind (sources.md), run by `validate_delivery`, the
  gate every parsed delivery passes before it is pseudonymised and staged (`gate.py`).
- `marts.py`: one suite per mart, run as blocking Dagster asset checks before a release.
- `elfproef.py`: the BSN elfproef as a custom expectation.
- `docs.py`: GX Data Docs pages with identifiers masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from expectations.gate import DeliveryValidation
    from ingest.deliveries import DeliveryFile


def suite_name(source: str, table: str) -> str:
    """A delivery suite's name. Here, not in deliveries.py: naming a suite (the Dagster asset
    checks do when the definitions load) should not import Great Expectations, which takes
    seconds that `statushouders run` with nothing new does not need."""
    return f"{source}__{table}"


def validate_delivery(file: DeliveryFile, tables: dict[str, pa.Table]) -> DeliveryValidation:
    """Run the delivery's suites on its typed tables, before pseudonymisation (the elfproef
    needs the real bsn)."""
    from expectations.gate import validate_tables

    identifiers = {table.name: table.identifier_names for table in file.kind.tables}
    return validate_tables(file, tables, identifiers)
