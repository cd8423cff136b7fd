"""A RegistryPackage comes back labelled, however the submitter placed its label.

ITI TF-3 4.2.1.2 lets a submitter put the Classification that labels a RegistryPackage as
SubmissionSet (classificationNode ``urn:uuid:a54d6aa5-...``) or Folder inside the package or
at the top level of the RegistryObjectList (classifiedObject = the package id); MHD gateways
and many ITI-41 sources do the latter. A registry returns the package with that
Classification (ITI TF-3 4.2.3.3, 4.2.3.4): ITI-42 over SOAP, then ITI-18 FindSubmissionSets,
GetSubmissionSetAndContents and GetFolders against a live server.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from lxml import etree
from sqlalchemy.orm import Session

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles.transactions import ITI_18, ITI_42
from profiles.vocabulary import AssociationType, ClassificationNode, ResponseStatus, Scheme
from tests import soap_client
from tests.conftest import LiveServer
from tests.xds_registry import messages as m
from xds_common.db import get_engine
from xds_common.ebrim import ids
from xds_common.metadata import Folder, SubmissionSet
from xds_common.xml import parse_trusted
from xds_registry.migrate import upgrade
from xds_registry.storage import objects
from xds_registry.storage.tables import FolderRow, SubmissionSetRow

SS_ID = "SubmissionSet01"
SS_LABEL = (
    f'<rim:Classification id="ssc-{SS_ID}" classifiedObject="{SS_ID}" '
    f'classificationNode="{ClassificationNode.SUBMISSION_SET}"/>'
)
APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"


def _submission(patient: str, ss_unique_id: str, placement: str, extra: str = "") -> str:
    """The golden ITI-42 with the SubmissionSet label ``loose`` (as sent) or ``nested``."""
    body = m.submission(patient, extra_objects=extra, ss_unique_id=ss_unique_id)
    assert body.count(SS_LABEL) == 1
    if placement == "nested":
        body = body.replace(SS_LABEL, "")
        package = body.index(f'<rim:RegistryPackage id="{SS_ID}">')
        at = body.index("<rim:ExternalIdentifier", package)  # ebRIM order: before these
        body = body[:at] + SS_LABEL + body[at:]
    return body


def _register(server: LiveServer, body: str) -> None:
    reply = soap_client.post(server.registry_url, ITI_42, body)
    assert reply.status == ResponseStatus.SUCCESS, etree.tostring(reply.body)


def _query(server: LiveServer, query_id: str, **slots: str | list[str]) -> etree._Element:
    reply = soap_client.post(server.registry_url, ITI_18, m.query(query_id, "LeafClass", **slots))
    assert reply.status == ResponseStatus.SUCCESS, etree.tostring(reply.body)
    return reply.body


def _package(answer: etree._Element, unique_id: str) -> etree._Element:
    """The one RegistryPackage of ``answer`` whose uniqueId is ``unique_id``."""
    found = [
        p
        for p in answer.iter(ns.qn(ns.RIM, "RegistryPackage"))
        for e in p.iterchildren(ns.qn(ns.RIM, "ExternalIdentifier"))
        if e.get("value") == unique_id
    ]
    assert len(found) == 1, etree.tostring(answer)
    return found[0]


def _labels(package: etree._Element, node: str) -> list[etree._Element]:
    return [
        c
        for c in package.iterchildren(ns.qn(ns.RIM, "Classification"))
        if c.get("classificationNode") == node
    ]


def _assert_labelled(package: etree._Element, node: str) -> None:
    """Exactly one label Classification, nested, pointing at the package, with UUID ids."""
    labels = _labels(package, node)
    assert len(labels) == 1, etree.tostring(package)
    label = labels[0]
    assert label.get("classifiedObject") == package.get("id")
    assert label.get("id", "").startswith("urn:uuid:")
    assert package.get("id", "").startswith("urn:uuid:")
    # ebRIM 3.0 RegistryObject content order: Classifications precede ExternalIdentifiers.
    tags = [etree.QName(c).localname for c in package]
    assert tags.index("Classification") < tags.index("ExternalIdentifier")


@pytest.fixture
def patient(live_server: LiveServer) -> str:
    pid = m.new_patient()
    live_server.cli("patients", "add", pid)
    return pid


@pytest.mark.parametrize("placement", ["loose", "nested"])
def test_find_submission_sets_returns_label(
    live_server: LiveServer, patient: str, placement: str
) -> None:
    ss_unique_id = m.new_oid()
    _register(live_server, _submission(patient, ss_unique_id, placement))
    answer = _query(
        live_server,
        sq.FIND_SUBMISSION_SETS.id,
        XDSSubmissionSetPatientId=f"'{patient}'",
        XDSSubmissionSetStatus=APPROVED,
    )
    _assert_labelled(_package(answer, ss_unique_id), ClassificationNode.SUBMISSION_SET)


@pytest.mark.parametrize("placement", ["loose", "nested"])
def test_get_submission_set_and_contents_returns_label(
    live_server: LiveServer, patient: str, placement: str
) -> None:
    ss_unique_id = m.new_oid()
    _register(live_server, _submission(patient, ss_unique_id, placement))
    by_unique_id = _query(
        live_server,
        sq.GET_SUBMISSION_SET_AND_CONTENTS.id,
        XDSSubmissionSetUniqueId=f"'{ss_unique_id}'",
    )
    package = _package(by_unique_id, ss_unique_id)
    _assert_labelled(package, ClassificationNode.SUBMISSION_SET)
    by_uuid = _query(
        live_server,
        sq.GET_SUBMISSION_SET_AND_CONTENTS.id,
        XDSSubmissionSetEntryUUID=f"'{package.get('id')}'",
    )
    _assert_labelled(_package(by_uuid, ss_unique_id), ClassificationNode.SUBMISSION_SET)


def _folder(folder_id: str, patient: str, unique_id: str) -> str:
    """A Folder (ITI TF-3 4.2.3.4) with its label beside it, and its HasMember from the SS."""
    return (
        f'<rim:RegistryPackage id="{folder_id}">'
        '<rim:Name><rim:LocalizedString value="Verwijzing"/></rim:Name>'
        + m.code(Scheme.FD_CODE_LIST, folder_id, "Referral", "1.3.6.1.4.1.21367")
        + m.ext_id(Scheme.FD_PATIENT_ID, folder_id, patient, "XDSFolder.patientId")
        + m.ext_id(Scheme.FD_UNIQUE_ID, folder_id, unique_id, "XDSFolder.uniqueId")
        + "</rim:RegistryPackage>"
        f'<rim:Classification id="fdc-{uuid.uuid4().hex[:8]}" classifiedObject="{folder_id}" '
        f'classificationNode="{ClassificationNode.FOLDER}"/>'
        f'<rim:Association id="hmf-{uuid.uuid4().hex[:8]}" sourceObject="{SS_ID}" '
        f'targetObject="{folder_id}" associationType="{AssociationType.HAS_MEMBER}"/>'
    )  # fmt: skip


def test_get_folders_returns_loose_label(live_server: LiveServer, patient: str) -> None:
    folder_unique_id = m.new_oid()
    extra = _folder("Folder01", patient, folder_unique_id)
    _register(live_server, _submission(patient, m.new_oid(), "loose", extra))
    answer = _query(live_server, sq.GET_FOLDERS.id, XDSFolderUniqueId=f"'{folder_unique_id}'")
    _assert_labelled(_package(answer, folder_unique_id), ClassificationNode.FOLDER)


def _unlabelled(entry_uuid: str, scheme: str, unique_id: str) -> str:
    """A RegistryPackage as stored before r0002: Slot, Classification, ExternalIdentifier."""
    return (
        f'<rim:RegistryPackage xmlns:rim="{ns.RIM}" id="{entry_uuid}">'
        + m.slot("submissionTime", "20240102030500")
        + m.code(Scheme.SS_CONTENT_TYPE_CODE, entry_uuid, "18748-4", "2.16.840.1.113883.6.1")
        + m.ext_id(scheme, entry_uuid, unique_id, "uniqueId")
        + "</rim:RegistryPackage>"
    )


def test_migration_labels_packages_stored_without_label(tmp_path: Path) -> None:
    """r0002 nests the lost label into SubmissionSets and Folders stored before the fix."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    config = Config()
    config.set_main_option("script_location", "xds_registry:migrations")
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "r0001")
    ss_uuid, fd_uuid = ids.new_uuid(), ids.new_uuid()
    ss = SubmissionSet(entry_uuid=ss_uuid, patient_id=m.new_patient(), unique_id=m.new_oid())
    fd = Folder(entry_uuid=fd_uuid, patient_id=ss.patient_id, unique_id=m.new_oid())
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        objects.add_submission_set(session, ss, _unlabelled(ss_uuid, Scheme.SS_UNIQUE_ID, "1"))
        objects.add_folder(session, fd, _unlabelled(fd_uuid, Scheme.FD_UNIQUE_ID, "2"), "x")
    upgrade(url)
    upgrade(url)  # a second run changes nothing
    with Session(engine) as session:
        ss_xml = session.get_one(SubmissionSetRow, ss_uuid).xml
        fd_xml = session.get_one(FolderRow, fd_uuid).xml
    engine.dispose()
    _assert_labelled(parse_trusted(ss_xml), ClassificationNode.SUBMISSION_SET)
    _assert_labelled(parse_trusted(fd_xml), ClassificationNode.FOLDER)
