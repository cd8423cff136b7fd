"""RegistryClient against the live server: ITI-42 then ITI-18 (ITI TF-2b 3.42, TF-2a 3.18).

The patient is announced first (``beeldportaal patients add``, the ITI-8 stand-in). The
metadata comes from :func:`xds_common.client.submit_objects_request`, so the ebRIM writer is
checked by the registry's own validation too.
"""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus, Status
from tests.conftest import NIST_AUTHORITY, LiveServer
from tests.xds_common.client import samples
from xds_common.client import ClientError, ClientErrorKind, RegistryClient, RepositoryClient


@pytest.fixture
def patient(live_server: LiveServer) -> str:
    pid = f"{uuid4().hex[:10]}^^^&{NIST_AUTHORITY}&ISO"
    live_server.cli("patients", "add", pid)
    return pid


@pytest.fixture
def client(live_server: LiveServer) -> RegistryClient:
    return RegistryClient(live_server.registry_url, timeout=30)


def test_register_then_find_and_get(client: RegistryClient, patient: str) -> None:
    request, entries = samples.submission(patient, documents=2, registry=True)

    result = client.register(request)

    assert result.success, result.errors
    found = client.find_documents(patient)
    assert found.success, found.errors
    assert sorted(d.unique_id for d in found.documents) == sorted(e.unique_id for e in entries)
    entry = next(d for d in found.documents if d.unique_id == entries[0].unique_id)
    assert entry.entry_uuid.startswith("urn:uuid:")
    assert entry.availability_status == Status.APPROVED
    assert entry.title == entries[0].title
    assert entry.class_code == entries[0].class_code
    assert entry.confidentiality_codes == entries[0].confidentiality_codes
    assert entry.authors == entries[0].authors
    assert entry.source_patient_info == entries[0].source_patient_info
    assert entry.repository_unique_id == "1.2.3.4.5.6.7.8"

    refs = client.find_documents(patient, return_type="ObjectRef")
    assert sorted(refs.object_refs) == sorted(d.entry_uuid for d in found.documents)
    assert refs.documents == []

    by_unique_id = client.get_documents(unique_ids=[entries[1].unique_id])
    assert [d.entry_uuid for d in by_unique_id.documents] == [
        d.entry_uuid for d in found.documents if d.unique_id == entries[1].unique_id
    ]
    by_uuid = client.get_documents(uuids=[entry.entry_uuid])
    assert [d.unique_id for d in by_uuid.documents] == [entry.unique_id]


def test_raw_query_returns_the_adhoc_query_response(client: RegistryClient, patient: str) -> None:
    request = etree.fromstring(
        f'<q:AdhocQueryRequest xmlns:q="{ns.QUERY}" xmlns:rim="{ns.RIM}">'
        '<q:ResponseOption returnType="ObjectRef"/>'
        f'<rim:AdhocQuery id="{sq.FIND_DOCUMENTS.id}">'
        '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList>'
        f"<rim:Value>'{escape(patient)}'</rim:Value></rim:ValueList></rim:Slot>"
        '<rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
        f"<rim:Value>('{Status.APPROVED}')</rim:Value></rim:ValueList></rim:Slot>"
        "</rim:AdhocQuery></q:AdhocQueryRequest>"
    )

    answer = client.query(request)

    assert answer.tag == ns.qn(ns.QUERY, "AdhocQueryResponse")
    assert answer.get("status") == ResponseStatus.SUCCESS


def test_unknown_patient_is_a_failure_result(client: RegistryClient) -> None:
    stranger = f"{uuid4().hex[:10]}^^^&{NIST_AUTHORITY}&ISO"
    request, _ = samples.submission(stranger, registry=True)

    result = client.register(request)

    assert result.status == ResponseStatus.FAILURE
    unknown = [e for e in result.errors if e.code == ErrorCode.UNKNOWN_PATIENT_ID]
    assert unknown and all(e.is_error for e in unknown)
    assert any(stranger in e.context for e in unknown)


def test_unknown_unique_id_finds_nothing(client: RegistryClient) -> None:
    """GetDocuments for a uniqueId nobody registered: Success, no objects (ITI TF-2a 3.18)."""
    result = client.get_documents(unique_ids=[f"2.25.{uuid4().int}"])
    assert result.success and result.documents == []


def test_wrong_endpoint_is_a_soap_fault(live_server: LiveServer, tmp_path: Path) -> None:
    """ITI-43 sent to the registry: the registry does not serve that action (wsa Fault)."""
    with pytest.raises(ClientError) as caught:
        RepositoryClient(live_server.registry_url, timeout=30).retrieve(
            [("1.2.3", "4.5.6")], tmp_path
        )
    error = caught.value
    assert error.kind is ClientErrorKind.FAULT, error
    assert error.status is not None and error.status >= 400
    assert tx.ITI_43.request_action in error.fault_reason
