"""Pure: the RAD-68 submission of a manifest, as an ebRIM ``lcm:SubmitObjectsRequest``.

RAD-68 Provide and Register Imaging Document Set is ITI-41 with XDS-I.b DocumentEntry values
(RAD TF-3 4.68.4.1.2.3; ``../shared/reference/xds-i.md`` 2.1):

* mimeType ``application/dicom``, formatCode = the KOS SOP Class in the DICOM UID registry
  scheme, uniqueId = the KOS SOP Instance UID;
* eventCodeList: one DCM code per distinct acquisition modality (RAD TF-3 4.68.4.1.2.3.2);
* referenceIdList: Study Instance UID (``urn:ihe:iti:xds:2016:studyInstanceUID``) and
  Accession Number (``urn:ihe:iti:xds:2013:accession``) as CXi (ITI TF-3 Table 4.2.3.1.7-2);
* patientId: the DICOM Patient ID in the configured affinity-domain assigning authority;
  sourcePatientId / sourcePatientInfo (PID-3, -5, -7, -8) from the DICOM Patient module;
* serviceStartTime from Study Date/Time; creationTime = the manifest's creation time.

A replacement manifest adds an RPLC association from the new entry to the previous one
(ITI TF-3 4.2.2.2.1), which the registry deprecates: one Approved manifest per study.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from imaging_source.publish.model import StudyManifestInput
from profiles import xdsi
from profiles.vocabulary import AssociationType, DocumentEntryType
from xds_common.client import submit_objects_request
from xds_common.datatypes import is_oid
from xds_common.ebrim import rim
from xds_common.metadata import Code, DocumentEntry, SubmissionSet


@dataclass(frozen=True)
class Publication:
    """Who publishes, under which ids, and which manifest it replaces (if any)."""

    #: Affinity-domain assigning authority OID of XDS patientId (ITI TF-3 4.2.3.2.16).
    assigning_authority: str
    #: sourceId of the SubmissionSet: the Imaging Document Source's OID.
    source_id: str
    #: uniqueId of the SubmissionSet (an OID).
    submission_set_unique_id: str
    #: entryUUID given to the new DocumentEntry (``urn:uuid:…``), the target of the next RPLC.
    entry_uuid: str
    #: The KOS SOP Instance UID (= DocumentEntry.uniqueId).
    document_unique_id: str
    created: datetime
    #: entryUUID of the manifest this one replaces (RPLC), or "" for the first.
    replaces: str = ""


def _code(value: xdsi.CodedValue) -> Code:
    return Code(value.code, value.scheme, value.display)


def dtm(moment: datetime) -> str:
    """DTM in UTC to the second (ITI TF-3 Table 4.2.3.1.7-2)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def service_start(study_date: str, study_time: str) -> str:
    """serviceStartTime from Study Date (DA) and Time (TM), read as this server's local time.

    Returns "" when the date is missing or malformed; a date alone stays a date (DTM precision).
    """
    digits = "".join(ch for ch in study_time.split(".")[0] if ch.isdigit())[:6]
    if len(study_date) != 8 or not study_date.isdigit():
        return ""
    if len(digits) < 2:
        return study_date
    try:
        local = datetime.strptime(study_date + digits.ljust(6, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return ""
    return dtm(local.astimezone())  # naive: the server's local zone


def cx(identifier: str, authority: str) -> str:
    """A CX ``ID^^^&OID&ISO`` (ITI TF-3 4.2.3.2.16)."""
    return f"{identifier}^^^&{authority}&ISO"


def _hl7(value: str) -> str:
    """Escape HL7 v2 delimiters inside one component (HL7 v2.5 2.7.4)."""
    table = {"\\": "\\E\\", "|": "\\F\\", "~": "\\R\\", "&": "\\T\\"}
    return "".join(table.get(ch, ch) for ch in value)


def source_patient(data: StudyManifestInput, publication: Publication) -> tuple[str, list[str]]:
    """sourcePatientId and sourcePatientInfo (ITI TF-3 4.2.3.2.19/20) from the DICOM patient.

    The DICOM Issuer of Patient ID is used as assigning authority when it is an OID;
    otherwise the affinity domain's authority is.
    """
    patient = data.patient
    issuer = patient.issuer_of_patient_id
    source_id = cx(
        patient.patient_id, issuer if is_oid(issuer) else publication.assigning_authority
    )
    info = [f"PID-3|{source_id}"]
    if patient.patient_name:
        name = "^".join(_hl7(part) for part in patient.patient_name.split("=")[0].split("^"))
        info.append(f"PID-5|{name}")
    if patient.patient_birth_date:
        info.append(f"PID-7|{_hl7(patient.patient_birth_date)}")
    if patient.patient_sex:
        info.append(f"PID-8|{_hl7(patient.patient_sex)}")
    return source_id, info


def reference_ids(data: StudyManifestInput) -> list[str]:
    """referenceIdList CXi values: Study Instance UID and, when known, Accession Number."""
    found = [f"{data.study.study_instance_uid}^^^^{xdsi.ReferenceIdType.STUDY_INSTANCE_UID}"]
    if data.study.accession_number:
        found.append(f"{data.study.accession_number}^^^^{xdsi.ReferenceIdType.ACCESSION}")
    return found


def document_entry(data: StudyManifestInput, publication: Publication) -> DocumentEntry:
    """The manifest's DocumentEntry (RAD TF-3 4.68.4.1.2.3)."""
    source_id, info = source_patient(data, publication)
    study = data.study
    return DocumentEntry(
        entry_uuid=publication.entry_uuid,
        title=(study.study_description or "Imaging study")[:128],
        object_type=DocumentEntryType.STABLE,
        mime_type=xdsi.MANIFEST_MIME_TYPE,
        patient_id=cx(data.patient.patient_id, publication.assigning_authority),
        unique_id=publication.document_unique_id,
        class_code=_code(xdsi.CLASS_CODE),
        type_code=_code(xdsi.TYPE_CODE),
        format_code=_code(xdsi.FORMAT_CODE),
        healthcare_facility_type_code=_code(xdsi.HEALTHCARE_FACILITY_TYPE_CODE),
        practice_setting_code=_code(xdsi.PRACTICE_SETTING_CODE),
        confidentiality_codes=[_code(xdsi.CONFIDENTIALITY_CODE)],
        event_codes=[_code(c) for c in xdsi.modality_codes(i.modality for i in data.instances)],
        creation_time=dtm(publication.created),
        service_start_time=service_start(study.study_date, study.study_time),
        language_code=xdsi.LANGUAGE_CODE,
        source_patient_id=source_id,
        source_patient_info=info,
        reference_ids=reference_ids(data),
    )


def _replacement(request: etree._Element, new: str, old: str) -> None:
    """Append the RPLC association new -> old (ITI TF-3 4.2.2.2.1)."""
    object_list = request.find(rim.T_OBJECT_LIST)
    assert object_list is not None
    association = etree.SubElement(object_list, rim.T_ASSOCIATION)
    association.set("id", "Replaces01")
    association.set("associationType", AssociationType.RPLC)
    association.set("sourceObject", new)
    association.set("targetObject", old)


def submission(data: StudyManifestInput, publication: Publication) -> etree._Element:
    """The RAD-68 ``lcm:SubmitObjectsRequest``: SubmissionSet, manifest entry, RPLC if any."""
    entry = document_entry(data, publication)
    submission_set = SubmissionSet(
        entry_uuid="SubmissionSet01",
        title=entry.title,
        patient_id=entry.patient_id,
        unique_id=publication.submission_set_unique_id,
        source_id=publication.source_id,
        submission_time=dtm(publication.created),
        content_type_code=_code(xdsi.CONTENT_TYPE_CODE),
    )
    request = submit_objects_request(submission_set, [entry])
    if publication.replaces:
        _replacement(request, entry.entry_uuid, publication.replaces)
    return request
