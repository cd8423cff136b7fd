"""Publication state in the database: which studies are due, claims, results, backoff.

A study is *due* (the completeness rule of issue 4, RAD TF-3 4.68 "manifest upkeep") when

* its stored instance count differs from the count in its current manifest (never published,
  or instances arrived after publication), and no instance arrived for the stability window;
* or publication was requested explicitly (CLI, HTTP), stable or not;

and it is neither claimed by a live worker nor waiting for a retry after a failure.

Exactly one worker publishes a due study: a claim is one atomic ``UPDATE … WHERE
generation = <seen> AND (claim free or expired)`` (or the ``INSERT`` of the study's first
row, which the primary key makes unique). Every claim and every result bumps ``generation``,
so a worker acting on a stale read claims nothing. Failures back off exponentially.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from imaging_source.index.publications import PublicationState, StudyPublication
from imaging_source.index.tables import ImagingStudy, StudyActivity
from xds_common.db import transaction

_PUB = cast(Table, StudyPublication.__table__)
_STUDIES = cast(Table, ImagingStudy.__table__)
_ACTIVITY = cast(Table, StudyActivity.__table__)

#: How long a claim holds before another worker may take the study over (crashed worker).
CLAIM_LEASE = timedelta(minutes=5)
#: Retry delays after consecutive failures: 30 s, 1, 2, 4 … minutes, at most one hour.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
ERROR_LIMIT = 2000


def utcnow() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A database time as an aware UTC datetime (SQLite returns naive UTC values)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after ``attempts`` consecutive failures (1, 2, …)."""
    delay: timedelta = BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, BACKOFF_MAX)


@dataclass(frozen=True)
class Candidate:
    """A due study and the generation of its publication row (None: no row yet)."""

    study_instance_uid: str
    generation: int | None


@dataclass(frozen=True)
class Claim:
    """A worker's claim on one study's publication."""

    study_instance_uid: str
    worker: str
    generation: int
    claimed_at: datetime
    #: The current manifest's entryUUID (the RPLC target) and how many manifests came before.
    previous_entry_uuid: str
    version: int


def due_studies(
    session: Session, now: datetime, stable_seconds: int, limit: int = 20
) -> list[Candidate]:
    """Studies to publish now, oldest activity first (see the module docstring)."""
    p, s, a = _PUB.c, _STUDIES.c, _ACTIVITY.c
    cutoff = now - timedelta(seconds=stable_seconds)
    changed = or_(p.study_instance_uid.is_(None), p.published_instances != s.number_of_instances)
    stable = a.last_received <= cutoff
    requested = p.requested_at.is_not(None)
    rows = session.execute(
        select(s.study_instance_uid, p.generation)
        .join_from(_STUDIES, _ACTIVITY, a.study_instance_uid == s.study_instance_uid)
        .outerjoin(_PUB, p.study_instance_uid == s.study_instance_uid)
        .where(
            or_(and_(changed, stable), requested),
            or_(p.next_attempt_at.is_(None), p.next_attempt_at <= now),
            or_(p.claim_expires.is_(None), p.claim_expires <= now),
            s.number_of_instances > 0,
        )
        .order_by(a.last_received)
        .limit(limit)
    ).all()
    return [Candidate(r[0], r[1]) for r in rows]


def study_known(session: Session, study_uid: str) -> bool:
    """True when the study is in the index."""
    s = _STUDIES.c
    found = session.scalar(select(s.study_instance_uid).where(s.study_instance_uid == study_uid))
    return found is not None


def candidate_for(session: Session, study_uid: str, now: datetime) -> Candidate | None:
    """The study as a candidate when no live claim holds it (for "publish now")."""
    p = _PUB.c
    row = session.execute(
        select(p.generation, p.claim_expires).where(p.study_instance_uid == study_uid)
    ).first()
    if row is None:
        return Candidate(study_uid, None)
    expires = as_utc(row.claim_expires)
    return Candidate(study_uid, row.generation) if expires is None or expires <= now else None


def _new_row(study_uid: str, **values: Any) -> dict[str, Any]:
    """Column values of a study's first publication row."""
    return {
        "study_instance_uid": study_uid,
        "state": PublicationState.QUEUED,
        "generation": 0,
        "requested_at": None,
        "claimed_by": None,
        "claimed_at": None,
        "claim_expires": None,
        "attempts": 0,
        "last_error": "",
        "last_attempt_at": None,
        "next_attempt_at": None,
        "document_unique_id": "",
        "entry_uuid": "",
        "published_at": None,
        "published_instances": 0,
        "version": 0,
    } | values


def claim(
    write: sessionmaker[Session], candidate: Candidate, worker: str, now: datetime
) -> Claim | None:
    """Take the study for ``worker`` if nobody else did since ``candidate`` was read."""
    uid = candidate.study_instance_uid
    held = {
        "state": PublicationState.PUBLISHING,
        "claimed_by": worker,
        "claimed_at": now,
        "claim_expires": now + CLAIM_LEASE,
    }
    try:
        with transaction(write) as session:
            if candidate.generation is None:
                session.execute(insert(_PUB).values(_new_row(uid, generation=1, **held)))
                return Claim(uid, worker, 1, now, "", 0)
            p = _PUB.c
            done = session.execute(
                update(_PUB)
                .where(
                    p.study_instance_uid == uid,
                    p.generation == candidate.generation,
                    or_(p.claim_expires.is_(None), p.claim_expires <= now),
                )
                .values(generation=p.generation + 1, **held)
            )
            if getattr(done, "rowcount", 0) != 1:
                return None
            row = session.execute(
                select(p.entry_uuid, p.version).where(p.study_instance_uid == uid)
            )
            entry_uuid, version = row.one()
            return Claim(uid, worker, candidate.generation + 1, now, entry_uuid, version)
    except IntegrityError:  # another worker inserted the first row
        return None


@dataclass(frozen=True)
class Published:
    """What the repository accepted."""

    document_unique_id: str
    entry_uuid: str
    instances: int


def _release(session: Session, held: Claim, values: dict[str, Any]) -> bool:
    """Apply ``values`` and free the claim, if ``held`` still holds it."""
    p = _PUB.c
    requested = session.scalar(
        select(p.requested_at).where(
            p.study_instance_uid == held.study_instance_uid, p.generation == held.generation
        )
    )
    asked = as_utc(requested)
    if asked is not None and asked > held.claimed_at:
        values = values | {"requested_at": requested}  # asked again while we published
    done = session.execute(
        update(_PUB)
        .where(p.study_instance_uid == held.study_instance_uid, p.generation == held.generation)
        .values(
            generation=p.generation + 1,
            claimed_by=None,
            claimed_at=None,
            claim_expires=None,
            **values,
        )
    )
    return getattr(done, "rowcount", 0) == 1


def record_success(
    write: sessionmaker[Session], held: Claim, result: Published, now: datetime
) -> bool:
    """The manifest was registered: it is the study's current one."""
    with transaction(write) as session:
        return _release(
            session,
            held,
            {
                "state": PublicationState.PUBLISHED,
                "requested_at": None,
                "attempts": 0,
                "last_error": "",
                "last_attempt_at": now,
                "next_attempt_at": None,
                "document_unique_id": result.document_unique_id,
                "entry_uuid": result.entry_uuid,
                "published_at": now,
                "published_instances": result.instances,
                "version": held.version + 1,
            },
        )


def record_failure(write: sessionmaker[Session], held: Claim, error: str, now: datetime) -> int:
    """The attempt failed: keep the error, schedule the retry; returns the attempt count."""
    p = _PUB.c
    with transaction(write) as session:
        attempts = 1 + int(
            session.scalar(
                select(p.attempts).where(p.study_instance_uid == held.study_instance_uid)
            )
            or 0
        )
        _release(
            session,
            held,
            {
                "state": PublicationState.FAILED,
                "attempts": attempts,
                "last_error": error[:ERROR_LIMIT],
                "last_attempt_at": now,
                "next_attempt_at": now + backoff(attempts),
            },
        )
    return attempts


def request(write: sessionmaker[Session], study_uid: str, now: datetime) -> bool:
    """Ask for the study to be published (again) now, skipping the stability window and any
    backoff; False for an unknown study."""
    p = _PUB.c
    with transaction(write) as session:
        if not study_known(session, study_uid):
            return False
        done = session.execute(
            update(_PUB)
            .where(p.study_instance_uid == study_uid)
            .values(requested_at=now, next_attempt_at=None)
        )
        if getattr(done, "rowcount", 0) == 0:
            session.execute(insert(_PUB).values(_new_row(study_uid, requested_at=now)))
    return True


def _iso(moment: datetime | None) -> str | None:
    found = as_utc(moment)
    return found.isoformat() if found is not None else None


def status(session: Session, study_uid: str) -> dict[str, Any] | None:
    """The study's publication state as JSON-ready values; None for an unknown study."""
    s, p, a = _STUDIES.c, _PUB.c, _ACTIVITY.c
    row = session.execute(
        select(s.study_instance_uid, s.number_of_instances, a.last_received, _PUB)
        .outerjoin(_ACTIVITY, a.study_instance_uid == s.study_instance_uid)
        .outerjoin(_PUB, p.study_instance_uid == s.study_instance_uid)
        .where(s.study_instance_uid == study_uid)
    ).first()
    if row is None:
        return None
    found: dict[str, Any] = {
        "studyInstanceUID": row[0],
        "instances": row[1],
        "lastReceived": _iso(row[2]),
        "state": row.state or PublicationState.WAITING,
        "requested": row.requested_at is not None,
        "attempts": row.attempts or 0,
        "lastError": row.last_error or "",
        "lastAttempt": _iso(row.last_attempt_at),
        "nextAttempt": _iso(row.next_attempt_at),
        "documentUniqueId": row.document_unique_id or "",
        "entryUUID": row.entry_uuid or "",
        "published": _iso(row.published_at),
        "publishedInstances": row.published_instances or 0,
        "version": row.version or 0,
    }
    return found


def all_status(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """The publication state of the most recently active studies."""
    a = _ACTIVITY.c
    uids = session.scalars(
        select(a.study_instance_uid).order_by(a.last_received.desc()).limit(limit)
    ).all()
    return [found for uid in uids if (found := status(session, uid)) is not None]
