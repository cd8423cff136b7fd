"""Read what a study's manifest is built from out of the instance index (no files opened)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from imaging_source.index.records import PatientAttrs, StudyAttrs
from imaging_source.index.tables import ImagingInstance, ImagingPatient, ImagingSeries, ImagingStudy
from imaging_source.publish.model import ManifestInstance, StudyManifestInput

_PATIENTS = cast(Table, ImagingPatient.__table__)
_STUDIES = cast(Table, ImagingStudy.__table__)
_SERIES = cast(Table, ImagingSeries.__table__)
_INSTANCES = cast(Table, ImagingInstance.__table__)


def _patient_and_study(session: Session, study_uid: str) -> tuple[PatientAttrs, StudyAttrs] | None:
    p, s = _PATIENTS.c, _STUDIES.c
    row = session.execute(
        select(
            p.patient_id,
            p.issuer_of_patient_id,
            p.patient_name,
            p.patient_birth_date,
            p.patient_sex,
            s.study_instance_uid,
            s.study_date,
            s.study_time,
            s.accession_number,
            s.referring_physician_name,
            s.study_id,
            s.study_description,
        )
        .join_from(_STUDIES, _PATIENTS, p.pk == s.patient_pk)
        .where(s.study_instance_uid == study_uid)
    ).first()
    if row is None:
        return None
    patient = PatientAttrs(row[0], row[1], row[2], row[3], row[4])
    return patient, StudyAttrs(row[5], row[6], row[7], row[8], row[9], row[10], row[11])


def manifest_input(session: Session, study_uid: str) -> StudyManifestInput | None:
    """The study's patient, study attributes and stored instances; None for an unknown study."""
    found = _patient_and_study(session, study_uid)
    if found is None:
        return None
    patient, study = found
    i, se = _INSTANCES.c, _SERIES.c
    rows = session.execute(
        select(
            i.study_instance_uid,
            i.series_instance_uid,
            i.sop_class_uid,
            i.sop_instance_uid,
            se.modality,
            se.series_number,
            i.instance_number,
            i.rows,
            i.columns,
        )
        .join_from(_INSTANCES, _SERIES, se.series_instance_uid == i.series_instance_uid)
        .where(i.study_instance_uid == study_uid)
    ).all()
    instances = tuple(
        ManifestInstance(
            study_instance_uid=r.study_instance_uid,
            series_instance_uid=r.series_instance_uid,
            sop_class_uid=r.sop_class_uid,
            sop_instance_uid=r.sop_instance_uid,
            modality=r.modality,
            series_number=r.series_number,
            instance_number=r.instance_number,
            is_image=r.rows is not None and r.columns is not None,
        )
        for r in rows
    )
    return StudyManifestInput(patient, study, instances)
