"""Stored-query parameter names, each looked up in the catalogue ``profiles.stored_queries``.

A misspelt name fails at import time instead of silently never matching a request slot
(ITI TF-2a 3.18.4.1.2.3.7 lists the parameters of each query).
"""

from __future__ import annotations

from typing import Final

from profiles import stored_queries as sq
from profiles.metadata import ATTRIBUTES
from profiles.vocabulary import ObjectKind, Scheme


def _name(query: sq.StoredQuery, name: str) -> str:
    """``name`` as declared on ``query``; LookupError when the catalogue lacks it."""
    param = query.param(name)
    if param is None:
        raise LookupError(f"stored query {query.name} declares no parameter {name}")
    return param.name


def optional_name(query: sq.StoredQuery, name: str) -> str | None:
    """``name`` when the catalogue declares it on ``query`` (optional features), else None."""
    param = query.param(name)
    return param.name if param else None


def declared_anywhere(name: str) -> str | None:
    """``name`` when any catalogued query declares it, else None."""
    return next((p.name for q in sq.ALL for p in q.params if p.name == name), None)


_FD, _GA = sq.FIND_DOCUMENTS, sq.GET_ALL
DE_PATIENT_ID: Final = _name(_FD, "$XDSDocumentEntryPatientId")
DE_CLASS_CODE: Final = _name(_FD, "$XDSDocumentEntryClassCode")
DE_TYPE_CODE: Final = _name(_FD, "$XDSDocumentEntryTypeCode")
DE_PRACTICE_SETTING_CODE: Final = _name(_FD, "$XDSDocumentEntryPracticeSettingCode")
DE_HCFT_CODE: Final = _name(_FD, "$XDSDocumentEntryHealthcareFacilityTypeCode")
DE_FORMAT_CODE: Final = _name(_FD, "$XDSDocumentEntryFormatCode")
DE_EVENT_CODE: Final = _name(_FD, "$XDSDocumentEntryEventCodeList")
DE_CONFIDENTIALITY_CODE: Final = _name(_FD, "$XDSDocumentEntryConfidentialityCode")
DE_CREATION_FROM: Final = _name(_FD, "$XDSDocumentEntryCreationTimeFrom")
DE_CREATION_TO: Final = _name(_FD, "$XDSDocumentEntryCreationTimeTo")
DE_START_FROM: Final = _name(_FD, "$XDSDocumentEntryServiceStartTimeFrom")
DE_START_TO: Final = _name(_FD, "$XDSDocumentEntryServiceStartTimeTo")
DE_STOP_FROM: Final = _name(_FD, "$XDSDocumentEntryServiceStopTimeFrom")
DE_STOP_TO: Final = _name(_FD, "$XDSDocumentEntryServiceStopTimeTo")
DE_AUTHOR: Final = _name(_FD, "$XDSDocumentEntryAuthorPerson")
DE_STATUS: Final = _name(_FD, "$XDSDocumentEntryStatus")
DE_TYPE: Final = _name(_FD, "$XDSDocumentEntryType")
METADATA_LEVEL: Final = _name(_FD, "$MetadataLevel")
DE_REFERENCE_IDS: Final = _name(
    sq.FIND_DOCUMENTS_BY_REFERENCE_ID, "$XDSDocumentEntryReferenceIdList"
)
DE_ENTRY_UUID: Final = _name(sq.GET_DOCUMENTS, "$XDSDocumentEntryEntryUUID")
DE_UNIQUE_ID: Final = _name(sq.GET_DOCUMENTS, "$XDSDocumentEntryUniqueId")
#: ITI-57 (Metadata Update) adds a logicalID alternative to GetDocuments / GetFolders.
DE_LOGICAL_ID: Final = optional_name(sq.GET_DOCUMENTS, "$XDSDocumentEntryLogicalID")

SS_PATIENT_ID: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetPatientId")
SS_SOURCE_ID: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetSourceId")
SS_SUBMISSION_FROM: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetSubmissionTimeFrom")
SS_SUBMISSION_TO: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetSubmissionTimeTo")
SS_AUTHOR: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetAuthorPerson")
SS_CONTENT_TYPE: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetContentType")
SS_STATUS: Final = _name(sq.FIND_SUBMISSION_SETS, "$XDSSubmissionSetStatus")
SS_ENTRY_UUID: Final = _name(sq.GET_SUBMISSION_SET_AND_CONTENTS, "$XDSSubmissionSetEntryUUID")
SS_UNIQUE_ID: Final = _name(sq.GET_SUBMISSION_SET_AND_CONTENTS, "$XDSSubmissionSetUniqueId")

FD_PATIENT_ID: Final = _name(sq.FIND_FOLDERS, "$XDSFolderPatientId")
FD_UPDATE_FROM: Final = _name(sq.FIND_FOLDERS, "$XDSFolderLastUpdateTimeFrom")
FD_UPDATE_TO: Final = _name(sq.FIND_FOLDERS, "$XDSFolderLastUpdateTimeTo")
FD_CODE_LIST: Final = _name(sq.FIND_FOLDERS, "$XDSFolderCodeList")
FD_STATUS: Final = _name(sq.FIND_FOLDERS, "$XDSFolderStatus")
FD_ENTRY_UUID: Final = _name(sq.GET_FOLDERS, "$XDSFolderEntryUUID")
FD_UNIQUE_ID: Final = _name(sq.GET_FOLDERS, "$XDSFolderUniqueId")
FD_LOGICAL_ID: Final = optional_name(sq.GET_FOLDERS, "$XDSFolderLogicalID")

PATIENT_ID: Final = _name(_GA, "$patientId")
UUID: Final = _name(sq.GET_ASSOCIATIONS, "$uuid")
ASSOCIATION_TYPES: Final = _name(sq.GET_RELATED_DOCUMENTS, "$AssociationTypes")
HOME_COMMUNITY_ID: Final = _name(sq.GET_DOCUMENTS, "$homeCommunityId")
#: ITI-57 adds an Association status filter (default Approved) to the Get* queries.
ASSOCIATION_STATUS: Final = declared_anywhere("$XDSAssociationStatus")


def _attribute(kind: ObjectKind, scheme: Scheme) -> str:
    """The metadata attribute name coded with ``scheme`` (``registry_codes.attribute``)."""
    return next(a.name for a in ATTRIBUTES[kind] if a.key == scheme)


#: ``registry_codes.attribute`` values of the multi-valued coded attributes (TF-3 4.2.3).
EVENT_CODE_ATTRIBUTE: Final = _attribute(ObjectKind.DOCUMENT_ENTRY, Scheme.DE_EVENT_CODE)
CONFIDENTIALITY_ATTRIBUTE: Final = _attribute(
    ObjectKind.DOCUMENT_ENTRY, Scheme.DE_CONFIDENTIALITY_CODE
)
CODE_LIST_ATTRIBUTE: Final = _attribute(ObjectKind.FOLDER, Scheme.FD_CODE_LIST)
