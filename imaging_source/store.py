"""Durable instance files under ``$HOME/dicom``: staging, atomic rename, fsync (PS3.10 7).

The approach of ``xds_repository.store.filesystem`` (components do not import each other)::

    staging/                       files being received (same filesystem: commit is a rename)
    instances/abc/<h>-<sha1>       stored Part 10 files, h = SHA-256 of the SOP Instance UID,
                                   fanned out over 4096 directories by its first 3 hex digits

A file appears in ``instances/`` only by ``os.replace`` of a complete, fsynced staging file,
followed by an fsync of its directory, so a crash leaves the whole file or none. The key
carries the file's SHA-1, so two different objects claiming one SOP Instance UID never
overwrite each other's file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

_KEY = re.compile(r"([0-9a-f]{3})/([0-9a-f]{64})-[0-9a-f]{40}")


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


class InstanceStore:
    """Part 10 files on a local (or mounted) filesystem."""

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        """Use (and create) ``root``; ``durable=False`` skips fsync (tests and benchmarks only)."""
        self.root = Path(root).resolve()
        self.durable = durable
        self._instances = self.root / "instances"
        self._staging = self.root / "staging"
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

    def commit(self, staged: Path, key: str) -> None:
        """Rename the (fsynced) staged file to ``key``; fsync the directory. Durable on return."""
        final = self.path_of(key)
        try:
            self._make_parent(final.parent)
            os.replace(staged, final)
            if self.durable:
                fsync_path(final.parent, directory=True)
        except OSError as exc:
            raise StoreError(f"cannot store {key}: {exc}") from exc

    def _make_parent(self, directory: Path) -> None:
        """Create a fan-out directory on first use, and fsync the directory holding it.

        One level of 4096 directories: at 10 million instances about 2,400 files each; once
        the first few tens of thousands of instances are in, no ingest creates a directory.
        """
        if directory.is_dir():
            return
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
        if self.durable:
            fsync_path(self._instances, directory=True)

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
