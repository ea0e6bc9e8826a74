"""The Dagster definitions, one module per stage; `pipelines.definitions` assembles them."""
