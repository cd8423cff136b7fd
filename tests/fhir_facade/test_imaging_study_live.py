"""ImagingStudy and Endpoint against the live server, with fhirpy as the FHIR client.

A CT study is stored by STOW-RS, its patient fed by a FHIR Patient create, and its KOS
manifest published (RAD-68); the facade then finds the study through QIDO-RS and links the
manifest's DocumentReference found by ITI-18. Every search parameter is checked with a value
that matches and one that does not; bad values answer 400 OperationOutcomes.
"""

# fhirpy's resources are untyped (serialize):
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from fhir.resources.R4B.imagingstudy import ImagingStudy
from fhirpy import SyncFHIRClient
from pydicom import dcmread

from fhir_facade import migrate
from fhir_facade.imaging_study_map import SUPPORTING_INFO
from fhir_facade.patient_feed import BSN_SYSTEM
from tests.conftest import LiveServer
from tests.fhir_facade.test_patient_live import new_bsn
from tests.imaging_source.dicom_factory import Patient as DicomPatient
from tests.imaging_source.dicom_factory import StudyPlan, make_study, part10
from xds_common.client.registry import RegistryClient
from xds_common.xml import safe_parser

BSN_OID = "2.16.840.1.113883.2.4.6.3"
DCM = "http://dicom.nema.org/resources/ontology/DCM"


@dataclass(frozen=True)
class StoredStudy:
    fhir: str
    uid: str
    bsn: str
    accession: str
    patient_id: str  # the FHIR Patient's id


@pytest.fixture(scope="module")
def study(live_server: LiveServer) -> Iterator[StoredStudy]:
    """A fed patient with a 2x2 CT study stored by STOW-RS and published as a manifest."""
    migrate.upgrade(live_server.env["BEELDPORTAAL_DATABASE_URL"])
    fhir = f"{live_server.base_url}/fhir"
    bsn, accession = new_bsn(), f"ACC{random.randint(10**6, 10**7)}"
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": BSN_SYSTEM, "value": bsn}],
        "name": [{"family": "Jansen", "given": ["Zoë"]}],
    }
    created = SyncFHIRClient(fhir).resource("Patient", **patient)
    created.save()
    plan = StudyPlan(
        patient=DicomPatient(patient_id=bsn, issuer=""), accession=accession, series=2, instances=2
    )
    instances = [dcmread(io.BytesIO(part10(ds))) for ds in make_study(plan)]
    DICOMwebClient(f"{live_server.base_url}/dicomweb", timeout=60).store_instances(instances)
    live_server.cli("publish", plan.study_uid, "--now")
    yield StoredStudy(fhir, plan.study_uid, bsn, accession, created["id"])


def search(study: StoredStudy, **params: str) -> list[dict[str, Any]]:
    client = SyncFHIRClient(study.fhir)
    return [s.serialize() for s in client.resources("ImagingStudy").search(**params).fetch_all()]


def test_read_builds_the_study(study: StoredStudy, live_server: LiveServer) -> None:
    found = (
        SyncFHIRClient(study.fhir).reference("ImagingStudy", study.uid).to_resource().serialize()
    )
    assert found["status"] == "available"
    assert {"system": "urn:dicom:uid", "value": f"urn:oid:{study.uid}"} in found["identifier"]
    accession = next(i for i in found["identifier"] if i.get("type"))
    assert accession["value"] == study.accession
    assert accession["type"]["coding"][0]["code"] == "ACSN"
    assert found["subject"]["reference"] == f"{study.fhir}/Patient/{study.patient_id}"
    assert found["started"].startswith("2024-03-15T10:15:00")
    assert found["modality"] == [{"system": DCM, "code": "CT"}]
    assert (found["numberOfSeries"], found["numberOfInstances"]) == (2, 4)
    assert [s["number"] for s in found["series"]] == [1, 2]
    assert all(
        s["modality"]["code"] == "CT" and s["numberOfInstances"] == 2 for s in found["series"]
    )
    assert found["endpoint"] == [{"reference": "Endpoint/dicomweb"}]

    manifests = [
        e["valueReference"]["reference"]
        for e in found.get("extension", [])
        if e["url"] == SUPPORTING_INFO
    ]
    registered = RegistryClient(live_server.registry_url).find_documents(
        f"{study.bsn}^^^&{BSN_OID}&ISO"
    )
    kos = [
        d.entry_uuid.removeprefix("urn:uuid:")
        for d in registered.documents
        if d.mime_type == "application/dicom"
    ]
    assert manifests == [f"DocumentReference/{uuid}" for uuid in kos] and len(kos) == 1


def test_manifest_link_resolves_in_mhd(study: StoredStudy) -> None:
    """The linked id is the MHD part's DocumentReference id for the same manifest."""
    client = SyncFHIRClient(study.fhir)
    found = client.reference("ImagingStudy", study.uid).to_resource().serialize()
    link = next(e["valueReference"]["reference"] for e in found["extension"])
    manifest = client.reference(*link.split("/")).to_resource().serialize()
    assert manifest["content"][0]["attachment"]["contentType"] == "application/dicom"
    assert manifest["subject"]["reference"] == found["subject"]["reference"]


def test_xml_is_the_same_study(study: StoredStudy) -> None:
    url = f"{study.fhir}/ImagingStudy/{study.uid}"
    as_json = requests.get(url, timeout=60).json()
    as_xml = requests.get(url, headers={"Accept": "application/fhir+xml"}, timeout=60)
    assert as_xml.headers["Content-Type"].startswith("application/fhir+xml")
    parsed = ImagingStudy.model_validate_xml(as_xml.content, xmlparser=safe_parser())
    assert parsed.model_dump(mode="json", exclude_none=True) == as_json


def test_endpoint_points_at_dicomweb(study: StoredStudy, live_server: LiveServer) -> None:
    endpoint = (
        SyncFHIRClient(study.fhir).reference("Endpoint", "dicomweb").to_resource().serialize()
    )
    assert endpoint["connectionType"]["code"] == "dicom-wado-rs"
    assert endpoint["address"] == f"{live_server.base_url}/dicomweb"
    assert endpoint["status"] == "active"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"patient": "Patient/{patient_id}"}, True),
        ({"patient": "Patient/{bsn_oid}-000000000"}, False),
        ({"patient.identifier": f"{BSN_SYSTEM}|{{bsn}}"}, True),
        ({"patient.identifier": f"urn:oid:{BSN_OID}|{{bsn}}"}, True),
        ({"patient.identifier": "urn:oid:1.2.3.4.5.1000|{bsn}"}, False),
        ({"patient.identifier": "{bsn}"}, True),
        ({"patient.identifier": "http://example.org/mrn|{bsn}"}, False),
        ({"identifier": "urn:dicom:uid|urn:oid:{uid}"}, True),
        ({"_id": "{uid}"}, True),
        ({"identifier": "{accession}"}, True),
        ({"identifier": "urn:dicom:uid|urn:oid:1.2.3"}, False),
        ({"identifier": "{accession}", "started": "ge2024-03-15"}, True),
        ({"identifier": "{accession}", "started": "2024-03-15T10:15"}, True),
        ({"identifier": "{accession}", "started": "lt2024-03-15T10:15"}, False),
        ({"identifier": "{accession}", "started": "gt2024-03-15"}, False),
        ({"identifier": "{accession}", "started": "ne2024-03"}, False),
        ({"identifier": "{accession}", "modality": f"{DCM}|CT"}, True),
        ({"identifier": "{accession}", "modality": "MR,CT"}, True),
        ({"identifier": "{accession}", "modality": "MR"}, False),
        ({"identifier": "{accession}", "status": "available"}, True),
        ({"identifier": "{accession}", "status": "cancelled"}, False),
    ],
)
def test_search_parameters(study: StoredStudy, params: dict[str, str], expected: bool) -> None:
    values = {
        "patient_id": study.patient_id,
        "bsn": study.bsn,
        "uid": study.uid,
        "accession": study.accession,
        "bsn_oid": BSN_OID,
    }
    filled = {key: value.format(**values) for key, value in params.items()}
    found = [s["id"] for s in search(study, **filled)]
    assert found == ([study.uid] if expected else [])


def test_several_studies_page_newest_first(live_server: LiveServer, study: StoredStudy) -> None:
    patient_id, uids = new_bsn(), []
    for date in ("20230101", "20240601", "20231231"):
        plan = StudyPlan(
            patient=DicomPatient(patient_id=patient_id, issuer=""), series=1, instances=1
        )
        instances = [dcmread(io.BytesIO(part10(ds))) for ds in make_study(plan)]
        for ds in instances:
            ds.StudyDate = date
        DICOMwebClient(f"{live_server.base_url}/dicomweb", timeout=60).store_instances(instances)
        uids.append(plan.study_uid)
    token = f"urn:oid:{BSN_OID}|{patient_id}"
    first = requests.get(
        f"{study.fhir}/ImagingStudy",
        params={"patient.identifier": token, "_count": "2"},
        timeout=60,
    ).json()
    assert first["total"] == 3
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    rest = requests.get(following, timeout=60).json()
    ids = [e["resource"]["id"] for e in first["entry"] + rest["entry"]]
    assert ids == [uids[1], uids[2], uids[0]]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"identifier": "urn:dicom:uid|not-a-uid"}, "invalid"),
        ({"started": "2024-99"}, "invalid"),
        ({"started": "ap2024"}, "not-supported"),
        ({"status": "gone"}, "invalid"),
        ({"bodysite": "x"}, "not-supported"),
    ],
)
def test_bad_search_values_are_400(study: StoredStudy, params: dict[str, str], code: str) -> None:
    response = requests.get(f"{study.fhir}/ImagingStudy", params=params, timeout=60)
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code


def test_unknown_study_and_endpoint_are_404(study: StoredStudy) -> None:
    for path in ("ImagingStudy/1.2.3.999", "ImagingStudy/x", "Endpoint/other"):
        response = requests.get(f"{study.fhir}/{path}", timeout=60)
        assert response.status_code == 404
        assert response.json()["issue"][0]["code"] == "not-found"
