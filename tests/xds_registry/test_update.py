"""ITI-57 Update Document Set: golden update, one change per test, one expected code.

XDS Metadata Update (ITI TF-2b 3.57.4.1.3); error codes per the MU error table. Real
components: a temporary SQLite registry, the ITI-42 handler registers the golden
submission, the ITI-57 handler runs the update; the stored rows are checked afterwards.
The builders and fixtures here are shared with ``test_delete``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from lxml import etree
from sqlalchemy import select

from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, ResponseStatus, Status
from tests.xds_registry.dispatching import registry_response
from xds_common import soap
from xds_common.db import get_engine, session_factory
from xds_common.dispatch import Dispatcher
from xds_common.ebrim import writer
from xds_common.errors import XdsError
from xds_common.xml import parse
from xds_registry.context import RegistryContext
from xds_registry.migrate import upgrade
from xds_registry.patients import PatientIdentity
from xds_registry.register import register
from xds_registry.storage.tables import (
    AssociationRow,
    AuthorRow,
    CodeRow,
    DocumentRow,
    FolderRow,
    ReferenceIdRow,
    SubmissionSetRow,
)
from xds_registry.update import update

E = ErrorCode
DOMAIN = "1.2.3.4.5.1000"
PATIENT = f"PAT1^^^&{DOMAIN}&ISO"
OTHER_PATIENT = f"PAT2^^^&{DOMAIN}&ISO"
UNKNOWN_PATIENT = f"PAT9^^^&{DOMAIN}&ISO"
STABLE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
ON_DEMAND = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
HAS_MEMBER = AssociationType.HAS_MEMBER
APND = AssociationType.APND
XFRM = AssociationType.XFRM
UAS = AssociationType.UPDATE_AVAILABILITY_STATUS
SUBMIT = AssociationType.SUBMIT_ASSOCIATION
APPROVED, DEPRECATED = Status.APPROVED, Status.DEPRECATED
T_REGISTRY_ERROR = ns.qn(ns.RS, "RegistryError")
_OIDS = iter(range(1000, 100000))


def oid() -> str:
    """A fresh uniqueId (OID) for this test session."""
    return f"1.2.3.4.5.99.{next(_OIDS)}"


def new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


# --- message builders (xds-metadata.md §3, §9a: every attribute an ITI-42 sender must send) ---


def _slot(name: str, *values: str) -> str:
    items = "".join(f"<rim:Value>{escape(v)}</rim:Value>" for v in values)
    return f"<rim:Slot name={quoteattr(name)}><rim:ValueList>{items}</rim:ValueList></rim:Slot>"


def _code(owner: str, scheme: str, code: str, system: str) -> str:
    return (
        f'<rim:Classification id="{new_id()}" classifiedObject="{owner}" '
        f'classificationScheme="{scheme}" nodeRepresentation={quoteattr(code)}>'
        f"{_slot('codingScheme', system)}"
        f"<rim:Name><rim:LocalizedString value={quoteattr(code)}/></rim:Name></rim:Classification>"
    )


def _ext(owner: str, scheme: str, value: str, name: str) -> str:
    return (
        f'<rim:ExternalIdentifier id="{new_id()}" registryObject="{owner}" '
        f'identificationScheme="{scheme}" value={quoteattr(value)}>'
        f"<rim:Name><rim:LocalizedString value={quoteattr(name)}/></rim:Name>"
        "</rim:ExternalIdentifier>"
    )


def document(
    ident: str,
    unique_id: str,
    *,
    lid: str = "",
    patient: str = PATIENT,
    object_type: str = STABLE,
    title: str = "Discharge letter",
    repository: bool = True,
    nested_ids: str = "",
) -> str:
    """A DocumentEntry as a Repository sends it in ITI-42 (column DR of TF-3 4.3.1)."""
    lid_attr = f' lid="{lid}"' if lid else ""
    repo = _slot("repositoryUniqueId", "1.2.3.4.5.6") if repository else ""
    stable = (
        (  # On-Demand entries have no creationTime, hash or size (TF-3 4.3.1)
            _slot("creationTime", "20240102030405")
            + _slot("hash", "e543712c0e10501972de13a5bfcbe826c49feb75")
            + _slot("size", "44")
        )
        if object_type == STABLE
        else ""
    )
    author = (
        f'<rim:Classification id="{nested_ids or new_id()}" classifiedObject="{ident}" '
        'classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" '
        f'nodeRepresentation="">{_slot("authorPerson", "^Jansen^Jan^^^")}</rim:Classification>'
    )
    return (
        f'<rim:ExtrinsicObject id="{ident}"{lid_attr} mimeType="text/plain" '
        f'objectType="{object_type}">'
        f"{stable}{_slot('languageCode', 'nl-NL')}{repo}"
        f"{_slot('sourcePatientId', 'SRC1^^^&1.2.3.4&ISO')}"
        f"<rim:Name><rim:LocalizedString value={quoteattr(title)}/></rim:Name>"
        f"{author}"
        + _code(ident, "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "REPORTS", "1.3.6.1.4.1")
        + _code(ident, "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "N", "2.16.840.1.113883")
        + _code(ident, "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", "urn:ihe:rad:TEXT", "1.3.6")
        + _code(ident, "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", "225728007", "2.16.840")
        + _code(ident, "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", "394802001", "2.16.840")
        + _code(ident, "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", "11488-4", "2.16.840.1")
        + _ext(ident, "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", patient,
               "XDSDocumentEntry.patientId")
        + _ext(ident, "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", unique_id,
               "XDSDocumentEntry.uniqueId")
        + "</rim:ExtrinsicObject>"
    )  # fmt: skip


def submission_set(ident: str, unique_id: str, *, patient: str = PATIENT) -> str:
    """A SubmissionSet with its labelling Classification beside it (TF-3 4.2.1.2.1)."""
    return (
        f'<rim:RegistryPackage id="{ident}">{_slot("submissionTime", "20240102030500")}'
        + _code(ident, "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", "225728007", "2.16.840")
        + _ext(ident, "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", patient,
               "XDSSubmissionSet.patientId")
        + _ext(ident, "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", "1.2.3.4.5.7",
               "XDSSubmissionSet.sourceId")
        + _ext(ident, "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", unique_id,
               "XDSSubmissionSet.uniqueId")
        + "</rim:RegistryPackage>"
        f'<rim:Classification id="{new_id()}" classifiedObject="{ident}" '
        'classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
    )  # fmt: skip


def folder(
    ident: str, unique_id: str, *, lid: str = "", patient: str = PATIENT, code: str = "Allergies"
) -> str:
    """A Folder (TF-3 4.2.3.4) with its labelling Classification beside it."""
    lid_attr = f' lid="{lid}"' if lid else ""
    return (
        f'<rim:RegistryPackage id="{ident}"{lid_attr}>'
        "<rim:Name><rim:LocalizedString value=\"Allergies\"/></rim:Name>"
        + _code(ident, "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5", code, "1.3.6.1.4.1.21367")
        + _ext(ident, "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a", patient,
               "XDSFolder.patientId")
        + _ext(ident, "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a", unique_id,
               "XDSFolder.uniqueId")
        + "</rim:RegistryPackage>"
        f'<rim:Classification id="{new_id()}" classifiedObject="{ident}" '
        'classificationNode="urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"/>'
    )  # fmt: skip


def association(
    ident: str, kind: str, source: str, target: str, slots: dict[str, str] | None = None
) -> str:
    """An Association with single-valued slots."""
    body = "".join(_slot(name, value) for name, value in (slots or {}).items())
    return (
        f'<rim:Association id="{ident}" associationType="{kind}" sourceObject="{source}" '
        f'targetObject="{target}">{body}</rim:Association>'
    )


def submit_objects(*parts: str) -> etree._Element:
    """An ``lcm:SubmitObjectsRequest`` around the parts (escaped already)."""
    text = (
        f'<lcm:SubmitObjectsRequest xmlns:lcm="{ns.LCM}" xmlns:rim="{ns.RIM}">'
        f"<rim:RegistryObjectList>{''.join(parts)}</rim:RegistryObjectList>"
        "</lcm:SubmitObjectsRequest>"
    )
    return parse(text.encode())


def soap_request(body: etree._Element, action: str) -> soap.SoapRequest:
    return soap.SoapRequest(action, f"urn:uuid:{uuid.uuid4()}", "", body, body, False)


# --- the registry under test --------------------------------------------------------------


def make_context(tmp_path: Path) -> RegistryContext:
    """A fresh SQLite registry with the two test patients fed."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    write = session_factory(url, write=True)
    ctx = RegistryContext(
        write=write,
        read=session_factory(url),
        patients=PatientIdentity(write, (DOMAIN,)),
        home_community_id="urn:oid:1.2.3.4.5",
        query_result_limit=1000,
        unknown_patient_query_error=False,
    )
    ctx.patients.add(PATIENT)
    ctx.patients.add(OTHER_PATIENT)
    return ctx


def dispose(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    get_engine(url, write=True).dispose()
    get_engine(url).dispose()


@dataclass(frozen=True)
class Golden:
    """The golden ITI-42 submission's entryUUIDs and uniqueIds.

    doc1 is in the folder and the target of doc2's APND; doc3 is linked to nothing;
    ``fd_link`` is FD -> doc1 HasMember, ``ss_fd_link`` the SS -> fd_link HasMember.
    """

    ss: str
    doc1: str
    doc2: str
    doc3: str
    fd: str
    ss_doc1: str
    ss_doc2: str
    ss_doc3: str
    ss_fd: str
    fd_link: str
    ss_fd_link: str
    apnd: str
    uid1: str
    uid2: str
    uid3: str
    fd_uid: str


def register_golden(ctx: RegistryContext) -> Golden:
    """Register the golden submission through the ITI-42 handler."""
    uuids, oids = [new_id() for _ in range(12)], [oid() for _ in range(4)]
    g = Golden(*uuids, *oids)
    original = {"SubmissionSetStatus": "Original"}
    body = submit_objects(
        submission_set(g.ss, oid()),
        document(g.doc1, g.uid1),
        document(g.doc2, g.uid2),
        document(g.doc3, g.uid3),
        folder(g.fd, g.fd_uid),
        association(g.ss_doc1, HAS_MEMBER, g.ss, g.doc1, original),
        association(g.ss_doc2, HAS_MEMBER, g.ss, g.doc2, original),
        association(g.ss_doc3, HAS_MEMBER, g.ss, g.doc3, original),
        association(g.ss_fd, HAS_MEMBER, g.ss, g.fd),
        association(g.fd_link, HAS_MEMBER, g.fd, g.doc1),
        association(g.ss_fd_link, HAS_MEMBER, g.ss, g.fd_link),
        association(g.apnd, APND, g.doc2, g.doc1),
    )
    response = register(ctx, soap_request(body, tx.ITI_42.request_action))
    assert response.get("status") == ResponseStatus.SUCCESS
    return g


Handler = Callable[[RegistryContext, soap.SoapRequest], etree._Element]


def call(handler: Handler, ctx: RegistryContext, body: etree._Element, action: str) -> list[str]:
    """Run a handler; return the error codes of its RegistryResponse ([] on Success).

    A failure is rendered the way the SOAP dispatcher renders it, and must be a Failure.
    """
    try:
        response = handler(ctx, soap_request(body, action))
    except XdsError as exc:
        response = writer.registry_response(exc.errors)
        assert response.get("status") == ResponseStatus.FAILURE
    else:
        assert response.get("status") == ResponseStatus.SUCCESS
    return [e.get("errorCode", "") for e in response.iter(T_REGISTRY_ERROR)]


def snapshot(ctx: RegistryContext) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of the registry, to show that a failure changed nothing."""
    tables = (DocumentRow, FolderRow, SubmissionSetRow, AssociationRow)
    found: dict[str, list[tuple[object, ...]]] = {}
    with ctx.read() as session:
        for table in tables:
            rows = session.scalars(select(table)).all()
            found[table.__tablename__] = sorted(
                tuple(getattr(r, c.key) for c in table.__table__.columns) for r in rows
            )
        found["codes"] = sorted(
            tuple(r) for r in session.execute(select(CodeRow.object_uuid, CodeRow.code))
        )
        authors = session.execute(select(AuthorRow.object_uuid, AuthorRow.person))
        found["authors"] = sorted(tuple(r) for r in authors)
        references = session.execute(select(ReferenceIdRow.object_uuid, ReferenceIdRow.value))
        found["reference_ids"] = sorted(tuple(r) for r in references)
    return found


def documents(ctx: RegistryContext, lid: str) -> list[tuple[int, str, str]]:
    """(version, status, entryUUID) of every version of a logical DocumentEntry."""
    with ctx.read() as session:
        rows = session.scalars(select(DocumentRow).where(DocumentRow.lid == lid)).all()
        return sorted((r.version, r.status, r.entry_uuid) for r in rows)


def folders(ctx: RegistryContext, lid: str) -> list[tuple[int, str, str]]:
    """(version, status, entryUUID) of every version of a logical Folder."""
    with ctx.read() as session:
        rows = session.scalars(select(FolderRow).where(FolderRow.lid == lid)).all()
        return sorted((r.version, r.status, r.entry_uuid) for r in rows)


def links(ctx: RegistryContext, kind: str, *, source: str = "", target: str = "") -> list[str]:
    """Status of each stored Association of ``kind`` with this source and/or target."""
    with ctx.read() as session:
        query = select(AssociationRow).where(AssociationRow.type == kind)
        if source:
            query = query.where(AssociationRow.source_uuid == source)
        if target:
            query = query.where(AssociationRow.target_uuid == target)
        return [r.status for r in session.scalars(query)]


def status_of(ctx: RegistryContext, uuid: str) -> str:
    with ctx.read() as session:
        document = session.get(DocumentRow, uuid)
        package = session.get(FolderRow, uuid)
        link = session.get(AssociationRow, uuid)
        for row in (document, package, link):
            if row is not None:
                return row.status
    raise AssertionError(f"{uuid} is not stored")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RegistryContext]:
    yield make_context(tmp_path)
    dispose(tmp_path)


@pytest.fixture
def golden(ctx: RegistryContext) -> Golden:
    return register_golden(ctx)


# --- the golden update and its variations -------------------------------------------------

ORIGINAL_V1 = {"SubmissionSetStatus": "Original", "PreviousVersion": "1"}


def doc_update(
    g: Golden,
    *,
    ident: str = "Document01",
    lid: str | None = None,
    ss_unique_id: str = "",
    unique_id: str | None = None,
    member: dict[str, str] | None = None,
    patient: str = PATIENT,
    ss_patient: str | None = None,
    extra: tuple[str, ...] = (),
    **document_args: object,
) -> tuple[etree._Element, str]:
    """ITI-57 golden: a new version of doc1 (symbolic ids, as NIST's test kit sends them)."""
    body = submit_objects(
        submission_set("SubmissionSet01", ss_unique_id or oid(), patient=ss_patient or patient),
        document(ident, unique_id or g.uid1, lid=g.doc1 if lid is None else lid,
                 patient=patient, title="Discharge letter, corrected", **document_args),  # type: ignore[arg-type]
        association("as01", HAS_MEMBER, "SubmissionSet01", ident,
                    ORIGINAL_V1 if member is None else member),
        *extra,
    )  # fmt: skip
    return body, ident


def status_update(
    target: str, original: str = APPROVED, new: str = DEPRECATED, **slots: str
) -> etree._Element:
    """ITI-57 golden: one UpdateAvailabilityStatus from a new SubmissionSet."""
    all_slots = {"OriginalStatus": original, "NewStatus": new, **slots}
    return submit_objects(
        submission_set("SubmissionSet01", oid()),
        association("as01", UAS, "SubmissionSet01", target, all_slots),
    )


def submit_association(kind: str, source: str, target: str, *extra: str) -> etree._Element:
    """ITI-57 golden: SubmitAssociation of one new Association between registered objects."""
    return submit_objects(
        submission_set("SubmissionSet01", oid()),
        association("as01", SUBMIT, "SubmissionSet01", "Assoc01"),
        association("Assoc01", kind, source, target),
        *extra,
    )


def run_update(ctx: RegistryContext, body: etree._Element) -> list[str]:
    return call(update, ctx, body, tx.ITI_57.request_action)


def the_new_version(ctx: RegistryContext, lid: str) -> str:
    found = documents(ctx, lid) or folders(ctx, lid)
    return found[-1][2]


# --- success ------------------------------------------------------------------------------


def test_document_update_makes_version_2_and_deprecates_version_1(
    ctx: RegistryContext, golden: Golden
) -> None:
    body, _ = doc_update(golden)
    assert run_update(ctx, body) == []
    (v1, s1, id1), (v2, s2, id2) = documents(ctx, golden.doc1)
    assert (v1, s1, id1) == (1, DEPRECATED, golden.doc1)
    assert (v2, s2) == (2, APPROVED) and id2 != golden.doc1
    with ctx.read() as session:
        new, old = session.get(DocumentRow, id2), session.get(DocumentRow, golden.doc1)
        assert new is not None and old is not None
        assert new.unique_id == old.unique_id and new.lid == golden.doc1
        assert "corrected" in new.xml
    assert links(ctx, HAS_MEMBER, target=id2) == [APPROVED, APPROVED]  # SS and the folder


def test_new_version_gets_fresh_nested_ids(ctx: RegistryContext, golden: Golden) -> None:
    """Classification/ExternalIdentifier ids copied from the previous version are renewed."""
    with ctx.read() as session:
        old = session.get(DocumentRow, golden.doc1)
        assert old is not None
        copied = etree.fromstring(old.xml.encode()).find(f"{{{ns.RIM}}}Classification")
        assert copied is not None
        reused = copied.get("id", "")
    body, _ = doc_update(golden, nested_ids=reused)
    assert run_update(ctx, body) == []
    with ctx.read() as session:
        new = session.get(DocumentRow, the_new_version(ctx, golden.doc1))
        assert new is not None
        assert reused not in new.xml
        tree = etree.fromstring(new.xml.encode())
        nested_tags = (f"{{{ns.RIM}}}Classification", f"{{{ns.RIM}}}ExternalIdentifier")
        nested = {e.get("id", "") for e in tree.iter(*nested_tags)}
        assert nested and all(i.startswith("urn:uuid:") for i in nested)
        previous = {e.get("id", "") for e in etree.fromstring(old.xml.encode()).iter(*nested_tags)}
        assert not nested & previous


def test_propagation_copies_folder_membership_and_relationships(
    ctx: RegistryContext, golden: Golden
) -> None:
    with ctx.read() as session:
        before = session.get(FolderRow, golden.fd)
        assert before is not None
        touched = before.last_update_time
    body, _ = doc_update(golden)
    assert run_update(ctx, body) == []
    v2 = the_new_version(ctx, golden.doc1)
    assert links(ctx, HAS_MEMBER, source=golden.fd, target=v2) == [APPROVED]
    assert links(ctx, APND, source=golden.doc2, target=v2) == [APPROVED]
    assert links(ctx, HAS_MEMBER, source=golden.fd, target=golden.doc1) == [APPROVED]
    assert links(ctx, APND, source=golden.doc2, target=golden.doc1) == [APPROVED]
    with ctx.read() as session:
        after = session.get(FolderRow, golden.fd)
        assert after is not None and after.last_update_time is not None
        assert after.last_update_time >= (touched or "")


def test_association_propagation_no_copies_nothing(ctx: RegistryContext, golden: Golden) -> None:
    body, _ = doc_update(golden, member={**ORIGINAL_V1, "AssociationPropagation": "no"})
    assert run_update(ctx, body) == []
    v2 = the_new_version(ctx, golden.doc1)
    assert links(ctx, HAS_MEMBER, source=golden.fd, target=v2) == []
    assert links(ctx, APND, target=v2) == []


def test_third_version_needs_previous_version_2(ctx: RegistryContext, golden: Golden) -> None:
    assert run_update(ctx, doc_update(golden)[0]) == []
    stale, _ = doc_update(golden)
    assert run_update(ctx, stale) == [E.METADATA_VERSION_ERROR]
    current, _ = doc_update(golden, member={**ORIGINAL_V1, "PreviousVersion": "2"})
    assert run_update(ctx, current) == []
    assert [(v, s) for v, s, _ in documents(ctx, golden.doc1)] == [
        (1, DEPRECATED), (2, DEPRECATED), (3, APPROVED)
    ]  # fmt: skip


def test_unconnected_document_may_change_patient(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 21002: a DocumentEntry in no Folder and no relationship moves to another patient."""
    body, _ = doc_update(golden, lid=golden.doc3, unique_id=golden.uid3, patient=OTHER_PATIENT)
    assert run_update(ctx, body) == []
    with ctx.read() as session:
        new = session.get(DocumentRow, the_new_version(ctx, golden.doc3))
        assert new is not None and new.patient_id == OTHER_PATIENT


def test_folder_update_with_propagation(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 20000: Folder version 2, memberships copied, version 1 Deprecated."""
    body = submit_objects(
        submission_set("SubmissionSet01", oid()),
        folder("Folder01", golden.fd_uid, lid=golden.fd, code="Allergy_Treatments"),
        association("as01", HAS_MEMBER, "SubmissionSet01", "Folder01", {"PreviousVersion": "1"}),
    )
    assert run_update(ctx, body) == []
    (v1, s1, old), (v2, s2, new) = folders(ctx, golden.fd)
    assert (v1, s1, v2, s2) == (1, DEPRECATED, 2, APPROVED)
    assert links(ctx, HAS_MEMBER, source=new, target=golden.doc1) == [APPROVED]
    with ctx.read() as session:
        row, previous = session.get(FolderRow, new), session.get(FolderRow, old)
        assert row is not None and previous is not None
        assert row.last_update_time == previous.last_update_time  # the contents did not change
        codes = session.scalars(select(CodeRow.code).where(CodeRow.object_uuid == new)).all()
        assert list(codes) == ["Allergy_Treatments^^1.3.6.1.4.1.21367"]


def test_folder_update_without_propagation(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 20000e: the memberships stay with version 1."""
    slots = {"PreviousVersion": "1", "AssociationPropagation": "no"}
    body = submit_objects(
        submission_set("SubmissionSet01", oid()),
        folder("Folder01", golden.fd_uid, lid=golden.fd),
        association("as01", HAS_MEMBER, "SubmissionSet01", "Folder01", slots),
    )
    assert run_update(ctx, body) == []
    new = folders(ctx, golden.fd)[-1][2]
    assert links(ctx, HAS_MEMBER, source=new) == []
    assert links(ctx, HAS_MEMBER, source=golden.fd) == [APPROVED]


def test_deprecate_and_approve_again(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 21004: status of the latest version goes Approved -> Deprecated -> Approved."""
    assert run_update(ctx, status_update(golden.doc3)) == []
    assert status_of(ctx, golden.doc3) == DEPRECATED
    assert run_update(ctx, status_update(golden.doc3, DEPRECATED, APPROVED)) == []
    assert status_of(ctx, golden.doc3) == APPROVED


def test_folder_and_association_status(ctx: RegistryContext, golden: Golden) -> None:
    assert run_update(ctx, status_update(golden.fd_link)) == []
    assert status_of(ctx, golden.fd_link) == DEPRECATED
    assert run_update(ctx, status_update(golden.apnd)) == []
    assert status_of(ctx, golden.apnd) == DEPRECATED
    assert run_update(ctx, status_update(golden.fd)) == []
    assert status_of(ctx, golden.fd) == DEPRECATED


def test_submit_association_and_deprecate_it(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 20005: SubmitAssociation plus UpdateAvailabilityStatus of the new Association."""
    deprecate = association("as02", UAS, "SubmissionSet01", "Assoc01",
                            {"OriginalStatus": APPROVED, "NewStatus": DEPRECATED})  # fmt: skip
    body = submit_association(XFRM, golden.doc3, golden.doc1, deprecate)
    assert run_update(ctx, body) == []
    assert links(ctx, XFRM, source=golden.doc3, target=golden.doc1) == [DEPRECATED]


def test_submit_folder_membership_touches_folder(ctx: RegistryContext, golden: Golden) -> None:
    body = submit_association(HAS_MEMBER, golden.fd, golden.doc3)
    assert run_update(ctx, body) == []
    assert links(ctx, HAS_MEMBER, source=golden.fd, target=golden.doc3) == [APPROVED]


def test_update_and_deprecate_the_new_version_at_once(ctx: RegistryContext, golden: Golden) -> None:
    """Operations combine: install the new version first, then change its status."""
    deprecate = association("as02", UAS, "SubmissionSet01", "Document01",
                            {"OriginalStatus": APPROVED, "NewStatus": DEPRECATED})  # fmt: skip
    body, _ = doc_update(golden, extra=(deprecate,))
    assert run_update(ctx, body) == []
    assert [(v, s) for v, s, _ in documents(ctx, golden.doc1)] == [
        (1, DEPRECATED), (2, DEPRECATED)
    ]  # fmt: skip


def test_served_through_the_soap_dispatcher(ctx: RegistryContext, golden: Golden) -> None:
    """The route the lead adds to service.py: Success and Failure as SOAP responses."""
    dispatcher = Dispatcher()
    dispatcher.add(tx.ITI_57, lambda request: update(ctx, request), writer.registry_response)

    def post(body: etree._Element) -> etree._Element:
        return registry_response(dispatcher, tx.ITI_57, body)

    assert post(doc_update(golden)[0]).get("status") == ResponseStatus.SUCCESS
    failed = post(doc_update(golden)[0])
    assert failed.get("status") == ResponseStatus.FAILURE
    error = failed.find(f".//{T_REGISTRY_ERROR}")
    assert error is not None and error.get("errorCode") == E.METADATA_VERSION_ERROR
    assert "Document01" in error.get("codeContext", "")


# --- one change, one code, nothing stored -------------------------------------------------

Change = Callable[[Golden], etree._Element]
V1 = ORIGINAL_V1


def _no_ss(g: Golden) -> etree._Element:
    body, _ = doc_update(g)
    object_list = body[0]
    for child in list(object_list):
        if (
            child.get("id") == "SubmissionSet01"
            or child.get("classifiedObject") == "SubmissionSet01"
        ):
            object_list.remove(child)
    return body


def _two_updates(g: Golden) -> etree._Element:
    second = document("Document02", g.uid1, lid=g.doc1)
    member = association("as02", HAS_MEMBER, "SubmissionSet01", "Document02", V1)
    return doc_update(g, extra=(second, member))[0]


def _unlinked_document(g: Golden) -> etree._Element:
    body = submit_objects(
        submission_set("SubmissionSet01", oid()), document("Document01", g.uid1, lid=g.doc1)
    )
    return body


def _update_folder_as_document(g: Golden) -> etree._Element:
    return doc_update(g, lid=g.fd)[0]


def _initial_folder(g: Golden) -> etree._Element:
    """NIST 20000b: a Folder without lid but with PreviousVersion."""
    return submit_objects(
        submission_set("SubmissionSet01", oid()),
        folder("Folder01", oid()),
        association("as01", HAS_MEMBER, "SubmissionSet01", "Folder01", {"PreviousVersion": "1"}),
    )


def _two_patients(g: Golden) -> etree._Element:
    """doc3 moves to another patient (allowed), then is linked to doc1 of the first one."""
    return doc_update(g, lid=g.doc3, unique_id=g.uid3, patient=OTHER_PATIENT,
                      member={**V1, "AssociationPropagation": "no"}, extra=(
        association("as02", SUBMIT, "SubmissionSet01", "Assoc01"),
        association("Assoc01", APND, "Document01", g.doc1),
    ))[0]  # fmt: skip


def _ss_rplc(g: Golden) -> etree._Element:
    rplc = association("as02", AssociationType.RPLC, "SubmissionSet01", g.doc3)
    return doc_update(g, extra=(rplc,))[0]


def _reference_membership(g: Golden) -> etree._Element:
    reference = association("as02", HAS_MEMBER, "SubmissionSet01", g.doc3,
                            {"SubmissionSetStatus": "Reference"})  # fmt: skip
    return doc_update(g, extra=(reference,))[0]


def _update_plus_manual_link(g: Golden) -> etree._Element:
    """NIST 20006: propagation and a SubmitAssociation to the same new version."""
    return doc_update(g, extra=(
        association("as02", SUBMIT, "SubmissionSet01", "Assoc01"),
        association("Assoc01", APND, g.doc3, "Document01"),
    ))[0]  # fmt: skip


def _status_on_new_and_old(g: Golden) -> etree._Element:
    old = association("as02", UAS, "SubmissionSet01", g.doc1,
                      {"OriginalStatus": APPROVED, "NewStatus": DEPRECATED})  # fmt: skip
    return doc_update(g, extra=(old,))[0]


def _valid_update_failing_status(g: Golden) -> etree._Element:
    """Atomic: a valid new version plus an impossible status change -> nothing stored."""
    bad = association("as02", UAS, "SubmissionSet01", g.doc3,
                      {"OriginalStatus": DEPRECATED, "NewStatus": APPROVED})  # fmt: skip
    return doc_update(g, extra=(bad,))[0]


CHANGES: dict[str, tuple[Change, str]] = {
    # XDSMetadataVersionError
    "previous version is not the latest (15800e)": (
        lambda g: doc_update(g, member={**V1, "PreviousVersion": "4"})[0],
        E.METADATA_VERSION_ERROR),
    "no stored object has the lid (15800b)": (
        lambda g: doc_update(g, lid=new_id())[0], E.METADATA_VERSION_ERROR),
    "lid names a Folder, update sends a DocumentEntry": (
        _update_folder_as_document, E.METADATA_VERSION_ERROR),
    # XDSMetadataUpdateOperationError
    "PreviousVersion is no number (20002b)": (
        lambda g: doc_update(g, member={**V1, "PreviousVersion": "no"})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "PreviousVersion missing (20002b)": (
        lambda g: doc_update(g, member={"SubmissionSetStatus": "Original"})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "SubmissionSetStatus missing (20002b)": (
        lambda g: doc_update(g, member={"PreviousVersion": "1"})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "SubmissionSetStatus invalid (20002b)": (
        lambda g: doc_update(g, member={**V1, "SubmissionSetStatus": "Duplicate"})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "AssociationPropagation invalid (20002b)": (
        lambda g: doc_update(g, member={**V1, "AssociationPropagation": "maybe"})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "status slot on a metadata update (20002b)": (
        lambda g: doc_update(g, member={**V1, "OriginalStatus": APPROVED})[0],
        E.METADATA_UPDATE_OPERATION_ERROR),
    "NewStatus missing (20002)": (
        lambda g: submit_objects(submission_set("SubmissionSet01", oid()), association(
            "as01", UAS, "SubmissionSet01", g.doc3, {"OriginalStatus": APPROVED})),
        E.METADATA_UPDATE_OPERATION_ERROR),
    "OriginalStatus missing (20002)": (
        lambda g: submit_objects(submission_set("SubmissionSet01", oid()), association(
            "as01", UAS, "SubmissionSet01", g.doc3, {"NewStatus": DEPRECATED})),
        E.METADATA_UPDATE_OPERATION_ERROR),
    "NewStatus not a status (20002)": (
        lambda g: status_update(g.doc3, APPROVED, "urn:oasis:names:tc:ebxml-regrep:StatusType:"
                                "Withdrawn"), E.METADATA_UPDATE_OPERATION_ERROR),
    "short status value": (
        lambda g: status_update(g.doc3, APPROVED, "Deprecated"),
        E.METADATA_UPDATE_OPERATION_ERROR),
    "OriginalStatus equals NewStatus (20002)": (
        lambda g: status_update(g.doc3, APPROVED, APPROVED), E.METADATA_UPDATE_OPERATION_ERROR),
    "PreviousVersion on a status update (20002)": (
        lambda g: status_update(g.doc3, PreviousVersion="1"), E.METADATA_UPDATE_OPERATION_ERROR),
    "SubmissionSet HasMember to a registered object": (
        _reference_membership, E.METADATA_UPDATE_OPERATION_ERROR),
    "propagation plus manual link to the new version (20006)": (
        _update_plus_manual_link, E.METADATA_UPDATE_OPERATION_ERROR),
    # XDSMetadataUpdateError
    "no SubmissionSet": (_no_ss, E.METADATA_UPDATE_ERROR),
    "new version without SubmissionSet HasMember": (_unlinked_document, E.METADATA_UPDATE_ERROR),
    "initial version in ITI-57 (20000b)": (_initial_folder, E.METADATA_UPDATE_ERROR),
    "lid equal to id": (
        lambda g: doc_update(g, lid="Document01")[0], E.METADATA_UPDATE_ERROR),
    "uniqueId changed": (lambda g: doc_update(g, unique_id=oid())[0], E.METADATA_UPDATE_ERROR),
    "objectType changed": (
        lambda g: doc_update(g, object_type=ON_DEMAND)[0], E.METADATA_UPDATE_ERROR),
    "two new versions of one lid": (_two_updates, E.METADATA_UPDATE_ERROR),
    "status change of a version that is not the latest (15802b)": (
        _status_on_new_and_old, E.METADATA_UPDATE_ERROR),
    "OriginalStatus is not the current status": (
        lambda g: status_update(g.doc3, DEPRECATED, APPROVED), E.METADATA_UPDATE_ERROR),
    "status change of a SubmissionSet HasMember": (
        lambda g: status_update(g.ss_doc1), E.METADATA_UPDATE_ERROR),
    "status change of a SubmissionSet": (
        lambda g: status_update(g.ss), E.METADATA_UPDATE_ERROR),
    "status change of an unknown object": (
        lambda g: status_update(new_id()), E.METADATA_UPDATE_ERROR),
    "SubmitAssociation to an unknown object": (
        lambda g: submit_association(APND, g.doc3, new_id()), E.METADATA_UPDATE_ERROR),
    "SubmitAssociation from a SubmissionSet": (
        lambda g: submit_association(HAS_MEMBER, g.ss, g.doc3), E.METADATA_UPDATE_ERROR),
    "SubmitAssociation of an existing Folder membership (20008)": (
        lambda g: submit_association(HAS_MEMBER, g.fd, g.doc1), E.METADATA_UPDATE_ERROR),
    "relationship to a Folder": (
        lambda g: submit_association(APND, g.doc3, g.fd), E.METADATA_UPDATE_ERROR),
    "Association outside every operation": (
        lambda g: doc_update(g, extra=(association("as02", APND, g.doc3, g.doc1),))[0],
        E.METADATA_UPDATE_ERROR),
    "atomic: valid update plus failing status change": (
        _valid_update_failing_status, E.METADATA_UPDATE_ERROR),
    # XDSRegistryMetadataError
    "new version lacks repositoryUniqueId (15800d)": (
        lambda g: doc_update(g, repository=False)[0], E.REGISTRY_METADATA_ERROR),
    "SubmissionSet as source of RPLC": (_ss_rplc, E.REGISTRY_METADATA_ERROR),
    "unknown associationType": (
        lambda g: doc_update(g, extra=(association("as02", "urn:x:Other", g.doc3, g.doc1),))[0],
        E.REGISTRY_METADATA_ERROR),
    "entryUUID of the new version already registered": (
        lambda g: doc_update(g, ident=g.doc3)[0], E.REGISTRY_METADATA_ERROR),
    # XDSPatientIdDoesNotMatch, XDSUnknownPatientId, uniqueness
    "new version's patient differs from the SubmissionSet's": (
        lambda g: doc_update(g, ss_patient=OTHER_PATIENT)[0], E.PATIENT_ID_DOES_NOT_MATCH),
    "patient change would be propagated into the Folder": (
        lambda g: doc_update(g, patient=OTHER_PATIENT)[0], E.PATIENT_ID_DOES_NOT_MATCH),
    "SubmitAssociation between two patients": (_two_patients, E.PATIENT_ID_DOES_NOT_MATCH),
    "unknown patient": (
        lambda g: doc_update(g, lid=g.doc3, unique_id=g.uid3, patient=UNKNOWN_PATIENT)[0],
        E.UNKNOWN_PATIENT_ID),
    "SubmissionSet uniqueId already registered": (
        lambda g: doc_update(g, ss_unique_id=g.fd_uid)[0], E.DUPLICATE_UNIQUE_ID_IN_REGISTRY),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CHANGES))
def test_one_change_one_code(ctx: RegistryContext, golden: Golden, name: str) -> None:
    change, code = CHANGES[name]
    body = change(golden)
    before = snapshot(ctx)
    assert set(run_update(ctx, body)) == {code}
    assert snapshot(ctx) == before


def test_previous_version_must_be_approved(ctx: RegistryContext, golden: Golden) -> None:
    """A Deprecated latest version cannot get a new version (XDSMetadataUpdateError)."""
    assert run_update(ctx, status_update(golden.doc3)) == []
    before = snapshot(ctx)
    body, _ = doc_update(golden, lid=golden.doc3, unique_id=golden.uid3)
    assert run_update(ctx, body) == [E.METADATA_UPDATE_ERROR]
    assert snapshot(ctx) == before


def test_submit_association_to_deprecated_document(ctx: RegistryContext, golden: Golden) -> None:
    """NIST 21004 fail_assoc: a link to a Deprecated DocumentEntry is refused."""
    assert run_update(ctx, status_update(golden.doc3)) == []
    before = snapshot(ctx)
    for source, target in ((golden.doc3, golden.doc1), (golden.doc1, golden.doc3)):
        body = submit_association(APND, source, target)
        assert run_update(ctx, body) == [E.REGISTRY_DEPRECATED_DOCUMENT_ERROR]
    assert snapshot(ctx) == before


def test_status_change_by_another_patient(ctx: RegistryContext, golden: Golden) -> None:
    body = submit_objects(
        submission_set("SubmissionSet01", oid(), patient=OTHER_PATIENT),
        association("as01", UAS, "SubmissionSet01", golden.doc3,
                    {"OriginalStatus": APPROVED, "NewStatus": DEPRECATED}),
    )  # fmt: skip
    before = snapshot(ctx)
    assert run_update(ctx, body) == [E.PATIENT_ID_DOES_NOT_MATCH]
    assert snapshot(ctx) == before


def test_propagation_skips_deprecated_members(ctx: RegistryContext, golden: Golden) -> None:
    """Only links between live objects move to the new Folder version (MU 3.57.4.1.3.3.3)."""
    assert run_update(ctx, status_update(golden.doc1)) == []
    body = submit_objects(
        submission_set("SubmissionSet01", oid()),
        folder("Folder01", golden.fd_uid, lid=golden.fd),
        association("as01", HAS_MEMBER, "SubmissionSet01", "Folder01", {"PreviousVersion": "1"}),
    )
    assert run_update(ctx, body) == []
    assert links(ctx, HAS_MEMBER, source=folders(ctx, golden.fd)[-1][2]) == []
