"""Werk & Inkomen: one workbook per municipality with four sheets, sources.md §3."""

from contract.tables import Column, Table
from ingest.deliveries import DeliveryKind, Parsed, Source
from ingest.readers import read_xlsx

# Dates are Excel date cells (`date_cell`), which the reader gives as ISO text: a date typed
# as text or a number is reported as not a date cell.
SHEETS = (
    Table(
        name="uitkeringen",
        location="sheet uitkeringen",
        columns=(
            Column("bsn", "bsn"),
            Column("regeling"),
            Column("datum_start", "date_cell"),
            Column("datum_einde", "date_cell"),
        ),
    ),
    Table(
        name="dienstverbanden",
        location="sheet dienstverbanden",
        columns=(
            Column("bsn", "bsn"),
            Column("datum_start", "date_cell"),
            Column("datum_einde", "date_cell"),
            Column("uren_per_week", "number"),
            Column("soort"),
        ),
    ),
    Table(
        name="trajecten",
        location="sheet trajecten",
        columns=(
            Column("bsn", "bsn"),
            Column("instrument"),
            Column("datum_start", "date_cell"),
            Column("datum_einde", "date_cell"),
        ),
    ),
    Table(
        name="intakes",
        location="sheet intakes",
        columns=(
            Column("bsn", "bsn"),
            Column("datum_intake", "date_cell"),
            Column("noa_assessment"),
        ),
    ),
)

SOURCE = Source(
    name="werk_inkomen",
    title="Werk & Inkomen",
    kinds=(
        DeliveryKind(
            name="werk_inkomen",
            pattern=r"(?P<deliverer>GM\d{4})_(?P<period>\d{4}-\d{2})\.xlsx",
            period="month",
            tables=SHEETS,
            parse=lambda path, _file: Parsed(read_xlsx(path, SHEETS)),
            description="<GMxxxx>_<YYYY-MM>.xlsx",
        ),
    ),
)
