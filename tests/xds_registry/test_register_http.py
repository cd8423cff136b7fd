"""ITI-42 over HTTP against a live server: golden message plus one change, one error code.

ITI TF-2b 3.42.4.1.3; error codes from ITI TF-3 Table 4.2.4.1-2.
"""

from __future__ import annotations

from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import ITI_18, ITI_42
from profiles.vocabulary import ResponseStatus, Status
from tests import soap_client
from tests.conftest import LiveServer
from tests.xds_registry import messages as m

SUCCESS = ResponseStatus.SUCCESS
FAILURE = ResponseStatus.FAILURE


def _patient(server: LiveServer) -> str:
    pid = m.new_patient()
    server.cli("patients", "add", pid)
    return pid


def _register(server: LiveServer, body: str) -> soap_client.SoapReply:
    return soap_client.post(server.registry_url, ITI_42, body)


def _documents(server: LiveServer, patient: str, status: str = Status.APPROVED) -> list[str]:
    body = m.query(
        "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        "LeafClass",
        XDSDocumentEntryPatientId=f"'{patient}'",
        XDSDocumentEntryStatus=f"('{status}')",
    )
    reply = soap_client.post(server.registry_url, ITI_18, body)
    assert reply.status == SUCCESS, etree.tostring(reply.body)
    return sorted(
        e.get("value", "")
        for e in reply.body.iter(ns.qn(ns.RIM, "ExternalIdentifier"))
        if e.get("identificationScheme") == "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
    )


def test_golden_submission_is_registered(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    doc = m.Doc()
    reply = _register(live_server, m.submission(patient, [doc]))
    assert reply.http_status == 200
    assert reply.status == SUCCESS, etree.tostring(reply.body)
    assert reply.action == ITI_42.response_action
    assert reply.relates_to == reply.message_id
    assert _documents(live_server, patient) == [doc.unique_id]


def test_unknown_patient(live_server: LiveServer) -> None:
    reply = _register(live_server, m.submission(m.new_patient()))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSUnknownPatientId"])


def test_document_patient_differs_from_submission_set(live_server: LiveServer) -> None:
    patient, other = _patient(live_server), _patient(live_server)
    reply = _register(live_server, m.submission(patient, [m.Doc(patient=other)]))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSPatientIdDoesNotMatch"])
    assert _documents(live_server, other) == []


def test_missing_class_code(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    body = m.submission(patient).replace("urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "x")
    reply = _register(live_server, body)
    assert reply.status == FAILURE
    assert set(reply.error_codes) == {"XDSRegistryMetadataError"}


def test_bad_creation_time(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    reply = _register(live_server, m.submission(patient, [m.Doc(creation_time="2024-01-02")]))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSRegistryMetadataError"])


def test_duplicate_unique_id_in_message(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    uid = m.new_oid()
    docs = [m.Doc("Doc1", unique_id=uid), m.Doc("Doc2", unique_id=uid)]
    reply = _register(live_server, m.submission(patient, docs))
    assert (reply.status, reply.error_codes) == (
        FAILURE,
        ["XDSRegistryDuplicateUniqueIdInMessage"],
    )


def test_submission_set_unique_id_reused(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    ss_uid = m.new_oid()
    assert _register(live_server, m.submission(patient, ss_unique_id=ss_uid)).status == SUCCESS
    reply = _register(live_server, m.submission(patient, ss_unique_id=ss_uid))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSDuplicateUniqueIdInRegistry"])


def test_document_unique_id_reuse_needs_same_hash_and_size(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    uid = m.new_oid()
    assert _register(live_server, m.submission(patient, [m.Doc(unique_id=uid)])).status == SUCCESS
    same = _register(live_server, m.submission(patient, [m.Doc(unique_id=uid)]))
    assert same.status == SUCCESS
    other_hash = m.Doc(unique_id=uid, hash="0" * 40)
    reply = _register(live_server, m.submission(patient, [other_hash]))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSNonIdenticalHash"])
    reply = _register(live_server, m.submission(patient, [m.Doc(unique_id=uid, size="5")]))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSNonIdenticalSize"])


def test_all_or_nothing(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    good, bad = m.Doc("Doc1"), m.Doc("Doc2", creation_time="never")
    reply = _register(live_server, m.submission(patient, [good, bad]))
    assert reply.status == FAILURE
    assert _documents(live_server, patient) == []


def _registered_uuid(server: LiveServer, patient: str, unique_id: str) -> str:
    body = m.query(
        "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        "LeafClass",
        XDSDocumentEntryPatientId=f"'{patient}'",
        XDSDocumentEntryStatus=f"('{Status.APPROVED}','{Status.DEPRECATED}')",
    )
    reply = soap_client.post(server.registry_url, ITI_18, body)
    for eo in reply.body.iter(ns.qn(ns.RIM, "ExtrinsicObject")):
        values = [e.get("value") for e in eo.iter(ns.qn(ns.RIM, "ExternalIdentifier"))]
        if unique_id in values:
            return eo.get("id", "")
    raise AssertionError(f"{unique_id} not registered")


def test_replace_deprecates_the_original(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    original = m.Doc()
    assert _register(live_server, m.submission(patient, [original])).status == SUCCESS
    old_uuid = _registered_uuid(live_server, patient, original.unique_id)
    replacement = m.Doc()
    rplc = m.relation("RPLC", "Document01", old_uuid)
    reply = _register(live_server, m.submission(patient, [replacement], rplc))
    assert reply.status == SUCCESS, etree.tostring(reply.body)
    assert _documents(live_server, patient) == [replacement.unique_id]
    assert _documents(live_server, patient, Status.DEPRECATED) == [original.unique_id]
    again = _register(live_server, m.submission(patient, [m.Doc()], rplc))
    assert (again.status, again.error_codes) == (FAILURE, ["XDSRegistryDeprecatedDocumentError"])


def test_replace_of_unknown_document(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    rplc = m.relation("RPLC", "Document01", "urn:uuid:00000000-0000-4000-8000-000000000000")
    reply = _register(live_server, m.submission(patient, [m.Doc()], rplc))
    assert (reply.status, reply.error_codes) == (FAILURE, ["UnresolvedReferenceException"])


def test_append_to_document_of_other_patient(live_server: LiveServer) -> None:
    patient, other = _patient(live_server), _patient(live_server)
    original = m.Doc()
    assert _register(live_server, m.submission(other, [original])).status == SUCCESS
    target = _registered_uuid(live_server, other, original.unique_id)
    apnd = m.relation("APND", "Document01", target)
    reply = _register(live_server, m.submission(patient, [m.Doc()], apnd))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSPatientIdDoesNotMatch"])


def test_update_operation_is_not_allowed_in_iti42(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    status_update = (
        '<rim:Association id="up1" sourceObject="SubmissionSet01" targetObject="Document01" '
        'associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"/>'
    )
    reply = _register(live_server, m.submission(patient, extra_objects=status_update))
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSRegistryMetadataError"])


def test_lid_other_than_entry_uuid_is_an_update_not_a_registration(
    live_server: LiveServer,
) -> None:
    patient = _patient(live_server)
    original = m.Doc()
    assert _register(live_server, m.submission(patient, [original])).status == SUCCESS
    old_uuid = _registered_uuid(live_server, patient, original.unique_id)
    body = m.submission(patient).replace(
        '<rim:ExtrinsicObject id="Document01"',
        f'<rim:ExtrinsicObject id="Document01" lid="{old_uuid}"',
    )
    reply = _register(live_server, body)
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSRegistryMetadataError"])


def test_registered_entry_uuid_cannot_be_reused(live_server: LiveServer) -> None:
    patient = _patient(live_server)
    original = m.Doc()
    assert _register(live_server, m.submission(patient, [original])).status == SUCCESS
    old_uuid = _registered_uuid(live_server, patient, original.unique_id)
    reply = _register(live_server, m.submission(patient, [m.Doc(id=old_uuid)]))
    assert reply.http_status == 200
    assert (reply.status, reply.error_codes) == (FAILURE, ["XDSRegistryMetadataError"])
