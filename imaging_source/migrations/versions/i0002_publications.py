"""Publication state of studies (XDS-I.b manifests, RAD-68): ``imaging_publications``.

Revision ID: i0002
Revises: i0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0002"
down_revision = "i0001"

UID = 128


def upgrade() -> None:
    """Create the publications table."""
    op.create_table(
        "imaging_publications",
        sa.Column(
            "study_instance_uid",
            sa.String(UID),
            sa.ForeignKey("imaging_studies.study_instance_uid"),
            primary_key=True,
        ),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("document_unique_id", sa.String(UID), nullable=False),
        sa.Column("entry_uuid", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_instances", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop the publications table."""
    op.drop_table("imaging_publications")
