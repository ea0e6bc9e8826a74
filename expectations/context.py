"""One ephemeral Great Expectations context per process: no analytics, no progress bars.

GX 1.x has no DuckDB dialect, so every suite runs on a pandas DataFrame: a parsed delivery
(before pseudonymisation, which the elfproef needs) or a mart read from the warehouse.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@lru_cache(maxsize=1)
def _context() -> tuple[Any, Any]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # The custom expectation must be registered before any suite that uses it is built.
    import expectations.elfproef  # noqa: F401

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context, context.data_sources.add_pandas("frames")


def run_suite(name: str, frame: pd.DataFrame, expectations: list) -> Any:
    """Validate a DataFrame against a suite built from code.

    Returns GX's validation result with its `results` in the order of `expectations` (GX
    itself reorders them), so callers can pair each result with the rule it belongs to.
    """
    import great_expectations as gx

    context, source = _context()
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
        asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    batch = asset.get_batch_definition("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    by_id = {outcome.expectation_config.id: outcome for outcome in result.results}
    result.results = [by_id[expectation.id] for expectation in suite.expectations]
    return result
