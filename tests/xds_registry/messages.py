"""Golden ITI-42 / ITI-18 messages for registry tests (ITI TF-3 4.2, xds-metadata.md §9a).

``submission(...)`` returns a valid SubmitObjectsRequest; tests change one thing and expect
one error code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from profiles.stored_queries import FIND_DOCUMENTS
from profiles.vocabulary import ClassificationNode
from profiles.vocabulary import Scheme as S  # noqa: N817

AUTHORITY = "1.3.6.1.4.1.21367.2005.13.20.1000"


def new_patient() -> str:
    """A fresh patient id in the test affinity domain."""
    return f"{uuid.uuid4().hex[:12]}^^^&{AUTHORITY}&ISO"


def new_oid() -> str:
    """A fresh OID under 2.25."""
    return f"2.25.{uuid.uuid4().int}"


def esc(value: str) -> str:
    """Escape & for XML attribute and text content."""
    return value.replace("&", "&amp;")


def slot(name: str, *values: str) -> str:
    vals = "".join(f"<rim:Value>{esc(v)}</rim:Value>" for v in values)
    return f'<rim:Slot name="{name}"><rim:ValueList>{vals}</rim:ValueList></rim:Slot>'


def code(scheme: str, owner: str, value: str, coding: str, display: str = "x") -> str:
    return (
        f'<rim:Classification classificationScheme="{scheme}" classifiedObject="{owner}" '
        f'nodeRepresentation="{value}" id="cl-{uuid.uuid4().hex[:8]}">'
        f"{slot('codingScheme', coding)}"
        f'<rim:Name><rim:LocalizedString value="{display}"/></rim:Name></rim:Classification>'
    )


def ext_id(scheme: str, owner: str, value: str, name: str) -> str:
    return (
        f'<rim:ExternalIdentifier id="ei-{uuid.uuid4().hex[:8]}" registryObject="{owner}" '
        f'identificationScheme="{scheme}" value="{esc(value)}">'
        f'<rim:Name><rim:LocalizedString value="{name}"/></rim:Name></rim:ExternalIdentifier>'
    )


@dataclass
class Doc:
    """One DocumentEntry of a golden submission."""

    id: str = "Document01"
    unique_id: str = field(default_factory=new_oid)
    class_code: str = "REPORTS"
    hash: str = "e543712c0e10501972de13a5bfcbe826c49feb75"
    size: str = "4"
    patient: str = ""
    extra: str = ""
    creation_time: str = "20240102030405"


def document(d: Doc, patient: str) -> str:
    pid = d.patient or patient
    return (
        f'<rim:ExtrinsicObject id="{d.id}" mimeType="text/plain" '
        'objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
        + slot("creationTime", d.creation_time)
        + slot("languageCode", "nl-NL")
        + slot("hash", d.hash)
        + slot("size", d.size)
        + slot("repositoryUniqueId", "1.2.3.4.5.6.7")
        + slot("sourcePatientId", "123^^^&1.2.3.4&ISO")
        + slot("serviceStartTime", "20240101")
        + slot("serviceStopTime", "20240102")
        + d.extra
        + '<rim:Name><rim:LocalizedString value="Verslag"/></rim:Name>'
        + f'<rim:Classification classificationScheme="{S.DE_AUTHOR}"'
        f' classifiedObject="{d.id}" nodeRepresentation="" id="au-{d.id}">'
        + slot("authorPerson", "^Jansen^Anna^^^")
        + slot("authorInstitution", "Ziekenhuis^^^^^&1.2.3&ISO^^^^ZH1")
        + "</rim:Classification>"
        + code(S.DE_CLASS_CODE, d.id, d.class_code, "1.2.3.6")
        + code(S.DE_CONFIDENTIALITY_CODE, d.id, "N", "2.16.840.1.113883.5.25")
        + code(S.DE_EVENT_CODE, d.id, "CT", "1.2.840.10008.2.16.4")
        + code(S.DE_FORMAT_CODE, d.id, "urn:ihe:rad:PDF", "1.3.6.1.4.1.19376.1.2.3")
        + code(S.DE_HEALTHCARE_FACILITY_TYPE_CODE, d.id, "22232009", "2.16.840.1.113883.6.96")
        + code(S.DE_PRACTICE_SETTING_CODE, d.id, "394914008", "2.16.840.1.113883.6.96")
        + code(S.DE_TYPE_CODE, d.id, "18748-4", "2.16.840.1.113883.6.1")
        + ext_id(S.DE_PATIENT_ID, d.id, pid, "XDSDocumentEntry.patientId")
        + ext_id(S.DE_UNIQUE_ID, d.id, d.unique_id, "XDSDocumentEntry.uniqueId")
        + "</rim:ExtrinsicObject>"
    )  # fmt: skip


def submission_set(patient: str, unique_id: str, ss_id: str = "SubmissionSet01") -> str:
    return (
        f'<rim:RegistryPackage id="{ss_id}">'
        + slot("submissionTime", "20240102030500")
        + code(S.SS_CONTENT_TYPE_CODE, ss_id, "18748-4", "2.16.840.1.113883.6.1")
        + ext_id(S.SS_PATIENT_ID, ss_id, patient, "XDSSubmissionSet.patientId")
        + ext_id(S.SS_SOURCE_ID, ss_id, "1.2.3.4.5", "XDSSubmissionSet.sourceId")
        + ext_id(S.SS_UNIQUE_ID, ss_id, unique_id, "XDSSubmissionSet.uniqueId")
        + "</rim:RegistryPackage>"
        + f'<rim:Classification id="ssc-{ss_id}" classifiedObject="{ss_id}" '
        f'classificationNode="{ClassificationNode.SUBMISSION_SET}"/>'
    )  # fmt: skip


def has_member(source: str, target: str, status: str = "Original") -> str:
    return (
        f'<rim:Association id="hm-{uuid.uuid4().hex[:8]}" sourceObject="{source}" '
        f'targetObject="{target}" '
        'associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember">'
        + slot("SubmissionSetStatus", status)
        + "</rim:Association>"
    )


def relation(kind: str, source: str, target: str) -> str:
    return (
        f'<rim:Association id="rel-{uuid.uuid4().hex[:8]}" sourceObject="{source}" '
        f'targetObject="{target}" associationType="urn:ihe:iti:2007:AssociationType:{kind}"/>'
    )


def submission(
    patient: str,
    docs: list[Doc] | None = None,
    extra_objects: str = "",
    ss_unique_id: str = "",
) -> str:
    """A SubmitObjectsRequest with one SubmissionSet, ``docs`` and their HasMembers."""
    docs = [Doc()] if docs is None else docs
    body = "".join(document(d, patient) for d in docs)
    body += submission_set(patient, ss_unique_id or new_oid())
    body += "".join(has_member("SubmissionSet01", d.id) for d in docs)
    return (
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
        f"{body}{extra_objects}</rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )


def query(query_id: str, return_type: str = "LeafClass", **slots: str | list[str]) -> str:
    """An AdhocQueryRequest; slot values are given already in stored-query syntax."""
    body = ""
    for name, value in slots.items():
        values = value if isinstance(value, list) else [value]
        body += slot(f"${name}", *values)
    return (
        '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
        f'<query:ResponseOption returnType="{return_type}" returnComposedObjects="true"/>'
        f'<rim:AdhocQuery id="{query_id}">{body}</rim:AdhocQuery></query:AdhocQueryRequest>'
    )


def find_documents(patient: str, return_type: str = "LeafClass") -> str:
    """FindDocuments for ``patient`` with status Approved."""
    return query(
        FIND_DOCUMENTS.id,
        return_type,
        XDSDocumentEntryPatientId=f"'{patient}'",
        XDSDocumentEntryStatus="('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
    )
