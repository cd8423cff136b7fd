"""The ITI-18 stored-query catalogue with each parameter's rules (ITI TF-2a 3.18.4.1.2.3.7).

Each query lists its parameters once; the registry's parameter parser, the validators and
the conformance toolkit read this table instead of hard-coding names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class ParamKind(StrEnum):
    """How a parameter value is written and compared (ITI TF-2a 3.18.4.1.2.3.5)."""

    STRING = "string"  # quoted string, exact match
    PATIENT = "patient"  # quoted CX
    CODE = "code"  # quoted code^^scheme
    TIME = "time"  # bare DTM
    STATUS = "status"  # quoted StatusType URN
    LIKE = "like"  # quoted pattern with % and _
    UUID = "uuid"  # quoted urn:uuid
    OBJECT_TYPE = "objectType"  # quoted DocumentEntry objectType UUID
    ASSOCIATION_TYPE = "associationType"  # quoted association type URN


@dataclass(frozen=True)
class Param:
    """One stored-query parameter."""

    name: str
    kind: ParamKind
    required: bool = False
    multiple: bool = False
    and_or: bool = False


@dataclass(frozen=True)
class StoredQuery:
    """One stored query: id, parameters, alternatives and result rules."""

    id: str
    name: str
    params: tuple[Param, ...]
    #: groups of which exactly one must be given (several: XDSStoredQueryParamNumber)
    one_of: tuple[tuple[str, ...], ...] = ()
    #: LeafClass result must be single-patient (XDSResultNotSinglePatient)
    single_patient: bool = False

    def param(self, name: str) -> Param | None:
        """The parameter named ``name``, or None if the query has none by that name."""
        return next((p for p in self.params if p.name == name), None)


K = ParamKind


def _p(
    name: str,
    kind: ParamKind,
    req: bool = False,
    multi: bool = False,
    and_or: bool = False,
) -> Param:
    return Param(name, kind, req, multi, and_or)


_DE_TYPE = _p("$XDSDocumentEntryType", K.OBJECT_TYPE, multi=True)
_DE_FORMAT = _p("$XDSDocumentEntryFormatCode", K.CODE, multi=True)
_DE_CONF = _p("$XDSDocumentEntryConfidentialityCode", K.CODE, multi=True, and_or=True)
_HOME = _p("$homeCommunityId", K.STRING)

_FIND_DOCUMENTS_PARAMS: Final = (
    _p("$XDSDocumentEntryPatientId", K.PATIENT, req=True),
    _p("$XDSDocumentEntryClassCode", K.CODE, multi=True),
    _p("$XDSDocumentEntryTypeCode", K.CODE, multi=True),
    _p("$XDSDocumentEntryPracticeSettingCode", K.CODE, multi=True),
    _p("$XDSDocumentEntryCreationTimeFrom", K.TIME),
    _p("$XDSDocumentEntryCreationTimeTo", K.TIME),
    _p("$XDSDocumentEntryServiceStartTimeFrom", K.TIME),
    _p("$XDSDocumentEntryServiceStartTimeTo", K.TIME),
    _p("$XDSDocumentEntryServiceStopTimeFrom", K.TIME),
    _p("$XDSDocumentEntryServiceStopTimeTo", K.TIME),
    _p("$XDSDocumentEntryHealthcareFacilityTypeCode", K.CODE, multi=True),
    _p("$XDSDocumentEntryEventCodeList", K.CODE, multi=True, and_or=True),
    _DE_CONF,
    _p("$XDSDocumentEntryAuthorPerson", K.LIKE, multi=True),
    _DE_FORMAT,
    _p("$XDSDocumentEntryStatus", K.STATUS, req=True, multi=True),
    _DE_TYPE,
    _p("$MetadataLevel", K.STRING),
)

#: $XDSAssociationStatus: which Associations Get* queries return (XDS MU supplement,
#: ITI TF-2a 3.18.4.1.2.3.6.x as amended; default Approved).
_ASSOC_STATUS = _p("$XDSAssociationStatus", K.STATUS, multi=True)
_DE_IDS = (
    _p("$XDSDocumentEntryEntryUUID", K.UUID, multi=True),
    _p("$XDSDocumentEntryUniqueId", K.STRING, multi=True),
    _p("$XDSDocumentEntryLogicalID", K.UUID, multi=True),
)
_DE_ID_SINGLE = (
    _p("$XDSDocumentEntryEntryUUID", K.UUID),
    _p("$XDSDocumentEntryUniqueId", K.STRING),
)
_DE_ONE_OF = (("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"),)
#: GetDocuments / GetDocumentsAndAssociations also take logical ids (XDS MU supplement).
_DE_IDS_ONE_OF = (
    ("$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId", "$XDSDocumentEntryLogicalID"),
)

FIND_DOCUMENTS: Final = StoredQuery(
    "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d", "FindDocuments", _FIND_DOCUMENTS_PARAMS
)
FIND_DOCUMENTS_BY_REFERENCE_ID: Final = StoredQuery(
    "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492",
    "FindDocumentsByReferenceId",
    (
        *_FIND_DOCUMENTS_PARAMS,
        _p("$XDSDocumentEntryReferenceIdList", K.STRING, req=True, multi=True),
    ),
)
FIND_SUBMISSION_SETS: Final = StoredQuery(
    "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9",
    "FindSubmissionSets",
    (
        _p("$XDSSubmissionSetPatientId", K.PATIENT, req=True),
        _p("$XDSSubmissionSetSourceId", K.STRING, multi=True),
        _p("$XDSSubmissionSetSubmissionTimeFrom", K.TIME),
        _p("$XDSSubmissionSetSubmissionTimeTo", K.TIME),
        _p("$XDSSubmissionSetAuthorPerson", K.LIKE),
        _p("$XDSSubmissionSetContentType", K.CODE, multi=True),
        _p("$XDSSubmissionSetStatus", K.STATUS, req=True, multi=True),
    ),
)
FIND_FOLDERS: Final = StoredQuery(
    "urn:uuid:958f3006-baad-4929-a4de-ff1114824431",
    "FindFolders",
    (
        _p("$XDSFolderPatientId", K.PATIENT, req=True),
        _p("$XDSFolderLastUpdateTimeFrom", K.TIME),
        _p("$XDSFolderLastUpdateTimeTo", K.TIME),
        _p("$XDSFolderCodeList", K.CODE, multi=True, and_or=True),
        _p("$XDSFolderStatus", K.STATUS, req=True, multi=True),
        _p("$MetadataLevel", K.STRING),
    ),
)
GET_ALL: Final = StoredQuery(
    "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3",
    "GetAll",
    (
        _p("$patientId", K.PATIENT, req=True),
        _p("$XDSDocumentEntryStatus", K.STATUS, req=True, multi=True),
        _p("$XDSSubmissionSetStatus", K.STATUS, req=True, multi=True),
        _p("$XDSFolderStatus", K.STATUS, req=True, multi=True),
        _DE_FORMAT,
        _DE_CONF,
        _DE_TYPE,
        _p("$MetadataLevel", K.STRING),
    ),
)
GET_DOCUMENTS: Final = StoredQuery(
    "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4",
    "GetDocuments",
    (*_DE_IDS, _HOME, _p("$MetadataLevel", K.STRING)),
    _DE_IDS_ONE_OF,
    single_patient=True,
)
GET_FOLDERS: Final = StoredQuery(
    "urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4",
    "GetFolders",
    (
        _p("$XDSFolderEntryUUID", K.UUID, multi=True),
        _p("$XDSFolderUniqueId", K.STRING, multi=True),
        _p("$XDSFolderLogicalID", K.UUID, multi=True),
        _HOME,
        _p("$MetadataLevel", K.STRING),
    ),
    (("$XDSFolderEntryUUID", "$XDSFolderUniqueId", "$XDSFolderLogicalID"),),
    single_patient=True,
)
GET_ASSOCIATIONS: Final = StoredQuery(
    "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155",
    "GetAssociations",
    (
        _p("$uuid", K.UUID, req=True, multi=True),
        _HOME,
        _p("$MetadataLevel", K.STRING),
        _ASSOC_STATUS,
    ),
)
GET_DOCUMENTS_AND_ASSOCIATIONS: Final = StoredQuery(
    "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a",
    "GetDocumentsAndAssociations",
    (*_DE_IDS, _HOME, _p("$MetadataLevel", K.STRING), _ASSOC_STATUS),
    _DE_IDS_ONE_OF,
    single_patient=True,
)
GET_SUBMISSION_SETS: Final = StoredQuery(
    "urn:uuid:51224314-5390-4169-9b91-b1980040715a",
    "GetSubmissionSets",
    (_p("$uuid", K.UUID, req=True, multi=True), _HOME, _p("$MetadataLevel", K.STRING)),
    single_patient=True,
)
GET_SUBMISSION_SET_AND_CONTENTS: Final = StoredQuery(
    "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83",
    "GetSubmissionSetAndContents",
    (
        _p("$XDSSubmissionSetEntryUUID", K.UUID),
        _p("$XDSSubmissionSetUniqueId", K.STRING),
        _DE_FORMAT,
        _DE_CONF,
        _DE_TYPE,
        _HOME,
        _p("$MetadataLevel", K.STRING),
    ),
    (("$XDSSubmissionSetEntryUUID", "$XDSSubmissionSetUniqueId"),),
    single_patient=True,
)
GET_FOLDER_AND_CONTENTS: Final = StoredQuery(
    "urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7",
    "GetFolderAndContents",
    (
        _p("$XDSFolderEntryUUID", K.UUID),
        _p("$XDSFolderUniqueId", K.STRING),
        _DE_FORMAT,
        _DE_CONF,
        _DE_TYPE,
        _HOME,
        _p("$MetadataLevel", K.STRING),
    ),
    (("$XDSFolderEntryUUID", "$XDSFolderUniqueId"),),
    single_patient=True,
)
GET_FOLDERS_FOR_DOCUMENT: Final = StoredQuery(
    "urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578",
    "GetFoldersForDocument",
    (*_DE_ID_SINGLE, _HOME, _p("$MetadataLevel", K.STRING)),
    _DE_ONE_OF,
    single_patient=True,
)
GET_RELATED_DOCUMENTS: Final = StoredQuery(
    "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6",
    "GetRelatedDocuments",
    (
        *_DE_ID_SINGLE,
        _p("$AssociationTypes", K.ASSOCIATION_TYPE, req=True, multi=True),
        _DE_TYPE,
        _HOME,
        _p("$MetadataLevel", K.STRING),
    ),
    _DE_ONE_OF,
    single_patient=True,
)

ALL: Final = (
    FIND_DOCUMENTS,
    FIND_DOCUMENTS_BY_REFERENCE_ID,
    FIND_SUBMISSION_SETS,
    FIND_FOLDERS,
    GET_ALL,
    GET_DOCUMENTS,
    GET_FOLDERS,
    GET_ASSOCIATIONS,
    GET_DOCUMENTS_AND_ASSOCIATIONS,
    GET_SUBMISSION_SETS,
    GET_SUBMISSION_SET_AND_CONTENTS,
    GET_FOLDER_AND_CONTENTS,
    GET_FOLDERS_FOR_DOCUMENT,
    GET_RELATED_DOCUMENTS,
)
BY_ID: Final[dict[str, StoredQuery]] = {q.id: q for q in ALL}
BY_NAME: Final[dict[str, StoredQuery]] = {q.name: q for q in ALL}

#: ResponseOption/@returnType values (ebRS 3.0; ITI TF-2a 3.18.4.1.2.1).
RETURN_TYPES: Final = frozenset({"LeafClass", "ObjectRef"})
