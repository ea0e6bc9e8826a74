"""COA: placements (koppelingen) and the legal housing task (taakstelling), sources.md §1."""

from contract.tables import Column, Table
from ingest.deliveries import DeliveryKind, Parsed, Source
from ingest.readers import read_csv

KOPPELINGEN = Table(
    name="koppelingen",
    columns=(
        Column("v_nummer", "v_nummer"),
        Column("bsn", "bsn"),
        Column("geboortedatum", "date_dmy"),
        Column("geslacht"),
        Column("nationaliteit"),
        Column("huishouden_nr"),
        Column("rol_huishouden"),
        Column("opvanglocatie"),
        Column("datum_vergunning", "date_dmy"),
        Column("gemeente_code"),
        Column("datum_koppeling", "date_dmy"),
        Column("datum_huisvesting", "date_dmy"),
        Column("nareiziger"),
    ),
)

TAAKSTELLING = Table(
    name="taakstelling",
    columns=(Column("gemeente_code"), Column("periode"), Column("taakstelling", "integer")),
)


def _csv(table: Table):
    return lambda path, _file: Parsed({table.name: read_csv(path, table, delimiter=";")})


SOURCE = Source(
    name="coa",
    title="COA",
    kinds=(
        DeliveryKind(
            name="koppelingen",
            pattern=r"koppelingen_(?P<period>\d{4}-\d{2})\.csv",
            period="month",
            tables=(KOPPELINGEN,),
            parse=_csv(KOPPELINGEN),
            deliverer="COA",
            description="koppelingen_<YYYY-MM>.csv",
        ),
        DeliveryKind(
            name="taakstelling",
            # Each year's task is its own deliverable: every year file stays current.
            pattern=r"taakstelling_(?P<deliverer>(?P<period>\d{4}))\.csv",
            period="year",
            tables=(TAAKSTELLING,),
            parse=_csv(TAAKSTELLING),
            description="taakstelling_<YYYY>.csv",
            counts_for_peildatum=False,
            supplier="COA",
        ),
    ),
)
