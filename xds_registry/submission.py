"""Checks on a submission that need no stored data (ITI TF-2b 3.42.4.1.3, TF-3 4.1.4).

Shared by ITI-42 (register) and ITI-57 (update): one SubmissionSet, membership of every
DocumentEntry and Folder, one patient, uniqueIds unique within the message.
"""

from __future__ import annotations

from collections import Counter

from profiles.errors import ErrorCode
from profiles.vocabulary import SUBMISSION_SET_STATUS_VALUES, AssociationType, SlotName
from xds_common.errors import ErrorCollector
from xds_common.metadata import DocumentEntry, Folder, Submission, SubmissionSet


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
