"""The scripts, at least one per component (run by ``conformance.scripts``).

Message files are NIST test-kit files of the corpus; each script says what it proves.
"""

from __future__ import annotations

from typing import Final

from profiles.testscripts import Feed, HttpGet, Query, Retrieve, Script, Send

SINGLE_DOC_42: Final = "iti42/nist-tk2__11990__submit__single_doc.xml"
SINGLE_DOC_41: Final = "iti41/nist-tk2__11966__submit__single_doc.xml"
DOCUMENT_41: Final = "iti41/nist-tk2__11966__submit__my_document.txt"
#: ITI TF-3 4.2.3.2 (XDSDocumentEntry.patientId): required; removing it is a metadata error.
_DE_PATIENT_SCHEME = 'identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"'

REGISTER_AND_FIND: Final = Script(
    "register-and-find",
    "registry",
    "ITI-8 feed, ITI-42 register one DocumentEntry, FindDocuments returns it "
    "(ITI TF-2b 3.42, TF-2a 3.18.4.1.2.3.7.1)",
    (Feed(), Send("ITI-42", SINGLE_DOC_42), Query("FindDocuments", 1)),
)
REGISTER_UNKNOWN_SCHEME: Final = Script(
    "register-without-document-patient",
    "registry",
    "golden ITI-42 minus the DocumentEntry patientId scheme: XDSRegistryMetadataError and "
    "nothing stored (ITI TF-3 4.2.3.2, TF-2b 3.42.4.1.3)",
    (
        Feed(),
        Send(
            "ITI-42",
            SINGLE_DOC_42,
            "Failure",
            ("XDSRegistryMetadataError",),
            changes=((_DE_PATIENT_SCHEME, 'identificationScheme="urn:uuid:unknown-scheme"'),),
        ),
        Query("FindDocuments", 0),
    ),
)
PROVIDE_AND_RETRIEVE: Final = Script(
    "provide-and-retrieve",
    "repository",
    "ITI-8 feed, ITI-41 one document, ITI-43 returns the same bytes (ITI TF-2b 3.41, 3.43)",
    (
        Feed(),
        Send("ITI-41", SINGLE_DOC_41, documents=(("Document01", DOCUMENT_41),)),
        Retrieve("Document01", DOCUMENT_41),
    ),
)
WADO_UNKNOWN_INSTANCE: Final = Script(
    "wado-unknown-instance",
    "imaging-source",
    "WADO-URI for an instance the source does not hold answers 404 (PS3.18 6.2, RAD TF-3 4.55)",
    (
        HttpGet(
            "wado",
            params=(
                ("requestType", "WADO"),
                ("studyUID", "2.25.1"),
                ("seriesUID", "2.25.2"),
                ("objectUID", "2.25.3"),
                ("contentType", "application/dicom"),
            ),
            expect_status=404,
        ),
    ),
)
FHIR_CAPABILITIES: Final = Script(
    "fhir-capabilities",
    "fhir",
    "GET [base]/metadata answers the CapabilityStatement (FHIR R4 http.html#capabilities)",
    (HttpGet("fhir", "/metadata"),),
)

ALL: Final = (
    REGISTER_AND_FIND,
    REGISTER_UNKNOWN_SCHEME,
    PROVIDE_AND_RETRIEVE,
    WADO_UNKNOWN_INSTANCE,
    FHIR_CAPABILITIES,
)
BY_NAME: Final = {s.name: s for s in ALL}
