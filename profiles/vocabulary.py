"""ebRIM / XDS identifiers: classification schemes, object types, statuses, associations.

Every UUID here is declared once and looked up everywhere else.
Source: ITI TF-3 4.2.5 (verified against the TF HTML, IPF Vocabulary.java and dcm4che).
"""

from enum import StrEnum
from typing import Final


class ObjectKind(StrEnum):
    """The Document Sharing object kinds (ITI TF-3 4.1)."""

    DOCUMENT_ENTRY = "DocumentEntry"
    SUBMISSION_SET = "SubmissionSet"
    FOLDER = "Folder"
    ASSOCIATION = "Association"


class DocumentEntryType(StrEnum):
    """DocumentEntry.objectType (ITI TF-3 4.2.3.2.20)."""

    STABLE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
    ON_DEMAND = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"


class ClassificationNode(StrEnum):
    """classificationNode values that label a RegistryPackage (ITI TF-3 4.2.5)."""

    SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
    FOLDER = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
    SS_LIMITED_METADATA = "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
    DE_LIMITED_METADATA = "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"
    FD_LIMITED_METADATA = "urn:uuid:2c144a76-29a9-4b7c-af54-b25409fe7d03"


class Scheme(StrEnum):
    """classificationScheme / identificationScheme UUIDs (ITI TF-3 4.2.5)."""

    SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
    SS_CONTENT_TYPE_CODE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
    SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
    SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
    SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
    DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
    DE_CLASS_CODE = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
    DE_CONFIDENTIALITY_CODE = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
    DE_EVENT_CODE = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
    DE_FORMAT_CODE = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
    DE_HEALTHCARE_FACILITY_TYPE_CODE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
    DE_PRACTICE_SETTING_CODE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
    DE_TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
    DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
    DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
    FD_CODE_LIST = "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5"
    FD_PATIENT_ID = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"
    FD_UNIQUE_ID = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"
    ASSOCIATION_DOCUMENTATION = "urn:uuid:abd807a3-4432-4053-87b4-fd82c643d1f3"


class RimObjectType(StrEnum):
    """Fixed ebRIM objectType URNs written on query responses (ebRIM 3.0)."""

    CLASSIFICATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
    EXTERNAL_IDENTIFIER = (
        "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"
    )
    ASSOCIATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association"
    REGISTRY_PACKAGE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"


class Status(StrEnum):
    """availabilityStatus of registry objects (ITI TF-3 4.1.8)."""

    APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
    DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
    SUBMITTED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted"


class ResponseStatus(StrEnum):
    """RegistryResponse/@status values (ITI TF-3 4.2.4)."""

    SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
    FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
    PARTIAL_SUCCESS = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"


class Severity(StrEnum):
    """RegistryError/@severity (ITI TF-3 4.2.4)."""

    ERROR = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
    WARNING = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"


class AssociationType(StrEnum):
    """Association types (ITI TF-3 4.2.2; Metadata Update supplement)."""

    HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
    RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
    XFRM = "urn:ihe:iti:2007:AssociationType:XFRM"
    APND = "urn:ihe:iti:2007:AssociationType:APND"
    XFRM_RPLC = "urn:ihe:iti:2007:AssociationType:XFRM_RPLC"
    SIGNS = "urn:ihe:iti:2007:AssociationType:signs"
    IS_SNAPSHOT_OF = "urn:ihe:iti:2010:AssociationType:IsSnapshotOf"
    UPDATE_AVAILABILITY_STATUS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
    SUBMIT_ASSOCIATION = "urn:ihe:iti:2010:AssociationType:SubmitAssociation"


#: Document relationship types (DE -> DE), ITI TF-3 4.2.2.
RELATIONSHIP_TYPES: Final = frozenset(
    {
        AssociationType.RPLC,
        AssociationType.XFRM,
        AssociationType.APND,
        AssociationType.XFRM_RPLC,
        AssociationType.SIGNS,
        AssociationType.IS_SNAPSHOT_OF,
    }
)

#: Relationships that deprecate their target (ITI TF-2b 3.42.4.1.3.5).
REPLACING_TYPES: Final = frozenset({AssociationType.RPLC, AssociationType.XFRM_RPLC})

#: Relationships whose children are deprecated with a replaced document.
DEPENDENT_TYPES: Final = frozenset({AssociationType.XFRM, AssociationType.APND})


class DocumentAvailability(StrEnum):
    """DocumentEntry.documentAvailability (XDS Metadata Update supplement)."""

    ONLINE = "urn:ihe:iti:2010:DocumentAvailability:Online"
    OFFLINE = "urn:ihe:iti:2010:DocumentAvailability:Offline"


class SlotName(StrEnum):
    """Slot names with a meaning defined by XDS (ITI TF-3 4.2.3, MU supplement)."""

    CODING_SCHEME = "codingScheme"
    CREATION_TIME = "creationTime"
    HASH = "hash"
    LANGUAGE_CODE = "languageCode"
    LEGAL_AUTHENTICATOR = "legalAuthenticator"
    REPOSITORY_UNIQUE_ID = "repositoryUniqueId"
    SERVICE_START_TIME = "serviceStartTime"
    SERVICE_STOP_TIME = "serviceStopTime"
    SIZE = "size"
    SOURCE_PATIENT_ID = "sourcePatientId"
    SOURCE_PATIENT_INFO = "sourcePatientInfo"
    URI = "URI"
    REFERENCE_ID_LIST = "urn:ihe:iti:xds:2013:referenceIdList"
    DOCUMENT_AVAILABILITY = "documentAvailability"
    SUBMISSION_TIME = "submissionTime"
    INTENDED_RECIPIENT = "intendedRecipient"
    LAST_UPDATE_TIME = "lastUpdateTime"
    AUTHOR_PERSON = "authorPerson"
    AUTHOR_INSTITUTION = "authorInstitution"
    AUTHOR_ROLE = "authorRole"
    AUTHOR_SPECIALTY = "authorSpecialty"
    AUTHOR_TELECOMMUNICATION = "authorTelecommunication"
    SUBMISSION_SET_STATUS = "SubmissionSetStatus"
    PREVIOUS_VERSION = "PreviousVersion"
    ORIGINAL_STATUS = "OriginalStatus"
    NEW_STATUS = "NewStatus"
    ASSOCIATION_PROPAGATION = "AssociationPropagation"


AUTHOR_SLOTS: Final = (
    SlotName.AUTHOR_PERSON,
    SlotName.AUTHOR_INSTITUTION,
    SlotName.AUTHOR_ROLE,
    SlotName.AUTHOR_SPECIALTY,
    SlotName.AUTHOR_TELECOMMUNICATION,
)

#: SubmissionSetStatus slot values on SS -> DE HasMember (ITI TF-3 4.2.2.1.1).
SUBMISSION_SET_STATUS_VALUES: Final = frozenset({"Original", "Reference"})

#: ebRIM 2.1 short association names and their 3.0 URNs (ITI TF-3 4.2.2, NIST converter).
SHORT_ASSOCIATION_TYPES: Final[dict[str, AssociationType]] = {
    "HasMember": AssociationType.HAS_MEMBER,
    "RPLC": AssociationType.RPLC,
    "XFRM": AssociationType.XFRM,
    "APND": AssociationType.APND,
    "XFRM_RPLC": AssociationType.XFRM_RPLC,
    "signs": AssociationType.SIGNS,
    "IsSnapshotOf": AssociationType.IS_SNAPSHOT_OF,
    "UpdateAvailabilityStatus": AssociationType.UPDATE_AVAILABILITY_STATUS,
    "SubmitAssociation": AssociationType.SUBMIT_ASSOCIATION,
}

#: Assigning authority of the Dutch citizen service number (BSN).
BSN_ASSIGNING_AUTHORITY: Final = "2.16.840.1.113883.2.4.6.3"

#: SHA-1 of the empty string: the hash of a Delayed Document Assembly entry (ITI TF-2b 3.42).
EMPTY_SHA1: Final = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
