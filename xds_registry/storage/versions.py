"""Versions, status changes and removal of registry objects (XDS MU ITI-57, RMD ITI-62).

Every version of a DocumentEntry or Folder is its own row; rows of one logical object share
``lid`` and carry ``version`` 1, 2, ... (XDS Metadata Update supplement, "logicalID").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from profiles.vocabulary import ObjectKind
from xds_registry.storage import objects
from xds_registry.storage.tables import (
    AssociationRow,
    AuthorRow,
    CodeRow,
    DocumentRow,
    FolderRow,
    ReferenceIdRow,
    SubmissionSetRow,
)

_Versioned = TypeVar("_Versioned", DocumentRow, FolderRow)


def _latest(rows: Iterable[_Versioned]) -> dict[str, _Versioned]:
    found: dict[str, _Versioned] = {}
    for row in rows:
        best = found.get(row.lid)
        if best is None or row.version > best.version:
            found[row.lid] = row
    return found


def latest_documents(session: Session, lids: Sequence[str]) -> dict[str, DocumentRow]:
    """The latest DocumentEntry version per logicalID, rows locked until commit."""
    if not lids:
        return {}
    query = select(DocumentRow).where(DocumentRow.lid.in_(lids)).with_for_update()
    return _latest(session.scalars(query))


def latest_folders(session: Session, lids: Sequence[str]) -> dict[str, FolderRow]:
    """The latest Folder version per logicalID, rows locked until commit."""
    if not lids:
        return {}
    query = select(FolderRow).where(FolderRow.lid.in_(lids)).with_for_update()
    return _latest(session.scalars(query))


def kinds(session: Session, uuids: Sequence[str]) -> dict[str, ObjectKind]:
    """Which of ``uuids`` are stored, and as what kind of object."""
    found: dict[str, ObjectKind] = {}
    wanted = sorted(set(uuids))
    found.update(dict.fromkeys(objects.documents(session, wanted), ObjectKind.DOCUMENT_ENTRY))
    found.update(dict.fromkeys(objects.folders(session, wanted), ObjectKind.FOLDER))
    found.update(dict.fromkeys(objects.submission_sets(session, wanted), ObjectKind.SUBMISSION_SET))
    found.update(dict.fromkeys(objects.associations(session, wanted), ObjectKind.ASSOCIATION))
    return found


def approved_links(
    session: Session, triples: Sequence[tuple[str, str, str]], approved: str
) -> set[tuple[str, str, str]]:
    """Which (type, source, target) triples already exist as an Approved Association."""
    if not triples:
        return set()
    sources = sorted({source for _, source, _ in triples})
    rows = session.scalars(
        select(AssociationRow).where(
            AssociationRow.source_uuid.in_(sources), AssociationRow.status == approved
        )
    )
    stored = {(r.type, r.source_uuid, r.target_uuid) for r in rows}
    return stored & set(triples)


def set_folder_status(session: Session, uuids: Sequence[str], status: str) -> None:
    """Change availabilityStatus of Folders."""
    objects.set_status(session, FolderRow, uuids, status)


def set_association_status(session: Session, uuids: Sequence[str], status: str) -> None:
    """Change availabilityStatus of Associations."""
    objects.set_status(session, AssociationRow, uuids, status)


def remove(session: Session, uuids: Sequence[str]) -> None:
    """Delete registry objects with their index rows (codes, authors, reference ids)."""
    if not uuids:
        return
    wanted = sorted(set(uuids))
    for table in (DocumentRow, FolderRow, SubmissionSetRow, AssociationRow):
        session.execute(delete(table).where(table.entry_uuid.in_(wanted)))
    for index in (CodeRow, AuthorRow, ReferenceIdRow):
        session.execute(delete(index).where(index.object_uuid.in_(wanted)))
