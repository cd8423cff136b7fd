"""Initial imaging source schema: the instance index and study activity.

Revision ID: i0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0001"
down_revision = None

UID = 128


def _patients() -> None:
    op.create_table(
        "imaging_patients",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.String(64), nullable=False, index=True),
        sa.Column("issuer_of_patient_id", sa.String(64), nullable=False),
        sa.Column("patient_name", sa.String(324), nullable=False),
        sa.Column("patient_birth_date", sa.String(16), nullable=False),
        sa.Column("patient_sex", sa.String(16), nullable=False),
        sa.UniqueConstraint("patient_id", "issuer_of_patient_id"),
    )


def _studies() -> None:
    op.create_table(
        "imaging_studies",
        sa.Column("study_instance_uid", sa.String(UID), primary_key=True),
        sa.Column("patient_pk", sa.Integer, sa.ForeignKey("imaging_patients.pk"), nullable=False),
        sa.Column("study_date", sa.String(16), nullable=False, index=True),
        sa.Column("study_time", sa.String(16), nullable=False),
        sa.Column("accession_number", sa.String(64), nullable=False, index=True),
        sa.Column("referring_physician_name", sa.String(324), nullable=False),
        sa.Column("study_id", sa.String(16), nullable=False),
        sa.Column("study_description", sa.String(64), nullable=False),
        sa.Column("modalities_in_study", sa.String(128), nullable=False),
        sa.Column("number_of_series", sa.Integer, nullable=False),
        sa.Column("number_of_instances", sa.Integer, nullable=False),
    )
    op.create_index("ix_imaging_studies_patient_pk", "imaging_studies", ["patient_pk"])


def _series() -> None:
    op.create_table(
        "imaging_series",
        sa.Column("series_instance_uid", sa.String(UID), primary_key=True),
        sa.Column(
            "study_instance_uid",
            sa.String(UID),
            sa.ForeignKey("imaging_studies.study_instance_uid"),
            nullable=False,
            index=True,
        ),
        sa.Column("modality", sa.String(16), nullable=False, index=True),
        sa.Column("series_number", sa.Integer, nullable=True),
        sa.Column("series_description", sa.String(64), nullable=False),
        sa.Column("performed_procedure_step_start_date", sa.String(16), nullable=False),
        sa.Column("performed_procedure_step_start_time", sa.String(16), nullable=False),
        sa.Column("number_of_instances", sa.Integer, nullable=False),
    )


def _instances() -> None:
    op.create_table(
        "imaging_instances",
        sa.Column("sop_instance_uid", sa.String(UID), primary_key=True),
        sa.Column(
            "series_instance_uid",
            sa.String(UID),
            sa.ForeignKey("imaging_series.series_instance_uid"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "study_instance_uid",
            sa.String(UID),
            sa.ForeignKey("imaging_studies.study_instance_uid"),
            nullable=False,
            index=True,
        ),
        sa.Column("sop_class_uid", sa.String(UID), nullable=False),
        sa.Column("instance_number", sa.Integer, nullable=True),
        sa.Column("number_of_frames", sa.Integer, nullable=True),
        sa.Column("rows", sa.Integer, nullable=True),
        sa.Column("columns", sa.Integer, nullable=True),
        sa.Column("transfer_syntax_uid", sa.String(UID), nullable=False),
        sa.Column("file_key", sa.String(160), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha1", sa.String(40), nullable=False),
        sa.Column("dataset_sha1", sa.String(40), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(80), nullable=False),
        sa.Column("dicom_json", sa.Text, nullable=False),
    )


def _activity() -> None:
    op.create_table(
        "imaging_study_activity",
        sa.Column(
            "study_instance_uid",
            sa.String(UID),
            sa.ForeignKey("imaging_studies.study_instance_uid"),
            primary_key=True,
        ),
        sa.Column("first_received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_received", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def upgrade() -> None:
    """Create the index tables."""
    _patients()
    _studies()
    _series()
    _instances()
    _activity()


def downgrade() -> None:
    """Drop the index tables."""
    for table in (
        "imaging_study_activity",
        "imaging_instances",
        "imaging_series",
        "imaging_studies",
        "imaging_patients",
    ):
        op.drop_table(table)
