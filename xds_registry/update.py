"""ITI-57 Update Document Set (XDS Metadata Update option, ITI TF-2b 3.57.4.1.3).

Decode the operations (``update_ops``), validate every new version with the ITI-42 metadata
tables, check them against the registry (``update_checks``), then store the SubmissionSet,
the new versions, the request's Associations and the side effects in one database
transaction. Any error rolls everything back and answers Failure; there is no
PartialSuccess.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import ObjectKind, Status
from xds_common import soap, update_ops
from xds_common.ebrim import rim
from xds_common.ebrim import writer as ebrim_writer
from xds_common.ebrim.reader import ReadResult
from xds_common.errors import ErrorCollector
from xds_common.metadata import DocumentEntry
from xds_common.submission_checks import check_update, read_submission
from xds_registry import update_checks
from xds_registry.context import RegistryContext, now_dtm
from xds_registry.register import check_patient
from xds_registry.storage import objects, versions
from xds_registry.stored import member_links, stored_xml

E = ErrorCode
_VERSIONED = (rim.T_EXTRINSIC, rim.T_PACKAGE)


def renew_version_ids(body: etree._Element) -> None:
    """Drop the Classification/ExternalIdentifier ids of new versions so they get fresh UUIDs.

    A new version is often built from the stored previous one; its nested ids must not
    repeat the previous version's (ebRIM ids are unique). ``ids.assign_uuids`` then gives
    each of them a new UUID.
    """
    object_list = body.find(rim.T_OBJECT_LIST)
    if object_list is None:
        return
    versioned = {
        el.get("id", "")
        for el in object_list.iterchildren(*_VERSIONED)
        if el.get("lid") and el.get("lid") != el.get("id")
    }
    for element in object_list:
        if element.get("id", "") in versioned:
            children = list(element.iter(rim.T_CLASSIFICATION, rim.T_EXTERNAL_ID))
        elif element.tag == rim.T_CLASSIFICATION and element.get("classifiedObject") in versioned:
            children = [element]
        else:
            continue
        for child in children:
            if "id" in child.attrib:
                del child.attrib["id"]


def check_request(result: ReadResult, mapping: dict[str, str]) -> update_ops.Operations:
    """Everything that needs no stored data: operations first, then the metadata tables."""
    out = ErrorCollector()
    ops = check_update(result, mapping, out)
    out.raise_if_errors()
    assert ops is not None  # decoding failed only with errors, raised above
    return ops


def _check_ids(session: Session, result: ReadResult, out: ErrorCollector) -> None:
    """The SubmissionSet uniqueId and every entryUUID of the request are new."""
    ss = result.submission.submission_sets[0]
    for unique_id in sorted(objects.unique_ids_in_use(session, [ss.unique_id])):
        out.add(
            E.DUPLICATE_UNIQUE_ID_IN_REGISTRY,
            f"uniqueId {unique_id} is already registered",
            ss.entry_uuid,
        )
    for uuid in sorted(versions.kinds(session, list(result.raw))):
        out.add(E.REGISTRY_METADATA_ERROR, f"entryUUID {uuid} is already registered", uuid)


_SET_STATUS = {
    ObjectKind.DOCUMENT_ENTRY: objects.set_document_status,
    ObjectKind.FOLDER: versions.set_folder_status,
    ObjectKind.ASSOCIATION: versions.set_association_status,
}


def store(
    session: Session,
    result: ReadResult,
    ops: update_ops.Operations,
    plan: update_checks.Plan,
    when: str,
) -> None:
    """Install new versions, then Associations, then status changes (MU 3.57.4.1.3.1)."""
    ss = ops.submission_set
    rows = objects.submission_set_rows(ss, stored_xml(result, ss.entry_uuid))
    for version in ops.versions:
        obj = version.obj
        number = plan.previous[obj.entry_uuid][1]
        obj.availability_status = Status.APPROVED
        if isinstance(obj, DocumentEntry):
            rows += objects.document_rows(obj, stored_xml(result, obj.entry_uuid, number), number)
        else:
            touched = plan.folder_times.get(obj.entry_uuid, when)  # contents are unchanged
            xml = stored_xml(result, obj.entry_uuid, number)
            rows += objects.folder_rows(obj, xml, touched, number)
    for assoc in result.submission.associations:
        assoc.availability_status = Status.APPROVED
        rows += objects.association_rows(assoc, stored_xml(result, assoc.entry_uuid))
    rows += member_links(ss.entry_uuid, plan.links)[0]
    objects.insert_rows(session, rows)
    for version in ops.versions:
        old = [plan.previous[version.obj.entry_uuid][0]]
        _SET_STATUS[version.kind](session, old, Status.DEPRECATED)
    objects.touch_folders(session, sorted(plan.touched_folders), when)
    for kind, uuid, status in plan.status:
        _SET_STATUS[kind](session, [uuid], status)


def update(ctx: RegistryContext, request: soap.SoapRequest) -> etree._Element:
    """Handle one ITI-57 request and return its RegistryResponse (Success; errors raise)."""
    renew_version_ids(request.body)
    result, mapping = read_submission(request.body)
    ops = check_request(result, mapping)
    out = ErrorCollector()
    with ctx.write() as session, session.begin():
        check_patient(session, ops.submission_set.patient_id, out)
        _check_ids(session, result, out)
        plan = update_checks.plan(session, ops, out)
        out.raise_if_errors()
        store(session, result, ops, plan, now_dtm())
    return ebrim_writer.registry_response(out.warnings)
