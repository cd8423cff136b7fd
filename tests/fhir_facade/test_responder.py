"""ITI-66/67/68 and reads against a live server, with fhirpy as the FHIR client.

Every resource returned parses with fhir.resources R4B; search parameters, paging, media
types and errors follow FHIR R4 search.html / http.html and MHD 4.2.3 ITI TF-2 3.66-3.68.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.list import List as FhirList
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhirpy import SyncFHIRClient

from tests.conftest import LiveServer
from tests.fhir_facade.mhd import FHIR_JSON, FHIR_XML, Facade, Patient, comprehensive_bundle, plain


@pytest.fixture(scope="module")
def facade(live_server: LiveServer) -> Facade:
    return Facade(live_server)


@pytest.fixture(scope="module")
def client(facade: Facade) -> SyncFHIRClient:
    return SyncFHIRClient(facade.base, requests_config={"timeout": 60})


@pytest.fixture(scope="module")
def stocked(facade: Facade) -> tuple[Patient, list[str]]:
    """A patient with three documents (one with another category) from three ITI-65 posts."""
    patient = facade.new_patient()
    locations = []
    for number in range(3):
        bundle = comprehensive_bundle(patient.reference, f"document {number}".encode())
        if number == 2:
            doc = bundle["entry"][1]["resource"]
            doc["category"][0]["coding"][0]["code"] = "11488-4"
            doc["content"][0]["attachment"]["creation"] = "2020-05-05T10:00:00Z"
        answer = facade.post(bundle)
        assert answer.status_code == 200, answer.text
        locations.append(answer.json()["entry"][1]["response"]["location"])
    return patient, locations


def test_find_document_references_with_fhirpy(
    client: SyncFHIRClient, stocked: tuple[Patient, list[str]]
) -> None:
    patient, locations = stocked
    found = client.resources("DocumentReference").search(
        patient=patient.reference, status="current"
    )
    resources = found.fetch_all()
    assert sorted(f"DocumentReference/{r['id']}" for r in resources) == sorted(locations)
    for resource in resources:
        DocumentReference.model_validate(plain(resource))


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"category": "http://loinc.org|18726-0"}, 2),
        ({"category": "http://loinc.org|11488-4,http://loinc.org|18726-0"}, 3),
        ({"type": "http://loinc.org|18748-4"}, 3),
        ({"type": "http://loinc.org|11111-1"}, 0),
        ({"format": "urn:oid:1.3.6.1.4.1.19376.1.2.3|urn:ihe:rad:TEXT"}, 3),
        ({"setting": "http://snomed.info/sct|394914008"}, 3),
        ({"facility": "http://snomed.info/sct|22232009"}, 3),
        ({"event": "http://dicom.nema.org/resources/ontology/DCM|CT"}, 3),
        ({"security-label": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|N"}, 3),
        ({"creation": "ge2023-01-01"}, 2),
        ({"creation": "lt2023-01-01"}, 1),
        ({"period": "ge2024-01-01"}, 3),
        ({"author.family": "Vries"}, 3),
        ({"author.given": "Nobody"}, 0),
        ({"status": "superseded"}, 0),
    ],
)
def test_search_parameters(
    facade: Facade, stocked: tuple[Patient, list[str]], params: dict[str, str], count: int
) -> None:
    patient, _ = stocked
    query = {"patient.identifier": patient.token, "status": "current", **params}
    answer = facade.get("DocumentReference", **query)
    assert answer.status_code == 200, answer.text
    bundle = Bundle.model_validate(answer.json())
    assert bundle.total == count
    assert len(bundle.entry or []) == count


def test_identifier_search(facade: Facade, stocked: tuple[Patient, list[str]]) -> None:
    patient, locations = stocked
    doc = facade.get(locations[0]).json()
    token = f"urn:ietf:rfc:3986|{doc['masterIdentifier']['value']}"
    answer = facade.get("DocumentReference", **{"patient": patient.reference, "identifier": token})
    assert [e["resource"]["id"] for e in answer.json()["entry"]] == [doc["id"]]


def test_paging_follows_next_links(facade: Facade, stocked: tuple[Patient, list[str]]) -> None:
    patient, locations = stocked
    first = facade.get("DocumentReference", patient=patient.reference, _count="2").json()
    assert first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = requests.get(next_url, timeout=60).json()
    assert len(second["entry"]) == 1
    assert not [link for link in second["link"] if link["relation"] == "next"]
    ids = {e["resource"]["id"] for e in first["entry"] + second["entry"]}
    assert {f"DocumentReference/{i}" for i in ids} == set(locations)


def test_post_search_equals_get(facade: Facade, stocked: tuple[Patient, list[str]]) -> None:
    patient, _ = stocked
    answer = requests.post(
        f"{facade.base}/DocumentReference/_search",
        data={"patient.identifier": patient.token, "status": "current"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == 3


def test_read_and_retrieve(client: SyncFHIRClient, stocked: tuple[Patient, list[str]]) -> None:
    _, locations = stocked
    resource = client.reference(reference=locations[1]).to_resource()
    doc = DocumentReference.model_validate(plain(resource))
    assert doc.subject is not None and doc.content[0].attachment.url is not None
    retrieved = requests.get(str(doc.content[0].attachment.url), timeout=60)
    assert retrieved.status_code == 200
    assert retrieved.content == b"document 1"
    assert retrieved.headers["Content-Type"].startswith("text/plain")


def test_binary_as_fhir_resource(facade: Facade, stocked: tuple[Patient, list[str]]) -> None:
    _, locations = stocked
    binary_id = locations[0].split("/")[1]
    answer = facade.get(f"Binary/{binary_id}", _format="json")
    assert answer.json()["resourceType"] == "Binary"
    assert answer.json()["data"] == "ZG9jdW1lbnQgMA=="


def test_find_and_read_submission_set_lists(
    client: SyncFHIRClient, stocked: tuple[Patient, list[str]]
) -> None:
    patient, locations = stocked
    found = client.resources("List").search(
        **{"patient.identifier": patient.token, "code": "submissionset", "status": "current"}
    )
    lists = found.fetch_all()
    assert len(lists) == 3
    one = client.reference("List", lists[0]["id"]).to_resource()
    parsed = FhirList.model_validate(plain(one))
    members = [e.item.reference for e in parsed.entry or []]
    assert len(members) == 1 and members[0] in locations


@pytest.mark.parametrize(
    ("path", "params", "headers", "status"),
    [
        ("DocumentReference", {"status": "current"}, {}, 400),
        ("DocumentReference", {"patient": "Patient/x", "bogus": "1"}, {}, 400),
        ("DocumentReference", {"patient.identifier": "nope"}, {}, 400),
        ("DocumentReference", {"patient.identifier": "urn:oid:1.2.3|x", "status": "gone"}, {}, 400),
        (
            "DocumentReference",
            {"patient.identifier": "urn:oid:1.2.3|x", "creation": "2020"},
            {},
            400,
        ),
        (
            "DocumentReference",
            {"patient.identifier": "urn:oid:1.2.3|x", "type": "nosystem"},
            {},
            400,
        ),
        ("DocumentReference/not-a-uuid", {}, {}, 404),
        ("DocumentReference/5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11", {}, {}, 404),
        ("List/5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11", {}, {}, 404),
        ("Binary/5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11", {}, {}, 404),
        ("List", {"patient.identifier": "urn:oid:1.2.3|x"}, {}, 400),
        ("Nothing", {}, {}, 404),
        ("metadata", {"_format": "text/csv"}, {}, 406),
        ("metadata", {}, {"Accept": "text/csv"}, 406),
    ],
)
def test_errors_are_operation_outcomes(
    facade: Facade, path: str, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    answer = requests.get(f"{facade.base}/{path}", params=params, headers=headers, timeout=60)
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(FHIR_JSON)
    outcome = OperationOutcome.model_validate(answer.json())
    assert outcome.issue[0].severity == "error"


def test_lenient_handling_ignores_unknown_parameters(
    facade: Facade, stocked: tuple[Patient, list[str]]
) -> None:
    patient, _ = stocked
    answer = requests.get(
        f"{facade.base}/DocumentReference",
        params={"patient": patient.reference, "bogus": "1"},
        headers={"Prefer": "handling=lenient"},
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()["total"] == 3


def test_method_not_allowed(facade: Facade) -> None:
    answer = requests.delete(f"{facade.base}/DocumentReference/x", timeout=60)
    assert answer.status_code == 405
    OperationOutcome.model_validate(answer.json())


@pytest.mark.parametrize(
    ("params", "headers", "media"),
    [
        ({}, {}, FHIR_JSON),
        ({"_format": "xml"}, {}, FHIR_XML),
        ({}, {"Accept": "application/fhir+xml"}, FHIR_XML),
        ({"_format": "application/fhir+json"}, {"Accept": FHIR_XML}, FHIR_JSON),
    ],
)
def test_capability_statement(
    facade: Facade, params: dict[str, str], headers: dict[str, str], media: str
) -> None:
    answer = requests.get(f"{facade.base}/metadata", params=params, headers=headers, timeout=60)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(media)
    if media == FHIR_XML:
        statement = CapabilityStatement.model_validate_xml(answer.content)
    else:
        statement = CapabilityStatement.model_validate(answer.json())
    assert statement.rest
    rest = statement.rest[0]
    assert [i.code for i in rest.interaction or []] == ["transaction"]
    resources: dict[str, Any] = {str(r.type): r for r in rest.resource or []}
    assert {"DocumentReference", "List", "Binary"} <= set(resources)
    names = {p.name for p in resources["DocumentReference"].searchParam}
    assert {"patient", "status", "creation", "period", "security-label", "related"} <= names
