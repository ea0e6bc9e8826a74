"""Reading, checking, pseudonymising and storing deliveries; no Dagster here.

`pipelines/defs/ingestion.py` turns this into assets, one set per source.
"""
