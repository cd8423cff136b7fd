"""Documents are never held whole in memory: 200 MB up, 64 MB down, memory traced.

ITI-41 requests are written from the files while they are sent; ITI-43 answers are written
to files while they arrive (ITI TF-2x Appendix V.8 MTOM/XOP). ``tracemalloc`` sees every
Python allocation of the client and of the fake server thread; the peak must stay a small
multiple of the 1 MiB chunk size.
"""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from profiles import transactions as tx
from profiles.vocabulary import ResponseStatus
from tests.xds_common.client import samples
from tests.xds_common.client.fake_server import (
    Answer,
    FakeServer,
    MimePart,
    envelope,
    include,
    mtom_answer,
    pattern,
    registry_response,
    retrieve_response,
    sha1_of,
)
from xds_common.client import DocumentPart, RepositoryClient

PATIENT = "pat1^^^&1.2.3.4.5.1000&ISO"
UPLOAD_BYTES = 200 * 1024 * 1024
DOWNLOAD_BYTES = 64 * 1024 * 1024
#: Peak Python memory allowed while moving a document (client + fake server).
MEMORY_LIMIT = 16 * 1024 * 1024


def write_pattern(path: Path, size: int) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("wb") as file:
        for chunk in pattern(size)():
            file.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while data := file.read(1 << 20):
            yield data


def test_upload_of_200_mb_streams_from_the_file(tmp_path: Path) -> None:
    """The whole body reaches the server, byte for byte, with bounded client memory."""
    source = tmp_path / "big.bin"
    write_pattern(source, UPLOAD_BYTES)
    request, entries = samples.submission(PATIENT)
    answer = Answer(
        body=envelope(tx.ITI_41.response_action, registry_response(ResponseStatus.SUCCESS))
    )
    calls: list[int] = []
    with FakeServer(keep_bodies=False) as server:
        server.queue(answer)
        client = RepositoryClient(server.url, timeout=30)
        tracemalloc.start()
        try:
            result = client.provide_and_register(
                request,
                [DocumentPart(entries[0].entry_uuid, source, "application/pdf")],
                lambda done, total: calls.append(done),
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.success
    (sent,) = server.requests
    assert peak < MEMORY_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    # The body is: everything up to the attachment's header block, the file, the close.
    head_end = sent.head.index(b"\r\n\r\n", sent.head.index(b"Content-Type: application/pdf")) + 4
    prefix = sent.head[:head_end]
    suffix = sent.tail[sent.tail.rindex(b"\r\n--") :]
    assert suffix.endswith(b"--\r\n")
    assert sent.length == int(sent.headers["Content-Length"])
    assert sent.length == len(prefix) + UPLOAD_BYTES + len(suffix)
    assert sent.sha1 == sha1_of([prefix, *file_chunks(source), suffix])
    assert calls[-1] == sent.length and len(calls) > 100


def test_retrieve_streams_the_answer_to_disk(tmp_path: Path) -> None:
    """A 64 MB XOP part goes to a file with bounded memory; SHA-1 and size are reported."""
    content = pattern(DOWNLOAD_BYTES, seed=3)
    expected = sha1_of(content())
    root = retrieve_response(
        ResponseStatus.SUCCESS, [("1.2.3", "9.8.7", "application/pdf", include("doc1@example.org"))]
    )
    answer = mtom_answer(root, [MimePart("doc1@example.org", content, DOWNLOAD_BYTES)])
    seen: list[tuple[int, int | None]] = []
    with FakeServer() as server:
        server.queue(answer)
        client = RepositoryClient(server.url, timeout=30)
        tracemalloc.start()
        try:
            result = client.retrieve(
                [("1.2.3", "9.8.7")], tmp_path, lambda done, total: seen.append((done, total))
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    assert result.success
    (document,) = result.documents
    assert document.path == tmp_path / "9.8.7.pdf"
    assert document.size == DOWNLOAD_BYTES == document.path.stat().st_size
    assert document.sha1 == expected == sha1_of(file_chunks(document.path))
    assert (document.path.stat().st_mode & 0o777) == 0o600
    assert seen[-1] == (answer.length, answer.length)
    assert [p.name for p in tmp_path.iterdir()] == ["9.8.7.pdf"], "no staging files left"
