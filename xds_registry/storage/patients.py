"""Patient ids known to the registry and their merges (ITI TF-2a 3.8.4.1.3, 3.8.4.2.3)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from xds_registry.storage.tables import Patient


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def add(session: Session, patient_id: str) -> bool:
    """Register ``patient_id``; return False when it was already known."""
    if session.get(Patient, patient_id) is not None:
        return False
    session.add(Patient(patient_id=patient_id, merged_into=None, updated=_now()))
    session.flush()
    return True


def get(session: Session, patient_id: str) -> Patient | None:
    """The stored patient row, or None."""
    return session.get(Patient, patient_id)


def is_active(session: Session, patient_id: str, *, lock: bool = False) -> bool:
    """True when the id is known and not subsumed; ``lock`` holds the row until commit."""
    row = session.get(Patient, patient_id, with_for_update=lock)
    return row is not None and row.merged_into is None


def merge(session: Session, subsumed: str, surviving: str) -> None:
    """Record that ``subsumed`` is merged into ``surviving`` (caller checked preconditions)."""
    row = session.get(Patient, subsumed, with_for_update=True)
    if row is None:
        raise LookupError(f"unknown patient id {subsumed}")
    row.merged_into = surviving
    row.updated = _now()
    session.flush()


def query_scope(session: Session, patient_id: str) -> list[str] | None:
    """Ids a query on ``patient_id`` covers: itself plus ids merged into it; None if inactive.

    One indexed Core query in the common case (no merges), for the ITI-18 hot path.
    """
    table = Patient.__table__
    rows = (
        session.connection()
        .execute(
            select(table.c.patient_id, table.c.merged_into).where(
                (table.c.patient_id == patient_id) | (table.c.merged_into == patient_id)
            )
        )
        .all()
    )
    own = [r for r in rows if r.patient_id == patient_id]
    if not own or own[0].merged_into is not None:
        return None
    merged = [r.patient_id for r in rows if r.patient_id != patient_id]
    return merge_chain(session, patient_id) if merged else [patient_id]


def merge_chain(session: Session, surviving: str) -> list[str]:
    """``surviving`` plus every id merged into it, directly or through earlier merges."""
    found = [surviving]
    frontier = [surviving]
    while frontier:
        rows = session.scalars(
            select(Patient.patient_id).where(Patient.merged_into.in_(frontier))
        ).all()
        frontier = [r for r in rows if r not in found]
        found.extend(frontier)
    return found


def surviving_id(session: Session, patient_id: str) -> str:
    """Follow merges from ``patient_id`` to the id that survives."""
    seen = {patient_id}
    current = patient_id
    while True:
        row = session.get(Patient, current)
        if row is None or row.merged_into is None or row.merged_into in seen:
            return current
        current = row.merged_into
        seen.add(current)
