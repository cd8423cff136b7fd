"""Writing and reading registry objects (the registry's only SQL outside stored queries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from profiles.vocabulary import DocumentAvailability, Status
from xds_common.datatypes import pad_dtm
from xds_common.metadata import Association, Code, DocumentEntry, Folder, SubmissionSet
from xds_registry.storage.tables import (
    AssociationRow,
    AuthorRow,
    CodeRow,
    DocumentRow,
    FolderRow,
    ReferenceIdRow,
    SubmissionSetRow,
)


def _key(code: Code | None) -> str | None:
    return code.key if code else None


Rows = list[tuple[type, dict[str, object]]]


def _code_rows(uuid: str, attribute: str, codes: Iterable[Code]) -> Rows:
    return [(CodeRow, {"object_uuid": uuid, "attribute": attribute, "code": c.key}) for c in codes]


def _author_rows(uuid: str, persons: Iterable[str]) -> Rows:
    return [(AuthorRow, {"object_uuid": uuid, "person": p}) for p in persons if p]


def _reference_rows(uuid: str, values: Iterable[str]) -> Rows:
    return [(ReferenceIdRow, {"object_uuid": uuid, "value": v}) for v in values]


def document_rows(de: DocumentEntry, xml: str, version: int = 1) -> Rows:
    """The rows that store one DocumentEntry: its own row and its index rows."""
    uuid = de.entry_uuid
    row: dict[str, object] = {
        "entry_uuid": uuid,
        "lid": de.lid or uuid,
        "version": version,
        "status": de.availability_status or Status.APPROVED,
        "patient_id": de.patient_id,
        "unique_id": de.unique_id,
        "object_type": de.object_type,
        "availability": de.document_availability or DocumentAvailability.ONLINE,
        "class_code": _key(de.class_code),
        "type_code": _key(de.type_code),
        "practice_setting_code": _key(de.practice_setting_code),
        "hcft_code": _key(de.healthcare_facility_type_code),
        "format_code": _key(de.format_code),
        "creation_time": pad_dtm(de.creation_time) or None,
        "service_start_time": pad_dtm(de.service_start_time) or None,
        "service_stop_time": pad_dtm(de.service_stop_time) or None,
        "hash": de.hash or None,
        "size": int(de.size) if de.size.isdigit() else None,
        "repository_unique_id": de.repository_unique_id or None,
        "mime_type": de.mime_type or None,
        "xml": xml,
    }
    return [
        (DocumentRow, row),
        *_code_rows(uuid, "eventCodeList", de.event_codes),
        *_code_rows(uuid, "confidentialityCode", de.confidentiality_codes),
        *_author_rows(uuid, (a.person for a in de.authors)),
        *_reference_rows(uuid, de.reference_ids),
    ]


def submission_set_rows(ss: SubmissionSet, xml: str) -> Rows:
    """The rows that store one SubmissionSet."""
    row: dict[str, object] = {
        "entry_uuid": ss.entry_uuid,
        "status": Status.APPROVED,
        "patient_id": ss.patient_id,
        "unique_id": ss.unique_id,
        "source_id": ss.source_id or None,
        "submission_time": pad_dtm(ss.submission_time) or None,
        "content_type_code": _key(ss.content_type_code),
        "xml": xml,
    }
    return [(SubmissionSetRow, row), *_author_rows(ss.entry_uuid, (a.person for a in ss.authors))]


def folder_rows(fd: Folder, xml: str, last_update: str, version: int = 1) -> Rows:
    """The rows that store one Folder."""
    row: dict[str, object] = {
        "entry_uuid": fd.entry_uuid,
        "lid": fd.lid or fd.entry_uuid,
        "version": version,
        "status": fd.availability_status or Status.APPROVED,
        "patient_id": fd.patient_id,
        "unique_id": fd.unique_id,
        "last_update_time": last_update,
        "xml": xml,
    }
    return [(FolderRow, row), *_code_rows(fd.entry_uuid, "codeList", fd.codes)]


def association_rows(assoc: Association, xml: str) -> Rows:
    """The row that stores one Association."""
    row: dict[str, object] = {
        "entry_uuid": assoc.entry_uuid,
        "status": assoc.availability_status or Status.APPROVED,
        "type": assoc.association_type,
        "source_uuid": assoc.source,
        "target_uuid": assoc.target,
        "xml": xml,
    }
    return [(AssociationRow, row)]


#: Parents before their index rows, so foreign keys added later keep working.
_TABLE_ORDER = (
    SubmissionSetRow,
    DocumentRow,
    FolderRow,
    AssociationRow,
    CodeRow,
    AuthorRow,
    ReferenceIdRow,
)


def insert_rows(session: Session, rows: Rows) -> None:
    """Insert ``rows`` with one executemany per table (Core, no ORM unit of work)."""
    by_table: dict[type, list[dict[str, object]]] = {}
    for table, values in rows:
        by_table.setdefault(table, []).append(values)
    for table in _TABLE_ORDER:
        if table in by_table:
            session.execute(insert(table), by_table[table])


def add_document(session: Session, de: DocumentEntry, xml: str, version: int = 1) -> None:
    """Insert a DocumentEntry with its index rows (status Approved unless set)."""
    insert_rows(session, document_rows(de, xml, version))


def add_documents_bulk(session: Session, entries: Iterable[tuple[DocumentEntry, str]]) -> int:
    """Insert many DocumentEntries with executemany per table (bulk loads, benchmarks)."""
    rows: Rows = []
    count = 0
    for de, xml in entries:
        count += 1
        rows += document_rows(de, xml)
    insert_rows(session, rows)
    return count


def add_submission_set(session: Session, ss: SubmissionSet, xml: str) -> None:
    """Insert a SubmissionSet with its author rows."""
    insert_rows(session, submission_set_rows(ss, xml))


def add_folder(session: Session, fd: Folder, xml: str, last_update: str, version: int = 1) -> None:
    """Insert a Folder with its codeList rows."""
    insert_rows(session, folder_rows(fd, xml, last_update, version))


def add_association(session: Session, assoc: Association, xml: str) -> None:
    """Insert an Association."""
    insert_rows(session, association_rows(assoc, xml))


def documents(session: Session, uuids: Sequence[str]) -> dict[str, DocumentRow]:
    """Stored DocumentEntries by entryUUID."""
    if not uuids:
        return {}
    rows = session.scalars(select(DocumentRow).where(DocumentRow.entry_uuid.in_(uuids)))
    return {r.entry_uuid: r for r in rows}


def documents_by_unique_id(session: Session, unique_ids: Sequence[str]) -> list[DocumentRow]:
    """Stored DocumentEntries with any of these uniqueIds."""
    if not unique_ids:
        return []
    return list(session.scalars(select(DocumentRow).where(DocumentRow.unique_id.in_(unique_ids))))


def folders(session: Session, uuids: Sequence[str]) -> dict[str, FolderRow]:
    """Stored Folders by entryUUID."""
    if not uuids:
        return {}
    rows = session.scalars(select(FolderRow).where(FolderRow.entry_uuid.in_(uuids)))
    return {r.entry_uuid: r for r in rows}


def submission_sets(session: Session, uuids: Sequence[str]) -> dict[str, SubmissionSetRow]:
    """Stored SubmissionSets by entryUUID."""
    if not uuids:
        return {}
    rows = session.scalars(select(SubmissionSetRow).where(SubmissionSetRow.entry_uuid.in_(uuids)))
    return {r.entry_uuid: r for r in rows}


def associations(session: Session, uuids: Sequence[str]) -> dict[str, AssociationRow]:
    """Stored Associations by entryUUID."""
    if not uuids:
        return {}
    rows = session.scalars(select(AssociationRow).where(AssociationRow.entry_uuid.in_(uuids)))
    return {r.entry_uuid: r for r in rows}


def associations_touching(
    session: Session, uuids: Sequence[str], types: Iterable[str] | None = None
) -> list[AssociationRow]:
    """Associations whose source or target is one of ``uuids`` (optionally of ``types``)."""
    if not uuids:
        return []
    query = select(AssociationRow).where(
        or_(AssociationRow.source_uuid.in_(uuids), AssociationRow.target_uuid.in_(uuids))
    )
    if types is not None:
        query = query.where(AssociationRow.type.in_(list(types)))
    return list(session.scalars(query))


def unique_ids_in_use(session: Session, unique_ids: Sequence[str]) -> set[str]:
    """Which of these uniqueIds a SubmissionSet or Folder already has."""
    if not unique_ids:
        return set()
    ss = session.scalars(
        select(SubmissionSetRow.unique_id).where(SubmissionSetRow.unique_id.in_(unique_ids))
    )
    fd = session.scalars(select(FolderRow.unique_id).where(FolderRow.unique_id.in_(unique_ids)))
    return set(ss) | set(fd)


StatusTable = type[DocumentRow] | type[FolderRow] | type[AssociationRow]


def set_status(session: Session, table: StatusTable, uuids: Sequence[str], status: str) -> None:
    """Change availabilityStatus of the objects ``uuids`` stored in ``table``."""
    if uuids:
        session.execute(update(table).where(table.entry_uuid.in_(uuids)).values(status=status))


def set_document_status(session: Session, uuids: Sequence[str], status: str) -> None:
    """Change availabilityStatus of DocumentEntries."""
    set_status(session, DocumentRow, uuids, status)


def touch_folders(session: Session, uuids: Sequence[str], when: str) -> None:
    """Set Folder.lastUpdateTime (ITI TF-3 4.2.3.4.4)."""
    if uuids:
        session.execute(
            update(FolderRow).where(FolderRow.entry_uuid.in_(uuids)).values(last_update_time=when)
        )
