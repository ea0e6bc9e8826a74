"""The BSN elfproef as a Great Expectations expectation (sources.md, "Identifiers").

A bsn is 9 digits; weights 9, 8, 7, 6, 5, 4, 3, 2 and -1 over the digits give a sum divisible
by 11; 000000000 is not a bsn. Leading zeros are significant, so the column must be text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])


def valid_bsn(values: pd.Series) -> pd.Series:
    """True where a value passes the elfproef; vectorised over the digits."""
    text = values.astype("string")
    shaped = text.str.fullmatch(r"\d{9}").fillna(False).to_numpy(dtype=bool)
    result = np.zeros(len(values), dtype=bool)
    if shaped.any():
        digits = np.frombuffer(
            "".join(text[shaped].tolist()).encode("ascii"), dtype=np.uint8
        ).reshape(-1, 9).astype(np.int64) - ord("0")
        checksum = digits @ _WEIGHTS
        result[shaped] = (checksum % 11 == 0) & digits.any(axis=1)
    return pd.Series(result, index=values.index)


class ColumnValuesValidBsn(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_bsn"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return valid_bsn(column)


class ExpectColumnValuesToBeValidBsn(ColumnMapExpectation):
    """Expect every non-null value of the column to be a bsn that passes the elfproef."""

    map_metric = "column_values.valid_bsn"
    success_keys = ("mostly",)
