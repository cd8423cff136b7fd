"""Throughput of the filesystem store (printed, not asserted; run with ``-s`` to see it).

``BEELDPORTAAL_STORE_BENCH_MB`` sets the document size (default 128; 500 for the figure in
the issue). Stage = write + SHA-1 + fsync, as the MTOM reader does; put = fsync + rename;
read = ``iter_chunks`` with SHA-1, after dropping the file from the page cache.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from xds_repository.store import document_key, open_store, stage_chunks
from xds_repository.store.filesystem import FilesystemDocumentStore

MIB = 1 << 20


def test_filesystem_throughput(tmp_path: Path) -> None:
    size = int(os.environ.get("BEELDPORTAAL_STORE_BENCH_MB", "128")) * MIB
    store = open_store("filesystem", root=tmp_path / "store")
    assert isinstance(store, FilesystemDocumentStore)
    chunk = os.urandom(MIB)  # generation cost kept out of the write figure
    key = document_key("1.2.3.bench")

    start = time.perf_counter()
    staged = stage_chunks(store, (chunk for _ in range(size // MIB)))
    staged_at = time.perf_counter()
    store.put(key, staged.path, staged.sha1, staged.size, "application/dicom")
    put_at = time.perf_counter()

    with store.open(key) as f:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    read_start = time.perf_counter()
    digest = hashlib.sha1()
    for data in store.iter_chunks(key):
        digest.update(data)
    read_at = time.perf_counter()
    assert digest.hexdigest() == staged.sha1

    mb = size / 1e6
    print(
        f"\nfilesystem store, {size // MIB} MiB: "
        f"stage (write+sha1+fsync) {mb / (staged_at - start):.0f} MB/s, "
        f"put (fsync+rename) {(put_at - staged_at) * 1000:.1f} ms, "
        f"write total {mb / (put_at - start):.0f} MB/s, "
        f"read (iter_chunks+sha1, cold cache) {mb / (read_at - read_start):.0f} MB/s"
    )
