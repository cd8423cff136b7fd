"""Store and index DICOM instances, whichever way they arrived (C-STORE, STOW-RS, import).

1. Read the head and parse the File Meta Information (PS3.10 7.1): not DICOM → refused before
   anything is written.
2. Stream the object, byte for byte as received, into a staging file while computing its
   SHA-1, the SHA-1 of its Data Set alone, and its size; its fsync starts in the background.
3. Parse the Data Set up to the pixel data with pydicom and check it is whole
   (:mod:`imaging_source.header`); build the index record and the DICOM JSON (PS3.18 F.2).
4. For a batch of instances (one for C-STORE and import; a whole STOW-RS request, in chunks
   of :data:`BATCH_LIMIT`), in one database transaction: a re-sent identical instance is
   answered from the index (idempotent); a different object with the same SOP Instance UID
   is refused (CONFLICT); the other files, once their fsync is done, are linked into the
   store, the rows added, the store's directories fsynced, and the transaction commits
   durably (SQLite ``synchronous=FULL`` on write engines, PostgreSQL by default). Only then is
   an instance reported stored: a C-STORE Success or a STOW-RS 200 means the file and its
   index row survive a crash.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import dicom_json, header, part10
from imaging_source.errors import IngestError, Reason
from imaging_source.index import writer
from imaging_source.index.records import record_of
from imaging_source.index.writer import Existing, KnownIndex, NewInstance, StoredFile
from imaging_source.store import (
    InstanceStore,
    Placed,
    Source,
    Staged,
    StoreError,
    instance_key,
    open_source,
    stage,
)
from xds_common.db import session_factory

log = logging.getLogger(__name__)

#: Instances indexed in one transaction at most (bounds memory and staged disk space).
BATCH_LIMIT = 64
_RETRIES = 3


@dataclass(frozen=True)
class IngestResult:
    """A stored (or already stored) instance."""

    sop_instance_uid: str
    sop_class_uid: str
    study_instance_uid: str
    series_instance_uid: str
    transfer_syntax_uid: str
    file_key: str
    size: int
    sha1: str
    duplicate: bool


#: The outcome of one object: stored (or already stored), or refused with its error.
Outcome = IngestResult | IngestError


@dataclass(frozen=True)
class _Pending:
    """A staged, parsed instance waiting for its batch to be indexed."""

    position: int
    staged: Staged
    item: NewInstance
    synced: Future[None] | None


def open_ingestor(home: Path, database_url: str, *, durable: bool = True) -> Ingestor:
    """The ingestor of an installation: files under ``home/dicom``, index in the database."""
    store = InstanceStore(home / "dicom", durable=durable)
    return Ingestor(store, session_factory(database_url, write=True))


def _result(item: NewInstance, key: str, size: int, sha1: str, *, duplicate: bool) -> IngestResult:
    rec = item.record
    return IngestResult(
        sop_instance_uid=rec.instance.sop_instance_uid,
        sop_class_uid=rec.instance.sop_class_uid,
        study_instance_uid=rec.study.study_instance_uid,
        series_instance_uid=rec.series.series_instance_uid,
        transfer_syntax_uid=item.stored.transfer_syntax_uid,
        file_key=key,
        size=size,
        sha1=sha1,
        duplicate=duplicate,
    )


def _parse(fp: BinaryIO, staged: Staged, study_uid: str | None) -> NewInstance:
    """Check the staged object and build its index record and DICOM JSON (one read)."""
    parsed = header.read_header(fp, staged.meta, staged.size)
    rec = record_of(parsed.dataset)
    if study_uid is not None and rec.study.study_instance_uid != study_uid:
        raise IngestError(
            Reason.STUDY_MISMATCH,
            f"instance of another study: {rec.study.study_instance_uid}",
            rec.instance.sop_instance_uid,
        )
    path = dicom_json.instance_path(
        rec.study.study_instance_uid,
        rec.series.series_instance_uid,
        rec.instance.sop_instance_uid,
    )
    text = dicom_json.to_text(dicom_json.instance_json(parsed.dataset, parsed.pixel, path))
    key = instance_key(rec.instance.sop_instance_uid, staged.sha1)
    ts = staged.meta.transfer_syntax_uid
    return NewInstance(
        rec, StoredFile(key, staged.size, staged.sha1, staged.dataset_sha1, ts), text
    )


class Ingestor:
    """Stores instances in an :class:`InstanceStore` and indexes them in the database."""

    def __init__(self, store: InstanceStore, write: sessionmaker[Session]) -> None:
        """``write`` makes sessions on the write engine (``xds_common.db``, ``write=True``)."""
        self.store = store
        self.write = write
        self.known = KnownIndex()
        engine = write.kw["bind"]
        assert isinstance(engine, Engine)
        self._engine = engine

    def ingest(
        self, source: Source, *, origin: str = "", study_uid: str | None = None
    ) -> IngestResult:
        """Store and index one Part 10 object; raise :class:`IngestError` if it is refused.

        ``origin`` says how it arrived (``c-store:<AE>``, ``stow-rs``, ``import``);
        ``study_uid`` refuses instances of any other study (STOW-RS ``POST /studies/{uid}``,
        PS3.18 10.5.1).
        """
        with self.batch(origin=origin, study_uid=study_uid) as batch:
            batch.add(source)
            (outcome,) = batch.finish()
        if isinstance(outcome, IngestError):
            raise outcome
        return outcome

    @contextmanager
    def batch(self, *, origin: str = "", study_uid: str | None = None) -> Iterator[IngestBatch]:
        """A batch of objects indexed together; what is not finished is discarded on exit."""
        batch = IngestBatch(self, origin, study_uid)
        try:
            yield batch
        finally:
            batch.discard()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction; its commit is durable (xds_common.db write engines)."""
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def index(self, pending: list[_Pending], origin: str) -> list[Outcome]:
        """Index ``pending`` in one transaction (retrying lost insert races); their outcomes."""
        outcomes: list[Outcome | None] = [None] * len(pending)
        for n, p in enumerate(pending):
            try:
                if p.synced is not None:
                    p.synced.result()
            except OSError as exc:
                outcomes[n] = IngestError(Reason.OUT_OF_RESOURCES, f"cannot stage: {exc}")
        live = [n for n, o in enumerate(outcomes) if o is None]
        for attempt in range(_RETRIES):
            try:
                if live:
                    self._index_once(pending, live, outcomes, origin)
                break
            except IntegrityError:
                self.known.forget()
                if attempt == _RETRIES - 1:
                    raise
                log.info("retrying a batch of %d after a concurrent insert", len(live))
            except OperationalError as exc:
                raise IngestError(Reason.OUT_OF_RESOURCES, f"database: {exc.orig}") from exc
            except StoreError as exc:
                raise IngestError(Reason.OUT_OF_RESOURCES, str(exc)) from exc
        assert all(o is not None for o in outcomes)
        return [o for o in outcomes if o is not None]

    def _index_once(
        self, pending: list[_Pending], live: list[int], outcomes: list[Outcome | None], origin: str
    ) -> None:
        """One attempt: decide, link the new files in, write their rows, sync, commit."""
        placed: list[Placed] = []
        try:
            with self._transaction() as conn:
                decisions, view = writer.decide(conn, [pending[n].item for n in live], self.known)
                added = self._place_new(
                    pending, zip(live, decisions, strict=True), outcomes, placed
                )
                written = None
                if added:  # the directories are synced while the rows are written
                    synced = self.store.sync_dirs_later(d for p in placed for d in p.directories)
                    new = [pending[n].item for n in added]
                    received = datetime.now(UTC)
                    written = writer.add(conn, new, view, origin=origin, received=received)
                    synced()
        except BaseException:
            for p in placed:
                if p.created:
                    self.store.delete(p.key)
            raise
        if written is not None:
            self.known.remember(written.studies, written.series)
        for n in added:
            s = pending[n].item.stored
            outcomes[n] = _result(pending[n].item, s.key, s.size, s.sha1, duplicate=False)

    def _place_new(
        self,
        pending: list[_Pending],
        decided: Iterable[tuple[int, writer.Decision]],
        outcomes: list[Outcome | None],
        placed: list[Placed],
    ) -> list[int]:
        """Answer re-sends and refusals; link the new files in (``placed``); their positions."""
        added: list[int] = []
        for n, decision in decided:
            item = pending[n].item
            if isinstance(decision, Existing):
                e = decision
                outcomes[n] = _result(item, e.file_key, e.size, e.sha1, duplicate=True)
            elif isinstance(decision, IngestError):
                outcomes[n] = decision
            else:
                try:
                    placed.append(self.store.place(pending[n].staged.path, item.stored.key))
                except StoreError as exc:
                    outcomes[n] = IngestError(Reason.OUT_OF_RESOURCES, str(exc))
                    continue
                added.append(n)
        return added


class IngestBatch:
    """Objects staged and parsed one by one, indexed together (:meth:`Ingestor.batch`).

    Every :data:`BATCH_LIMIT` objects, and at :meth:`finish`, the pending ones are indexed.
    """

    def __init__(self, ingestor: Ingestor, origin: str, study_uid: str | None) -> None:
        self._ingestor = ingestor
        self._origin = origin
        self._study_uid = study_uid
        self._outcomes: list[Outcome | None] = []
        self._pending: list[_Pending] = []

    def add(self, source: Source) -> None:
        """Stage and parse one object; indexed at :meth:`finish` (or when the batch is full).

        Refusals found now (not DICOM, corrupt, another study) are its outcome right away.
        """
        position = len(self._outcomes)
        self._outcomes.append(None)
        store = self._ingestor.store
        try:
            with open_source(source) as stream:
                staged = stage(stream, store)
        except IngestError as exc:
            self._outcomes[position] = exc
            return
        synced = store.sync_later(staged.path)
        try:
            with _reopen(source, staged.path) as fp:
                item = _parse(fp, staged, self._study_uid)
        except IngestError as exc:
            self._outcomes[position] = _name(exc, staged.meta)
            _forget(staged.path)
            return
        except BaseException:
            _forget(staged.path)
            raise
        self._pending.append(_Pending(position, staged, item, synced))
        if len(self._pending) >= BATCH_LIMIT:
            self.flush()

    def flush(self) -> None:
        """Index the pending objects now."""
        pending, self._pending = self._pending, []
        self._index(pending)

    def _index(self, pending: list[_Pending]) -> None:
        """Index ``pending``; a failure of the batch is each object's outcome."""
        if not pending:
            return
        try:
            outcomes: list[Outcome] = self._ingestor.index(pending, self._origin)
        except IngestError as exc:
            outcomes = [IngestError(exc.reason, exc.message) for _ in pending]
        except Exception as exc:  # logged once, answered per object as a processing failure
            log.exception("indexing a batch of %d failed", len(pending))
            outcomes = [IngestError(Reason.PROCESSING_FAILURE, str(exc)) for _ in pending]
        finally:
            for p in pending:
                p.staged.path.unlink(missing_ok=True)
        for p, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, IngestError):
                _name(outcome, p.staged.meta)
            self._outcomes[p.position] = outcome

    def refuse(self, error: IngestError) -> None:
        """Record an object refused before it reached the batch (its outcome, in order)."""
        self._outcomes.append(error)

    def finish(self) -> list[Outcome]:
        """Index what is pending; the outcome of every added object, in the order added."""
        self.flush()
        return [o for o in self._outcomes if o is not None]

    def discard(self) -> None:
        """Drop what was staged but not indexed (nothing of it stays)."""
        pending, self._pending = self._pending, []
        for p in pending:
            _forget(p.staged.path)


@contextmanager
def _reopen(source: Source, path: Path) -> Iterator[BinaryIO]:
    """The staged object for parsing: from memory when it came as bytes, else the file."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    else:
        with path.open("rb") as fp:
            yield fp


def _name(error: IngestError, meta: part10.FileMeta) -> IngestError:
    """``error`` naming the object as its File Meta Information did, if it does not yet."""
    error.sop_instance_uid = error.sop_instance_uid or meta.sop_instance_uid
    error.sop_class_uid = error.sop_class_uid or meta.sop_class_uid
    return error


def _forget(path: Path) -> None:
    """Remove a staging file (an fsync of it still running then fails, unobserved)."""
    path.unlink(missing_ok=True)
