"""FHIR and SOAP clients see the same documents (issue 5 item 3, Mobile Access Gateway pattern).

A document sent with ITI-65 is found with ITI-18 and retrieved byte-identical with ITI-43; a
document sent with ITI-41 (``beeldportaal submit``) is found with ITI-67 (fhirpy) and read
byte-identical with ITI-68.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import requests
from fhir.resources.R4B.documentreference import DocumentReference
from fhirpy import SyncFHIRClient

from tests.conftest import LiveServer
from tests.fhir_facade.mhd import Facade, comprehensive_bundle, plain
from xds_common.client import RegistryClient, RepositoryClient


@pytest.fixture(scope="module")
def facade(live_server: LiveServer) -> Facade:
    return Facade(live_server)


def test_iti65_document_is_found_by_iti18_and_retrieved_by_iti43(
    facade: Facade, live_server: LiveServer, tmp_path: Path
) -> None:
    patient = facade.new_patient()
    content = bytes(range(256)) * 40
    bundle = comprehensive_bundle(patient.reference, content)
    bundle["entry"][1]["resource"]["content"][0]["attachment"]["contentType"] = (
        "application/octet-stream"
    )
    bundle["entry"][2]["resource"]["contentType"] = "application/octet-stream"
    assert facade.post(bundle).status_code == 200
    found = RegistryClient(live_server.registry_url).find_documents(patient.cx)
    assert found.success and len(found.documents) == 1
    entry = found.documents[0]
    master = bundle["entry"][1]["resource"]["masterIdentifier"]["value"]
    assert entry.unique_id == master.removeprefix("urn:oid:")
    assert entry.hash == hashlib.sha1(content).hexdigest()
    assert entry.mime_type == "application/octet-stream"
    assert entry.patient_id == patient.cx
    assert entry.source_patient_id == "MRN-1^^^&1.2.3.4.5.99&ISO"
    assert entry.service_start_time == "20240102080000"
    repository = RepositoryClient(f"{live_server.base_url}/xds/repository")
    result = repository.retrieve([(entry.repository_unique_id, entry.unique_id)], tmp_path)
    assert result.success
    assert result.documents[0].path.read_bytes() == content


def test_iti41_document_is_found_by_iti67_and_read_by_iti68(
    facade: Facade, live_server: LiveServer, tmp_path: Path
) -> None:
    patient = facade.new_patient()
    report = tmp_path / "verslag.pdf"
    report.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 10 + b"\n%%EOF\n")
    live_server.cli(
        "submit", str(report), "--repository", f"{live_server.base_url}/xds/repository",
        "--patient", patient.cx,
    )  # fmt: skip
    client = SyncFHIRClient(facade.base, requests_config={"timeout": 60})
    resources = (
        client.resources("DocumentReference")
        .search(**{"patient.identifier": patient.token, "status": "current"})
        .fetch_all()
    )
    assert len(resources) == 1
    doc = DocumentReference.model_validate(plain(resources[0]))
    attachment = doc.content[0].attachment
    assert attachment.contentType == "application/pdf"
    assert attachment.url is not None and attachment.hash is not None
    retrieved = requests.get(str(attachment.url), timeout=60)
    assert retrieved.status_code == 200
    assert retrieved.headers["Content-Type"] == "application/pdf"
    assert retrieved.content == report.read_bytes()
    sent_hash = plain(resources[0])["content"][0]["attachment"]["hash"]
    assert base64.b64decode(sent_hash) == hashlib.sha1(report.read_bytes()).digest()
    assert attachment.size == report.stat().st_size
