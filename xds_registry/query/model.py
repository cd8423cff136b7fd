"""What finders return: light index rows of the objects found, without their XML.

The service loads XML only for a LeafClass answer that passed the result checks
(ITI TF-2a 3.18.4.1.3), so an ObjectRef answer or a refused one never reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from profiles.vocabulary import ObjectKind
from xds_common.query.params import ParsedQuery


@dataclass(frozen=True)
class QueryConfig:
    """Affinity-domain policy for stored queries (ITI TF-2a 3.18.4.1.3)."""

    #: more objects than this → XDSTooManyResults, nothing returned
    result_limit: int
    #: unknown or subsumed patient id in Find*/GetAll → XDSUnknownPatientId (else empty)
    unknown_patient_error: bool
    #: written as ``@home`` on returned objects and ObjectRefs ('' = not written)
    home_community_id: str


@dataclass(frozen=True)
class Hit:
    """One registry object in a result: the registry-owned values of its row."""

    kind: ObjectKind
    entry_uuid: str
    status: str
    patient_id: str = ""
    lid: str = ""
    version: int | None = None
    last_update_time: str = ""
    source: str = ""
    target: str = ""
    type: str = ""


@dataclass
class Found:
    """The objects of a result, by kind, each at most once, in the order found."""

    documents: dict[str, Hit] = field(default_factory=dict)
    submission_sets: dict[str, Hit] = field(default_factory=dict)
    folders: dict[str, Hit] = field(default_factory=dict)
    associations: dict[str, Hit] = field(default_factory=dict)

    def _bucket(self, kind: ObjectKind) -> dict[str, Hit]:
        return {
            ObjectKind.DOCUMENT_ENTRY: self.documents,
            ObjectKind.SUBMISSION_SET: self.submission_sets,
            ObjectKind.FOLDER: self.folders,
            ObjectKind.ASSOCIATION: self.associations,
        }[kind]

    def add(self, hits: Iterable[Hit]) -> Found:
        """Add ``hits`` (duplicates are dropped); returns self for chaining."""
        for hit in hits:
            self._bucket(hit.kind).setdefault(hit.entry_uuid, hit)
        return self

    def __iter__(self) -> Iterator[Hit]:
        """DocumentEntries, SubmissionSets, Folders, then Associations."""
        for bucket in (self.documents, self.submission_sets, self.folders, self.associations):
            yield from bucket.values()

    def __len__(self) -> int:
        return sum(
            len(b) for b in (self.documents, self.submission_sets, self.folders, self.associations)
        )

    def ids(self) -> set[str]:
        """entryUUIDs of every object in the result."""
        return {hit.entry_uuid for hit in self}


@dataclass(frozen=True)
class QueryContext:
    """What a finder gets: the session, the parsed request and the policy."""

    session: Session
    query: ParsedQuery
    config: QueryConfig


#: One stored query: context in, objects found out.
Finder = Callable[[QueryContext], Found]
