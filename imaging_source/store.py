"""Durable instance files under ``$HOME/dicom``: staging, atomic link, fsync (PS3.10 7).

The approach of ``xds_repository.store.filesystem`` (components do not import each other)::

    staging/                       files being received (same filesystem: commit is a link)
    instances/abc/<h>-<sha1>       stored Part 10 files, h = SHA-256 of the SOP Instance UID,
                                   fanned out over 4096 directories by its first 3 hex digits

A file appears in ``instances/`` only as a hard link to a complete, fsynced staging file,
followed by an fsync of its directory, so a crash leaves the whole file or none. The key
carries the file's SHA-1, so two different objects claiming one SOP Instance UID never
overwrite each other's file, and a file that is already there (the same bytes) is never
replaced nor, when the caller rolls back, deleted.

fsync is the slow part of durable ingest, so it runs on a small thread pool (fsync releases
the GIL): a staging file is synced while its Data Set is parsed (:meth:`sync_later`), and the
directories of a batch of files are synced together (:meth:`sync_dirs`).

:func:`stage` copies an object into ``staging/``, hashing it on the way; it refuses a source
that is not DICOM (PS3.10 7.1) before writing anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from imaging_source import part10
from imaging_source.errors import IngestError, Reason

#: What ingest accepts: the object's bytes, a path, or an open binary stream.
Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO
CHUNK = 1 << 20
_KEY = re.compile(r"([0-9a-f]{3})/([0-9a-f]{64})-[0-9a-f]{40}")
#: Threads that run fsync; made on first use in each process (threads do not survive fork).
_SYNC_THREADS = 4
_pools: dict[int, ThreadPoolExecutor] = {}


class StoreError(Exception):
    """The instance store failed (I/O or a bad key)."""


def instance_key(sop_instance_uid: str, sha1: str) -> str:
    """The store key of an instance file: fanned out by the hash of its SOP Instance UID."""
    digest = hashlib.sha256(sop_instance_uid.encode("ascii", "replace")).hexdigest()
    return f"{digest[:3]}/{digest}-{sha1}"


def check_key(key: str) -> str:
    """Return ``key`` if it has the shape :func:`instance_key` makes (no path tricks)."""
    match = _KEY.fullmatch(key)
    if not match or match[1] != match[2][:3]:
        raise StoreError(f"not an instance store key: {key!r}")
    return key


def fsync_path(path: Path, *, directory: bool = False) -> None:
    """fsync a file or a directory by path."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pool() -> ThreadPoolExecutor:
    """This process's fsync thread pool."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        pool = _pools.setdefault(
            pid, ThreadPoolExecutor(_SYNC_THREADS, thread_name_prefix="instance-fsync")
        )
    return pool


@dataclass(frozen=True)
class Placed:
    """A staged file linked into the store: whether we created it, which directories to sync."""

    key: str
    created: bool
    directories: frozenset[Path]


class InstanceStore:
    """Part 10 files on a local (or mounted) filesystem."""

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        """Use (and create) ``root``; ``durable=False`` skips fsync (tests and benchmarks only)."""
        self.root = Path(root).resolve()
        self.durable = durable
        self._instances = self.root / "instances"
        self._staging = self.root / "staging"
        #: Fan-out directories whose entry in ``instances/`` this process has synced.
        self._durable_dirs: set[Path] = set()
        for directory in (self.root, self._instances, self._staging):
            directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"InstanceStore(root={str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        """Where the file ``key`` lives."""
        return self._instances / check_key(key)

    def new_staging_file(self) -> tuple[BinaryIO, Path]:
        """A new, uniquely named staging file, open for writing."""
        self._staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._staging, prefix="in-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def sync(self, out: BinaryIO) -> None:
        """Flush and fsync a staging file before it is committed."""
        out.flush()
        if self.durable:
            os.fsync(out.fileno())

    def sync_later(self, path: Path) -> Future[None] | None:
        """Start the fsync of a written (closed) staging file; None when not durable."""
        return _pool().submit(fsync_path, path) if self.durable else None

    def place(self, staged: Path, key: str) -> Placed:
        """Link the fsynced ``staged`` file in as ``key`` (the caller removes ``staged``).

        Not durable until :meth:`sync_dirs` has synced ``Placed.directories``. If ``key``
        exists already it holds the same bytes (the key carries their SHA-1): it is kept,
        and ``created`` is False so that a rollback does not delete it.
        """
        final = self.path_of(key)
        try:
            directories = {final.parent}
            if self._make_parent(final.parent):
                directories.add(self._instances)
            try:
                os.link(staged, final)
                created = True
            except FileExistsError:
                created = False
        except OSError as exc:
            raise StoreError(f"cannot store {key}: {exc}") from exc
        return Placed(key, created, frozenset(directories))

    def sync_dirs(self, directories: Iterable[Path]) -> None:
        """fsync ``directories`` in parallel; durable on return (nothing to do when not durable)."""
        self.sync_dirs_later(directories)()

    def sync_dirs_later(self, directories: Iterable[Path]) -> Callable[[], None]:
        """Start to fsync ``directories`` in parallel; call the result to wait for them."""
        wanted = set(directories) if self.durable else set()
        futures = [_pool().submit(fsync_path, d, directory=True) for d in wanted]

        def wait() -> None:
            try:
                for future in futures:
                    future.result()
            except OSError as exc:
                raise StoreError(f"cannot sync the store: {exc}") from exc
            self._durable_dirs.update(wanted)

        return wait

    def commit(self, staged: Path, key: str) -> None:
        """Move the (fsynced) staged file in as ``key``, sync its directory: durable on return."""
        placed = self.place(staged, key)
        staged.unlink()
        self.sync_dirs(placed.directories)

    def _make_parent(self, directory: Path) -> bool:
        """Create a fan-out directory if needed; True if ``instances/`` then needs an fsync.

        True until this process has synced ``instances/`` after seeing the directory (another
        thread or process may have created it without having synced it yet). One level of
        4096 directories: at 10 million instances about 2,400 files each.
        """
        if directory in self._durable_dirs:
            return False
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
        return True

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading."""
        return self.path_of(key).open("rb")

    def delete(self, key: str) -> None:
        """Remove a stored file (absent is fine) and fsync its directory."""
        path = self.path_of(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        if self.durable:
            fsync_path(path.parent, directory=True)

    def cleanup_staging(self, older_than: float = 0) -> int:
        """Remove staging files older than ``older_than`` seconds; return how many.

        With several processes on one store, pass an age longer than the longest transfer.
        """
        cutoff = time.time() - older_than
        removed = 0
        for entry in os.scandir(self._staging):
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed


@dataclass(frozen=True)
class Staged:
    """An object copied into a staging file, with what was computed on the way."""

    path: Path
    size: int
    sha1: str
    dataset_sha1: str
    meta: part10.FileMeta


@contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
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


def stage(stream: BinaryIO, store: InstanceStore) -> Staged:
    """Copy the object into a staging file, hashing it; refuse non-DICOM before writing.

    The file is written and closed, not yet fsynced (:meth:`InstanceStore.sync_later`).
    """
    head = _read(stream, part10.HEAD_BYTES)
    meta = part10.read_file_meta(head)
    full, data = hashlib.sha1(), hashlib.sha1()  # noqa: S324 - integrity, not security
    try:
        out, path = store.new_staging_file()
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
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise IngestError(Reason.OUT_OF_RESOURCES, f"cannot stage: {exc}") from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(path, size, full.hexdigest(), data.hexdigest(), meta)
