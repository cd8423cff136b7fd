"""Store and index one DICOM instance, whichever way it arrived (C-STORE, STOW-RS, import).

1. Read the head and parse the File Meta Information (PS3.10 7.1): not DICOM → refused before
   anything is written.
2. Stream the object, byte for byte as received, into a staging file while computing its
   SHA-1, the SHA-1 of its Data Set alone, and its size; fsync.
3. Parse the Data Set up to the pixel data with pydicom and check it is whole
   (:mod:`imaging_source.header`); build the index record and the DICOM JSON (PS3.18 F.2).
4. In one database transaction: a re-sent identical instance is answered from the index
   (idempotent); a different object with the same SOP Instance UID is refused (CONFLICT);
   otherwise the rows are added, the staged file is renamed into the store (fsync), and the
   transaction commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import dicom_json, header, part10
from imaging_source.errors import IngestError, Reason
from imaging_source.index.records import InstanceRecord, record_of
from imaging_source.index.writer import StoredFile, add_instance, existing_instance
from imaging_source.store import InstanceStore, StoreError, instance_key
from xds_common.db import session_factory

log = logging.getLogger(__name__)

#: What :meth:`Ingestor.ingest` accepts: the object's bytes, a path, or an open binary stream.
Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO
CHUNK = 1 << 20
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


@dataclass(frozen=True)
class _Staged:
    path: Path
    size: int
    sha1: str
    dataset_sha1: str
    meta: part10.FileMeta


@contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    """``source`` as a binary stream (paths are opened and closed here)."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            yield f
    else:
        yield source


def _read(stream: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end); read errors mean an unreadable source."""
    parts: list[bytes] = []
    left = n
    try:
        while left > 0 and (data := stream.read(left)):
            parts.append(data)
            left -= len(data)
    except Exception as exc:  # any failure of the source (I/O, a bad zip member) is its fault
        raise IngestError(Reason.CORRUPT, f"cannot read the object: {exc}") from exc
    return b"".join(parts)


def open_ingestor(home: Path, database_url: str, *, durable: bool = True) -> Ingestor:
    """The ingestor of an installation: files under ``home/dicom``, index in the database."""
    store = InstanceStore(home / "dicom", durable=durable)
    return Ingestor(store, session_factory(database_url, write=True))


class Ingestor:
    """Stores instances in an :class:`InstanceStore` and indexes them in the database."""

    def __init__(self, store: InstanceStore, write: sessionmaker[Session]) -> None:
        """``write`` makes sessions on the write engine (``xds_common.db``, ``write=True``)."""
        self.store = store
        self.write = write

    def ingest(
        self, source: Source, *, origin: str = "", study_uid: str | None = None
    ) -> IngestResult:
        """Store and index one Part 10 object; raise :class:`IngestError` if it is refused.

        ``origin`` says how it arrived (``c-store:<AE>``, ``stow-rs``, ``import``);
        ``study_uid`` refuses instances of any other study (STOW-RS ``POST /studies/{uid}``,
        PS3.18 10.5.1).
        """
        with _opened(source) as stream:
            staged = self._stage(stream)
        try:
            return self._ingest_staged(staged, origin, study_uid)
        except IngestError as exc:  # name the object in the error when the File Meta did
            exc.sop_instance_uid = exc.sop_instance_uid or staged.meta.sop_instance_uid
            exc.sop_class_uid = exc.sop_class_uid or staged.meta.sop_class_uid
            raise
        finally:
            staged.path.unlink(missing_ok=True)

    def _ingest_staged(self, staged: _Staged, origin: str, study_uid: str | None) -> IngestResult:
        """Parse, check and index a staged object."""
        with staged.path.open("rb") as fp:
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
        return self._index(staged, rec, text, origin)

    def _stage(self, stream: BinaryIO) -> _Staged:
        """Copy the object into a staging file, hashing it; refuse non-DICOM before writing."""
        head = _read(stream, part10.HEAD_BYTES)
        meta = part10.read_file_meta(head)
        full, data = hashlib.sha1(), hashlib.sha1()  # noqa: S324 - integrity, not security
        try:
            out, path = self.store.new_staging_file()
        except OSError as exc:
            raise IngestError(Reason.OUT_OF_RESOURCES, f"cannot stage: {exc}") from exc
        size = 0
        try:
            with out:
                chunk, dataset_part = head, head[meta.dataset_offset :]
                while chunk:
                    out.write(chunk)
                    full.update(chunk)
                    data.update(dataset_part)
                    size += len(chunk)
                    chunk = dataset_part = _read(stream, CHUNK)
                self.store.sync(out)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise IngestError(Reason.OUT_OF_RESOURCES, f"cannot stage: {exc}") from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return _Staged(path, size, full.hexdigest(), data.hexdigest(), meta)

    def _index(self, staged: _Staged, rec: InstanceRecord, text: str, origin: str) -> IngestResult:
        """Index and commit the file in one transaction, retrying lost insert races."""
        for attempt in range(_RETRIES):
            try:
                return self._index_once(staged, rec, text, origin)
            except IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
                log.info("retrying %s after a concurrent insert", rec.instance.sop_instance_uid)
            except OperationalError as exc:
                raise IngestError(Reason.OUT_OF_RESOURCES, f"database: {exc.orig}") from exc
        raise AssertionError("unreachable")

    def _index_once(
        self, staged: _Staged, rec: InstanceRecord, text: str, origin: str
    ) -> IngestResult:
        uid = rec.instance.sop_instance_uid
        ts = staged.meta.transfer_syntax_uid
        stored = StoredFile(
            instance_key(uid, staged.sha1), staged.size, staged.sha1, staged.dataset_sha1, ts
        )
        with self.write() as session:
            row = existing_instance(session, uid, staged.dataset_sha1, ts)
            if row is not None:
                return _result(rec, ts, row.file_key, row.size, row.sha1, duplicate=True)
            received = datetime.now(UTC)
            add_instance(session, rec, stored, text, origin=origin, received=received)
            try:
                self.store.commit(staged.path, stored.key)
            except StoreError as exc:
                raise IngestError(Reason.OUT_OF_RESOURCES, str(exc), uid) from exc
            try:
                session.commit()
            except BaseException:
                self.store.delete(stored.key)
                raise
        return _result(rec, ts, stored.key, stored.size, stored.sha1, duplicate=False)


def _result(
    rec: InstanceRecord, ts: str, key: str, size: int, sha1: str, *, duplicate: bool
) -> IngestResult:
    return IngestResult(
        sop_instance_uid=rec.instance.sop_instance_uid,
        sop_class_uid=rec.instance.sop_class_uid,
        study_instance_uid=rec.study.study_instance_uid,
        series_instance_uid=rec.series.series_instance_uid,
        transfer_syntax_uid=ts,
        file_key=key,
        size=size,
        sha1=sha1,
        duplicate=duplicate,
    )
