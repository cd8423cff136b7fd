"""Pure: the indexed attributes of one instance, taken from its Data Set.

The attributes are those QIDO-RS matches on and returns (PS3.18 Table 10.6.1-5 and
Tables 10.6.3-3/-4/-5), grouped by the level they belong to (PS3.3 C.7.1.1 Patient, C.7.2.1
General Study, C.7.3.1 General Series, C.12.1 SOP Common). Values are kept as their DICOM
string form (dates DA ``YYYYMMDD``, times TM, names PN with ``^``), clipped to the column size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

log = logging.getLogger(__name__)

SHORT, MEDIUM, LONG, NAME = 16, 64, 128, 324


@dataclass(frozen=True)
class PatientAttrs:
    """Patient module (PS3.3 C.7.1.1); a patient is (Patient ID, Issuer of Patient ID)."""

    patient_id: str
    issuer_of_patient_id: str
    patient_name: str
    patient_birth_date: str
    patient_sex: str


@dataclass(frozen=True)
class StudyAttrs:
    """General Study module (PS3.3 C.7.2.1)."""

    study_instance_uid: str
    study_date: str
    study_time: str
    accession_number: str
    referring_physician_name: str
    study_id: str
    study_description: str


@dataclass(frozen=True)
class SeriesAttrs:
    """General Series module (PS3.3 C.7.3.1)."""

    series_instance_uid: str
    modality: str
    series_number: int | None
    series_description: str
    performed_procedure_step_start_date: str
    performed_procedure_step_start_time: str


@dataclass(frozen=True)
class InstanceAttrs:
    """SOP Common (PS3.3 C.12.1), General Image (C.7.6.1) and Image Pixel (C.7.6.3) values."""

    sop_instance_uid: str
    sop_class_uid: str
    instance_number: int | None
    number_of_frames: int | None
    rows: int | None
    columns: int | None


@dataclass(frozen=True)
class InstanceRecord:
    """Everything the index stores about one instance, level by level."""

    patient: PatientAttrs
    study: StudyAttrs
    series: SeriesAttrs
    instance: InstanceAttrs


def _value(ds: Dataset, keyword: str) -> Any:
    """The element's value, or None when absent, empty or malformed (logged)."""
    try:
        return ds.get(keyword)
    except Exception as exc:  # a malformed value must not stop ingest
        log.warning("ignoring malformed %s: %s", keyword, exc)
        return None


def text(ds: Dataset, keyword: str, size: int = MEDIUM) -> str:
    """The value as its DICOM string (multi-valued joined with ``\\``), clipped to ``size``."""
    value = _value(ds, keyword)
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)[:size]
    return str(value).strip()[:size]


def number(ds: Dataset, keyword: str) -> int | None:
    """An IS / US value as an int, or None when absent or not a whole number."""
    value = _value(ds, keyword)
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def record_of(ds: Dataset) -> InstanceRecord:
    """The index record of the instance in ``ds`` (required UIDs already checked)."""
    return InstanceRecord(
        patient=PatientAttrs(
            patient_id=text(ds, "PatientID"),
            issuer_of_patient_id=text(ds, "IssuerOfPatientID"),
            patient_name=text(ds, "PatientName", NAME),
            patient_birth_date=text(ds, "PatientBirthDate", SHORT),
            patient_sex=text(ds, "PatientSex", SHORT),
        ),
        study=StudyAttrs(
            study_instance_uid=text(ds, "StudyInstanceUID", LONG),
            study_date=text(ds, "StudyDate", SHORT),
            study_time=text(ds, "StudyTime", SHORT),
            accession_number=text(ds, "AccessionNumber"),
            referring_physician_name=text(ds, "ReferringPhysicianName", NAME),
            study_id=text(ds, "StudyID", SHORT),
            study_description=text(ds, "StudyDescription"),
        ),
        series=SeriesAttrs(
            series_instance_uid=text(ds, "SeriesInstanceUID", LONG),
            modality=text(ds, "Modality", SHORT),
            series_number=number(ds, "SeriesNumber"),
            series_description=text(ds, "SeriesDescription"),
            performed_procedure_step_start_date=text(ds, "PerformedProcedureStepStartDate", SHORT),
            performed_procedure_step_start_time=text(ds, "PerformedProcedureStepStartTime", SHORT),
        ),
        instance=InstanceAttrs(
            sop_instance_uid=text(ds, "SOPInstanceUID", LONG),
            sop_class_uid=text(ds, "SOPClassUID", LONG),
            instance_number=number(ds, "InstanceNumber"),
            number_of_frames=number(ds, "NumberOfFrames"),
            rows=number(ds, "Rows"),
            columns=number(ds, "Columns"),
        ),
    )
