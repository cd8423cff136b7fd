"""ITI-65 Provide Document Bundle against a live server (MHD 4.2.3 ITI TF-2 3.65).

Golden Bundle plus one change -> one expected HTTP status, an OperationOutcome naming the
element at fault, and nothing persisted (checked with ITI-66/67 afterwards).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.conftest import LiveServer
from tests.fhir_facade.mhd import (
    FHIR_JSON,
    FHIR_XML,
    MINIMAL,
    Facade,
    Patient,
    changed,
    comprehensive_bundle,
)

DR = "entry.1.resource"
SS = "entry.0.resource"


@pytest.fixture(scope="module")
def facade(live_server: LiveServer) -> Facade:
    return Facade(live_server)


@pytest.fixture
def patient(facade: Facade) -> Patient:
    return facade.new_patient()


def assert_nothing_persisted(facade: Facade, patient: Patient) -> None:
    assert facade.documents(patient)["total"] == 0
    assert facade.lists(patient)["total"] == 0


def outcome_of(answer: Any) -> OperationOutcome:
    assert answer.headers["Content-Type"].startswith(FHIR_JSON)
    return OperationOutcome.model_validate(answer.json())


def test_comprehensive_json_bundle_is_registered(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle(patient.reference, b"hello MHD\n")
    answer = facade.post(bundle)
    assert answer.status_code == 200, answer.text
    response = Bundle.model_validate(answer.json())
    assert response.type == "transaction-response"
    locations = [str(e.response.location) for e in response.entry or [] if e.response]
    assert [loc.split("/")[0] for loc in locations] == ["List", "DocumentReference", "Binary"]
    assert all(
        str(e.response and e.response.status).startswith("201") for e in response.entry or []
    )
    found = facade.documents(patient)
    assert found["total"] == 1
    doc = found["entry"][0]["resource"]
    assert f"DocumentReference/{doc['id']}" == locations[1]
    assert doc["masterIdentifier"] == {
        "use": "usual",
        **bundle["entry"][1]["resource"]["masterIdentifier"],
    }
    assert doc["context"]["period"]["start"] == "2024-01-02T08:00:00Z"
    assert doc["content"][0]["attachment"]["creation"] == "2024-01-02T09:00:00Z"
    assert facade.get(locations[2]).content == b"hello MHD\n"
    assert facade.lists(patient)["total"] == 1


def test_xml_bundle_is_registered_and_answered_in_xml(facade: Facade, patient: Patient) -> None:
    xml = Bundle.model_validate(comprehensive_bundle(patient.reference)).model_dump_xml()
    headers = {"Content-Type": FHIR_XML, "Accept": FHIR_XML}
    answer = requests.post(facade.base, data=xml, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith(FHIR_XML)
    response = Bundle.model_validate_xml(answer.content)
    assert response.type == "transaction-response"
    assert facade.documents(patient)["total"] == 1


def test_inline_attachment_data_without_binary(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle(patient.reference, b"inline")
    del bundle["entry"][2]
    attachment = bundle["entry"][1]["resource"]["content"][0]["attachment"]
    attachment["data"] = base64.b64encode(b"inline").decode()
    del attachment["url"]
    answer = facade.post(bundle)
    assert answer.status_code == 200, answer.text
    location = answer.json()["entry"][1]["response"]["location"]
    document = facade.get(location.replace("DocumentReference", "Binary"))
    assert document.content == b"inline"
    assert document.headers["Content-Type"].startswith("text/plain")


def test_minimal_bundle_gets_xds_defaults(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle(patient.reference)
    bundle["meta"]["profile"] = [MINIMAL]
    doc = bundle["entry"][1]["resource"]
    for key in ("type", "category", "securityLabel", "context", "contained", "author"):
        del doc[key]
    del doc["content"][0]["format"]
    answer = facade.post(bundle)
    assert answer.status_code == 200, answer.text
    found = facade.documents(patient)["entry"][0]["resource"]
    assert found["type"]["coding"][0]["code"] == "18748-4"


@pytest.mark.parametrize("code", ["replaces", "transforms", "appends"])
def test_relates_to_becomes_an_association(facade: Facade, patient: Patient, code: str) -> None:
    first = facade.post(comprehensive_bundle(patient.reference))
    assert first.status_code == 200, first.text
    original = first.json()["entry"][1]["response"]["location"]
    second = comprehensive_bundle(patient.reference, b"version 2")
    second["entry"][1]["resource"]["relatesTo"] = [
        {"code": code, "target": {"reference": original}}
    ]
    answer = facade.post(second)
    assert answer.status_code == 200, answer.text
    new = answer.json()["entry"][1]["response"]["location"]
    read = facade.get(new).json()
    assert read["relatesTo"] == [{"code": code, "target": {"reference": original}}]
    old_status = facade.get(original).json()["status"]
    assert old_status == ("superseded" if code == "replaces" else "current")


NEGATIVE: list[tuple[str, str, Any, int, str]] = [
    # (case, dotted path in the golden bundle, new value or None = remove, status, FHIRPath)
    ("no profile", "meta", None, 400, "Bundle.meta.profile"),
    ("not a transaction", "type", "batch", 400, "Bundle.type"),
    ("no masterIdentifier", f"{DR}.masterIdentifier", None, 400,
     "Bundle.entry[1].resource.masterIdentifier"),
    ("no mimeType", f"{DR}.content.0.attachment.contentType", None, 400,
     "Bundle.entry[1].resource.content[0].attachment.contentType"),
    ("no classCode", f"{DR}.category", None, 400, "Bundle.entry[1].resource.category"),
    ("no formatCode", f"{DR}.content.0.format", None, 400,
     "Bundle.entry[1].resource.content[0].format"),
    ("no language", f"{DR}.content.0.attachment.language", None, 400,
     "Bundle.entry[1].resource.content[0].attachment.language"),
    ("no facilityType", f"{DR}.context.facilityType", None, 400,
     "Bundle.entry[1].resource.context.facilityType"),
    ("sourcePatientInfo not contained", f"{DR}.contained", None, 400,
     "Bundle.entry[1].resource.context.sourcePatientInfo"),
    ("document subject missing", f"{DR}.subject", None, 400, "Bundle.entry[1].resource.subject"),
    ("no sourceId", f"{SS}.extension.0", None, 400,
     "Bundle.entry[0].resource.extension('ihe-sourceId')"),
    ("no submissionTime", f"{SS}.date", None, 400, "Bundle.entry[0].resource.date"),
    ("no contentTypeCode", f"{SS}.extension.1", None, 400,
     "Bundle.entry[0].resource.extension('ihe-designationType')"),
    ("SubmissionSet uniqueId missing", f"{SS}.identifier", None, 400,
     "Bundle.entry[0].resource.identifier"),
    ("wrong size", f"{DR}.content.0.attachment.size", 3, 400,
     "Bundle.entry[1].resource.content[0].attachment.size"),
    ("wrong hash", f"{DR}.content.0.attachment.hash", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", 400,
     "Bundle.entry[1].resource.content[0].attachment.hash"),
    ("document not in the SubmissionSet", f"{SS}.entry", None, 400, "Bundle.entry[1].resource"),
    ("unsupported relatesTo", f"{DR}.relatesTo", [{"code": "signs-not", "target": {
        "reference": "DocumentReference/x"}}], 400, "Bundle.entry"),
    ("FHIR datatype broken", f"{DR}.status", 17, 400, "Bundle.entry[1].resource"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "status", "where"),
                         [c[1:] for c in NEGATIVE], ids=[c[0] for c in NEGATIVE])  # fmt: skip
def test_one_change_one_error(
    facade: Facade, patient: Patient, path: str, value: Any, status: int, where: str
) -> None:
    answer = facade.post(changed(comprehensive_bundle(patient.reference), path, value))
    assert answer.status_code == status, answer.text
    found = outcome_of(answer)
    expressions = [e for issue in found.issue for e in issue.expression or []]
    assert any(str(e).startswith(where) for e in expressions), expressions
    assert all(issue.severity == "error" for issue in found.issue)
    assert_nothing_persisted(facade, patient)


def test_patient_of_another_server_is_refused(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle("http://example.com/fhir/Patient/1")
    answer = facade.post(bundle)
    assert answer.status_code == 400
    assert outcome_of(answer).issue[0].expression == ["Bundle.entry[0].resource.subject"]


def test_unknown_patient_is_an_xds_error(facade: Facade) -> None:
    unknown = Patient("nobody", "", "1.3.6.1.4.1.21367.2005.13.20.1000-nobody", "")
    reference = f"{facade.base}/Patient/{unknown.resource_id}"
    answer = facade.post(comprehensive_bundle(reference))
    assert answer.status_code == 422, answer.text
    assert "XDSUnknownPatientId" in str(outcome_of(answer).issue[0].diagnostics)


def test_replacing_an_unknown_document_persists_nothing(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle(patient.reference)
    target = "DocumentReference/5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11"
    bundle["entry"][1]["resource"]["relatesTo"] = [
        {"code": "replaces", "target": {"reference": target}}
    ]
    answer = facade.post(bundle)
    assert 400 <= answer.status_code < 500, answer.text
    outcome_of(answer)
    assert_nothing_persisted(facade, patient)


def test_duplicate_unique_id_persists_nothing_new(facade: Facade, patient: Patient) -> None:
    bundle = comprehensive_bundle(patient.reference)
    assert facade.post(bundle).status_code == 200
    again = comprehensive_bundle(patient.reference, b"other bytes")
    again["entry"][1]["resource"]["masterIdentifier"] = bundle["entry"][1]["resource"][
        "masterIdentifier"
    ]
    answer = facade.post(again)
    assert 400 <= answer.status_code < 500, answer.text
    assert facade.documents(patient)["total"] == 1


@pytest.mark.parametrize(
    ("body", "media", "status"),
    [
        (b"{not json", FHIR_JSON, 400),
        (b'{"resourceType": "Patient"}', FHIR_JSON, 400),
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><Bundle xmlns='http://hl7.org/fhir'/>", FHIR_XML, 400),
        (b"<Bundle xmlns='http://hl7.org/fhir'><type value='transaction'/>", FHIR_XML, 400),
        (json.dumps({"resourceType": "Bundle"}).encode(), "text/plain", 415),
    ],
    ids=["bad json", "not a bundle", "xml with DTD", "broken xml", "wrong content type"],
)
def test_unreadable_bodies(facade: Facade, body: bytes, media: str, status: int) -> None:
    answer = facade.post(body, media)
    assert answer.status_code == status, answer.text
    outcome_of(answer)
