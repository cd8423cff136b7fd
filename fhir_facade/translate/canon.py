"""MHD 4.2.3 canonical URLs and fixed codes (MHD 4.2.3 sections 1.6, 2.3.1; FSH sources).

Declared once; the validator, the translators and the CapabilityStatement look them up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from profiles.vocabulary import AssociationType, Status

SD: Final = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/"


class Option(StrEnum):
    """The ITI-65 metadata options (MHD 4.2.3 3.65.4.1.2.1)."""

    MINIMAL = "Minimal"
    COMPREHENSIVE = "Comprehensive"
    UNCONTAINED = "UnContained.Comprehensive"


#: Bundle.meta.profile -> option (MHD 4.2.3 Table 3.65.4.1.2.1-1).
BUNDLE_PROFILES: Final[dict[str, Option]] = {
    f"{SD}IHE.MHD.{option.value}.ProvideBundle": option for option in Option
}
RESPONSE_PROFILE: Final = f"{SD}IHE.MHD.ProvideDocumentBundleResponse"
DOCUMENT_REFERENCE_PROFILE: Final = f"{SD}IHE.MHD.Comprehensive.DocumentReference"
SUBMISSION_SET_PROFILE: Final = f"{SD}IHE.MHD.Comprehensive.SubmissionSet"
FOLDER_PROFILE: Final = f"{SD}IHE.MHD.Comprehensive.Folder"

EXT_SOURCE_ID: Final = f"{SD}ihe-sourceId"
EXT_DESIGNATION_TYPE: Final = f"{SD}ihe-designationType"
EXT_INTENDED_RECIPIENT: Final = f"{SD}ihe-intendedRecipient"
EXT_AUTHOR_ORG: Final = f"{SD}ihe-authorOrg"

LIST_TYPES: Final = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
SUBMISSION_SET: Final = "submissionset"
FOLDER: Final = "folder"

SP_SOURCE_ID: Final = "https://profiles.ihe.net/ITI/MHD/SearchParameter/List-SourceId"
SP_DESIGNATION_TYPE: Final = "https://profiles.ihe.net/ITI/MHD/SearchParameter/List-DesignationType"
SP_CREATION: Final = "https://profiles.ihe.net/ITI/MHD/SearchParameter/DocumentReference-Creation"

#: DocumentReference.relatesTo.code -> XDS association type (ConceptMap
#: AssociationTypeVsRelatesTo, MHD 4.2.3); the reverse direction keeps XFRM_RPLC lossy.
RELATES_TO: Final[dict[str, str]] = {
    "replaces": AssociationType.RPLC,
    "transforms": AssociationType.XFRM,
    "appends": AssociationType.APND,
    "signs": AssociationType.SIGNS,
}
RELATES_TO_CODES: Final[dict[str, str]] = {
    **{urn: code for code, urn in RELATES_TO.items()},
    AssociationType.XFRM_RPLC: "replaces",
    AssociationType.IS_SNAPSHOT_OF: "transforms",
}

#: FHIR status <-> availabilityStatus (ConceptMap FhirStatusVsStatusCode).
STATUS_TO_XDS: Final[dict[str, str]] = {
    "current": Status.APPROVED,
    "superseded": Status.DEPRECATED,
}
XDS_TO_STATUS: Final[dict[str, str]] = {urn: code for code, urn in STATUS_TO_XDS.items()}
