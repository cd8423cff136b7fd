"""The XDS error-code list (ITI TF-3 Table 4.2.4.1-2 plus the MU, RMD and XDS-I additions).

Each code is declared once with the transactions it belongs to and when to use it.
"""

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """RegistryError/@errorCode values."""

    DOCUMENT_QUEUED = "DocumentQueued"
    INVALID_DOCUMENT_CONTENT = "InvalidDocumentContent"
    PARTIAL_APPEND_CONTENT_NOT_PROCESSED = "PartialAppendContentNotProcessed"
    PARTIAL_FOLDER_CONTENT_NOT_PROCESSED = "PartialFolderContentNotProcessed"
    PARTIAL_RELATIONSHIP_CONTENT_NOT_PROCESSED = "PartialRelationshipContentNotProcessed"
    PARTIAL_REPLACE_CONTENT_NOT_PROCESSED = "PartialReplaceContentNotProcessed"
    PARTIAL_TRANSFORM_NOT_PROCESSED = "PartialTransformNotProcessed"
    PARTIAL_TRANSFORM_REPLACE_NOT_PROCESSED = "PartialTransformReplaceNotProcessed"
    UNRESOLVED_REFERENCE = "UnresolvedReferenceException"
    DOCUMENT_UNIQUE_ID_ERROR = "XDSDocumentUniqueIdError"
    DUPLICATE_UNIQUE_ID_IN_REGISTRY = "XDSDuplicateUniqueIdInRegistry"
    EXTRA_METADATA_NOT_SAVED = "XDSExtraMetadataNotSaved"
    MISSING_DOCUMENT = "XDSMissingDocument"
    MISSING_DOCUMENT_METADATA = "XDSMissingDocumentMetadata"
    MISSING_HOME_COMMUNITY_ID = "XDSMissingHomeCommunityId"
    NON_IDENTICAL_HASH = "XDSNonIdenticalHash"
    NON_IDENTICAL_SIZE = "XDSNonIdenticalSize"
    PATIENT_ID_DOES_NOT_MATCH = "XDSPatientIdDoesNotMatch"
    REGISTRY_BUSY = "XDSRegistryBusy"
    REPOSITORY_BUSY = "XDSRepositoryBusy"
    REGISTRY_DEPRECATED_DOCUMENT_ERROR = "XDSRegistryDeprecatedDocumentError"
    REGISTRY_DUPLICATE_UNIQUE_ID_IN_MESSAGE = "XDSRegistryDuplicateUniqueIdInMessage"
    REPOSITORY_DUPLICATE_UNIQUE_ID_IN_MESSAGE = "XDSRepositoryDuplicateUniqueIdInMessage"
    REGISTRY_ERROR = "XDSRegistryError"
    REPOSITORY_ERROR = "XDSRepositoryError"
    REGISTRY_METADATA_ERROR = "XDSRegistryMetadataError"
    REPOSITORY_METADATA_ERROR = "XDSRepositoryMetadataError"
    REGISTRY_NOT_AVAILABLE = "XDSRegistryNotAvailable"
    REGISTRY_OUT_OF_RESOURCES = "XDSRegistryOutOfResources"
    REPOSITORY_OUT_OF_RESOURCES = "XDSRepositoryOutOfResources"
    RESULT_NOT_SINGLE_PATIENT = "XDSResultNotSinglePatient"
    STORED_QUERY_MISSING_PARAM = "XDSStoredQueryMissingParam"
    STORED_QUERY_PARAM_NUMBER = "XDSStoredQueryParamNumber"
    TOO_MANY_RESULTS = "XDSTooManyResults"
    UNAVAILABLE_COMMUNITY = "XDSUnavailableCommunity"
    UNKNOWN_COMMUNITY = "XDSUnknownCommunity"
    UNKNOWN_PATIENT_ID = "XDSUnknownPatientId"
    UNKNOWN_REPOSITORY_ID = "XDSUnknownRepositoryId"
    UNKNOWN_STORED_QUERY = "XDSUnknownStoredQuery"
    UNKNOWN_RECIPIENT = "UnknownRecipient"
    UNAVAILABLE_RECIPIENT = "UnavailableRecipient"
    FHIR_DOCUMENT_NOT_SUPPORTED = "FHIRDocumentNotSupported"
    METADATA_UPDATE_ERROR = "XDSMetadataUpdateError"
    METADATA_VERSION_ERROR = "XDSMetadataVersionError"
    PATIENT_ID_RECONCILIATION_ERROR = "XDSPatientIDReconciliationError"
    METADATA_UPDATE_OPERATION_ERROR = "XDSMetadataUpdateOperationError"
    REFERENCES_EXIST = "ReferencesExistException"
    UNREFERENCED_OBJECT = "XDSUnreferencedObjectException"
    REMOVE_DOCUMENTS_ERROR = "XDSRemoveDocumentsError"
    XDSI_REQUEST_ERROR = "XDSIRequestError"
    XDSI_UNKNOWN_STUDY = "XDSIUnknownStudyUID"


@dataclass(frozen=True)
class ErrorCodeInfo:
    """Where a code is defined and when it applies."""

    code: ErrorCode
    transactions: tuple[str, ...]
    use_when: str
    warning_only: bool = False


def _info(
    code: ErrorCode, transactions: str, use_when: str, warning_only: bool = False
) -> ErrorCodeInfo:
    return ErrorCodeInfo(code, tuple(transactions.split()), use_when, warning_only)


E = ErrorCode
#: ITI TF-3 Table 4.2.4.1-2 and supplement additions, as data.
ERROR_CODES: dict[ErrorCode, ErrorCodeInfo] = {
    i.code: i
    for i in (
        _info(E.DOCUMENT_QUEUED, "ITI-41", "XDR recipient matches the patient later", True),
        _info(E.INVALID_DOCUMENT_CONTENT, "ITI-41", "document bytes contradict metadata"),
        _info(E.PARTIAL_APPEND_CONTENT_NOT_PROCESSED, "ITI-41", "APND ignored", True),
        _info(E.PARTIAL_FOLDER_CONTENT_NOT_PROCESSED, "ITI-41", "Folders ignored", True),
        _info(E.PARTIAL_RELATIONSHIP_CONTENT_NOT_PROCESSED, "ITI-41", "relations ignored", True),
        _info(E.PARTIAL_REPLACE_CONTENT_NOT_PROCESSED, "ITI-41", "RPLC ignored", True),
        _info(E.PARTIAL_TRANSFORM_NOT_PROCESSED, "ITI-41", "XFRM ignored", True),
        _info(E.PARTIAL_TRANSFORM_REPLACE_NOT_PROCESSED, "ITI-41", "XFRM_RPLC ignored", True),
        _info(E.UNRESOLVED_REFERENCE, "ITI-41 ITI-42 ITI-62", "an entryUUID cannot be resolved"),
        _info(E.DOCUMENT_UNIQUE_ID_ERROR, "ITI-43 RAD-69", "document unknown or unavailable"),
        _info(E.DUPLICATE_UNIQUE_ID_IN_REGISTRY, "ITI-41 ITI-42", "SS/FD uniqueId reused"),
        _info(E.EXTRA_METADATA_NOT_SAVED, "ITI-41 ITI-42", "extra slots dropped", True),
        _info(E.MISSING_DOCUMENT, "ITI-41", "DocumentEntry without content"),
        _info(E.MISSING_DOCUMENT_METADATA, "ITI-41", "content without DocumentEntry"),
        _info(E.MISSING_HOME_COMMUNITY_ID, "ITI-18 ITI-43", "homeCommunityId needed"),
        _info(E.NON_IDENTICAL_HASH, "ITI-41 ITI-42", "duplicate DE uniqueId, other hash"),
        _info(E.NON_IDENTICAL_SIZE, "ITI-41 ITI-42", "duplicate DE uniqueId, other size"),
        _info(E.PATIENT_ID_DOES_NOT_MATCH, "ITI-41 ITI-42", "patient ids disagree"),
        _info(E.REGISTRY_BUSY, "ITI-41 ITI-42 ITI-18", "too much load"),
        _info(E.REPOSITORY_BUSY, "ITI-41 ITI-43", "too much load"),
        _info(E.REGISTRY_DEPRECATED_DOCUMENT_ERROR, "ITI-41 ITI-42", "target DE is Deprecated"),
        _info(
            E.REGISTRY_DUPLICATE_UNIQUE_ID_IN_MESSAGE, "ITI-41 ITI-42", "uniqueId twice in message"
        ),
        _info(E.REPOSITORY_DUPLICATE_UNIQUE_ID_IN_MESSAGE, "ITI-41", "uniqueId twice in message"),
        _info(E.REGISTRY_ERROR, "ITI-41 ITI-42 ITI-18 ITI-57 ITI-62", "internal registry error"),
        _info(E.REPOSITORY_ERROR, "ITI-41 ITI-43 RAD-69", "internal repository error"),
        _info(E.REGISTRY_METADATA_ERROR, "ITI-41 ITI-42 ITI-57", "metadata invalid"),
        _info(E.REPOSITORY_METADATA_ERROR, "ITI-41", "metadata invalid (repository)"),
        _info(E.REGISTRY_NOT_AVAILABLE, "ITI-41", "repository could not reach the registry"),
        _info(E.REGISTRY_OUT_OF_RESOURCES, "ITI-41 ITI-42 ITI-18", "resources low"),
        _info(E.REPOSITORY_OUT_OF_RESOURCES, "ITI-41 ITI-43", "resources low"),
        _info(E.RESULT_NOT_SINGLE_PATIENT, "ITI-18 ITI-43", "result would mix patients"),
        _info(E.STORED_QUERY_MISSING_PARAM, "ITI-18", "required query parameter missing"),
        _info(E.STORED_QUERY_PARAM_NUMBER, "ITI-18", "too many values or both alternatives"),
        _info(E.TOO_MANY_RESULTS, "ITI-18", "result exceeds the configured limit"),
        _info(E.UNAVAILABLE_COMMUNITY, "ITI-18 ITI-43", "community unreachable"),
        _info(E.UNKNOWN_COMMUNITY, "ITI-18 ITI-43", "homeCommunityId not recognised"),
        _info(E.UNKNOWN_PATIENT_ID, "ITI-41 ITI-42 ITI-18", "patient id not known"),
        _info(E.UNKNOWN_REPOSITORY_ID, "ITI-43 RAD-69", "repositoryUniqueId is not ours"),
        _info(E.UNKNOWN_STORED_QUERY, "ITI-18", "query id not recognised"),
        _info(E.UNKNOWN_RECIPIENT, "ITI-41", "intendedRecipient unknown"),
        _info(E.UNAVAILABLE_RECIPIENT, "ITI-41", "intendedRecipient unreachable"),
        _info(E.FHIR_DOCUMENT_NOT_SUPPORTED, "ITI-65", "FHIR Document publish not supported"),
        _info(E.METADATA_UPDATE_ERROR, "ITI-57", "update not allowed"),
        _info(E.METADATA_VERSION_ERROR, "ITI-57", "PreviousVersion is not the latest"),
        _info(E.PATIENT_ID_RECONCILIATION_ERROR, "ITI-57", "patient ids differ in an update"),
        _info(E.METADATA_UPDATE_OPERATION_ERROR, "ITI-57", "request is no known operation"),
        _info(E.REFERENCES_EXIST, "ITI-62", "an association still references a removed object"),
        _info(E.UNREFERENCED_OBJECT, "ITI-62", "removal leaves an unreferenced object"),
        _info(E.REMOVE_DOCUMENTS_ERROR, "ITI-86", "document removal failed"),
        _info(E.XDSI_REQUEST_ERROR, "RAD-69", "imaging request cannot be served"),
        _info(E.XDSI_UNKNOWN_STUDY, "RAD-69", "study unknown"),
    )
}
