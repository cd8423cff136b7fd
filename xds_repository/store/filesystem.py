"""The filesystem document store (the default): atomic rename into place, fsync of file and dir.

Layout under ``root``::

    staging/                 staging files (same filesystem, so commit is a rename)
    documents/ab/cd/<hex>    committed documents, fanned out by the key

A document appears in ``documents/`` only by ``os.replace`` of a complete, fsynced staging
file, followed by an fsync of the directory: a crash (even SIGKILL or power loss) leaves either
no document or the whole one, and at most a stale file in ``staging/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from xds_repository.store.base import (
    DEFAULT_CHUNK,
    DocumentNotFoundError,
    DocumentStoreError,
    check_key,
    check_put,
    cleanup_directory,
)


def fsync_path(path: Path, *, directory: bool = False) -> None:
    """fsync a file or a directory by path."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemDocumentStore:
    """A :class:`~xds_repository.store.base.DocumentStore` on a local (or mounted) filesystem."""

    kind = "filesystem"

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        """Use (and create) ``root``; ``durable=False`` skips fsync (tests and benchmarks only)."""
        self.root = Path(root).resolve()
        self.durable = durable
        self._documents = self.root / "documents"
        self._staging = self.root / "staging"
        for directory in (self.root, self._documents, self._staging):
            directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FilesystemDocumentStore(root={str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        """Where the document ``key`` lives (the key is checked, so this stays under root)."""
        return self._documents / check_key(key)

    def stage_dir(self) -> Path:
        """``<root>/staging``, on the same filesystem as the documents."""
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging

    def put(self, key: str, staged: Path, sha1: str, size: int, mime_type: str) -> None:
        """Rename the staged file into place after fsync; fsync the directory afterwards.

        ``sha1`` and ``mime_type`` are not stored here: the repository's index keeps them.
        A staged file outside :meth:`stage_dir` is first copied into staging (streamed).
        """
        final = self.path_of(key)
        check_put(staged, sha1, size)
        source = staged
        if Path(staged).resolve().parent != self._staging:
            source = self._copy_into_staging(staged)
        try:
            if self.durable:
                fsync_path(source)
            self._make_parents(final.parent)
            os.replace(source, final)
            if self.durable:
                fsync_path(final.parent, directory=True)
        except OSError as exc:
            if source is not staged:
                source.unlink(missing_ok=True)
            raise DocumentStoreError(f"cannot store document {key}: {exc}") from exc
        if source is not staged:
            staged.unlink(missing_ok=True)

    def _copy_into_staging(self, staged: Path) -> Path:
        """Copy a foreign file into staging (for a staged file on another filesystem)."""
        target = self.stage_dir() / f"stage-copy-{os.getpid()}-{os.urandom(8).hex()}.part"
        try:
            with staged.open("rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, DEFAULT_CHUNK)
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise DocumentStoreError(f"cannot copy {staged} into staging: {exc}") from exc
        return target

    def _make_parents(self, directory: Path) -> None:
        """Create the fan-out directories, fsyncing each parent whose entries changed."""
        missing: list[Path] = []
        current = directory
        while not current.is_dir() and current != self._documents:
            missing.append(current)
            current = current.parent
        for new in reversed(missing):
            with contextlib.suppress(FileExistsError):
                new.mkdir()
            if self.durable:
                fsync_path(new.parent, directory=True)

    def open(self, key: str) -> BinaryIO:
        """Open the document for reading."""
        try:
            return self.path_of(key).open("rb")
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise DocumentNotFoundError(key) from exc

    def size(self, key: str) -> int:
        """The document's size from ``stat``."""
        try:
            return self.path_of(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise DocumentNotFoundError(key) from exc

    def exists(self, key: str) -> bool:
        """True if the document file exists."""
        return self.path_of(key).is_file()

    def delete(self, key: str) -> None:
        """Unlink the document and fsync its directory; absent is fine."""
        path = self.path_of(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise DocumentStoreError(f"cannot delete document {key}: {exc}") from exc
        if self.durable:
            fsync_path(path.parent, directory=True)

    def iter_chunks(self, key: str, chunk: int = DEFAULT_CHUNK) -> Iterator[bytes]:
        """Read the document ``chunk`` bytes at a time; the file closes when the iterator ends."""
        with self.open(key) as f:
            while data := f.read(chunk):
                yield data

    def cleanup_staging(self, older_than: float = 0) -> int:
        """Remove staging files older than ``older_than`` seconds."""
        try:
            return cleanup_directory(self._staging, older_than)
        except OSError as exc:
            raise DocumentStoreError(f"cannot clean {self._staging}: {exc}") from exc
