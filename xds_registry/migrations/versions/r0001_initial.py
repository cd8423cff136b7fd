"""Initial registry schema: patients, documents, submission sets, folders, associations.

Revision ID: r0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None

UUID = sa.String(64)
ID = sa.String(256)
CODE = sa.String(512)
DTM = sa.String(32)
URN = sa.String(64)


def upgrade() -> None:
    """Create the registry tables and their indexes."""
    op.create_table(
        "registry_patients",
        sa.Column("patient_id", ID, primary_key=True),
        sa.Column("merged_into", ID, nullable=True, index=True),
        sa.Column("updated", sa.String(32), nullable=False),
    )
    op.create_table(
        "registry_documents",
        sa.Column("entry_uuid", UUID, primary_key=True),
        sa.Column("lid", UUID, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", URN, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("unique_id", ID, nullable=False, index=True),
        sa.Column("object_type", UUID, nullable=False),
        sa.Column("availability", URN, nullable=False),
        sa.Column("class_code", CODE),
        sa.Column("type_code", CODE),
        sa.Column("practice_setting_code", CODE),
        sa.Column("hcft_code", CODE),
        sa.Column("format_code", CODE),
        sa.Column("creation_time", DTM),
        sa.Column("service_start_time", DTM),
        sa.Column("service_stop_time", DTM),
        sa.Column("hash", sa.String(64)),
        sa.Column("size", sa.BigInteger),
        sa.Column("repository_unique_id", ID),
        sa.Column("mime_type", ID),
        sa.Column("xml", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_registry_documents_patient_status_class",
        "registry_documents",
        ["patient_id", "status", "class_code"],
    )
    op.create_table(
        "registry_submission_sets",
        sa.Column("entry_uuid", UUID, primary_key=True),
        sa.Column("status", URN, nullable=False),
        sa.Column("patient_id", ID, nullable=False, index=True),
        sa.Column("unique_id", ID, nullable=False, unique=True),
        sa.Column("source_id", ID),
        sa.Column("submission_time", DTM),
        sa.Column("content_type_code", CODE),
        sa.Column("xml", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_folders",
        sa.Column("entry_uuid", UUID, primary_key=True),
        sa.Column("lid", UUID, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", URN, nullable=False),
        sa.Column("patient_id", ID, nullable=False, index=True),
        sa.Column("unique_id", ID, nullable=False, index=True),
        sa.Column("last_update_time", DTM),
        sa.Column("xml", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_associations",
        sa.Column("entry_uuid", UUID, primary_key=True),
        sa.Column("status", URN, nullable=False),
        sa.Column("type", ID, nullable=False),
        sa.Column("source_uuid", UUID, nullable=False, index=True),
        sa.Column("target_uuid", UUID, nullable=False, index=True),
        sa.Column("xml", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("object_uuid", UUID, nullable=False, index=True),
        sa.Column("attribute", sa.String(32), nullable=False),
        sa.Column("code", CODE, nullable=False),
    )
    op.create_index("ix_registry_codes_attr_code", "registry_codes", ["attribute", "code"])
    op.create_table(
        "registry_authors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("object_uuid", UUID, nullable=False, index=True),
        sa.Column("person", CODE, nullable=False),
    )
    op.create_table(
        "registry_reference_ids",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("object_uuid", UUID, nullable=False, index=True),
        sa.Column("value", CODE, nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop every registry table."""
    for table in (
        "registry_reference_ids",
        "registry_authors",
        "registry_codes",
        "registry_associations",
        "registry_folders",
        "registry_submission_sets",
        "registry_documents",
        "registry_patients",
    ):
        op.drop_table(table)
