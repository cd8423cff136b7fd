"""Pure: QIDO-RS study and series datasets -> FHIR R4 ImagingStudy and its WADO-RS Endpoint.

FHIR R4 imagingstudy.html (element definitions and the DICOM mapping column), endpoint.html;
IHE RAD MADO ImagingStudy/Endpoint profiles for the conventions:

* ``id`` is the Study Instance UID (a UID is a valid FHIR id: digits and dots, at most 64);
* ``identifier``: the Study Instance UID as ``system=urn:dicom:uid``,
  ``value=urn:oid:<uid>``; the Accession Number with type v2-0203 ``ACSN``;
* ``modality`` / ``series.modality``: Codings in DCM (PS3.16 CID 29 and CID 33 values);
* ``started``: Study Date + Study Time (PS3.3 C.7.2.1), wall-clock times of the server's zone
  as DICOM gives no offset;
* ``subject``: the Patient of the affinity-domain patient id, named as the MHD part names
  Patients (``Patient/<OID>-<ID>``); the imaging source registers manifests under the DICOM
  Patient ID in the configured imaging assigning authority, and so does this mapping;
* ``endpoint``: the served Endpoint resource for the DICOMweb service (connectionType
  ``dicom-wado-rs``, address = WADO-RS base URL, MADO);
* the KOS manifest's DocumentReference(s), found by ITI-18, as ``workflow-supportingInfo``
  extensions (R4 has no ImagingStudy element for them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from fhir.resources.R4B.endpoint import Endpoint
from fhir.resources.R4B.imagingstudy import ImagingStudy

from fhir_facade.dicomweb import DicomJson, integer, text, values
from fhir_facade.search_values import DateRange
from fhir_facade.translate.patients import patient_reference
from fhir_facade.translate.values import OID_PREFIX

DCM: Final = "http://dicom.nema.org/resources/ontology/DCM"
DICOM_UID: Final = "urn:dicom:uid"
V2_0203: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONNECTION_TYPES: Final = "http://terminology.hl7.org/CodeSystem/endpoint-connection-type"
PAYLOAD_TYPES: Final = "http://terminology.hl7.org/CodeSystem/endpoint-payload-type"
SUPPORTING_INFO: Final = "http://hl7.org/fhir/StructureDefinition/workflow-supportingInfo"
#: The id of the one Endpoint resource: the DICOMweb service that serves every study.
ENDPOINT_ID: Final = "dicomweb"

# DICOM tags (PS3.6) of the QIDO-RS attributes used.
STUDY_INSTANCE_UID: Final = "0020000D"
STUDY_DATE: Final = "00080020"
STUDY_TIME: Final = "00080030"
ACCESSION_NUMBER: Final = "00080050"
MODALITIES_IN_STUDY: Final = "00080061"
REFERRING_PHYSICIAN: Final = "00080090"
STUDY_DESCRIPTION: Final = "00081030"
PATIENT_NAME: Final = "00100010"
PATIENT_ID: Final = "00100020"
ISSUER_OF_PATIENT_ID: Final = "00100021"
NUMBER_OF_SERIES: Final = "00201206"
NUMBER_OF_STUDY_INSTANCES: Final = "00201208"
SERIES_INSTANCE_UID: Final = "0020000E"
MODALITY: Final = "00080060"
SERIES_NUMBER: Final = "00200011"
SERIES_DESCRIPTION: Final = "0008103E"
NUMBER_OF_SERIES_INSTANCES: Final = "00201209"


@dataclass(frozen=True)
class StudyContext:
    """What the mapping needs besides the datasets."""

    fhir_base: str  # ``https://host/fhir``
    dicomweb_base: str  # WADO-RS / QIDO-RS service root
    assigning_authority: str  # imaging assigning authority OID (affinity domain)


def patient_cx(study: DicomJson, authority: str) -> str:
    """The affinity-domain CX of the study's patient (as the manifest registers it)."""
    return f"{text(study, PATIENT_ID)}^^^&{authority}&ISO"


def started(study: DicomJson) -> tuple[str | None, DateRange | None]:
    """``ImagingStudy.started`` and the time range it stands for (PS3.5 6.2 DA/TM)."""
    date, time = text(study, STUDY_DATE), text(study, STUDY_TIME).split(".")[0]
    try:
        day = datetime.strptime(date, "%Y%m%d")
    except ValueError:
        return None, None
    if len(time) not in (2, 4, 6) or not time.isdigit():
        return day.strftime("%Y-%m-%d"), DateRange(day, day + timedelta(days=1))
    hour, minute, second = int(time[0:2]), int(time[2:4] or 0), int(time[4:6] or 0)
    try:
        start = day.replace(hour=hour, minute=minute, second=second)
    except ValueError:
        return day.strftime("%Y-%m-%d"), DateRange(day, day + timedelta(days=1))
    width = {2: timedelta(hours=1), 4: timedelta(minutes=1), 6: timedelta(seconds=1)}[len(time)]
    return start.astimezone().isoformat(), DateRange(start, start + width)


def _coding(code: str) -> dict[str, str]:
    return {"system": DCM, "code": code}


def _identifiers(study: DicomJson) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"system": DICOM_UID, "value": OID_PREFIX + text(study, STUDY_INSTANCE_UID)}
    ]
    accession = text(study, ACCESSION_NUMBER)
    if accession:
        kind = {"coding": [{"system": V2_0203, "code": "ACSN"}]}
        found.append({"use": "usual", "type": kind, "value": accession})
    return found


def _series(items: Sequence[DicomJson]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        series: dict[str, Any] = {
            "uid": text(item, SERIES_INSTANCE_UID),
            "modality": _coding(text(item, MODALITY) or "OT"),
        }
        if (number := integer(item, SERIES_NUMBER)) is not None and number >= 0:
            series["number"] = number
        if description := text(item, SERIES_DESCRIPTION):
            series["description"] = description
        if (count := integer(item, NUMBER_OF_SERIES_INSTANCES)) is not None and count >= 0:
            series["numberOfInstances"] = count
        found.append(series)
    return sorted(found, key=lambda s: (s.get("number", 0), s["uid"]))


def _counts(study: DicomJson, series: Sequence[DicomJson]) -> dict[str, int]:
    """numberOfSeries/numberOfInstances from the study, else counted from its series."""
    counts = [integer(item, NUMBER_OF_SERIES_INSTANCES) for item in series]
    fallback = {
        "numberOfSeries": len(series) if series else None,
        "numberOfInstances": sum(c for c in counts if c) if series else None,
    }
    found = {}
    for key, tag in (
        ("numberOfSeries", NUMBER_OF_SERIES),
        ("numberOfInstances", NUMBER_OF_STUDY_INSTANCES),
    ):
        count = integer(study, tag)
        count = count if count is not None and count >= 0 else fallback[key]
        if count is not None:
            found[key] = count
    return found


def imaging_study(
    study: DicomJson,
    series: Sequence[DicomJson],
    manifests: Sequence[str],
    ctx: StudyContext,
) -> ImagingStudy:
    """The ImagingStudy of a QIDO-RS study dataset, its series and manifest resource ids."""
    uid = text(study, STUDY_INSTANCE_UID)
    subject = patient_reference(patient_cx(study, ctx.assigning_authority), ctx.fhir_base)
    if name := text(study, PATIENT_NAME):
        subject["display"] = name.replace("^", " ").strip()
    resource: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "id": uid,
        "identifier": _identifiers(study),
        "status": "available",
        "subject": subject,
        "endpoint": [{"reference": f"Endpoint/{ENDPOINT_ID}"}],
        **_counts(study, series),
    }
    if modalities := [str(m) for m in values(study, MODALITIES_IN_STUDY) if m]:
        resource["modality"] = [_coding(m) for m in modalities]
    when, _ = started(study)
    if when:
        resource["started"] = when
    if referrer := text(study, REFERRING_PHYSICIAN):
        resource["referrer"] = {"display": referrer.replace("^", " ").strip()}
    if description := text(study, STUDY_DESCRIPTION):
        resource["description"] = description
    if series:
        resource["series"] = _series(series)
    if manifests:
        resource["extension"] = [
            {"url": SUPPORTING_INFO, "valueReference": {"reference": f"DocumentReference/{m}"}}
            for m in manifests
        ]
    return ImagingStudy.model_validate(resource)


def endpoint(dicomweb_base: str) -> Endpoint:
    """The Endpoint of the DICOMweb service (R4 endpoint.html; MADO WADO-RS Endpoint)."""
    return Endpoint.model_validate(
        {
            "resourceType": "Endpoint",
            "id": ENDPOINT_ID,
            "status": "active",
            "connectionType": {"system": CONNECTION_TYPES, "code": "dicom-wado-rs"},
            "name": "DICOMweb WADO-RS",
            "payloadType": [
                {"coding": [{"system": PAYLOAD_TYPES, "code": "none"}], "text": "DICOM WADO-RS"}
            ],
            "payloadMimeType": ["application/dicom", "application/dicom+json"],
            "address": dicomweb_base,
        }
    )
