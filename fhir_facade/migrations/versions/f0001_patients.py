"""FHIR facade schema: the Patient resources of the FHIR patient identity feed.

Revision ID: f0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0001"
down_revision = None


def _patients() -> None:
    op.create_table(
        "fhir_patients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gender", sa.String(16), nullable=True, index=True),
        sa.Column("birth_start", sa.String(19), nullable=True, index=True),
        sa.Column("birth_end", sa.String(19), nullable=True),
        sa.Column("resource", sa.Text, nullable=False),
    )


def _child(name: str, *items: sa.schema.SchemaItem) -> None:
    op.create_table(
        name,
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id",
            sa.String(64),
            sa.ForeignKey("fhir_patients.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        *items,
    )


def upgrade() -> None:
    """Create the Patient tables."""
    _patients()
    _child(
        "fhir_patient_identifiers",
        sa.Column("system", sa.String(255), nullable=False),
        sa.Column("value", sa.String(255), nullable=False, index=True),
        sa.UniqueConstraint("system", "value"),
    )
    _child(
        "fhir_patient_names",
        sa.Column("part", sa.String(8), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("text", sa.String(255), nullable=False),
    )
    op.create_index("ix_fhir_patient_names_part_value", "fhir_patient_names", ["part", "value"])


def downgrade() -> None:
    """Drop the Patient tables."""
    for table in ("fhir_patient_names", "fhir_patient_identifiers", "fhir_patients"):
        op.drop_table(table)
