"""ITI-65 Provide Document Bundle -> ITI-41 Provide and Register (MHD 4.2.3 3.65.4.1.3 step 9).

Takes a Bundle that :func:`fhir_facade.validate.validate_bundle` accepted and the patient id
the subject resolved to, and returns the XDS domain objects to send: one SubmissionSet, a
DocumentEntry per DocumentReference (mapping: MHD 32_fhir_maps, summarised in
``shared/reference/mhd-fhir.md`` 6.1/6.2), the document bytes, the DE -> DE relationship
associations from ``relatesTo`` (ConceptMap AssociationTypeVsRelatesTo) and, per Bundle
entry, the ``Bundle.entry.response.location`` (ITI TF-2 3.65.4.2).

Minimal-option Bundles (MHD 4.2.3 3.65.4.1.2.1) lack attributes an XDS registry requires
(ITI TF-3 Table 4.3.1-3); the Recipient, grouped with an XDS Document Source, fills them from
:data:`MINIMAL_DEFAULTS` (the radiology defaults of ``beeldportaal submit``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from fhir_facade.translate import canon, people
from fhir_facade.translate.values import (
    UUID_PREFIX,
    JsonDict,
    code_of,
    dtm_of,
    entry_uuid_of,
    resource_id,
    unique_id_of,
)
from profiles.vocabulary import DocumentEntryType
from xds_common.datatypes import is_uuid_urn
from xds_common.ebrim.ids import new_uuid
from xds_common.metadata import Author, Code, DocumentEntry, SubmissionSet

_LOINC: Final = "2.16.840.1.113883.6.1"
_SNOMED: Final = "2.16.840.1.113883.6.96"
_IMAGING: Final = Code("18748-4", _LOINC, "Diagnostic imaging study")

#: XDS attributes required by an XDS registry that a Minimal Bundle may leave out.
MINIMAL_DEFAULTS: Final[dict[str, Code | str]] = {
    "classCode": _IMAGING,
    "typeCode": _IMAGING,
    "formatCode": Code(
        "urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3", "Mime type sufficient"
    ),
    "healthcareFacilityTypeCode": Code("22232009", _SNOMED, "Hospital"),
    "practiceSettingCode": Code("394914008", _SNOMED, "Radiology"),
    "confidentialityCode": Code("N", "2.16.840.1.113883.5.25", "normal"),
    "contentTypeCode": _IMAGING,
    "languageCode": "nl-NL",
}


@dataclass(frozen=True)
class Document:
    """The bytes of one DocumentEntry (decoded Binary.data or attachment.data)."""

    entry_uuid: str
    content: bytes
    mime_type: str


@dataclass
class ProvidePlan:
    """What one ITI-65 Bundle becomes on the XDS side."""

    submission_set: SubmissionSet
    entries: list[DocumentEntry] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    #: (association type, source entryUUID, target entryUUID)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    #: Bundle.entry.response.location per request entry, in request order
    locations: list[str] = field(default_factory=list)


def _code(value: JsonDict | None, attribute: str) -> Code:
    found = code_of(value)
    if found is not None:
        return found
    default = MINIMAL_DEFAULTS[attribute]
    assert isinstance(default, Code)
    return default


def _entry_uuid(resource: JsonDict) -> str:
    for identifier in resource.get("identifier") or []:
        value = str(identifier.get("value", ""))
        if identifier.get("use") == "official" and is_uuid_urn(value):
            return value
    return new_uuid()


def _authors(resource: JsonDict, key: str) -> list[Author]:
    refs = resource.get(key) or []
    found = [
        people.author_of(resource, ref) for ref in (refs if isinstance(refs, list) else [refs])
    ]
    return [a for a in found if a is not None]


def _bytes(bundle: JsonDict, attachment: JsonDict) -> bytes:
    data = attachment.get("data")
    if data is None:
        url = attachment.get("url")
        binary = next(e["resource"] for e in bundle["entry"] if e.get("fullUrl") == url)
        data = binary.get("data", "")
    return base64.b64decode(str(data))


def document_entry(doc: JsonDict, patient_id: str, now: str) -> DocumentEntry:
    """The DocumentEntry of one DocumentReference (MHD 32_fhir_maps DocumentReference)."""
    attachment = dict(doc["content"][0].get("attachment") or {})
    context = doc.get("context") or {}
    period = context.get("period") or {}
    source = people.contained(doc, context.get("sourcePatientInfo"))
    source_id, source_info = people.source_patient(source) if source else ("", [])
    authenticator = people.contained(doc, doc.get("authenticator"))
    labels = [c for c in (code_of(x) for x in doc.get("securityLabel") or []) if c]
    default_conf = MINIMAL_DEFAULTS["confidentialityCode"]
    assert isinstance(default_conf, Code)
    return DocumentEntry(
        entry_uuid=_entry_uuid(doc),
        title=str(attachment.get("title", "")),
        comments=str(doc.get("description", "")),
        object_type=DocumentEntryType.STABLE,
        mime_type=str(attachment["contentType"]),
        patient_id=patient_id,
        unique_id=unique_id_of(doc.get("masterIdentifier")),
        class_code=_code((doc.get("category") or [None])[0], "classCode"),
        type_code=_code(doc.get("type"), "typeCode"),
        format_code=_code(doc["content"][0].get("format"), "formatCode"),
        healthcare_facility_type_code=_code(
            context.get("facilityType"), "healthcareFacilityTypeCode"
        ),
        practice_setting_code=_code(context.get("practiceSetting"), "practiceSettingCode"),
        confidentiality_codes=labels or [default_conf],
        event_codes=[c for c in (code_of(x) for x in context.get("event") or []) if c],
        authors=_authors(doc, "author"),
        creation_time=dtm_of(attachment["creation"]) if attachment.get("creation") else now,
        service_start_time=dtm_of(period["start"]) if period.get("start") else "",
        service_stop_time=dtm_of(period["end"]) if period.get("end") else "",
        language_code=str(attachment.get("language") or MINIMAL_DEFAULTS["languageCode"]),
        legal_authenticator=people.xcn(authenticator) if authenticator else "",
        source_patient_id=source_id or patient_id,
        source_patient_info=source_info,
        reference_ids=_reference_ids(context),
    )


def _reference_ids(context: JsonDict) -> list[str]:
    """context.related identifiers -> referenceIdList CXi (ITI TF-3 4.2.3.2.28)."""
    found = []
    for related in context.get("related") or []:
        identifier = related.get("identifier") or {}
        system = str(identifier.get("system", "")).removeprefix("urn:oid:")
        if identifier.get("value") and system:
            found.append(f"{identifier['value']}^^^&{system}&ISO")
    return found


def submission_set(ss: JsonDict, patient_id: str) -> SubmissionSet:
    """The SubmissionSet of the SubmissionSet List (MHD 32_fhir_maps SubmissionSet)."""
    source = next((e.get("valueIdentifier") or {} for e in ss.get("extension") or []
                   if e.get("url") == canon.EXT_SOURCE_ID), {})  # fmt: skip
    designation = next((e.get("valueCodeableConcept") for e in ss.get("extension") or []
                        if e.get("url") == canon.EXT_DESIGNATION_TYPE), None)  # fmt: skip
    usual = next(i for i in ss.get("identifier") or [] if i.get("use") == "usual")
    return SubmissionSet(
        entry_uuid=_entry_uuid(ss),
        title=str(ss.get("title", "")),
        comments=str(((ss.get("note") or [{}])[0]).get("text", "")),
        patient_id=patient_id,
        unique_id=unique_id_of(usual),
        source_id=unique_id_of(source),
        submission_time=dtm_of(str(ss["date"])),
        content_type_code=_code(designation, "contentTypeCode"),
        authors=_authors(ss, "source"),
    )


def relation_target(reference: str, fhir_base: str) -> str | None:
    """The entryUUID of ``DocumentReference/<id>`` (relative or on our base), or None."""
    text = reference.removeprefix(fhir_base.rstrip("/") + "/")
    kind, _, rest = text.partition("/")
    rest = rest.split("/_history/", 1)[0]
    if kind != "DocumentReference" or not rest:
        return None
    target = entry_uuid_of(rest)
    return target if is_uuid_urn(target) else None


def plan(bundle: JsonDict, patient_id: str, fhir_base: str) -> ProvidePlan:
    """Translate a valid ITI-65 Bundle; ``ValueError(fhirpath)`` for an unresolvable relatesTo."""
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    ss_resource = next(e["resource"] for e in bundle["entry"]
                       if e["resource"].get("resourceType") == "List")  # fmt: skip
    result = ProvidePlan(submission_set(ss_resource, patient_id))
    created: dict[str, str] = {}  # fullUrl of a DocumentReference or Binary -> entryUUID
    for index, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        if (
            resource.get("resourceType") != "DocumentReference"
            or entry["request"]["method"] != "POST"
        ):
            continue
        de = document_entry(resource, patient_id, now)
        result.entries.append(de)
        attachment = resource["content"][0]["attachment"]
        result.documents.append(Document(de.entry_uuid, _bytes(bundle, attachment), de.mime_type))
        created[str(entry.get("fullUrl", f"#{index}"))] = de.entry_uuid
        created[str(attachment.get("url", f"#{index}.data"))] = de.entry_uuid
        for number, relation in enumerate(resource.get("relatesTo") or []):
            target = relation_target(str(relation["target"].get("reference", "")), fhir_base)
            if target is None:
                raise ValueError(f"Bundle.entry[{index}].resource.relatesTo[{number}].target")
            result.relations.append((canon.RELATES_TO[relation["code"]], de.entry_uuid, target))
    result.locations = [_location(e, result, created, fhir_base) for e in bundle["entry"]]
    return result


def _location(entry: JsonDict, result: ProvidePlan, created: dict[str, str], base: str) -> str:
    """``Bundle.entry.response.location`` of one request entry (ITI TF-2 3.65.4.2)."""
    kind = entry["resource"].get("resourceType")
    if kind == "List":
        return f"List/{resource_id(result.submission_set.entry_uuid)}"
    if entry["request"]["method"] == "PATCH":
        return str(entry["request"].get("url", "")).removeprefix(base.rstrip("/") + "/")
    return f"{kind}/{resource_id(created.get(str(entry.get('fullUrl')), UUID_PREFIX))}"
