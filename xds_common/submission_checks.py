"""Checks on a submission that need no stored data (ITI TF-2b 3.42.4.1.3, TF-3 4.1.4).

Shared by the registry's ITI-42 (register) and ITI-57 (update) and by ``beeldportaal
validate``, so a file the validator passes meets every check the registry runs before it
looks at stored data: the metadata tables, one SubmissionSet, membership of every
DocumentEntry and Folder, one patient, uniqueIds unique within the message, first
versions only (ITI-42), and the ITI-57 operations.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from profiles.errors import ErrorCode
from profiles.vocabulary import SUBMISSION_SET_STATUS_VALUES, AssociationType, SlotName
from xds_common import update_ops
from xds_common.ebrim import ids, rim
from xds_common.ebrim.reader import ReadResult, read_object_list
from xds_common.errors import ErrorCollector, XdsError
from xds_common.metadata import DocumentEntry, Folder, Submission, SubmissionSet
from xds_common.validation import check_objects

#: The optionality table ITI-42 and ITI-57 submissions are checked against (ITI TF-3 4.3.1).
REGISTER_ROLE = "ITI-42"


def check_single_submission_set(sub: Submission, out: ErrorCollector) -> None:
    """Exactly one SubmissionSet per request (ITI TF-3 4.1.4)."""
    if len(sub.submission_sets) != 1:
        out.add(
            ErrorCode.REGISTRY_METADATA_ERROR,
            f"a submission needs exactly one SubmissionSet, found {len(sub.submission_sets)}",
        )


def check_membership(sub: Submission, out: ErrorCollector) -> None:
    """Every DE and Folder is the target of a HasMember from the SubmissionSet (TF-3 4.2.2.1)."""
    if len(sub.submission_sets) != 1:
        return
    ss = sub.submission_sets[0].entry_uuid
    members = {
        a.target: a
        for a in sub.associations
        if a.association_type == AssociationType.HAS_MEMBER and a.source == ss
    }
    for obj in (*sub.documents, *sub.folders):
        if obj.entry_uuid not in members:
            out.add(
                ErrorCode.REGISTRY_METADATA_ERROR,
                f"{obj.kind} {obj.entry_uuid} is not a member of the SubmissionSet",
                obj.entry_uuid,
            )
    documents = {d.entry_uuid for d in sub.documents}
    for target, assoc in members.items():
        status = assoc.slot(SlotName.SUBMISSION_SET_STATUS)
        if target in documents and not status:
            out.add(
                ErrorCode.REGISTRY_METADATA_ERROR,
                f"HasMember {assoc.entry_uuid} lacks the SubmissionSetStatus slot",
                assoc.entry_uuid,
            )
        if status and (len(status) != 1 or status[0] not in SUBMISSION_SET_STATUS_VALUES):
            out.add(
                ErrorCode.REGISTRY_METADATA_ERROR,
                f"HasMember {assoc.entry_uuid}: SubmissionSetStatus must be Original or Reference",
                assoc.entry_uuid,
            )


def check_patient_ids(sub: Submission, out: ErrorCollector) -> str:
    """SS, DEs and Folders carry one patient id (XDSPatientIdDoesNotMatch); return it."""
    if not sub.submission_sets:
        return ""
    expected = sub.submission_sets[0].patient_id
    owned: list[DocumentEntry | Folder] = [*sub.documents, *sub.folders]
    for obj in owned:
        if obj.patient_id and obj.patient_id != expected:
            out.add(
                ErrorCode.PATIENT_ID_DOES_NOT_MATCH,
                f"{obj.kind} {obj.entry_uuid} has patient id {obj.patient_id}, "
                f"the SubmissionSet has {expected}",
                obj.entry_uuid,
            )
    return expected


def check_unique_ids_in_message(sub: Submission, out: ErrorCollector) -> None:
    """No uniqueId twice in one message (XDSRegistryDuplicateUniqueIdInMessage)."""
    identified: list[DocumentEntry | Folder | SubmissionSet] = [
        *sub.documents,
        *sub.folders,
        *sub.submission_sets,
    ]
    counts = Counter(o.unique_id for o in identified if o.unique_id)
    for unique_id, count in counts.items():
        if count > 1:
            out.add(
                ErrorCode.REGISTRY_DUPLICATE_UNIQUE_ID_IN_MESSAGE,
                f"uniqueId {unique_id} appears {count} times in the submission",
            )


def read_submission(body: etree._Element) -> tuple[ReadResult, dict[str, str]]:
    """Assign UUIDs to symbolic ids and read the objects (ITI TF-2b 3.42.4.1.3.7)."""
    object_list = body.find(rim.T_OBJECT_LIST)
    if object_list is None:
        raise XdsError(
            ErrorCode.REGISTRY_METADATA_ERROR, "SubmitObjectsRequest has no RegistryObjectList"
        )
    mapping = ids.assign_uuids(object_list)
    return read_object_list(object_list), mapping


def check_versions(result: ReadResult, out: ErrorCollector) -> None:
    """ITI-42 registers first versions only: lid, when given, equals the entryUUID (MU 4.1)."""
    for obj in (*result.submission.documents, *result.submission.folders):
        if obj.lid and obj.lid != obj.entry_uuid:
            out.add(ErrorCode.REGISTRY_METADATA_ERROR, f"{obj.kind} {obj.entry_uuid}: lid "
                    f"{obj.lid} differs from the entryUUID; new versions go through ITI-57",
                    obj.entry_uuid)  # fmt: skip


def check_register(result: ReadResult, out: ErrorCollector) -> str:
    """Every ITI-42 check that needs no stored data (TF-2b 3.42.4.1.3); return the patient id."""
    sub = result.submission
    check_objects(result, REGISTER_ROLE, out, ErrorCode.REGISTRY_METADATA_ERROR)
    check_single_submission_set(sub, out)
    check_membership(sub, out)
    check_unique_ids_in_message(sub, out)
    patient_id = check_patient_ids(sub, out)
    check_versions(result, out)
    return patient_id


def check_update(
    result: ReadResult, mapping: dict[str, str], out: ErrorCollector
) -> update_ops.Operations | None:
    """Every ITI-57 check that needs no stored data (ITI TF-2b 3.57.4.1.3).

    The operations are decoded first; when that fails the metadata tables are not run
    (the registry answers with the operation errors alone) and None is returned.
    """
    decoded = ErrorCollector()
    ops = update_ops.decode(result.submission, mapping, decoded)
    out.items.extend(decoded.items)
    if ops is None or decoded.errors:
        return None
    check_objects(result, REGISTER_ROLE, out, ErrorCode.REGISTRY_METADATA_ERROR)
    check_patient_ids(result.submission, out)
    check_unique_ids_in_message(result.submission, out)
    return ops
