"""Golden ITI-42 / ITI-18 messages for registry tests (ITI TF-3 4.2, xds-metadata.md §9a).

``submission(...)`` returns a valid SubmitObjectsRequest; tests change one thing and expect
one error code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from profiles.stored_queries import FIND_DOCUMENTS

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
        + '<rim:Classification classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"'
        f' classifiedObject="{d.id}" nodeRepresentation="" id="au-{d.id}">'
        + slot("authorPerson", "^Jansen^Anna^^^")
        + slot("authorInstitution", "Ziekenhuis^^^^^&1.2.3&ISO^^^^ZH1")
        + "</rim:Classification>"
        + code("urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", d.id, d.class_code, "1.2.3.6")
        + code("urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", d.id, "N", "2.16.840.1.113883.5.25")
        + code("urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4", d.id, "CT", "1.2.840.10008.2.16.4")
        + code("urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", d.id, "urn:ihe:rad:PDF", "1.3.6.1.4.1.19376.1.2.3")
        + code("urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", d.id, "22232009", "2.16.840.1.113883.6.96")
        + code("urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", d.id, "394914008", "2.16.840.1.113883.6.96")
        + code("urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", d.id, "18748-4", "2.16.840.1.113883.6.1")
        + ext_id("urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", d.id, pid, "XDSDocumentEntry.patientId")
        + ext_id("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", d.id, d.unique_id, "XDSDocumentEntry.uniqueId")
        + "</rim:ExtrinsicObject>"
    )  # fmt: skip


def submission_set(patient: str, unique_id: str, ss_id: str = "SubmissionSet01") -> str:
    return (
        f'<rim:RegistryPackage id="{ss_id}">'
        + slot("submissionTime", "20240102030500")
        + code("urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", ss_id, "18748-4", "2.16.840.1.113883.6.1")
        + ext_id("urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", ss_id, patient, "XDSSubmissionSet.patientId")
        + ext_id("urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", ss_id, "1.2.3.4.5", "XDSSubmissionSet.sourceId")
        + ext_id("urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", ss_id, unique_id, "XDSSubmissionSet.uniqueId")
        + "</rim:RegistryPackage>"
        + f'<rim:Classification id="ssc-{ss_id}" classifiedObject="{ss_id}" '
        'classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
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
