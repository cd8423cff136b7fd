"""Batch reads of the registry's index columns as :class:`Hit`s (no XML, no per-row queries).

Long id lists are sent in chunks so that an IN list never exceeds the bind-parameter
limits of SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, ObjectKind
from xds_common.errors import XdsError
from xds_registry.query.filters import A, Column, Condition, D, F, S
from xds_registry.query.model import Hit, QueryContext
from xds_registry.storage import patients

CHUNK: Final = 500

#: The columns each kind of Hit is built from, labelled with Hit's field names.
_COLUMNS: Final[dict[ObjectKind, tuple[Any, ...]]] = {
    ObjectKind.DOCUMENT_ENTRY: (D.entry_uuid, D.status, D.patient_id, D.lid, D.version),
    ObjectKind.SUBMISSION_SET: (S.entry_uuid, S.status, S.patient_id),
    ObjectKind.FOLDER: (
        F.entry_uuid,
        F.status,
        F.patient_id,
        F.lid,
        F.version,
        func.coalesce(F.last_update_time, "").label("last_update_time"),
    ),
    ObjectKind.ASSOCIATION: (
        A.entry_uuid,
        A.status,
        A.source_uuid.label("source"),
        A.target_uuid.label("target"),
        A.type,
    ),
}


def chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    """``items`` without duplicates, in lists of at most ``size``."""
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def fetch(session: Session, kind: ObjectKind, *conditions: Condition) -> list[Hit]:
    """Objects of ``kind`` matching all ``conditions``."""
    result = session.connection().execute(select(*_COLUMNS[kind]).where(*conditions))
    keys = tuple(result.keys())
    return [Hit(kind, **dict(zip(keys, row, strict=True))) for row in result.all()]


def fetch_in(
    session: Session,
    kind: ObjectKind,
    column: Column,
    values: Iterable[str],
    *conditions: Condition,
) -> list[Hit]:
    """Objects of ``kind`` whose ``column`` is one of ``values`` and matching ``conditions``."""
    found: dict[str, Hit] = {}
    for chunk in chunks(values):
        for hit in fetch(session, kind, column.in_(chunk), *conditions):
            found.setdefault(hit.entry_uuid, hit)
    return list(found.values())


def associations_touching(
    session: Session, uuids: Iterable[str], *conditions: Condition
) -> list[Hit]:
    """Associations whose source or target is one of ``uuids``."""
    found: dict[str, Hit] = {}
    for chunk in chunks(uuids):
        touching = or_(A.source_uuid.in_(chunk), A.target_uuid.in_(chunk))
        for hit in fetch(session, ObjectKind.ASSOCIATION, touching, *conditions):
            found.setdefault(hit.entry_uuid, hit)
    return list(found.values())


def has_member_from(session: Session, sources: Iterable[str], *conditions: Condition) -> list[Hit]:
    """HasMember associations whose source is one of ``sources``."""
    member = A.type == AssociationType.HAS_MEMBER
    return fetch_in(session, ObjectKind.ASSOCIATION, A.source_uuid, sources, member, *conditions)


def has_member_to(session: Session, targets: Iterable[str], *conditions: Condition) -> list[Hit]:
    """HasMember associations whose target is one of ``targets``."""
    member = A.type == AssociationType.HAS_MEMBER
    return fetch_in(session, ObjectKind.ASSOCIATION, A.target_uuid, targets, member, *conditions)


def patient_scope(ctx: QueryContext, patient_id: str) -> list[str]:
    """The patient ids whose objects a query on ``patient_id`` returns (ITI TF-2a 3.18.4.1.3).

    A known, active id covers every id merged into it (ITI TF-2a 3.8.4.2.3). An unknown
    or subsumed id gives no objects, or XDSUnknownPatientId when the policy asks for it.
    """
    scope = patients.query_scope(ctx.session, patient_id)
    if scope is not None:
        return scope
    if ctx.config.unknown_patient_error:
        raise XdsError(ErrorCode.UNKNOWN_PATIENT_ID, f"patient id {patient_id} is not known")
    return []
