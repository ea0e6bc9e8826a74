"""The release's DCAT-AP-DONL record (publish/dcat.py), read back as RDF with rdflib.

The data package is made here, independently: `publish.package.describe` on small hand-made
file bytes and deliveries, or the sample release written to disk. Every expected value comes
from those inputs (the bytes, their lengths and SHA-256 digests, the package's texts) or from
the DONL value lists written out below, never from the record itself. The checks run SPARQL on
the parsed graph, so they test the RDF that a harvester reads, not the JSON's layout.
"""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
import rdflib

from publish import dcat, package
from publish.tableschema import RESOURCES
from tests.sample_release import write_sample_release

BASE = "https://monitor.example.nl"
VERSION = "2.4.0"
CREATED = "2025-03-01T07:30:00+00:00"
PEILDATUM = "2024-12-31"
DATASET = f"{BASE}/dataset/monitor-statushouders-u16"
# Plain URIs, not rdflib's namespace objects: pytest probes module globals for attributes.
RDF_TYPE = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCAT_DATASET = rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")
DCAT_DISTRIBUTION = rdflib.URIRef("http://www.w3.org/ns/dcat#Distribution")
XSD = "http://www.w3.org/2001/XMLSchema#"

# From the DONL value lists and the EU / IANA authority tables, written out by hand.
DONL_CC_BY_4 = "http://creativecommons.org/licenses/by/4.0/deed.nl"
OWMS_TERMS = "http://standaarden.overheid.nl/owms/terms/"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
FILE_TYPE = {
    ".csv": "http://publications.europa.eu/resource/authority/file-type/CSV",
    ".parquet": "http://publications.europa.eu/resource/authority/file-type/PARQUET",
    ".json": "http://publications.europa.eu/resource/authority/file-type/JSON",
}
MEDIA_TYPE = {
    ".csv": "https://www.iana.org/assignments/media-types/text/csv",
    ".parquet": "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet",
    ".json": "https://www.iana.org/assignments/media-types/application/json",
}

PREFIXES = """
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
"""

DELIVERIES = [
    {
        "source": "coa",
        "file": "coa_bewoners_2024-12.xlsx",
        "deliverer": "COA",
        "peildatum": "2024-12-31",
        "sha256": hashlib.sha256(b"coa delivery").hexdigest(),
    },
    {
        "source": "duo",
        "file": "duo_inburgering_2024-12.csv",
        "deliverer": "DUO",
        "peildatum": "2024-11-30",
        "sha256": hashlib.sha256(b"duo delivery").hexdigest(),
    },
    {
        # each year's taakstelling is a deliverer of its own; COA sends it
        "source": "coa",
        "file": "taakstelling_2016.csv",
        "deliverer": "2016",
        "supplier": "COA",
        "peildatum": "2016-12-31",
        "sha256": hashlib.sha256(b"taakstelling").hexdigest(),
    },
]


def hand_made_files() -> dict[str, bytes]:
    """A CSV and a Parquet file per resource; only their bytes matter to the record."""
    files = {}
    for number, resource in enumerate(RESOURCES):
        files[f"data/{resource.name}.csv"] = f"{resource.name},n\nwaarde,{number}\n".encode()
        files[f"data/{resource.name}.parquet"] = b"PAR1" + resource.name.encode() * number
    return files


def datapackage_bytes(files: dict[str, bytes]) -> bytes:
    return package.describe(files, VERSION, CREATED, PEILDATUM, DELIVERIES)


def parse(record: bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=record, format="json-ld")


def expected_distributions(files: dict[str, bytes], version: str = VERSION) -> dict[str, tuple]:
    """download URL -> (format, media type, byte size, sha256) for every file of the release."""
    return {
        f"{BASE}/download/{version}/{path}": (
            FILE_TYPE[Path(path).suffix],
            MEDIA_TYPE[Path(path).suffix],
            len(data),
            hashlib.sha256(data).hexdigest(),
        )
        for path, data in files.items()
    }


def check_distributions(graph: rdflib.Graph, expected: dict[str, tuple]) -> None:
    """Exactly the expected distributions of the one dataset, each with URL, format, media
    type, size and SHA-256 checksum; raises AssertionError naming what differs."""
    rows = graph.query(
        PREFIXES
        + """
        SELECT ?distribution ?access ?download ?format ?media ?size ?digest WHERE {
            ?dataset a dcat:Dataset ; dcat:distribution ?distribution .
            ?distribution a dcat:Distribution ;
                dcat:accessURL ?access ; dcat:downloadURL ?download ;
                dct:format ?format ; dcat:mediaType ?media ; dcat:byteSize ?size ;
                spdx:checksum ?checksum .
            ?checksum a spdx:Checksum ;
                spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                spdx:checksumValue ?digest .
        }"""
    )
    found: dict[str, tuple] = {}
    distributions = set()
    for row in rows:
        assert row.access == row.download, f"{row.download}: accessURL {row.access} differs"
        assert str(row.size.datatype) in (
            XSD + t for t in ("nonNegativeInteger", "decimal", "integer")
        )
        assert str(row.download) not in found, f"{row.download} is described twice"
        distributions.add(row.distribution)
        found[str(row.download)] = (
            str(row.format),
            str(row.media),
            int(row.size),
            str(row.digest).lower(),
        )
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing, f"no distribution for {missing}"
    assert not extra, f"distributions that are no file of the release: {extra}"
    for url, values in expected.items():
        assert found[url] == values, f"{url}: {found[url]} != {values}"
    all_distributions = set(graph.subjects(RDF_TYPE, DCAT_DISTRIBUTION))
    assert all_distributions == distributions, "a distribution lacks URL, format, size or checksum"


def one(graph: rdflib.Graph, query: str) -> tuple:
    rows = list(graph.query(PREFIXES + query))
    assert len(rows) == 1, f"{len(rows)} rows for {query}"
    return tuple(rows[0])


@pytest.fixture(scope="module")
def release() -> tuple[dict[str, bytes], bytes, bytes]:
    """(data files, datapackage.json bytes, dcat.jsonld bytes)."""
    files = hand_made_files()
    described = datapackage_bytes(files)
    return files, described, dcat.describe(described, BASE)


def test_one_dataset_with_the_donl_mandatory_properties(release):
    _, described, record = release
    source = json.loads(described)
    graph = parse(record)
    datasets = list(graph.subjects(RDF_TYPE, DCAT_DATASET))
    assert [str(d) for d in datasets] == [DATASET]
    assert one(graph, "SELECT ?i WHERE { ?d a dcat:Dataset ; dct:identifier ?i }") == (
        rdflib.Literal(DATASET),
    )
    for prop, nl, en in (
        ("dct:title", source["title"], source["title_en"]),
        ("dct:description", source["description"], source["description_en"]),
    ):
        texts = {
            (str(v), v.language)
            for (v,) in graph.query(
                PREFIXES + f"SELECT ?v WHERE {{ ?d a dcat:Dataset ; {prop} ?v }}"
            )
        }
        assert texts == {(nl, "nl"), (en, "en")}, prop
    keywords = {str(k) for (k,) in graph.query(PREFIXES + "SELECT ?k { ?d dcat:keyword ?k }")}
    assert keywords == set(source["keywords"])
    licence, see_also = one(
        graph, "SELECT ?l ?s WHERE { ?d a dcat:Dataset ; dct:license ?l . ?l rdfs:seeAlso ?s }"
    )
    assert (str(licence), str(see_also)) == (DONL_CC_BY_4, source["licenses"][0]["path"])
    (access,) = one(graph, "SELECT ?a WHERE { ?d a dcat:Dataset ; dct:accessRights ?a }")
    assert str(access) == PUBLIC
    (publisher,) = one(
        graph,
        "SELECT ?n WHERE { ?d a dcat:Dataset ; dct:publisher [ a foaf:Agent ; foaf:name ?n ] }",
    )
    assert str(publisher) == "Regio U16 (gemeenten regio Utrecht)"
    (creator,) = one(graph, "SELECT ?n WHERE { ?d a dcat:Dataset ; dct:creator/foaf:name ?n }")
    assert str(creator) == str(publisher)
    name, email = one(
        graph,
        "SELECT ?n ?e WHERE { ?d a dcat:Dataset ; dcat:contactPoint ?c . "
        "?c a vcard:Organization ; vcard:fn ?n ; vcard:hasEmail ?e }",
    )
    assert str(name) and str(email).startswith("mailto:") and "@" in str(email)
    themes = {str(t) for (t,) in graph.query(PREFIXES + "SELECT ?t { ?d dcat:theme ?t }")}
    assert themes and all(t.startswith(OWMS_TERMS) for t in themes)
    assert OWMS_TERMS + "Migratie_en_integratie" in themes
    (version,) = one(graph, "SELECT ?v WHERE { ?d a dcat:Dataset ; owl:versionInfo ?v }")
    assert str(version) == VERSION
    issued, modified = one(graph, "SELECT ?i ?m WHERE { ?d dct:issued ?i ; dct:modified ?m }")
    assert str(issued.datatype) == str(modified.datatype) == XSD + "dateTime"
    assert str(issued) == str(modified) == CREATED
    (end,) = one(graph, "SELECT ?e WHERE { ?d a dcat:Dataset ; dct:temporal/dcat:endDate ?e }")
    assert (str(end), str(end.datatype)) == (PEILDATUM, XSD + "date")
    (landing,) = one(graph, "SELECT ?l WHERE { ?d a dcat:Dataset ; dcat:landingPage ?l }")
    assert str(landing) == f"{BASE}/download/{VERSION}/index.html"
    notes = [str(n) for (n,) in graph.query(PREFIXES + "SELECT ?n { ?d adms:versionNotes ?n }")]
    assert notes and all(f"{BASE}/download/{VERSION}/CHANGELOG.md" in n for n in notes)


def test_a_distribution_per_data_file_and_datapackage_json(release):
    files, described, record = release
    expected = expected_distributions({**files, "datapackage.json": described})
    assert len(expected) == 2 * len(RESOURCES) + 1
    check_distributions(parse(record), expected)


def test_each_distribution_has_a_licence_and_titles_in_both_languages(release):
    files, _, record = release
    graph = parse(record)
    rows = list(
        graph.query(
            PREFIXES
            + """SELECT ?d ?l (GROUP_CONCAT(DISTINCT LANG(?t)) AS ?langs) WHERE {
                ?d a dcat:Distribution ; dct:license ?l ; dct:title ?t ; dct:description ?x .
            } GROUP BY ?d ?l"""
        )
    )
    assert len(rows) == len(files) + 1
    for distribution, licence, langs in rows:
        assert str(licence) == DONL_CC_BY_4, distribution
        assert sorted(str(langs).split()) == ["en", "nl"], distribution


def test_sources_are_the_deliveries_with_their_checksums(release):
    _, _, record = release
    rows = parse(record).query(
        PREFIXES
        + """SELECT ?title ?who ?digest WHERE {
            ?d a dcat:Dataset ; dct:source ?s .
            ?s dct:title ?title ; dct:publisher/foaf:name ?who ;
               spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                               spdx:checksumValue ?digest ] .
        }"""
    )
    found = {(str(t), str(w), str(d).lower()) for t, w, d in rows}
    digest = {d["file"]: d["sha256"] for d in DELIVERIES}
    assert found == {
        ("coa/coa_bewoners_2024-12.xlsx", "COA", digest["coa_bewoners_2024-12.xlsx"]),
        ("duo/duo_inburgering_2024-12.csv", "DUO", digest["duo_inburgering_2024-12.csv"]),
        ("coa/taakstelling_2016.csv", "COA", digest["taakstelling_2016.csv"]),  # not "2016"
    }
    (provenance,) = one(
        parse(record),
        "SELECT ?p WHERE { ?d dct:provenance [ a dct:ProvenanceStatement ; rdfs:label ?p ] "
        "FILTER(LANG(?p) = 'nl') }",
    )
    assert all(d["sha256"] in str(provenance) for d in DELIVERIES)


def test_sample_release_sizes_and_checksums_match_the_files_on_disk(tmp_path: Path):
    """The sample release (no contributors, no sources): every distribution's size and checksum
    are those of the file it downloads, read from the release folder."""
    write_sample_release(tmp_path)
    datapackage = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    files = {r["path"]: (tmp_path / r["path"]).read_bytes() for r in datapackage["resources"]}
    files["datapackage.json"] = (tmp_path / "datapackage.json").read_bytes()
    graph = parse(dcat.describe(files["datapackage.json"], BASE + "/"))
    check_distributions(graph, expected_distributions(files, datapackage["version"]))
    (version,) = one(graph, "SELECT ?v WHERE { ?d a dcat:Dataset ; owl:versionInfo ?v }")
    assert str(version) == datapackage["version"]


def test_context_is_inline_and_parsing_needs_no_network(release, monkeypatch):
    _, _, record = release
    text = record.decode("utf-8")
    assert '"@context": "http' not in text
    assert isinstance(json.loads(text)["@context"], dict)

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access while parsing: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert len(parse(record)) > 0


def test_same_input_gives_byte_identical_output(release):
    files, _, record = release
    again = dcat.describe(datapackage_bytes(dict(reversed(files.items()))), BASE)
    assert again == record
    assert record.endswith(b"}\n")


def test_check_fails_on_a_missing_or_wrong_distribution(release):
    """The check used above is not vacuous: a record that leaves out a file, or gives a wrong
    checksum or size, fails it."""
    files, described, record = release
    expected = expected_distributions({**files, "datapackage.json": described})

    document = json.loads(record)
    document["dcat:distribution"] = document["dcat:distribution"][1:]
    with pytest.raises(AssertionError, match="no distribution for"):
        check_distributions(parse(json.dumps(document).encode()), expected)

    document = json.loads(record)
    document["dcat:distribution"][0]["spdx:checksum"]["spdx:checksumValue"]["@value"] = "00" * 32
    with pytest.raises(AssertionError, match="data/"):
        check_distributions(parse(json.dumps(document).encode()), expected)

    document = json.loads(record)
    document["dcat:distribution"][-1]["dcat:byteSize"]["@value"] = "1"
    with pytest.raises(AssertionError, match=r"datapackage\.json"):
        check_distributions(parse(json.dumps(document).encode()), expected)

    changed = {**files, "data/gebieden.csv": files["data/gebieden.csv"] + b"extra,row\n"}
    changed["datapackage.json"] = described
    with pytest.raises(AssertionError, match=r"gebieden\.csv"):
        check_distributions(parse(record), expected_distributions(changed))


def test_only_sha256_hashes_are_accepted(release):
    _, described, _ = release
    datapackage = json.loads(described)
    datapackage["resources"][0]["hash"] = "md5:" + hashlib.md5(b"x").hexdigest()
    with pytest.raises(ValueError, match="sha256"):
        dcat.describe(json.dumps(datapackage).encode(), BASE)
