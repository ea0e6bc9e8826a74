"""Great Expectations suites: the single place where the contract's business rules live.

`validate_delivery` is the gate every parsed delivery passes before it is pseudonymised and
staged. The suites per delivery kind come with the validation issue; until then only the
structural contract (names, columns, types) of `pipelines.ingest.contract` is enforced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from pipelines.ingest.contract import Violation
    from pipelines.ingest.deliveries import DeliveryFile


def validate_delivery(file: DeliveryFile, tables: dict[str, pa.Table]) -> list[Violation]:
    """Violations that refuse the delivery whole.

    The tables hold typed values, not yet pseudonymised: the elfproef needs the real bsn.
    """
    return []
