"""DUO: who must integrate (inburgeringsplichtigen) and the exam sittings, sources.md §2."""

from contract.tables import Column, Table
from ingest.deliveries import DeliveryKind, Parsed, Source
from ingest.readers import read_csv

INBURGERINGSPLICHTIGEN = Table(
    name="inburgeringsplichtigen",
    columns=(
        Column("bsn", "bsn"),
        Column("wet"),
        Column("inburgeringsplichtig"),
        Column("route"),
        Column("datum_start_termijn", "date_iso"),
        Column("datum_einde_termijn", "date_iso"),
        Column("status"),
        Column("datum_status", "date_iso"),
    ),
)

EXAMENS = Table(
    name="examens",
    columns=(
        Column("bsn", "bsn"),
        Column("examendatum", "date_iso"),
        Column("onderdeel"),
        Column("niveau"),
        Column("resultaat"),
    ),
)


def _kind(table: Table) -> DeliveryKind:
    return DeliveryKind(
        name=table.name,
        pattern=rf"{table.name}_(?P<period>\d{{4}}-\d{{2}})\.csv",
        period="month",
        tables=(table,),
        parse=lambda path, _file: Parsed({table.name: read_csv(path, table, delimiter=",")}),
        deliverer="DUO",
        description=f"{table.name}_<YYYY-MM>.csv",
    )


SOURCE = Source(name="duo", title="DUO", kinds=(_kind(INBURGERINGSPLICHTIGEN), _kind(EXAMENS)))
