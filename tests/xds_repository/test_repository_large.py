"""ITI-41 then ITI-43 of 1 KiB, 10 MiB and 1 GiB documents: byte-identical, bounded memory.

ITI TF-2b 3.41.4.1.3 and 3.43.4.1.3 over MTOM/XOP (ITI TF-2x Appendix V.8). Documents are
generated on disk and compared by the SHA-1 computed while they stream; neither side holds a
whole document in memory. The 1 GiB case runs on a dedicated one-worker server whose peak RSS
(``VmHWM`` of the worker) must stay below 150 MB; it is part of ``make test`` (``-s`` shows
the measured peak and throughput).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus
from tests.conftest import LiveServer, start_server
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r
from tests.xds_repository import procs

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
PEAK_RSS_LIMIT = 150 * 1000 * 1000
T_DOCUMENT = ns.qn(ns.XDSB, "Document")
T_RESPONSE = ns.qn(ns.RS, "RegistryResponse")


def write_document(path: Path, size: int) -> str:
    """Write ``size`` bytes (one random MiB, repeated with a counter); return their SHA-1.

    Every MiB differs, so a misplaced or repeated chunk changes the hash.
    """
    block = bytearray(os.urandom(MIB))
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("wb") as f:
        for index, start in enumerate(range(0, size, MIB)):
            block[:8] = index.to_bytes(8, "big")
            piece = memoryview(block)[: min(MIB, size - start)]
            f.write(piece)
            digest.update(piece)
    return digest.hexdigest()


def round_trip(server: LiveServer, size: int, tmp: Path) -> tuple[float, float]:
    """Provide a generated document, then retrieve it; return (provide, retrieve) seconds.

    The source file is deleted once sent, the retrieved copy once checked (disk stays at
    about twice the document: the server's copy plus one of ours).
    """
    source = tmp / "source.bin"
    sha1 = write_document(source, size)
    patient = procs.new_patient(server)
    doc = m.Doc(hash=sha1, size=str(size))
    started = time.perf_counter()
    response = r.post_provide(procs.url(server), patient, [doc], [r.Attachment(doc.id, source)])
    provided = time.perf_counter()
    source.unlink()
    assert response.get("status") == ResponseStatus.SUCCESS, etree.tostring(response)

    received = tmp / "received"
    received.mkdir(exist_ok=True)
    pairs = [(procs.repository_id(server), doc.unique_id)]
    retrieve_started = time.perf_counter()
    with r.post_retrieve(procs.url(server), pairs, received) as message:
        retrieved = time.perf_counter()
        status = message.envelope.find(f".//{T_RESPONSE}")
        assert status is not None and status.get("status") == ResponseStatus.SUCCESS
        document = message.envelope.find(f".//{T_DOCUMENT}")
        assert document is not None
        part = message.content(document)
        assert (part.sha1, part.size) == (sha1, size)
    assert not any(received.iterdir())
    return provided - started, retrieved - retrieve_started


@pytest.mark.parametrize("size", [KIB, 10 * MIB], ids=["1KiB", "10MiB"])
def test_round_trip_is_byte_identical(live_server: LiveServer, tmp_path: Path, size: int) -> None:
    round_trip(live_server, size, tmp_path)
    assert procs.staging_files(live_server) == []


@pytest.fixture
def one_worker_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A dedicated server with one worker (its peak RSS is the server's); removed afterwards."""
    home = tmp_path / "server"
    server = start_server(home, extra_env={"BEELDPORTAAL_WORKERS": "1"})
    yield server
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.timeout(900)
def test_one_gib_round_trip_in_bounded_memory(
    one_worker_server: LiveServer, tmp_path: Path
) -> None:
    server = one_worker_server
    free = shutil.disk_usage(tmp_path).free
    assert free > 3 * GIB, f"the 1 GiB round trip needs 3 GiB of free disk, {free} bytes free"
    (worker,) = procs.worker_pids(server)
    before = procs.status_kib(worker, "VmHWM")

    provide_s, retrieve_s = round_trip(server, GIB, tmp_path)

    assert procs.worker_pids(server) == [worker], "the worker was replaced during the test"
    peak = procs.status_kib(worker, "VmHWM") * 1000
    master = procs.status_kib(server.process.pid, "VmHWM") * 1000
    megabytes = GIB / 1e6
    print(
        f"\n1 GiB round trip: ITI-41 {megabytes / provide_s:.0f} MB/s ({provide_s:.1f} s), "
        f"ITI-43 {megabytes / retrieve_s:.0f} MB/s ({retrieve_s:.1f} s), "
        f"both {2 * megabytes / (provide_s + retrieve_s):.0f} MB/s; "
        f"worker peak RSS (VmHWM) {peak / 1e6:.1f} MB (at start {before * 1000 / 1e6:.1f} MB), "
        f"master {master / 1e6:.1f} MB"
    )
    assert peak < PEAK_RSS_LIMIT, f"worker peak RSS {peak / 1e6:.1f} MB"
    assert procs.staging_files(server) == []
