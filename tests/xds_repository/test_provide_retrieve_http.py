"""ITI-41 and ITI-43 over HTTP against the live server (registry in the same process).

Golden submission plus one change, one error code (ITI TF-2b 3.41.4.1.3, 3.43.4.1.3).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus
from tests.conftest import LiveServer
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r

SUCCESS, FAILURE = ResponseStatus.SUCCESS, ResponseStatus.FAILURE
PARTIAL = ResponseStatus.PARTIAL_SUCCESS
CONTENT = b"%PDF-1.4 beeldportaal test report\n" * 30


def _url(server: LiveServer) -> str:
    return server.base_url + "/xds/repository"


def _repository_id(server: LiveServer) -> str:
    return str(
        requests.get(server.base_url + "/health", timeout=10).json()["repository_unique_ids"][0]
    )


def _patient(server: LiveServer) -> str:
    pid = m.new_patient()
    server.cli("patients", "add", pid)
    return pid


def _codes(response: etree._Element) -> list[str]:
    return [e.get("errorCode", "") for e in response.iter(ns.qn(ns.RS, "RegistryError"))]


def _doc(**kw: str) -> m.Doc:
    """A DocumentEntry without hash/size: the repository computes them."""
    doc = m.Doc(**kw)  # type: ignore[arg-type]
    return doc


def _provide(server: LiveServer, patient: str, doc: m.Doc, data: bytes = CONTENT) -> etree._Element:
    doc.hash = hashlib.sha1(data).hexdigest()
    doc.size = str(len(data))
    return r.post_provide(_url(server), patient, [doc], [r.Attachment(doc.id, data)])


def test_provide_then_retrieve_byte_identical(live_server: LiveServer, tmp_path: Path) -> None:
    patient = _patient(live_server)
    doc = m.Doc()
    response = _provide(live_server, patient, doc)
    assert response.get("status") == SUCCESS, etree.tostring(response)
    repo = _repository_id(live_server)
    with r.post_retrieve(_url(live_server), [(repo, doc.unique_id)], tmp_path) as message:
        body = message.envelope.find(f"{{{ns.SOAP12}}}Body")
        assert body is not None
        status = body.find(f".//{{{ns.RS}}}RegistryResponse")
        assert status is not None and status.get("status") == SUCCESS
        document = body.find(f".//{{{ns.XDSB}}}Document")
        assert document is not None
        part = message.content(document)
        assert part.path.read_bytes() == CONTENT
        assert body.findtext(f".//{{{ns.XDSB}}}mimeType") == "text/plain"


def test_hash_that_disagrees_with_the_bytes(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    doc = m.Doc(hash="0" * 40, size=str(len(CONTENT)))
    response = r.post_provide(_url(live_server), patient, [doc], [r.Attachment(doc.id, CONTENT)])
    assert (response.get("status"), _codes(response)) == (FAILURE, ["XDSRepositoryMetadataError"])


def test_document_entry_without_document(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    response = r.post_provide(_url(live_server), patient, [m.Doc()], [])
    assert (response.get("status"), _codes(response)) == (FAILURE, ["XDSMissingDocument"])


def test_document_without_document_entry(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    doc = m.Doc(hash=hashlib.sha1(CONTENT).hexdigest(), size=str(len(CONTENT)))
    attachments = [r.Attachment(doc.id, CONTENT), r.Attachment("Stray", b"x")]
    response = r.post_provide(_url(live_server), patient, [doc], attachments)
    assert (response.get("status"), _codes(response)) == (FAILURE, ["XDSMissingDocumentMetadata"])


def test_registry_error_comes_back_and_nothing_is_visible(
    live_server: LiveServer, tmp_path: Path
) -> None:
    doc = m.Doc()
    response = _provide(live_server, m.new_patient(), doc)
    assert (response.get("status"), _codes(response)) == (FAILURE, ["XDSUnknownPatientId"])
    repo = _repository_id(live_server)
    with r.post_retrieve(_url(live_server), [(repo, doc.unique_id)], tmp_path) as message:
        assert "XDSDocumentUniqueIdError" in etree.tostring(message.envelope).decode()


def test_retrieve_partial_success_and_unknown_repository(
    live_server: LiveServer, tmp_path: Path
) -> None:
    patient = _patient(live_server)
    doc = m.Doc()
    assert _provide(live_server, patient, doc).get("status") == SUCCESS
    repo = _repository_id(live_server)
    pairs = [(repo, doc.unique_id), (repo, "1.2.3.404"), ("1.2.3.999", doc.unique_id)]
    with r.post_retrieve(_url(live_server), pairs, tmp_path) as message:
        response = message.envelope.find(f".//{{{ns.RS}}}RegistryResponse")
        assert response is not None and response.get("status") == PARTIAL
        assert _codes(response) == ["XDSDocumentUniqueIdError", "XDSUnknownRepositoryId"]
        documents = message.envelope.findall(f".//{{{ns.XDSB}}}DocumentResponse")
        assert len(documents) == 1
