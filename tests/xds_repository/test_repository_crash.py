"""Crash safety of ITI-41: stage, register, then commit or discard (ITI TF-2b 3.41.4.1.3).

1. The whole server is SIGKILLed in the middle of a large upload and restarted on the same
   home and database: no document is retrievable, the registry has no entry, staging is empty.
2. ``xds_repository.recovery.settle`` against a live registry: a stale *pending* row whose
   uniqueId the registry knows becomes visible, one it does not know disappears with its
   bytes, a recent one is left alone, and an unreachable registry changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from profiles.transactions import ITI_42
from profiles.vocabulary import ResponseStatus
from tests import soap_client
from tests.conftest import LiveServer, free_port, start_server
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r
from tests.xds_repository import procs
from xds_common.db import session_factory
from xds_common.errors import RegistryError
from xds_repository import migrate
from xds_repository.context import RepositoryContext
from xds_repository.recovery import settle
from xds_repository.store import document_key, open_store, stage_chunks
from xds_repository.tables import DocumentState, StoredDocument

MIB = procs.MIB
DOCUMENT_BYTES = 300 * MIB
#: The upload stops here until the server has been killed.
HALT_AFTER = DOCUMENT_BYTES // 2
#: The server has staged at least this much before it is killed (so it is mid-upload).
STAGED_BEFORE_KILL = 64 * MIB
LONG_AGO = "20000101000000"


class HaltingUpload:
    """Request body chunks that stop after ``halt_after`` bytes until :attr:`resume` is set."""

    def __init__(self, chunks: Iterator[bytes], halt_after: int) -> None:
        self._chunks = chunks
        self._halt_after = halt_after
        self.sent = 0
        self.halted = threading.Event()
        self.resume = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        for data in self._chunks:
            if self.sent >= self._halt_after:
                self.halted.set()
                self.resume.wait(timeout=300)
                return  # the connection is gone by now; end the body short
            self.sent += len(data)
            yield data


def _upload_in_background(
    url: str, content_type: str, body: r.SizedBody, outcome: list[BaseException | int]
) -> threading.Thread:
    def run() -> None:
        try:
            reply = requests.post(
                url, data=body, timeout=120, headers={"Content-Type": content_type}
            )
            outcome.append(reply.status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name="halting-upload", daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("backend", procs.backends())
@pytest.mark.timeout(600)
def test_killed_mid_upload_leaves_nothing(tmp_path: Path, backend: str) -> None:
    server = start_server(tmp_path / "server", backend)
    try:
        patient = procs.new_patient(server)
        source = tmp_path / "sparse.bin"  # 300 MiB of zeros that take no disk space
        with source.open("wb") as f:
            f.truncate(DOCUMENT_BYTES)
        zeros = hashlib.sha1(usedforsecurity=False)
        for _ in range(DOCUMENT_BYTES // MIB):
            zeros.update(bytes(MIB))
        doc = m.Doc(hash=zeros.hexdigest(), size=str(DOCUMENT_BYTES))
        content_type, sized = r.provide_request(
            patient, [doc], [r.Attachment(doc.id, source)], procs.url(server)
        )
        upload = HaltingUpload(iter(sized), HALT_AFTER)
        outcome: list[BaseException | int] = []
        thread = _upload_in_background(
            procs.url(server), content_type, r.SizedBody(iter(upload), len(sized)), outcome
        )
        upload.halted.wait(timeout=120)
        assert upload.halted.is_set(), outcome
        procs.wait_for(
            lambda: (
                sum(p.stat().st_size for p in procs.staging_files(server)) >= STAGED_BEFORE_KILL
            ),
            "the server to stage part of the upload",
        )

        procs.kill_group(server)
        upload.resume.set()
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], requests.RequestException), outcome
        leftovers = procs.staging_files(server)
        assert leftovers, "a killed upload leaves its partial staging file until restart"

        server = procs.restart(server)
        assert procs.staging_files(server) == []
        assert procs.stored_files(server) == []
        assert procs.index_rows(server, doc.unique_id) == []
        assert procs.registry_entries(server.registry_url, doc.unique_id) == []
        pairs = [(procs.repository_id(server), doc.unique_id)]
        with r.post_retrieve(procs.url(server), pairs, tmp_path) as message:
            assert procs.error_codes(message.envelope) == ["XDSDocumentUniqueIdError"]
            assert message.attachments == {}
    finally:
        server.stop()
    shutil.rmtree(tmp_path / "server", ignore_errors=True)


# --- settle(): pending rows left by a crash between storing and publishing -----------------


def _pending(ctx: RepositoryContext, content: bytes, created: str) -> str:
    """Store ``content`` as the repository does before ITI-42: bytes, then a pending row."""
    unique_id = m.new_oid()
    staged = stage_chunks(ctx.store, [content])
    key = document_key(unique_id)
    ctx.store.put(key, staged.path, staged.sha1, staged.size, "text/plain")
    with ctx.write() as session, session.begin():
        session.add(
            StoredDocument(
                unique_id=unique_id,
                key=key,
                mime_type="text/plain",
                hash=staged.sha1,
                size=staged.size,
                state=DocumentState.PENDING,
                created=created,
            )
        )
    return unique_id


def _state(ctx: RepositoryContext, unique_id: str) -> str | None:
    with ctx.read() as session:
        found = session.scalar(
            select(StoredDocument.state).where(StoredDocument.unique_id == unique_id)
        )
        return None if found is None else str(found)


def _no_registration(_submit: etree._Element) -> tuple[str, list[RegistryError]]:
    raise AssertionError("settle() never registers")


@pytest.fixture
def repository(tmp_path: Path) -> RepositoryContext:
    """The repository's own storage (index table + filesystem store) in a private home.

    Private, so that no server's background recovery settles these rows first.
    """
    database_url = f"sqlite:///{tmp_path / 'repository.db'}"
    migrate.upgrade(database_url)
    return RepositoryContext(
        store=open_store("filesystem", root=tmp_path / "documents"),
        write=session_factory(database_url, write=True),
        read=session_factory(database_url),
        repository_unique_id=m.new_oid(),
        home_community_id="urn:oid:1.2.3.4.5",
        register=_no_registration,
    )


def test_settle_publishes_registered_and_discards_unknown(
    live_server: LiveServer, repository: RepositoryContext
) -> None:
    ctx = repository
    content = b"interrupted ITI-41\n" * 50
    patient = procs.new_patient(live_server)
    known = _pending(ctx, content, LONG_AGO)
    unknown = _pending(ctx, content + b"other", LONG_AGO)
    recent = _pending(ctx, content + b"recent", "99991231235959")
    doc = m.Doc(unique_id=known, hash=hashlib.sha1(content).hexdigest(), size=str(len(content)))
    reply = soap_client.post(live_server.registry_url, ITI_42, m.submission(patient, [doc]))
    assert reply.status == ResponseStatus.SUCCESS, etree.tostring(reply.body)

    assert settle(ctx, live_server.registry_url) == 2

    assert _state(ctx, known) == DocumentState.VISIBLE
    assert b"".join(ctx.store.iter_chunks(document_key(known))) == content
    assert _state(ctx, unknown) is None
    assert not ctx.store.exists(document_key(unknown))
    assert _state(ctx, recent) == DocumentState.PENDING
    assert ctx.store.exists(document_key(recent))
    assert settle(ctx, live_server.registry_url) == 0


def test_settle_with_the_registry_down_changes_nothing(repository: RepositoryContext) -> None:
    ctx = repository
    pending = _pending(ctx, b"waiting for the registry", LONG_AGO)
    nowhere = f"http://127.0.0.1:{free_port()}/xds/registry"
    with pytest.raises(OSError):
        settle(ctx, nowhere)
    assert _state(ctx, pending) == DocumentState.PENDING
    assert ctx.store.exists(document_key(pending))
