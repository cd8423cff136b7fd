"""Write one instance into the index, inside the caller's transaction.

Patient → study → series rows are found or created and their counters, Modalities in Study
and the study's activity updated (PS3.3 A.1.2 information model). The study row is locked
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``)
so concurrent associations adding to one study never lose a counter update. Plain SQL
statements (no ORM unit of work): about eight small statements per instance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.orm import Session

from imaging_source.errors import IngestError, Reason
from imaging_source.index.records import InstanceRecord, PatientAttrs
from imaging_source.index.tables import (
    ImagingInstance,
    ImagingPatient,
    ImagingSeries,
    ImagingStudy,
    StudyActivity,
)

_PATIENTS = cast(Table, ImagingPatient.__table__)
_STUDIES = cast(Table, ImagingStudy.__table__)
_SERIES = cast(Table, ImagingSeries.__table__)
_INSTANCES = cast(Table, ImagingInstance.__table__)
_ACTIVITY = cast(Table, StudyActivity.__table__)


@dataclass(frozen=True)
class StoredFile:
    """The stored Part 10 file of an instance and what was computed while staging it."""

    key: str
    size: int
    sha1: str
    dataset_sha1: str
    transfer_syntax_uid: str


@dataclass(frozen=True)
class Existing:
    """The index row of an instance that is already stored."""

    file_key: str
    size: int
    sha1: str


def existing_instance(
    session: Session, sop_instance_uid: str, dataset_sha1: str, transfer_syntax_uid: str
) -> Existing | None:
    """The stored instance if this exact instance is already stored (a re-send), else None.

    "Exact" means the same Data Set bytes in the same Transfer Syntax, whatever the File
    Meta Information around them. Raises CONFLICT for a different object with this UID.
    """
    i = _INSTANCES.c
    row = session.execute(
        select(i.dataset_sha1, i.transfer_syntax_uid, i.file_key, i.size, i.sha1).where(
            i.sop_instance_uid == sop_instance_uid
        )
    ).first()
    if row is None:
        return None
    if row.dataset_sha1 == dataset_sha1 and row.transfer_syntax_uid == transfer_syntax_uid:
        return Existing(row.file_key, row.size, row.sha1)
    raise IngestError(
        Reason.CONFLICT,
        f"different content already stored under SOP Instance UID {sop_instance_uid}",
        sop_instance_uid,
    )


def _same_patient(patient_id: str, issuer: str, attrs: PatientAttrs) -> bool:
    """Same Patient ID; Issuers equal or one of them absent (not every sender sends it)."""
    if patient_id != attrs.patient_id:
        return False
    return issuer == attrs.issuer_of_patient_id or "" in (issuer, attrs.issuer_of_patient_id)


def _patient_pk(session: Session, attrs: PatientAttrs) -> int:
    """Find the patient by (Patient ID, Issuer of Patient ID) or create it."""
    p = _PATIENTS.c
    pk = session.scalar(
        select(p.pk).where(
            p.patient_id == attrs.patient_id,
            p.issuer_of_patient_id == attrs.issuer_of_patient_id,
        )
    )
    if pk is None:
        result = session.connection().execute(insert(_PATIENTS).values(asdict(attrs)))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])
    return int(pk)


def _locked_study(session: Session, study_uid: str) -> Row[Any, Any, Any] | None:
    """The study's modalities and owner, the study row locked for update."""
    s, p = _STUDIES.c, _PATIENTS.c
    return session.execute(
        select(s.modalities_in_study, p.patient_id, p.issuer_of_patient_id)
        .join_from(_STUDIES, _PATIENTS, p.pk == s.patient_pk)
        .where(s.study_instance_uid == study_uid)
        .with_for_update(of=_STUDIES)
    ).first()


def _ensure_study(session: Session, rec: InstanceRecord) -> str:
    """Create the study if new, refuse it under another patient; return its modalities."""
    study = _locked_study(session, rec.study.study_instance_uid)
    if study is None:
        values = asdict(rec.study) | {
            "patient_pk": _patient_pk(session, rec.patient),
            "modalities_in_study": "",
            "number_of_series": 0,
            "number_of_instances": 0,
        }
        session.execute(insert(_STUDIES).values(values))
        return ""
    if not _same_patient(study.patient_id, study.issuer_of_patient_id, rec.patient):
        raise IngestError(
            Reason.INCONSISTENT,
            f"study stored under another Patient ID: {rec.study.study_instance_uid}",
            rec.instance.sop_instance_uid,
        )
    return str(study.modalities_in_study)


def _ensure_series(session: Session, rec: InstanceRecord) -> bool:
    """Create the series if new (True); refuse it if it belongs to another study."""
    c = _SERIES.c
    owner = session.scalar(
        select(c.study_instance_uid).where(c.series_instance_uid == rec.series.series_instance_uid)
    )
    if owner is None:
        values = asdict(rec.series) | {
            "study_instance_uid": rec.study.study_instance_uid,
            "number_of_instances": 0,
        }
        session.execute(insert(_SERIES).values(values))
        return True
    if owner != rec.study.study_instance_uid:
        raise IngestError(
            Reason.INCONSISTENT,
            f"series belongs to another study: {rec.series.series_instance_uid}",
            rec.instance.sop_instance_uid,
        )
    return False


def merged_modalities(current: str, modality: str) -> str:
    """Modalities in Study (0008,0061) with ``modality`` added: sorted, ``\\``-separated."""
    values = set(filter(None, current.split("\\"))) | ({modality} if modality else set())
    return "\\".join(sorted(values))[:128]


def _count(session: Session, rec: InstanceRecord, modalities: str, new_series: bool) -> None:
    """Add the instance to the series and study counters (and the series to the study)."""
    se, s = _SERIES.c, _STUDIES.c
    session.execute(
        update(_SERIES)
        .where(se.series_instance_uid == rec.series.series_instance_uid)
        .values(number_of_instances=se.number_of_instances + 1)
    )
    session.execute(
        update(_STUDIES)
        .where(s.study_instance_uid == rec.study.study_instance_uid)
        .values(
            number_of_instances=s.number_of_instances + 1,
            number_of_series=s.number_of_series + int(new_series),
            modalities_in_study=merged_modalities(modalities, rec.series.modality),
        )
    )


def _touch_activity(session: Session, study_uid: str, received: datetime) -> None:
    """Record that an instance of the study arrived at ``received``."""
    a = _ACTIVITY.c
    done = session.execute(
        update(_ACTIVITY).where(a.study_instance_uid == study_uid).values(last_received=received)
    )
    if not getattr(done, "rowcount", 0):
        session.execute(
            insert(_ACTIVITY).values(
                study_instance_uid=study_uid, first_received=received, last_received=received
            )
        )


def add_instance(
    session: Session,
    rec: InstanceRecord,
    stored: StoredFile,
    dicom_json: str,
    *,
    origin: str,
    received: datetime,
) -> None:
    """Insert the instance (and its patient, study, series as needed); no commit."""
    modalities = _ensure_study(session, rec)
    new_series = _ensure_series(session, rec)
    values = asdict(rec.instance) | {
        "series_instance_uid": rec.series.series_instance_uid,
        "study_instance_uid": rec.study.study_instance_uid,
        "transfer_syntax_uid": stored.transfer_syntax_uid,
        "file_key": stored.key,
        "size": stored.size,
        "sha1": stored.sha1,
        "dataset_sha1": stored.dataset_sha1,
        "received": received,
        "origin": origin[:80],
        "dicom_json": dicom_json,
    }
    session.execute(insert(_INSTANCES).values(values))
    _count(session, rec, modalities, new_series)
    _touch_activity(session, rec.study.study_instance_uid, received)
