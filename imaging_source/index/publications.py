"""The publication state of each study: the only module that knows ``imaging_publications``.

One row per study that was, or is being, published as an XDS-I.b manifest (RAD TF-3 4.68):
the current manifest (its SOP Instance UID = DocumentEntry.uniqueId, and the entryUUID the
next manifest replaces by RPLC), how many instances it lists, an outstanding explicit request,
the claim of the worker publishing it now (so that exactly one of several workers does), and
the last failure with the time of the next attempt (backoff). Times are UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imaging_source.index.tables import UID
from xds_common.db import Base


class PublicationState(StrEnum):
    """Where a study's publication stands."""

    WAITING = "waiting"  # no row yet: the stability window has not passed
    QUEUED = "queued"  # explicitly requested, not yet attempted
    PUBLISHING = "publishing"  # a worker holds the claim
    PUBLISHED = "published"  # the current manifest lists what was stored when it was built
    FAILED = "failed"  # the last attempt failed; retried at next_attempt_at


class StudyPublication(Base):
    """A study's manifest publication: current manifest, claim, request and failures."""

    __tablename__ = "imaging_publications"
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.study_instance_uid"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    #: Bumped by every claim and every result: a claim names the generation it saw.
    generation: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Consecutive failed attempts, the last error and when to try again.
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    #: The current manifest: KOS SOP Instance UID (= DocumentEntry.uniqueId) and entryUUID.
    document_unique_id: Mapped[str] = mapped_column(String(UID))
    entry_uuid: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Instances listed in the current manifest; a different study count means "republish".
    published_instances: Mapped[int] = mapped_column(Integer)
    #: Manifests published so far (1 = the original; more = RPLC replacements).
    version: Mapped[int] = mapped_column(Integer)
