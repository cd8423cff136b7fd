"""The imaging source's index tables (the only module that knows them).

Patient → study → series → instance (PS3.3 A.1.2 information model), each row holding the
attributes QIDO-RS matches on (PS3.18 Table 10.6.1-5) so queries never open files, and each
instance row holding its DICOM JSON (PS3.18 F.2, bulk data as BulkDataURI) so WADO-RS metadata
and the manifest builder never open them either. ``imaging_study_activity`` records when the
last instance of a study arrived, for the "study complete after a stability window" rule.
Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xds_common.db import Base

UID = 128  # PS3.5 9.1 allows 64; a little room for real-world senders


class ImagingPatient(Base):
    """A patient as the images name it: Patient ID within Issuer of Patient ID (PS3.3 C.7.1.1)."""

    __tablename__ = "imaging_patients"
    __table_args__ = (UniqueConstraint("patient_id", "issuer_of_patient_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    issuer_of_patient_id: Mapped[str] = mapped_column(String(64))
    patient_name: Mapped[str] = mapped_column(String(324))
    patient_birth_date: Mapped[str] = mapped_column(String(16))
    patient_sex: Mapped[str] = mapped_column(String(16))


class ImagingStudy(Base):
    """A study (PS3.3 C.7.2.1) with counters and Modalities in Study kept up to date at ingest."""

    __tablename__ = "imaging_studies"
    study_instance_uid: Mapped[str] = mapped_column(String(UID), primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("imaging_patients.pk"), index=True)
    study_date: Mapped[str] = mapped_column(String(16), index=True)
    study_time: Mapped[str] = mapped_column(String(16))
    accession_number: Mapped[str] = mapped_column(String(64), index=True)
    referring_physician_name: Mapped[str] = mapped_column(String(324))
    study_id: Mapped[str] = mapped_column(String(16))
    study_description: Mapped[str] = mapped_column(String(64))
    #: Modalities in Study (0008,0061), sorted, ``\\``-separated.
    modalities_in_study: Mapped[str] = mapped_column(String(128))
    number_of_series: Mapped[int] = mapped_column(Integer)
    number_of_instances: Mapped[int] = mapped_column(Integer)


class ImagingSeries(Base):
    """A series (PS3.3 C.7.3.1)."""

    __tablename__ = "imaging_series"
    series_instance_uid: Mapped[str] = mapped_column(String(UID), primary_key=True)
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.study_instance_uid"), index=True
    )
    modality: Mapped[str] = mapped_column(String(16), index=True)
    series_number: Mapped[int | None] = mapped_column(Integer)
    series_description: Mapped[str] = mapped_column(String(64))
    performed_procedure_step_start_date: Mapped[str] = mapped_column(String(16))
    performed_procedure_step_start_time: Mapped[str] = mapped_column(String(16))
    number_of_instances: Mapped[int] = mapped_column(Integer)


class ImagingInstance(Base):
    """A stored instance: its file, integrity values and cached DICOM JSON (PS3.18 F.2)."""

    __tablename__ = "imaging_instances"
    sop_instance_uid: Mapped[str] = mapped_column(String(UID), primary_key=True)
    series_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("imaging_series.series_instance_uid"), index=True
    )
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.study_instance_uid"), index=True
    )
    sop_class_uid: Mapped[str] = mapped_column(String(UID))
    instance_number: Mapped[int | None] = mapped_column(Integer)
    number_of_frames: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    transfer_syntax_uid: Mapped[str] = mapped_column(String(UID))
    file_key: Mapped[str] = mapped_column(String(160))
    size: Mapped[int] = mapped_column(BigInteger)
    #: SHA-1 of the stored file, and of its Data Set alone (what decides "same instance").
    sha1: Mapped[str] = mapped_column(String(40))
    dataset_sha1: Mapped[str] = mapped_column(String(40))
    received: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: How it arrived: ``c-store:<calling AE>``, ``stow-rs``, ``import``.
    origin: Mapped[str] = mapped_column(String(80))
    dicom_json: Mapped[str] = mapped_column(Text)


class StudyActivity(Base):
    """When instances of a study arrived: the input of the stability-window rule."""

    __tablename__ = "imaging_study_activity"
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.study_instance_uid"), primary_key=True
    )
    first_received: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_received: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
