"""Repository and registry as two separate server processes (ITI TF-2b 3.41.4.1.3 steps 9-10).

Server A is the registry; server B (its own home and database) is the repository, told with
``BEELDPORTAAL_REGISTRY_URL`` to register at A. ITI-41 to B registers at A with B's
repositoryUniqueId; ITI-43 at B returns the bytes. With A stopped, ITI-41 to B fails with
XDSRegistryNotAvailable and leaves nothing behind on B.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus, SlotName
from tests.conftest import LiveServer, start_server
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r
from tests.xds_repository import procs

CONTENT = b"%PDF-1.4 verslag via een losse repository\n" * 40


@pytest.fixture(params=procs.backends())
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """(registry A, repository B): two processes, two homes, two databases."""
    registry = start_server(tmp_path / "a", request.param)
    try:
        extra = {"BEELDPORTAAL_REGISTRY_URL": registry.registry_url}
        repository = start_server(tmp_path / "b", request.param, extra)
    except BaseException:
        registry.stop()
        raise
    yield registry, repository
    repository.stop()
    registry.stop()
    shutil.rmtree(tmp_path, ignore_errors=True)


def _doc(content: bytes) -> m.Doc:
    return m.Doc(hash=hashlib.sha1(content).hexdigest(), size=str(len(content)))


def test_registry_and_repository_in_two_processes(
    pair: tuple[LiveServer, LiveServer], tmp_path: Path
) -> None:
    a, b = pair
    repository_b = procs.repository_id(b)
    assert repository_b != procs.repository_id(a)
    patient = procs.new_patient(a)
    doc = _doc(CONTENT)

    response = r.post_provide(procs.url(b), patient, [doc], [r.Attachment(doc.id, CONTENT)])
    assert response.get("status") == ResponseStatus.SUCCESS, etree.tostring(response)

    (entry,) = procs.registry_entries(a.registry_url, doc.unique_id)
    assert procs.entry_unique_id(entry) == doc.unique_id
    assert procs.slot_values(entry, SlotName.REPOSITORY_UNIQUE_ID) == [repository_b]
    assert procs.slot_values(entry, SlotName.HASH) == [doc.hash]
    assert procs.slot_values(entry, SlotName.SIZE) == [doc.size]
    assert procs.registry_entries(b.registry_url, doc.unique_id) == []

    with r.post_retrieve(procs.url(b), [(repository_b, doc.unique_id)], tmp_path) as message:
        status = message.envelope.find(f".//{ns.qn(ns.RS, 'RegistryResponse')}")
        assert status is not None and status.get("status") == ResponseStatus.SUCCESS
        document = message.envelope.find(f".//{ns.qn(ns.XDSB, 'Document')}")
        assert document is not None
        part = message.content(document)
        assert (part.sha1, part.size) == (doc.hash, len(CONTENT))
        assert part.path.read_bytes() == CONTENT


def test_registry_down_gives_registry_not_available(
    pair: tuple[LiveServer, LiveServer], tmp_path: Path
) -> None:
    a, b = pair
    patient = procs.new_patient(a)
    a.stop()
    content = CONTENT + b"registry stopped\n"
    doc = _doc(content)

    response = r.post_provide(procs.url(b), patient, [doc], [r.Attachment(doc.id, content)])
    assert response.get("status") == ResponseStatus.FAILURE, etree.tostring(response)
    assert procs.error_codes(response) == ["XDSRegistryNotAvailable"]

    assert procs.index_rows(b, doc.unique_id) == []
    assert procs.stored_files(b) == []
    assert procs.staging_files(b) == []
    pairs = [(procs.repository_id(b), doc.unique_id)]
    with r.post_retrieve(procs.url(b), pairs, tmp_path) as message:
        assert procs.error_codes(message.envelope) == ["XDSDocumentUniqueIdError"]
        assert message.attachments == {}
