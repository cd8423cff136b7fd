"""Initial repository schema: the index of stored documents.

Revision ID: p0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None


def upgrade() -> None:
    """Create ``repository_documents``."""
    op.create_table(
        "repository_documents",
        sa.Column("unique_id", sa.String(256), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("mime_type", sa.String(256), nullable=False),
        sa.Column("hash", sa.String(40), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("created", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    """Drop ``repository_documents``."""
    op.drop_table("repository_documents")
