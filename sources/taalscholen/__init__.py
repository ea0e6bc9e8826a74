"""Language schools: one JSON document per school, sources.md §4."""

import datetime as dt
from pathlib import Path

from contract.tables import Column, StructureError, Table
from ingest.deliveries import DeliveryFile, DeliveryKind, Parsed, Source
from ingest.readers import read_json, records_table

SCHOLEN = Table(
    name="scholen",
    location="school",
    single=True,
    columns=(
        Column("code"),
        Column("naam"),
        Column("keurmerk", "boolean"),
        Column("peildatum", "date_iso"),
    ),
)

DEELNEMERS = Table(
    name="deelnemers",
    location="deelnemers[]",
    columns=(
        Column("bsn", "bsn"),
        Column("traject"),
        Column("datum_start", "date_iso"),
        Column("datum_einde", "date_iso"),
        Column("status"),
        Column("aanwezigheid_pct", "number"),
        Column("niveau_instroom"),
        Column("niveau_behaald"),
    ),
)


def parse(path: Path, file: DeliveryFile) -> Parsed:
    document = read_json(path)
    school, deelnemers = document.get("school"), document.get("deelnemers")
    if not isinstance(school, dict) or not isinstance(deelnemers, list):
        raise StructureError(
            "json", "the document needs an object `school` and a list `deelnemers`"
        )
    if not all(isinstance(d, dict) for d in deelnemers):
        raise StructureError(
            "json", "every element of `deelnemers` must be an object", "deelnemers"
        )
    # Whether code and peildatum match the file name is a suite rule (expectations/).
    try:
        peildatum = dt.date.fromisoformat(str(document.get("peildatum")))
    except ValueError:
        peildatum = None  # the type check of the `peildatum` column reports it
    return Parsed(
        {
            "scholen": records_table([{**school, "peildatum": document.get("peildatum")}], SCHOLEN),
            "deelnemers": records_table(deelnemers, DEELNEMERS),
        },
        peildatum=peildatum,
    )


SOURCE = Source(
    name="taalscholen",
    title="Taalscholen",
    kinds=(
        DeliveryKind(
            name="taalscholen",
            pattern=r"(?P<deliverer>[A-Za-z0-9]+)_(?P<period>\d{4}-\d{2})\.json",
            period="month",
            tables=(SCHOLEN, DEELNEMERS),
            parse=parse,
            description="<schoolcode>_<YYYY-MM>.json",
        ),
    ),
)
