"""Filesystem document store: layout, durability (fsync), atomic rename, crash recovery.

A server killed with SIGKILL in the middle of an ITI-41 (ITI TF-2b 3.41) must leave no
visible document after restart; only a stale staging file, which start-up cleanup removes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from tests.xds_repository.conftest import generated_chunks
from xds_repository.store import document_key, open_store, stage_chunks
from xds_repository.store.base import DocumentStoreError
from xds_repository.store.filesystem import FilesystemDocumentStore

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20


@pytest.fixture
def fs_store(tmp_path: Path) -> FilesystemDocumentStore:
    store = open_store("filesystem", root=tmp_path / "store")
    assert isinstance(store, FilesystemDocumentStore)
    return store


def test_layout_staging_and_fan_out(fs_store: FilesystemDocumentStore, tmp_path: Path) -> None:
    root = (tmp_path / "store").resolve()
    assert fs_store.stage_dir() == root / "staging"
    staged = stage_chunks(fs_store, [b"report"])
    key = document_key("1.2.840.10008.1")
    fs_store.put(key, staged.path, staged.sha1, staged.size, "text/plain")
    path = root / "documents" / key
    assert path.read_bytes() == b"report"
    assert fs_store.path_of(key) == path
    assert path.parent.parent.parent == root / "documents"
    assert path.stat().st_dev == fs_store.stage_dir().stat().st_dev


def test_put_fsyncs_file_and_directories(
    fs_store: FilesystemDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = stage_chunks(fs_store, [b"x" * 1000])
    synced: list[str] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    key = document_key("1.2.3.fsync")
    fs_store.put(key, staged.path, staged.sha1, staged.size, "text/plain")
    final = fs_store.path_of(key)
    documents = fs_store.root / "documents"
    assert str(staged.path) in synced, "the file's data is synced before the rename"
    assert str(final.parent) in synced, "the rename is synced in its directory"
    assert str(documents) in synced and str(final.parent.parent) in synced, "new fan-out dirs"
    assert synced.index(str(staged.path)) < synced.index(str(final.parent))

    synced.clear()
    fs_store.delete(key)
    assert synced == [str(final.parent)]


def test_stage_chunks_fsyncs(
    fs_store: FilesystemDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    stage_chunks(fs_store, [b"abc"])
    assert len(calls) == 1


def test_failed_rename_leaves_no_document(
    fs_store: FilesystemDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = stage_chunks(fs_store, [b"x" * 100])
    key = document_key("1.2.3.fail")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(DocumentStoreError, match="No space left"):
        fs_store.put(key, staged.path, staged.sha1, staged.size, "text/plain")
    assert not fs_store.exists(key)
    assert staged.path.exists()
    assert fs_store.cleanup_staging() == 1


def test_put_from_outside_staging_copies_then_renames(
    fs_store: FilesystemDocumentStore, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"outside" * 1000)
    sha1 = hashlib.sha1(elsewhere.read_bytes()).hexdigest()
    key = document_key("1.2.3.outside")
    fs_store.put(key, elsewhere, sha1, 7000, "application/octet-stream")
    assert not elsewhere.exists()
    assert fs_store.path_of(key).read_bytes() == b"outside" * 1000
    assert list(fs_store.stage_dir().iterdir()) == []


def test_cleanup_removes_stray_symlinks(fs_store: FilesystemDocumentStore, tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"keep me")
    (fs_store.stage_dir() / "link").symlink_to(target)
    assert fs_store.cleanup_staging(older_than=3600) == 1
    assert target.read_bytes() == b"keep me"


def test_memory_stays_bounded_for_50_mb(fs_store: FilesystemDocumentStore) -> None:
    size = 50 * MIB
    tracemalloc.start()
    try:
        staged = stage_chunks(fs_store, generated_chunks(size))
        key = document_key("1.2.3.memory")
        fs_store.put(key, staged.path, staged.sha1, staged.size, "application/dicom")
        total = sum(len(c) for c in fs_store.iter_chunks(key))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    assert peak < 8 * MIB, f"peak {peak} bytes: a document must never be held whole"


CHILD = textwrap.dedent(
    """
    import sys
    from xds_repository.store import document_key, open_store, stage_chunks

    store = open_store("filesystem", root=sys.argv[1])
    done = stage_chunks(store, [b"committed" * 1000])
    store.put(document_key("1.2.3.done"), done.path, done.sha1, done.size, "text/plain")

    def attachment():
        yield b"x" * (1 << 20)
        print("staging", flush=True)
        sys.stdin.readline()  # stalls mid-attachment until killed
        yield b"y"

    staged = stage_chunks(store, attachment())
    store.put(document_key("1.2.3.killed"), staged.path, staged.sha1, staged.size, "text/plain")
    """
)


def test_sigkill_mid_staging_leaves_no_visible_document(tmp_path: Path) -> None:
    root = tmp_path / "store"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"staging\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    restarted = open_store("filesystem", root=root)
    assert restarted.exists(document_key("1.2.3.done"))
    assert not restarted.exists(document_key("1.2.3.killed"))
    assert restarted.cleanup_staging() == 1
    assert list(restarted.stage_dir().iterdir()) == []
    assert b"".join(restarted.iter_chunks(document_key("1.2.3.done"))) == b"committed" * 1000
