"""Helpers for the repository's system tests: dedicated servers, restarts, peak RSS, look-ups.

The tests here start their own ``beeldportaal serve`` processes (``tests.conftest.start_server``)
when they need a setting of their own, kill them, restart them on the same home and database,
and look behind them (staging directory, stored files, the repository's index table).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from lxml import etree
from sqlalchemy import select

from profiles import namespaces as ns
from profiles.stored_queries import GET_DOCUMENTS
from profiles.transactions import ITI_18
from profiles.vocabulary import ResponseStatus, Scheme
from tests import soap_client
from tests.conftest import LiveServer, free_port
from tests.xds_registry import messages as m
from xds_common.db import session_factory
from xds_repository.tables import StoredDocument

MIB = 1 << 20
T_REGISTRY_ERROR = ns.qn(ns.RS, "RegistryError")
T_FAULT = ns.qn(ns.SOAP12, "Fault")


def backends() -> list[str]:
    """The database backends of this run (as ``tests.conftest`` chooses them)."""
    found = ["sqlite"]
    if os.environ.get("BEELDPORTAAL_TEST_POSTGRES_URL"):
        found.append("postgresql")
    return found


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds.

    The deadline only bounds a hang; no test asserts on how long anything took.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def log_path(server: LiveServer) -> Path:
    """Where ``start_server`` (and :func:`restart`) write the server's output."""
    return server.home.parent / "server.log"


def log_size(server: LiveServer) -> int:
    """The current length of the server log (to read only what a test adds)."""
    path = log_path(server)
    return path.stat().st_size if path.exists() else 0


def log_since(server: LiveServer, offset: int) -> str:
    """What the server logged after ``offset``."""
    with log_path(server).open("rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def restart(server: LiveServer, timeout: float = 60.0) -> LiveServer:
    """Start ``beeldportaal serve`` again on the same home and database (new ports).

    The old process must have ended (stopped or killed).
    """
    assert server.process.poll() is not None, "the old server is still running"
    http_port, mllp_port = free_port(), free_port()
    env = dict(server.env)
    env["BEELDPORTAAL_HTTP_PORT"] = str(http_port)
    env["BEELDPORTAAL_MLLP_PORT"] = str(mllp_port)
    with log_path(server).open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "beeldportaal", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    again = LiveServer(
        f"http://127.0.0.1:{http_port}", mllp_port, server.home, env, proc, server.backend
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("restarted server exited:\n" + log_path(server).read_text())
        try:
            if requests.get(again.base_url + "/health", timeout=2).status_code == 200:
                return again
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    again.stop()
    raise RuntimeError("restarted server did not become healthy:\n" + log_path(server).read_text())


def kill_group(server: LiveServer) -> None:
    """SIGKILL the whole server (gunicorn master and every worker: one process group)."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    wait_for(lambda: not _group_alive(server.process.pid), "the killed workers to disappear", 30)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def worker_pids(server: LiveServer) -> list[int]:
    """The gunicorn worker processes: the children of the master (``server.process``)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` such as ``VmHWM`` (peak RSS) or ``VmRSS``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def url(server: LiveServer) -> str:
    """The repository's SOAP endpoint."""
    return server.base_url + "/xds/repository"


def repository_id(server: LiveServer) -> str:
    """The server's repositoryUniqueId (from ``/health``)."""
    health = requests.get(server.base_url + "/health", timeout=10).json()
    return str(health["repository_unique_ids"][0])


def new_patient(server: LiveServer) -> str:
    """A fresh patient id, registered at the server's registry."""
    pid = m.new_patient()
    server.cli("patients", "add", pid)
    return pid


def staging_dir(server: LiveServer) -> Path:
    """``<home>/documents/staging`` of the filesystem document store."""
    return server.home / "documents" / "staging"


def staging_files(server: LiveServer) -> list[Path]:
    """Files left in the staging directory."""
    directory = staging_dir(server)
    return sorted(p for p in directory.iterdir() if p.is_file()) if directory.exists() else []


def stored_files(server: LiveServer) -> list[Path]:
    """Committed document files of the filesystem store."""
    directory = server.home / "documents" / "documents"
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def index_rows(server: LiveServer, unique_id: str) -> list[tuple[str, str]]:
    """(uniqueId, state) rows of the repository's index for ``unique_id``."""
    factory = session_factory(server.env["BEELDPORTAAL_DATABASE_URL"])
    with factory() as session:
        rows = session.execute(
            select(StoredDocument.unique_id, StoredDocument.state).where(
                StoredDocument.unique_id == unique_id
            )
        )
        return [(row[0], row[1]) for row in rows]


def error_codes(element: etree._Element) -> list[str]:
    """The errorCode of every rs:RegistryError under ``element``."""
    return [e.get("errorCode", "") for e in element.iter(T_REGISTRY_ERROR)]


def registry_entries(registry_url: str, unique_id: str) -> list[etree._Element]:
    """ITI-18 GetDocuments (LeafClass) by uniqueId: the ExtrinsicObjects the registry has."""
    body = m.query(GET_DOCUMENTS.id, "LeafClass", XDSDocumentEntryUniqueId=f"('{unique_id}')")
    reply = soap_client.post(registry_url, ITI_18, body)
    assert reply.http_status == 200, etree.tostring(reply.envelope)
    assert reply.status == ResponseStatus.SUCCESS, etree.tostring(reply.body)
    return list(reply.body.iter(ns.qn(ns.RIM, "ExtrinsicObject")))


def entry_unique_id(entry: etree._Element) -> str:
    """XDSDocumentEntry.uniqueId of an ExtrinsicObject."""
    for ident in entry.iter(ns.qn(ns.RIM, "ExternalIdentifier")):
        if ident.get("identificationScheme") == Scheme.DE_UNIQUE_ID:
            return ident.get("value", "")
    return ""


def slot_values(entry: etree._Element, name: str) -> list[str]:
    """Values of the slot ``name`` of a registry object."""
    return [
        value.text or ""
        for slot in entry.iterchildren(ns.qn(ns.RIM, "Slot"))
        if slot.get("name") == name
        for value in slot.iter(ns.qn(ns.RIM, "Value"))
    ]
