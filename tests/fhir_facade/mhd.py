"""Golden MHD messages and helpers for the FHIR facade tests (MHD 4.2.3, ITI-65/66/67/68).

``comprehensive_bundle`` is a valid Comprehensive ITI-65 Bundle for one patient and one
document; tests change one element and expect one error. ``Facade`` wraps a live server:
new patients (fed like ITI-8), posting bundles, searching with raw HTTP.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from tests.conftest import NIST_AUTHORITY, LiveServer

JsonDict = dict[str, Any]
FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
SD = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/"
COMPREHENSIVE = f"{SD}IHE.MHD.Comprehensive.ProvideBundle"
MINIMAL = f"{SD}IHE.MHD.Minimal.ProvideBundle"
TIMEOUT = 60


def new_oid() -> str:
    """A fresh uniqueId under the UUID arc 2.25."""
    return f"2.25.{uuid.uuid4().int}"


def concept(system: str, code: str, display: str = "") -> JsonDict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def document_reference(patient_ref: str, doc_url: str, content: bytes) -> JsonDict:
    """A Comprehensive DocumentReference (every element MHD requires for XDS on FHIR)."""
    return {
        "resourceType": "DocumentReference",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "sp",
                "identifier": [{"system": "urn:oid:1.2.3.4.5.99", "value": "MRN-1"}],
                "name": [{"family": "Jansen", "given": ["Piet"]}],
                "gender": "male",
                "birthDate": "1970-01-02",
            },
            {
                "resourceType": "Practitioner",
                "id": "auth",
                "name": [{"family": "Vries", "given": ["Anna"]}],
            },
        ],
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{new_oid()}"},
        "status": "current",
        "type": concept("http://loinc.org", "18748-4", "Diagnostic imaging study"),
        "category": [concept("http://loinc.org", "18726-0", "Radiology studies")],
        "subject": {"reference": patient_ref},
        "author": [{"reference": "#auth"}],
        "description": "CT thorax verslag",
        "securityLabel": [
            concept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N", "normal")
        ],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "language": "nl-NL",
                    "url": doc_url,
                    "size": len(content),
                    "hash": base64.b64encode(hashlib.sha1(content).digest()).decode(),
                    "title": "Verslag",
                    "creation": "2024-01-02T10:00:00+01:00",
                },
                "format": concept("urn:oid:1.3.6.1.4.1.19376.1.2.3", "urn:ihe:rad:TEXT")["coding"][
                    0
                ],
            }
        ],
        "context": {
            "event": [concept("http://dicom.nema.org/resources/ontology/DCM", "CT")],
            "period": {"start": "2024-01-02T08:00:00Z", "end": "2024-01-02T09:00:00Z"},
            "facilityType": concept("http://snomed.info/sct", "22232009", "Hospital"),
            "practiceSetting": concept("http://snomed.info/sct", "394914008", "Radiology"),
            "sourcePatientInfo": {"reference": "#sp"},
        },
    }


def comprehensive_bundle(patient_ref: str, content: bytes = b"verslag\n") -> JsonDict:
    """Golden Comprehensive ITI-65 Bundle: SubmissionSet List, DocumentReference, Binary."""
    ss_url, doc_url, bin_url = (f"urn:uuid:{uuid.uuid4()}" for _ in range(3))
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [COMPREHENSIVE]},
        "type": "transaction",
        "entry": [
            {
                "fullUrl": ss_url,
                "resource": {
                    "resourceType": "List",
                    "extension": [
                        {
                            "url": f"{SD}ihe-sourceId",
                            "valueIdentifier": {"value": "urn:oid:1.2.3.4.5.6"},
                        },
                        {
                            "url": f"{SD}ihe-designationType",
                            "valueCodeableConcept": concept("http://loinc.org", "18748-4"),
                        },
                    ],
                    "identifier": [
                        {
                            "use": "usual",
                            "system": "urn:ietf:rfc:3986",
                            "value": f"urn:oid:{new_oid()}",
                        }
                    ],
                    "status": "current",
                    "mode": "working",
                    "title": "Verwijzing",
                    "code": concept(
                        "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"
                    ),
                    "subject": {"reference": patient_ref},
                    "date": "2024-01-02T10:05:00Z",
                    "entry": [{"item": {"reference": doc_url}}],
                },
                "request": {"method": "POST", "url": "List"},
            },
            {
                "fullUrl": doc_url,
                "resource": document_reference(patient_ref, bin_url, content),
                "request": {"method": "POST", "url": "DocumentReference"},
            },
            {
                "fullUrl": bin_url,
                "resource": {
                    "resourceType": "Binary",
                    "contentType": "text/plain",
                    "data": base64.b64encode(content).decode(),
                },
                "request": {"method": "POST", "url": "Binary"},
            },
        ],
    }


@dataclass
class Patient:
    """A patient fed to the registry, with its FHIR forms."""

    id: str
    cx: str
    resource_id: str
    reference: str

    @property
    def token(self) -> str:
        return f"urn:oid:{NIST_AUTHORITY}|{self.id}"


class Facade:
    """The FHIR facade of a live server, used over real HTTP."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.base = f"{server.base_url}/fhir"

    def new_patient(self) -> Patient:
        """A fresh patient id in the NIST authority, fed to the registry (like ITI-8)."""
        pid = f"FH{uuid.uuid4().hex[:10]}"
        cx = f"{pid}^^^&{NIST_AUTHORITY}&ISO"
        self.server.cli("patients", "add", cx)
        rid = f"{NIST_AUTHORITY}-{pid}"
        return Patient(pid, cx, rid, f"{self.base}/Patient/{rid}")

    def post(self, bundle: JsonDict | bytes, media: str = FHIR_JSON) -> requests.Response:
        """ITI-65: POST the Bundle to the base."""
        import json

        body = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
        headers = {"Content-Type": media, "Accept": FHIR_JSON}
        return requests.post(self.base, data=body, headers=headers, timeout=TIMEOUT)

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(f"{self.base}/{path}", params=params, timeout=TIMEOUT)

    def documents(self, patient: Patient, status: str = "current,superseded") -> JsonDict:
        """ITI-67 for every DocumentReference of ``patient``."""
        answer = self.get("DocumentReference", **{"patient.identifier": patient.token,
                                                   "status": status})  # fmt: skip
        assert answer.status_code == 200, answer.text
        found: JsonDict = answer.json()
        return found

    def lists(self, patient: Patient) -> JsonDict:
        """ITI-66 for every SubmissionSet of ``patient``."""
        answer = self.get("List", **{"patient.identifier": patient.token,
                                     "code": "submissionset", "status": "current"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        found: JsonDict = answer.json()
        return found


def plain(resource: Any) -> JsonDict:
    """A fhirpy resource as a plain FHIR JSON dict (fhirpy's ``serialize`` is untyped)."""
    found: JsonDict = resource.serialize()
    return found


def changed(bundle: JsonDict, path: str, value: Any) -> JsonDict:
    """A deep copy of ``bundle`` with the element at dotted ``path`` set (``None`` removes it)."""
    result = copy.deepcopy(bundle)
    node: Any = result
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is None:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return result
