"""dbt's sources, written from the supplier packages: adding a supplier is adding a folder.

dbt declares its sources in YAML, and its graph is empty while it parses, so a model cannot
loop over the declared sources. Both halves are therefore written here from `all_sources()`,
before dbt parses (`pipelines.dbt_manifest.prepare_dbt`):

- `models/staging/_sources.yml`: per supplier, its raw tables and its delivery log, named as
  ingestion writes them (`ingest.warehouse.raw_table`);
- `macros/suppliers.sql`: the macro `suppliers()`, their names, which
  `stg_ingest__deliveries` unions over.

Both are generated and not committed (.gitignore): the supplier packages are their one place.
A file is rewritten only when its text changes, so an unchanged project keeps its parse.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest import warehouse
from ingest.deliveries import Source

GENERATED = "Generated from the supplier packages (sources/*/) by pipelines/dbt_sources.py."
# The files written here, relative to the dbt project.
GENERATED_FILES = (Path("models/staging/_sources.yml"), Path("macros/suppliers.sql"))


def sources_yml(sources: tuple[Source, ...]) -> str:
    """The dbt sources of the raw tables that ingestion loads, one dbt source per supplier."""
    declared = []
    for source in sources:
        tables = [
            (table.name, f"The {table.name} of {kind.description or kind.name}.")
            for kind, table in source.tables()
        ]
        tables.append(("deliveries", "Every delivery, accepted or refused (the delivery log)."))
        # schema and table names as ingestion writes them: <schema>.<source>__<table>
        schema = warehouse.log_table(source.name).split(".")[0]
        declared.append(
            {
                "name": source.name,
                "description": f"{source.title}: the raw tables ingestion loads from sources/"
                f"{source.name}/. Current snapshots only, identifiers pseudonymised.",
                "schema": schema,
                "tables": [
                    {
                        "name": name,
                        "identifier": warehouse.raw_table(source.name, name).split(".")[1],
                        "description": description,
                    }
                    for name, description in tables
                ],
            }
        )
    body = yaml.safe_dump(
        {"version": 2, "sources": declared}, sort_keys=False, allow_unicode=True, width=1000
    )
    return f"# {GENERATED} Do not edit.\n{body}"


def suppliers_macro(sources: tuple[Source, ...]) -> str:
    names = ", ".join(f"'{source.name}'" for source in sources)
    return (
        f"{{#- {GENERATED} Do not edit. -#}}\n"
        "{#- The suppliers, whose delivery logs stg_ingest__deliveries unions. -#}\n"
        f"{{% macro suppliers() %}}{{{{ return([{names}]) }}}}{{% endmacro %}}\n"
    )


def write_dbt_sources(project_dir: Path, sources: tuple[Source, ...]) -> list[Path]:
    """Write both files where their text changed; return those written."""
    texts = (sources_yml(sources), suppliers_macro(sources))
    files = {project_dir / name: text for name, text in zip(GENERATED_FILES, texts, strict=True)}
    written = []
    for path, text in files.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
