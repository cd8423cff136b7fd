"""Pure parts of the facade: the ITI-65 validator, the MHD mapping both ways, search params.

No server: values in, values out. Our own output (DocumentReference / List from XDS objects)
parses with fhir.resources R4B, and an ITI-65 Bundle round-trips through both translations.
"""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.list import List as FhirList

from fhir_facade.errors import FhirError
from fhir_facade.translate import patients, values
from fhir_facade.translate.search import document_query, list_query
from fhir_facade.translate.to_fhir import document_reference, submission_set_list
from fhir_facade.translate.to_xds import plan
from fhir_facade.validate import validate_bundle
from tests.fhir_facade.mhd import MINIMAL, changed, comprehensive_bundle

BASE = "https://bp.example/fhir"
CX = "P1^^^&1.2.3.4&ISO"
REF = f"{BASE}/Patient/1.2.3.4-P1"


def test_golden_bundle_is_valid() -> None:
    assert validate_bundle(comprehensive_bundle(REF)) == []


def test_minimal_bundle_needs_less() -> None:
    bundle = comprehensive_bundle(REF)
    bundle["meta"]["profile"] = [MINIMAL]
    for key in ("type", "category", "securityLabel", "context"):
        del bundle["entry"][1]["resource"][key]
    assert validate_bundle(bundle) == []


def test_findings_name_rule_and_code() -> None:
    bundle = changed(comprehensive_bundle(REF), "entry.1.resource.masterIdentifier", None)
    (finding,) = validate_bundle(bundle)
    assert finding.location == "Bundle.entry[1].resource.masterIdentifier"
    assert finding.code == "required" and finding.rule.startswith("MHD")


def test_structural_errors_have_fhirpaths() -> None:
    bundle = changed(comprehensive_bundle(REF), "entry.1.resource.content", "no list")
    findings = validate_bundle(bundle)
    assert findings and findings[0].location.startswith("Bundle.entry[1].resource")
    assert findings[0].code == "structure"


def test_two_patients_are_refused() -> None:
    bundle = changed(comprehensive_bundle(REF), "entry.1.resource.subject",
                     {"reference": "Patient/1.2.3.4-P2"})  # fmt: skip
    assert [f.message for f in validate_bundle(bundle)] == [
        "every subject references the same Patient"
    ]


def test_bundle_round_trips_through_xds() -> None:
    bundle = comprehensive_bundle(REF, b"abc")
    planned = plan(bundle, CX, BASE)
    entry = planned.entries[0]
    assert entry.creation_time == "20240102090000"
    assert entry.class_code is not None and entry.class_code.scheme == "2.16.840.1.113883.6.1"
    assert entry.authors[0].person == "^Vries^Anna"
    assert entry.source_patient_info == ["PID-3|MRN-1^^^&1.2.3.4.5.99&ISO", "PID-5|Jansen^Piet",
                                         "PID-7|19700102", "PID-8|M"]  # fmt: skip
    assert planned.documents[0].content == b"abc"
    assert planned.locations[1] == f"DocumentReference/{values.resource_id(entry.entry_uuid)}"
    entry.availability_status = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
    back = document_reference(entry, BASE)
    DocumentReference.model_validate(back)
    sent = bundle["entry"][1]["resource"]
    for key in ("type", "category", "securityLabel", "subject", "description"):
        assert back[key] == sent[key], key
    assert back["context"]["period"] == sent["context"]["period"]
    formats = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
    assert back["content"][0]["format"] == {**sent["content"][0]["format"], "system": formats}
    ss = submission_set_list(planned.submission_set, [entry.entry_uuid], BASE)
    FhirList.model_validate(ss)
    assert ss["entry"][0]["item"]["reference"] == planned.locations[1]


@pytest.mark.parametrize(
    ("fhir", "dtm"),
    [("2024", "2024"), ("2024-03", "202403"), ("2024-03-05", "20240305"),
     ("2024-03-05T10:11:12+02:00", "20240305081112"), ("2024-03-05T10:11:12Z", "20240305101112")],
)  # fmt: skip
def test_times(fhir: str, dtm: str) -> None:
    assert values.dtm_of(fhir) == dtm


@pytest.mark.parametrize(
    ("identifier", "unique_id"),
    [({"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3"}, "1.2.3"),
     ({"system": "urn:oid:1.2.3", "value": "abc"}, "1.2.3^abc"),
     ({"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0f0e"}, "urn:uuid:0f0e")],
)  # fmt: skip
def test_unique_ids_round_trip(identifier: dict[str, str], unique_id: str) -> None:
    assert values.unique_id_of(identifier) == unique_id
    assert values.unique_id_of(values.unique_identifier(unique_id)) == unique_id


def test_patient_references() -> None:
    assert patients.cx_of_reference({"reference": REF}, BASE) == CX
    assert patients.cx_of_reference({"reference": "Patient/1.2.3.4-P1"}, BASE) == CX
    assert (
        patients.cx_of_reference({"reference": "http://other/fhir/Patient/1.2.3.4-P1"}, BASE)
        is None
    )
    assert patients.cx_of_reference(
        {"identifier": {"system": "urn:oid:1.2.3.4", "value": "P1"}}, BASE) == CX  # fmt: skip
    assert patients.patient_reference(CX, BASE) == {"reference": REF}


def test_document_query_parameters() -> None:
    query = document_query(
        {"patient": [REF], "status": ["current"], "category": ["http://loinc.org|1-1"],
         "period": ["ge2024-01-01", "lt2024-02-01"], "author.family": ["Vries"]}, BASE,
    )  # fmt: skip
    assert query.query.name == "FindDocuments"
    assert query.params["$XDSDocumentEntryClassCode"] == ["1-1^^2.16.840.1.113883.6.1"]
    assert query.params["$XDSDocumentEntryServiceStartTimeFrom"] == "20240101"
    assert query.params["$XDSDocumentEntryServiceStopTimeTo"] == "20240201"
    assert query.params["$XDSDocumentEntryAuthorPerson"] == ["%^Vries^%"]
    related = document_query({"patient": [REF], "related": ["urn:oid:1.2.3|A1"]}, BASE)
    assert related.query.name == "FindDocumentsByReferenceId"


def test_list_query_parameters() -> None:
    query = list_query({"patient.identifier": ["urn:oid:1.2.3.4|P1"], "code": ["folder"]}, BASE)
    assert query.query.name == "FindFolders"
    assert query.params["$XDSFolderPatientId"] == CX
    with pytest.raises(FhirError) as caught:
        list_query({"patient": [REF]}, BASE)
    assert caught.value.status == 400


def test_validator_does_not_change_its_input() -> None:
    bundle = comprehensive_bundle(REF)
    before = copy.deepcopy(bundle)
    validate_bundle(bundle)
    assert bundle == before


def _with_patch(bundle: dict[str, object], target: str) -> dict[str, object]:
    patch = {
        "resourceType": "Parameters",
        "parameter": [{"name": "operation", "part": [
            {"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "DocumentReference.status"},
            {"name": "value", "valueCode": "superseded"}]}],
    }  # fmt: skip
    entries = bundle["entry"]
    assert isinstance(entries, list)
    entries.append({"resource": patch, "request": {"method": "PATCH", "url": target}})
    return bundle


def test_patch_may_only_supersede_the_replaced_document() -> None:
    target = "DocumentReference/5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11"
    bundle = comprehensive_bundle(REF)
    bundle["entry"][1]["resource"]["relatesTo"] = [
        {"code": "replaces", "target": {"reference": target}}
    ]
    assert validate_bundle(_with_patch(copy.deepcopy(bundle), target)) == []
    planned = plan(_with_patch(copy.deepcopy(bundle), target), CX, BASE)
    assert planned.locations[-1] == target
    assert planned.relations[0][2] == "urn:uuid:5a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11"
    other = "DocumentReference/0a3b1b58-4c52-4f52-9f0b-0d9b4c3f4a11"
    (finding,) = validate_bundle(_with_patch(copy.deepcopy(bundle), other))
    assert finding.location == "Bundle.entry[3].request.url"
