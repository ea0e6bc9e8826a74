"""`dcat.jsonld`: the release as a DCAT-AP-DONL 1.1 catalogue record, for data.overheid.nl.

data.overheid.nl harvests dataset descriptions in DCAT-AP-DONL (the Dutch profile of DCAT-AP).
This module writes one from `datapackage.json` alone: one `dcat:Dataset` with a stable
identifier (the same for every release; `owl:versionInfo` tells the release), and one
`dcat:Distribution` per data file (CSV and Parquet) plus one for `datapackage.json` itself,
each with its download URL under the API's `/download/{version}/`, format, media type, size and
SHA-256 checksum.

Controlled values are those of the DONL value lists: themes from the OWMS
TaxonomieBeleidsagenda, the licence from the DONL licence list (CreativeCommons `deed.nl`
URIs; the licence's own URI from the data package is kept as `rdfs:seeAlso`), languages, file
types and access rights from the EU authority tables, media types as IANA URIs.

The JSON-LD carries its `@context` inline: reading it downloads nothing. The same data package
and base URL give byte-identical output: nothing reads the clock, and every list keeps the
order of the data package.
"""

from __future__ import annotations

import hashlib
import json

CONTEXT = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "http://schema.org/",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

PUBLISHER = "Regio U16 (gemeenten regio Utrecht)"
CONTACT_NAME = "Regio U16, Monitor Statushouders"
CONTACT_EMAIL = "mailto:opendata@regio-u16.nl"

# overheid:TaxonomieBeleidsagenda (OWMS 4.0): migration and integration, work, social security
# and housing, the subjects of the monitor.
THEMES = (
    "http://standaarden.overheid.nl/owms/terms/Migratie_en_integratie",
    "http://standaarden.overheid.nl/owms/terms/Integratie_(thema)",
    "http://standaarden.overheid.nl/owms/terms/Werk_(thema)",
    "http://standaarden.overheid.nl/owms/terms/Sociale_zekerheid",
    "http://standaarden.overheid.nl/owms/terms/Huisvesting_(thema)",
)
# Metadata and labels are in Dutch and English.
LANGUAGES = (
    "http://publications.europa.eu/resource/authority/language/NLD",
    "http://publications.europa.eu/resource/authority/language/ENG",
)
ACCESS_RIGHTS = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
DATASET_STATUS = "http://data.overheid.nl/status/beschikbaar"
# The DONL licence list names CreativeCommons licences by their Dutch deed.
DONL_LICENCES = {
    "CC-BY-4.0": "http://creativecommons.org/licenses/by/4.0/deed.nl",
    "CC-BY-SA-4.0": "http://creativecommons.org/licenses/by-sa/4.0/deed.nl",
    "CC0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/deed.nl",
}
FILE_TYPES = {
    "csv": "http://publications.europa.eu/resource/authority/file-type/CSV",
    "parquet": "http://publications.europa.eu/resource/authority/file-type/PARQUET",
    "json": "http://publications.europa.eu/resource/authority/file-type/JSON",
}
FORMAT_LABELS = {"csv": "CSV", "parquet": "Parquet", "json": "JSON"}
IANA = "https://www.iana.org/assignments/media-types/"
SHA256 = "spdx:checksumAlgorithm_sha256"
DATAPACKAGE = "datapackage.json"


def describe(datapackage_json: bytes, base_url: str) -> bytes:
    """`dcat.jsonld`: a DCAT-AP-DONL description of the dataset and its distributions, with
    download URLs under `{base_url}/download/{version}/`.

    `datapackage_json` is the bytes of `datapackage.json` as written: its own distribution
    gives their size and checksum.
    """
    datapackage = json.loads(datapackage_json)
    base = base_url.rstrip("/")
    dataset_id = f"{base}/dataset/{datapackage['name']}"
    licence = _licence(datapackage)
    distributions = [
        _distribution(datapackage, resource, base, dataset_id, licence["@id"])
        for resource in datapackage["resources"]
    ]
    distributions.append(
        _datapackage_distribution(datapackage_json, datapackage, base, dataset_id, licence["@id"])
    )
    document = {
        "@context": CONTEXT,
        **_dataset(datapackage, base, dataset_id, licence),
        "dcat:distribution": distributions,
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _dataset(package: dict, base: str, dataset_id: str, licence: dict) -> dict:
    version, created = package["version"], package["created"]
    changelog = _download(base, version, "CHANGELOG.md")
    dataset = {
        "@id": dataset_id,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset_id,
        "dct:title": _texts(package["title"], package.get("title_en")),
        "dct:description": _texts(package["description"], package.get("description_en")),
        "dcat:keyword": [_text(k, "nl") for k in package.get("keywords", [])],
        "dct:language": [_ref(language) for language in LANGUAGES],
        "dcat:theme": [_ref(theme) for theme in THEMES],
        "dct:license": licence,
        "dct:accessRights": _ref(ACCESS_RIGHTS),
        "adms:status": _ref(DATASET_STATUS),
        "dct:publisher": _publisher(package),
        "dct:creator": {"@id": "_:publisher"},
        "dcat:contactPoint": {
            "@id": "_:contact",
            "@type": "vcard:Organization",
            "vcard:fn": CONTACT_NAME,
            "vcard:hasEmail": _ref(CONTACT_EMAIL),
        },
        "owl:versionInfo": version,
        "adms:versionNotes": [
            _text(f"Wijzigingen per versie: {changelog}", "nl"),
            _text(f"Changes per version: {changelog}", "en"),
        ],
        "dct:issued": _typed(created, "xsd:dateTime"),
        "dct:modified": _typed(created, "xsd:dateTime"),
        "dcat:landingPage": _ref(_download(base, version, "index.html")),
        "foaf:page": [_ref(changelog), _ref(_download(base, version, "disclosure.md"))],
    }
    if package.get("peildatum"):
        dataset["dct:temporal"] = _period_until(package["peildatum"])
    dataset["dct:provenance"] = _provenance(package)
    sources = [_source(s) for s in package.get("sources", [])]
    if sources:
        dataset["dct:source"] = sources
    return dataset


def _distribution(package: dict, resource: dict, base: str, dataset_id: str, licence: str) -> dict:
    fmt, path, version = resource["format"], resource["path"], package["version"]
    if fmt not in FILE_TYPES:
        raise ValueError(f"{resource['name']}: no DCAT file type for format {fmt!r}")
    algorithm, _, digest = resource["hash"].partition(":")
    if algorithm != "sha256" or not digest:
        raise ValueError(f"{resource['name']}: hash is not 'sha256:<hex>': {resource['hash']!r}")
    label = FORMAT_LABELS[fmt]
    title = resource.get("title", resource["name"])
    title_en = resource.get("title_en")
    return _file(
        f"{dataset_id}/distribution/{version}/{path}",
        _download(base, version, path),
        title=_texts(f"{title} ({label})", f"{title_en} ({label})" if title_en else None),
        description=_texts(resource.get("description", title), resource.get("description_en")),
        fmt=fmt,
        mediatype=resource["mediatype"],
        licence=licence,
        size=resource["bytes"],
        sha256=digest,
    )


def _datapackage_distribution(
    data: bytes, package: dict, base: str, dataset_id: str, licence: str
) -> dict:
    version = package["version"]
    distribution = _file(
        f"{dataset_id}/distribution/{version}/{DATAPACKAGE}",
        _download(base, version, DATAPACKAGE),
        title=_texts(
            "Beschrijving van het datapakket (Frictionless Data Package)",
            "Data package description (Frictionless Data Package)",
        ),
        description=_texts(
            "Bronnen, velden, sleutels, licentie, grootte en checksum van elk databestand.",
            "Sources, fields, keys, licence, size and checksum of every data file.",
        ),
        fmt="json",
        mediatype="application/json",
        licence=licence,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if package.get("$schema"):
        distribution["dct:conformsTo"] = _ref(package["$schema"])
    return distribution


def _file(
    node_id: str,
    url: str,
    *,
    title: list[dict],
    description: list[dict],
    fmt: str,
    mediatype: str,
    licence: str,
    size: int,
    sha256: str,
) -> dict:
    return {
        "@id": node_id,
        "@type": "dcat:Distribution",
        "dct:identifier": node_id,
        "dct:title": title,
        "dct:description": description,
        "dcat:accessURL": _ref(url),
        "dcat:downloadURL": _ref(url),
        "dct:format": _ref(FILE_TYPES[fmt]),
        "dcat:mediaType": _ref(IANA + mediatype),
        "dct:license": _ref(licence),
        "dct:language": [_ref(language) for language in LANGUAGES],
        "dcat:byteSize": _typed(str(size), "xsd:nonNegativeInteger"),
        "spdx:checksum": _checksum(sha256),
    }


def _licence(package: dict) -> dict:
    """The first licence: the DONL list's URI when it has one, the package's own otherwise."""
    licences = package.get("licenses") or []
    if not licences:
        raise ValueError("the data package has no licence; DCAT-AP-DONL requires one")
    first = licences[0]
    own = first.get("path")
    donl = DONL_LICENCES.get(first.get("name", ""))
    if donl is None:
        if not own:
            raise ValueError(f"licence {first.get('name')!r} has no path")
        return {"@id": own, "@type": "dct:LicenseDocument"}
    node = {"@id": donl, "@type": "dct:LicenseDocument"}
    if own:
        node["rdfs:seeAlso"] = _ref(own)
    return node


def _publisher(package: dict) -> dict:
    names = [
        c["title"] for c in package.get("contributors", []) if "publisher" in c.get("roles", [])
    ]
    return {"@id": "_:publisher", "@type": "foaf:Agent", "foaf:name": (names or [PUBLISHER])[0]}


def _provenance(package: dict) -> dict:
    """Plain words for harvesters that show `dct:provenance`; the deliveries are also in
    `dct:source`, each with its checksum."""
    sources = package.get("sources", [])
    listed_nl = "; ".join(
        f"{s['title']} (van {s.get('x-deliverer', '?')}, peildatum {s.get('x-peildatum', '?')}, "
        f"sha256 {s.get('x-sha256', '?')})"
        for s in sources
    )
    listed_en = "; ".join(
        f"{s['title']} (from {s.get('x-deliverer', '?')}, reference date "
        f"{s.get('x-peildatum', '?')}, sha256 {s.get('x-sha256', '?')})"
        for s in sources
    )
    nl = (
        "Geaggregeerd uit leveringen van gegevens op persoonsniveau en beschermd tegen "
        "onthulling (zie disclosure.md)."
    )
    en = (
        "Aggregated from person-level deliveries and protected against disclosure "
        "(see disclosure.md)."
    )
    if sources:
        nl += f" Gebruikte leveringen: {listed_nl}."
        en += f" Deliveries used: {listed_en}."
    return {"@type": "dct:ProvenanceStatement", "rdfs:label": [_text(nl, "nl"), _text(en, "en")]}


def _source(source: dict) -> dict:
    """One delivery the release was computed from: file, deliverer, peildatum, checksum."""
    node: dict = {"dct:title": source["title"]}
    if source.get("x-deliverer"):
        node["dct:publisher"] = {"@type": "foaf:Agent", "foaf:name": source["x-deliverer"]}
    if source.get("x-peildatum"):
        node["dct:temporal"] = _period_until(source["x-peildatum"])
    if source.get("x-sha256"):
        node["spdx:checksum"] = _checksum(source["x-sha256"])
    return node


def _period_until(date: str) -> dict:
    """A period ending on `date`: DCAT 2's dcat:endDate and DCAT-AP-DONL 1.1's schema:endDate."""
    end = _typed(date, "xsd:date")
    return {"@type": "dct:PeriodOfTime", "dcat:endDate": end, "schema:endDate": end}


def _checksum(sha256: str) -> dict:
    return {
        "@type": "spdx:Checksum",
        "spdx:algorithm": _ref(SHA256),
        "spdx:checksumValue": _typed(sha256, "xsd:hexBinary"),
    }


def _download(base: str, version: str, path: str) -> str:
    """Where the API serves a file of a release (api/routers/download.py)."""
    return f"{base}/download/{version}/{path}"


def _texts(nl: str, en: str | None) -> list[dict]:
    return [_text(nl, "nl")] + ([_text(en, "en")] if en else [])


def _text(value: str, language: str) -> dict:
    return {"@value": value, "@language": language}


def _typed(value: str, datatype: str) -> dict:
    return {"@value": value, "@type": datatype}


def _ref(iri: str) -> dict:
    return {"@id": iri}
