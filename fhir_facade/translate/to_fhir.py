"""XDS -> FHIR: DocumentEntry -> DocumentReference, SubmissionSet/Folder -> List (MHD 4.2.3).

The mapping of MHD 32_fhir_maps (``shared/reference/mhd-fhir.md`` 6.1-6.4), in the
Comprehensive shape with contained author, authenticator and sourcePatientInfo. Plain JSON
dicts come out (fast to build for big searchsets); the tests parse every one with
fhir.resources R4B. ``content.attachment.url`` is the ITI-68 URL ``<base>/Binary/<id>``
(the DocumentEntry's entryUUID: resolving it needs the registry, so a URL cannot be
tampered into another repository or document).
"""

from __future__ import annotations

from fhir_facade.translate import canon, people
from fhir_facade.translate.patients import patient_reference
from fhir_facade.translate.values import (
    JsonDict,
    base64_hash,
    coding,
    concept,
    datetime_of,
    entry_identifier,
    resource_id,
    unique_identifier,
)
from xds_common.metadata import Association, Author, DocumentEntry, Folder, SubmissionSet


def _contained_authors(authors: list[Author], prefix: str) -> tuple[list[JsonDict], list[JsonDict]]:
    """Contained Practitioner/Organization/PractitionerRole and the references to them."""
    contained: list[JsonDict] = []
    refs: list[JsonDict] = []
    for number, author in enumerate(authors, 1):
        ids = {"p": f"{prefix}{number}p", "o": f"{prefix}{number}o", "r": f"{prefix}{number}"}
        person = people.practitioner_of(author.person, ids["p"]) if author.person else None
        org = (
            people.organization_of(author.institutions[0], ids["o"])
            if author.institutions
            else None
        )
        if person and not org and not author.roles and not author.specialties:
            contained.append(person)
            refs.append({"reference": f"#{ids['p']}"})
            continue
        if org and not person and not author.roles and not author.specialties:
            contained.append(org)
            refs.append({"reference": f"#{ids['o']}"})
            continue
        role: JsonDict = {"resourceType": "PractitionerRole", "id": ids["r"]}
        for found, key in ((person, "practitioner"), (org, "organization")):
            if found:
                contained.append(found)
                role[key] = {"reference": f"#{found['id']}"}
        if author.roles:
            role["code"] = [{"text": r} for r in author.roles]
        if author.specialties:
            role["specialty"] = [{"text": s} for s in author.specialties]
        contained.append(role)
        refs.append({"reference": f"#{ids['r']}"})
    return contained, refs


def _attachment(entry: DocumentEntry, fhir_base: str) -> JsonDict:
    attachment: JsonDict = {
        "contentType": entry.mime_type,
        "url": f"{fhir_base}/Binary/{resource_id(entry.entry_uuid)}",
    }
    if entry.language_code:
        attachment["language"] = entry.language_code
    if entry.size:
        attachment["size"] = int(entry.size)
    if entry.hash:
        attachment["hash"] = base64_hash(entry.hash)
    if entry.title:
        attachment["title"] = entry.title
    if entry.creation_time:
        attachment["creation"] = datetime_of(entry.creation_time)
    return attachment


def _context(entry: DocumentEntry, contained: list[JsonDict]) -> JsonDict:
    context: JsonDict = {}
    if entry.event_codes:
        context["event"] = [concept(c) for c in entry.event_codes]
    period = {
        key: datetime_of(value)
        for key, value in (("start", entry.service_start_time), ("end", entry.service_stop_time))
        if value
    }
    if period:
        context["period"] = period
    if entry.healthcare_facility_type_code:
        context["facilityType"] = concept(entry.healthcare_facility_type_code)
    if entry.practice_setting_code:
        context["practiceSetting"] = concept(entry.practice_setting_code)
    if entry.source_patient_id or entry.source_patient_info:
        contained.append(
            people.patient_of(entry.source_patient_id, entry.source_patient_info, "sourcePatient")
        )
        context["sourcePatientInfo"] = {"reference": "#sourcePatient"}
    related = [_related(value) for value in entry.reference_ids]
    if related:
        context["related"] = related
    return context


def _related(cxi: str) -> JsonDict:
    """referenceIdList CXi -> a logical Reference with its identifier (MHD 32_fhir_maps)."""
    parts = cxi.split("^")
    authority = parts[3].split("&") if len(parts) > 3 else []
    identifier: JsonDict = {"value": parts[0]}
    if len(authority) > 1 and authority[1]:
        identifier["system"] = f"urn:oid:{authority[1]}"
    return {"identifier": identifier}


def document_reference(
    entry: DocumentEntry, fhir_base: str, relations: list[Association] | None = None
) -> JsonDict:
    """DocumentReference for a DocumentEntry; ``relations`` are its outgoing DE->DE links."""
    contained, authors = _contained_authors(entry.authors, "author")
    doc: JsonDict = {
        "resourceType": "DocumentReference",
        "id": resource_id(entry.entry_uuid),
        "meta": {"profile": [canon.DOCUMENT_REFERENCE_PROFILE]},
        # filled below; kept here so the JSON shows it where the R4 element order has it
        "contained": contained,
        "masterIdentifier": unique_identifier(entry.unique_id),
        "identifier": [entry_identifier(entry.entry_uuid)],
        "status": canon.XDS_TO_STATUS.get(entry.availability_status, "current"),
    }
    if entry.type_code:
        doc["type"] = concept(entry.type_code)
    if entry.class_code:
        doc["category"] = [concept(entry.class_code)]
    if entry.patient_id:
        doc["subject"] = patient_reference(entry.patient_id, fhir_base)
    if authors:
        doc["author"] = authors
    if entry.legal_authenticator:
        contained.append(people.practitioner_of(entry.legal_authenticator, "authenticator"))
        doc["authenticator"] = {"reference": "#authenticator"}
    relates = [
        {"code": canon.RELATES_TO_CODES[a.association_type],
         "target": {"reference": f"DocumentReference/{resource_id(a.target)}"}}
        for a in relations or [] if a.association_type in canon.RELATES_TO_CODES
    ]  # fmt: skip
    if relates:
        doc["relatesTo"] = relates
    if entry.comments:
        doc["description"] = entry.comments
    if entry.confidentiality_codes:
        doc["securityLabel"] = [concept(c) for c in entry.confidentiality_codes]
    content: JsonDict = {"attachment": _attachment(entry, fhir_base)}
    if entry.format_code:
        content["format"] = coding(entry.format_code)
    doc["content"] = [content]
    context = _context(entry, contained)
    if context:
        doc["context"] = context
    if not contained:
        del doc["contained"]
    return doc


#: List element order (FHIR R4 JSON does not require it; XML does, and the XML writer
#: follows the model, so this only keeps JSON readable).
_ORDER = ("resourceType", "id", "meta", "contained", "extension")


def _ordered(resource: JsonDict) -> JsonDict:
    head = {k: resource[k] for k in _ORDER if k in resource}
    return {**head, **{k: v for k, v in resource.items() if k not in head}}


def submission_set_list(ss: SubmissionSet, members: list[str], fhir_base: str) -> JsonDict:
    """List (code submissionset) for a SubmissionSet; ``members`` are entryUUIDs it holds."""
    contained, authors = _contained_authors(ss.authors, "author")
    extension: list[JsonDict] = [
        {"url": canon.EXT_SOURCE_ID, "valueIdentifier": {"value": f"urn:oid:{ss.source_id}"}}
    ]
    if ss.content_type_code:
        extension.append(
            {"url": canon.EXT_DESIGNATION_TYPE,
             "valueCodeableConcept": concept(ss.content_type_code)}
        )  # fmt: skip
    found = _list_common(
        ss.entry_uuid, ss.unique_id, ss.patient_id, fhir_base, canon.SUBMISSION_SET
    )
    found.update(extension=extension, meta={"profile": [canon.SUBMISSION_SET_PROFILE]})
    if ss.submission_time:
        found["date"] = datetime_of(ss.submission_time)
    if authors:
        found["source"] = authors[0]
    return _finish_list(found, ss.title, ss.comments, members, contained)


def folder_list(folder: Folder, members: list[str], fhir_base: str) -> JsonDict:
    """List (code folder) for a Folder (MHD 32_fhir_maps Folder)."""
    found = _list_common(folder.entry_uuid, folder.unique_id, folder.patient_id, fhir_base,
                         canon.FOLDER)  # fmt: skip
    found["meta"] = {"profile": [canon.FOLDER_PROFILE]}
    if folder.codes:
        url = canon.EXT_DESIGNATION_TYPE
        found["extension"] = [
            {"url": url, "valueCodeableConcept": concept(c)} for c in folder.codes
        ]
    if folder.last_update_time:
        found["date"] = datetime_of(folder.last_update_time)
    return _finish_list(found, folder.title, folder.comments, members, [])


def _list_common(uuid: str, unique_id: str, patient_id: str, base: str, code: str) -> JsonDict:
    found: JsonDict = {"resourceType": "List", "id": resource_id(uuid)}
    found["identifier"] = [unique_identifier(unique_id), entry_identifier(uuid)]
    found.update(status="current", mode="working")
    found["code"] = {"coding": [{"system": canon.LIST_TYPES, "code": code}]}
    if patient_id:
        found["subject"] = patient_reference(patient_id, base)
    return found


def _finish_list(
    found: JsonDict, title: str, comments: str, members: list[str], contained: list[JsonDict]
) -> JsonDict:
    if title:
        found["title"] = title
    if comments:
        found["note"] = [{"text": comments}]
    if members:
        found["entry"] = [
            {"item": {"reference": f"DocumentReference/{resource_id(m)}"}} for m in members
        ]
    if contained:
        found["contained"] = contained
    return _ordered(found)
