"""The API's one settings class: every limit it enforces, named, with its default.

Each can be set in the environment as `STATUSHOUDERS_API_<NAME>` (for example
`STATUSHOUDERS_API_RATE_LIMIT=0`). They are read when the app is created, never at import.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STATUSHOUDERS_API_", extra="ignore")

    data_dir: Path = Field(
        Path(".data"), description="the pipeline's data dir; releases are in <data_dir>/releases"
    )
    default_page_size: int = Field(100, ge=1, description="rows per page when `limit` is not given")
    max_page_size: int = Field(1000, ge=1, description="the largest `limit` a client may ask for")
    max_filter_values: int = Field(100, ge=1, description="values in one list filter, at most")
    cache_max_age: int = Field(
        60,
        ge=0,
        description="seconds clients and proxies may cache answers about `latest` (releases "
        "under /v1/releases/{version} never change and are cached for a year)",
    )
    rate_limit: int = Field(
        1200, ge=0, description="requests per minute per client address; 0 switches it off"
    )
    rate_burst: int = Field(
        200, ge=1, description="requests a client may make at once before the rate applies"
    )
    max_url_bytes: int = Field(4096, ge=256, description="path and query string, at most (414)")
    max_body_bytes: int = Field(
        1024, ge=0, description="request body, at most (413); the API only reads"
    )
    gzip_min_bytes: int = Field(
        1024, ge=0, description="answers at least this long are gzipped when the client accepts"
    )
    response_cache_mb: int = Field(
        64,
        ge=0,
        description="answers kept in memory and sent again for the same request to the same "
        "release (api/middleware.py); 0 switches it off",
    )
    csv_chunk_rows: int = Field(
        2000,
        ge=1,
        description="rows per piece of a whole CSV table (`format=csv` without `limit`), which "
        "is sent as it is made: the memory one such answer holds",
    )
    releases_in_memory: int = Field(
        4, ge=1, description="releases kept loaded; the least recently used one is dropped"
    )
    access_log: bool = Field(True, description="uvicorn's line per request")
