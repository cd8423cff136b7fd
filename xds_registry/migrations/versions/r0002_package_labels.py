"""Label stored SubmissionSets and Folders whose label Classification was not kept.

Before this revision a RegistryPackage's SubmissionSet/Folder label sent as a separate
``rim:Classification`` beside it (ITI TF-3 4.2.1.2.1) decided the kind of the stored row but
was not written into the stored XML, so ITI-18 returned the package unlabelled (against ITI
TF-3 4.2.3.3, 4.2.3.4). This data migration nests a label Classification into each such
row's XML; rows that already carry their label are left alone.

Revision ID: r0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from profiles.vocabulary import ClassificationNode
from xds_common.xml import parse_trusted, to_bytes
from xds_registry.stored import label, nest_classification

revision = "r0002"
down_revision = "r0001"

#: Rows rewritten per statement batch (keeps memory bounded on large registries).
_BATCH = 500

_TABLES = {
    "registry_submission_sets": ClassificationNode.SUBMISSION_SET,
    "registry_folders": ClassificationNode.FOLDER,
}


def _relabel(table: sa.TableClause, node: str) -> None:
    """Label every row of ``table`` whose XML lacks ``node``, one batch at a time."""
    bind = op.get_bind()
    missing = (
        sa.select(table.c.entry_uuid, table.c.xml)
        .where(~table.c.xml.contains(node))
        .order_by(table.c.entry_uuid)
        .limit(_BATCH)
    )
    while rows := bind.execute(missing).all():
        updates = []
        for entry_uuid, xml in rows:
            element = parse_trusted(xml)
            nest_classification(element, label(entry_uuid, node))
            updates.append({"key": entry_uuid, "new_xml": to_bytes(element).decode()})
        bind.execute(
            table.update()
            .where(table.c.entry_uuid == sa.bindparam("key"))
            .values(xml=sa.bindparam("new_xml")),
            updates,
        )


def upgrade() -> None:
    """Nest the missing label Classification into stored SubmissionSets and Folders."""
    for name, node in _TABLES.items():
        table = sa.table(name, sa.column("entry_uuid", sa.String), sa.column("xml", sa.Text))
        _relabel(table, node)


def downgrade() -> None:
    """Nothing to undo: the label is part of each object's metadata (ITI TF-3 4.2.3.3)."""
