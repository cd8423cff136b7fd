"""The document store interface of the Document Repository, and what its implementations share.

ITI TF-2b 3.41.4.1.3 (Provide and Register: the repository stores each document, then registers
it with ITI-42) and ITI TF-2b 3.43.4.2.3 (Retrieve: it returns the stored bytes). The repository
follows "stage, register, then commit or discard": the MTOM reader streams each attachment into
a file under :meth:`DocumentStore.stage_dir` while hashing it, ITI-42 is sent, and only when the
registry answers Success is the staged file committed with :meth:`DocumentStore.put`. Staged
files that were never committed are invisible and :meth:`DocumentStore.cleanup_staging` removes
them (at start-up and after failures). A document's bytes are never held whole in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

#: Default chunk size for streaming retrieval.
DEFAULT_CHUNK = 1 << 20
#: Prefix and suffix of staging files made by :func:`new_staging_file`.
STAGING_PREFIX = "stage-"
STAGING_SUFFIX = ".part"

_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


class DocumentStoreError(Exception):
    """The document store failed (I/O, object store, or a bad argument)."""


class DocumentNotFoundError(DocumentStoreError, KeyError):
    """No document is stored under the key."""

    def __str__(self) -> str:
        return f"no document stored under key {self.args[0]!r}" if self.args else "not found"


class DocumentStoreConfigError(DocumentStoreError, ValueError):
    """The store kind or its options are invalid (raised at start-up)."""


def document_key(unique_id: str) -> str:
    """The repository-internal key of a document: sha256 of its uniqueId, fanned out ``ab/cd/hex``.

    The uniqueId (ITI TF-3 4.2.3.2.26, an OID of up to 64 characters; other senders use
    longer values) never becomes a path itself, so no value can traverse out of the store.
    """
    digest = hashlib.sha256(unique_id.encode("utf-8")).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def check_key(key: str) -> str:
    """Return ``key`` if it has the shape :func:`document_key` makes, else raise."""
    if not _KEY.fullmatch(key) or key[:2] != key[6:8] or key[3:5] != key[8:10]:
        raise DocumentStoreError(f"not a document store key: {key!r}")
    return key


def check_put(staged: Path, sha1: str, size: int) -> int:
    """Validate ``put`` arguments against the staged file; return its size from ``stat``."""
    if not _SHA1.fullmatch(sha1):
        raise DocumentStoreError(f"not a lower-case hex SHA-1: {sha1!r}")
    try:
        actual = staged.stat().st_size
    except FileNotFoundError as exc:
        raise DocumentStoreError(f"staged file {staged} does not exist") from exc
    if actual != size:
        raise DocumentStoreError(f"staged file {staged} has {actual} bytes, expected {size}")
    return actual


@runtime_checkable
class DocumentStore(Protocol):
    """Where the repository keeps document bytes; one implementation per storage kind.

    Keys come from :func:`document_key`. ``put`` replaces an existing document atomically;
    readers see either the old or the new bytes, never a partial file.
    """

    def stage_dir(self) -> Path:
        """The local directory where staging files are written (created if missing).

        For the filesystem store it is on the same filesystem as the documents, so ``put``
        is a rename.
        """
        ...

    def put(self, key: str, staged: Path, sha1: str, size: int, mime_type: str) -> None:
        """Commit the staged file as the document ``key``; durable when this returns.

        On success the staged file is gone. On failure it raises :class:`DocumentStoreError`,
        the document is unchanged, and the staged file is left for the caller to discard.
        ``size`` is checked against the staged file; ``sha1`` (lower-case hex, already computed
        while staging) and ``mime_type`` are recorded where the store supports metadata.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary reader over the document; raises :class:`DocumentNotFoundError`."""
        ...

    def size(self, key: str) -> int:
        """The document's size in bytes; raises :class:`DocumentNotFoundError`."""
        ...

    def exists(self, key: str) -> bool:
        """True if a document is committed under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the document (no error if it is absent)."""
        ...

    def iter_chunks(self, key: str, chunk: int = DEFAULT_CHUNK) -> Iterator[bytes]:
        """Stream the document in chunks of at most ``chunk`` bytes.

        Raises :class:`DocumentNotFoundError` on the first ``next()`` when absent. Close the
        iterator (or exhaust it) to release the underlying file or connection.
        """
        ...

    def cleanup_staging(self, older_than: float = 0) -> int:
        """Remove staging leftovers older than ``older_than`` seconds; return how many.

        Call it at start-up and after failures. When several processes share one store, pass
        an age longer than the longest request, or it removes other processes' work in flight.
        """
        ...


@dataclass(frozen=True)
class StagedDocument:
    """A staged file with the SHA-1 (lower-case hex) and size computed while writing it."""

    path: Path
    sha1: str
    size: int


def new_staging_file(store: DocumentStore) -> tuple[BinaryIO, Path]:
    """Create a new, uniquely named staging file in ``store.stage_dir()``; open for writing."""
    fd, name = tempfile.mkstemp(dir=store.stage_dir(), prefix=STAGING_PREFIX, suffix=STAGING_SUFFIX)
    return os.fdopen(fd, "wb"), Path(name)


def stage_chunks(store: DocumentStore, chunks: Iterable[bytes]) -> StagedDocument:
    """Write ``chunks`` into a new staging file, hashing as it goes (no whole-document buffer).

    The file is fsynced. If writing fails, the partial staging file is removed.
    """
    out, path = new_staging_file(store)
    sha1 = hashlib.sha1()  # noqa: S324 - ITI TF-3 4.2.3.2.9: the XDS hash attribute is SHA-1
    size = 0
    try:
        with out:
            for data in chunks:
                out.write(data)
                sha1.update(data)
                size += len(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedDocument(path, sha1.hexdigest(), size)


def cleanup_directory(directory: Path, older_than: float = 0) -> int:
    """Remove regular files in ``directory`` last modified more than ``older_than`` s ago."""
    cutoff = time.time() - older_than
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            stale = entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff
            if stale or entry.is_symlink():
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
