"""Metadata attributes, their ebRIM encoding and their optionality per transaction.

Sources: ITI TF-3 Table 4.2.3.1.7-1 (encoding), Tables 4.3.1-3 / 4.3.2.1-3 (optionality;
columns XDS DS = ITI-41 sender, XDS DR = ITI-42 sender, query = ITI-18 response).
This table drives the ebRIM reader, the validators and the conformance toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from profiles.vocabulary import ObjectKind, Scheme, SlotName


class Coding(StrEnum):
    """How an attribute is carried in ebRIM 3.0."""

    CLASSIFICATION = "Classification"
    EXTERNAL_IDENTIFIER = "ExternalIdentifier"
    SLOT = "Slot"
    XML_ATTRIBUTE = "attribute"
    NAME = "Name"
    DESCRIPTION = "Description"
    AUTHOR = "author"


class Opt(StrEnum):
    """Optionality codes (ITI TF-3 4.3.1)."""

    R = "R"  # required
    R2 = "R2"  # required if known
    O = "O"  # optional  # noqa: E741
    X = "X"  # prohibited


@dataclass(frozen=True)
class Attribute:
    """One metadata attribute of one object kind."""

    name: str
    coding: Coding
    key: str
    multiple: bool = False
    datatype: str = ""
    id_name: str = ""


A, C = Attribute, Coding

DOCUMENT_ENTRY: Final = (
    A("author", C.AUTHOR, Scheme.DE_AUTHOR, multiple=True),
    A("availabilityStatus", C.XML_ATTRIBUTE, "status"),
    A("classCode", C.CLASSIFICATION, Scheme.DE_CLASS_CODE),
    A("comments", C.DESCRIPTION, "Description"),
    A("confidentialityCode", C.CLASSIFICATION, Scheme.DE_CONFIDENTIALITY_CODE, multiple=True),
    A("creationTime", C.SLOT, SlotName.CREATION_TIME, datatype="dtm"),
    A("entryUUID", C.XML_ATTRIBUTE, "id"),
    A("eventCodeList", C.CLASSIFICATION, Scheme.DE_EVENT_CODE, multiple=True),
    A("formatCode", C.CLASSIFICATION, Scheme.DE_FORMAT_CODE),
    A("hash", C.SLOT, SlotName.HASH, datatype="sha1"),
    A("healthcareFacilityTypeCode", C.CLASSIFICATION, Scheme.DE_HEALTHCARE_FACILITY_TYPE_CODE),
    A("homeCommunityId", C.XML_ATTRIBUTE, "home"),
    A("languageCode", C.SLOT, SlotName.LANGUAGE_CODE),
    A("legalAuthenticator", C.SLOT, SlotName.LEGAL_AUTHENTICATOR, datatype="xcn"),
    A("mimeType", C.XML_ATTRIBUTE, "mimeType", datatype="mime"),
    A("objectType", C.XML_ATTRIBUTE, "objectType"),
    A("patientId", C.EXTERNAL_IDENTIFIER, Scheme.DE_PATIENT_ID, datatype="cx",
      id_name="XDSDocumentEntry.patientId"),
    A("practiceSettingCode", C.CLASSIFICATION, Scheme.DE_PRACTICE_SETTING_CODE),
    A("referenceIdList", C.SLOT, SlotName.REFERENCE_ID_LIST, multiple=True, datatype="cxi"),
    A("repositoryUniqueId", C.SLOT, SlotName.REPOSITORY_UNIQUE_ID, datatype="oid"),
    A("serviceStartTime", C.SLOT, SlotName.SERVICE_START_TIME, datatype="dtm"),
    A("serviceStopTime", C.SLOT, SlotName.SERVICE_STOP_TIME, datatype="dtm"),
    A("size", C.SLOT, SlotName.SIZE, datatype="integer"),
    A("sourcePatientId", C.SLOT, SlotName.SOURCE_PATIENT_ID, datatype="cx"),
    A("sourcePatientInfo", C.SLOT, SlotName.SOURCE_PATIENT_INFO, multiple=True, datatype="pid"),
    A("title", C.NAME, "Name"),
    A("typeCode", C.CLASSIFICATION, Scheme.DE_TYPE_CODE),
    A("uniqueId", C.EXTERNAL_IDENTIFIER, Scheme.DE_UNIQUE_ID, datatype="unique_id",
      id_name="XDSDocumentEntry.uniqueId"),
    A("URI", C.SLOT, SlotName.URI),
    A("documentAvailability", C.SLOT, SlotName.DOCUMENT_AVAILABILITY),
)  # fmt: skip

SUBMISSION_SET: Final = (
    A("author", C.AUTHOR, Scheme.SS_AUTHOR, multiple=True),
    A("availabilityStatus", C.XML_ATTRIBUTE, "status"),
    A("comments", C.DESCRIPTION, "Description"),
    A("contentTypeCode", C.CLASSIFICATION, Scheme.SS_CONTENT_TYPE_CODE),
    A("entryUUID", C.XML_ATTRIBUTE, "id"),
    A("homeCommunityId", C.XML_ATTRIBUTE, "home"),
    A("intendedRecipient", C.SLOT, SlotName.INTENDED_RECIPIENT, multiple=True),
    A("patientId", C.EXTERNAL_IDENTIFIER, Scheme.SS_PATIENT_ID, datatype="cx",
      id_name="XDSSubmissionSet.patientId"),
    A("sourceId", C.EXTERNAL_IDENTIFIER, Scheme.SS_SOURCE_ID, datatype="oid",
      id_name="XDSSubmissionSet.sourceId"),
    A("submissionTime", C.SLOT, SlotName.SUBMISSION_TIME, datatype="dtm"),
    A("title", C.NAME, "Name"),
    A("uniqueId", C.EXTERNAL_IDENTIFIER, Scheme.SS_UNIQUE_ID, datatype="oid",
      id_name="XDSSubmissionSet.uniqueId"),
)  # fmt: skip

FOLDER: Final = (
    A("availabilityStatus", C.XML_ATTRIBUTE, "status"),
    A("codeList", C.CLASSIFICATION, Scheme.FD_CODE_LIST, multiple=True),
    A("comments", C.DESCRIPTION, "Description"),
    A("entryUUID", C.XML_ATTRIBUTE, "id"),
    A("homeCommunityId", C.XML_ATTRIBUTE, "home"),
    A("lastUpdateTime", C.SLOT, SlotName.LAST_UPDATE_TIME, datatype="dtm"),
    A("patientId", C.EXTERNAL_IDENTIFIER, Scheme.FD_PATIENT_ID, datatype="cx",
      id_name="XDSFolder.patientId"),
    A("title", C.NAME, "Name"),
    A("uniqueId", C.EXTERNAL_IDENTIFIER, Scheme.FD_UNIQUE_ID, datatype="oid",
      id_name="XDSFolder.uniqueId"),
)  # fmt: skip

ATTRIBUTES: Final[dict[ObjectKind, tuple[Attribute, ...]]] = {
    ObjectKind.DOCUMENT_ENTRY: DOCUMENT_ENTRY,
    ObjectKind.SUBMISSION_SET: SUBMISSION_SET,
    ObjectKind.FOLDER: FOLDER,
}

#: Attributes whose value is a list of codes with AND/OR query semantics.
MULTI_CODE_ATTRIBUTES: Final = ("eventCodeList", "confidentialityCode", "codeList")


def _opt(spec: str) -> dict[str, Opt]:
    """Parse ``"attr:R attr2:O ..."`` into a mapping (compact table notation)."""
    return {k: Opt(v) for k, v in (item.split(":") for item in spec.split())}


#: Optionality by object kind and transaction role (ITI TF-3 Tables 4.3.1-3, 4.3.2.1-3).
#: "ITI-41": what a Document Source sends; "ITI-42": what a Repository sends the Registry.
OPTIONALITY: Final[dict[ObjectKind, dict[str, dict[str, Opt]]]] = {
    ObjectKind.DOCUMENT_ENTRY: {
        "ITI-41": _opt(
            "author:R2 classCode:R confidentialityCode:R creationTime:R entryUUID:R "
            "formatCode:R healthcareFacilityTypeCode:R languageCode:R mimeType:R "
            "objectType:R patientId:R practiceSettingCode:R serviceStartTime:R2 "
            "serviceStopTime:R2 sourcePatientId:R typeCode:R uniqueId:R"
        ),
        "ITI-42": _opt(
            "author:R2 classCode:R confidentialityCode:R creationTime:R entryUUID:R "
            "formatCode:R hash:R healthcareFacilityTypeCode:R languageCode:R mimeType:R "
            "objectType:R patientId:R practiceSettingCode:R repositoryUniqueId:R "
            "serviceStartTime:R2 serviceStopTime:R2 size:R sourcePatientId:R typeCode:R "
            "uniqueId:R"
        ),
    },
    ObjectKind.SUBMISSION_SET: {
        "ITI-41": _opt(
            "author:R2 contentTypeCode:R entryUUID:R patientId:R sourceId:R "
            "submissionTime:R uniqueId:R"
        ),
        "ITI-42": _opt(
            "author:R2 contentTypeCode:R entryUUID:R patientId:R sourceId:R "
            "submissionTime:R uniqueId:R"
        ),
    },
    ObjectKind.FOLDER: {
        "ITI-41": _opt("codeList:R entryUUID:R patientId:R title:R uniqueId:R"),
        "ITI-42": _opt("codeList:R entryUUID:R patientId:R title:R uniqueId:R"),
    },
}

#: On-Demand entries carry no creationTime, hash or size (ITI TF-3 4.3.1, column XDS OD).
ON_DEMAND_PROHIBITED: Final = frozenset({"creationTime", "hash", "size"})
