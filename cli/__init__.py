"""The `statushouders` command and what it prints; it runs the code location in `pipelines/`."""
