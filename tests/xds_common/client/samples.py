"""Sample metadata for the client tests: a complete ITI-41/ITI-42 submission (ITI TF-3 4.3.1)."""

from __future__ import annotations

from uuid import uuid4

from lxml import etree

from profiles.vocabulary import DocumentEntryType
from xds_common.client import submit_objects_request
from xds_common.metadata import Author, Code, DocumentEntry, SubmissionSet

LOINC = "2.16.840.1.113883.6.1"
SNOMED = "2.16.840.1.113883.6.96"
AUTHOR = Author("^de Vries^Anna^^^Dr.", ("Radiologie Noord^^^^^^^^^1.2.3.4.5.6",), ("Radioloog",))


def new_oid() -> str:
    return f"2.25.{uuid4().int}"


def document_entry(
    patient_id: str, number: int = 1, mime_type: str = "application/pdf", registry: bool = False
) -> DocumentEntry:
    """A Stable DocumentEntry with every attribute a Document Source sends (ITI-41 column DS).

    ``registry`` adds what a Repository adds for ITI-42: hash, size, repositoryUniqueId.
    """
    entry = DocumentEntry(
        entry_uuid=f"Document{number:02d}",
        title=f"CT thorax verslag {number}",
        object_type=DocumentEntryType.STABLE,
        mime_type=mime_type,
        patient_id=patient_id,
        unique_id=new_oid(),
        class_code=Code("18748-4", LOINC, "Diagnostic imaging study"),
        type_code=Code("18748-4", LOINC, "Diagnostic imaging study"),
        format_code=Code("urn:ihe:rad:PDF", "1.3.6.1.4.1.19376.1.2.3", "PDF"),
        healthcare_facility_type_code=Code("22232009", SNOMED, "Hospital"),
        practice_setting_code=Code("394914008", SNOMED, "Radiology"),
        confidentiality_codes=[Code("N", "2.16.840.1.113883.5.25", "normal")],
        authors=[AUTHOR],
        creation_time="20240102030405",
        language_code="nl-NL",
        source_patient_id=patient_id,
        source_patient_info=["PID-5|Jansen^Jan", "PID-8|M"],
    )
    if registry:
        entry.hash = "4cf4f82d78b5e2aac35c31bca8cb79fe6bd6a41e"
        entry.size = "1024"
        entry.repository_unique_id = "1.2.3.4.5.6.7.8"
    return entry


def submission_set(patient_id: str) -> SubmissionSet:
    return SubmissionSet(
        entry_uuid="SubmissionSet01",
        title="Verslag CT thorax",
        patient_id=patient_id,
        unique_id=new_oid(),
        source_id="1.2.3.4.5.6",
        submission_time="20240102030500",
        content_type_code=Code("18748-4", LOINC, "Diagnostic imaging study"),
        authors=[AUTHOR],
    )


def submission(
    patient_id: str, documents: int = 1, registry: bool = False
) -> tuple[etree._Element, list[DocumentEntry]]:
    """The lcm:SubmitObjectsRequest and its entries."""
    entries = [document_entry(patient_id, n, registry=registry) for n in range(1, documents + 1)]
    return submit_objects_request(submission_set(patient_id), entries), entries
