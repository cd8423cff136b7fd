"""The whole engine against a tiny fake registry and MLLP listener on 127.0.0.1.

The fake registry stores every ITI-42 submission (replacing symbolic ids by UUIDs, as ITI TF-2b
3.42.4.1.3.1 asks) and answers every ITI-18 query with everything it holds - just enough for
NIST test 11990 (register, GetSubmissionSetAndContents, NullTransaction assertion) and for the
engine's UUID discovery.
"""

from __future__ import annotations

import copy
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from conformance import Endpoints, RunConfig, Runner
from conformance.corpus import Corpus
from conformance.state import Verdict
from profiles import namespaces as ns
from profiles.transactions import BY_ACTION
from profiles.vocabulary import Status
from xds_common.mllp import END_BLOCK, START_BLOCK

SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
_REFS = ("id", "sourceObject", "targetObject", "classifiedObject", "registryObject")


class FakeRegistry:
    """Stores submissions, answers queries with everything."""

    def __init__(self) -> None:
        self.objects: list[etree._Element] = []

    def register(self, request: etree._Element) -> str:
        mapping = {
            str(el.get("id")): f"urn:uuid:{uuid.uuid4()}"
            for el in request.iter()
            if isinstance(el.tag, str) and el.get("id") and not el.get("id", "").startswith("urn")
        }
        for el in request.iter():
            for attr in _REFS if isinstance(el.tag, str) else ():
                if el.get(attr) in mapping:
                    el.set(attr, mapping[str(el.get(attr))])
        found = request.find(ns.qn(ns.RIM, "RegistryObjectList"))
        for obj in list(found) if found is not None else []:
            if isinstance(obj.tag, str):
                obj.set("status", Status.APPROVED.value)
                self.objects.append(obj)
        return f'<rs:RegistryResponse xmlns:rs="{ns.RS}" status="{SUCCESS}"/>'

    def query(self) -> str:
        body = "".join(etree.tostring(copy.deepcopy(o)).decode() for o in self.objects)
        return (
            f'<query:AdhocQueryResponse xmlns:query="{ns.QUERY}" xmlns:rim="{ns.RIM}" '
            f'status="{SUCCESS}"><rim:RegistryObjectList>{body}</rim:RegistryObjectList>'
            "</query:AdhocQueryResponse>"
        )

    def answer(self, data: bytes) -> bytes:
        env = etree.fromstring(data)
        action = str(env.findtext(f".//{{{ns.WSA}}}Action"))
        message_id = str(env.findtext(f".//{{{ns.WSA}}}MessageID"))
        body = env.find(ns.qn(ns.SOAP12, "Body"))
        assert body is not None
        transaction = BY_ACTION[action]
        payload = self.register(body[0]) if transaction.id == "ITI-42" else self.query()
        return (
            f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA}"><s:Header>'
            f"<a:Action>{transaction.response_action}</a:Action>"
            f"<a:RelatesTo>{message_id}</a:RelatesTo></s:Header>"
            f"<s:Body>{payload}</s:Body></s:Envelope>"
        ).encode()


@pytest.fixture
def fake_registry() -> Iterator[str]:
    registry = FakeRegistry()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = registry.answer(data)
            self.send_response(200)
            self.send_header("Content-Type", "application/soap+xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/xds/registry"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake_mllp() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(10)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while END_BLOCK not in data:
                    data += conn.recv(4096)
                conn.sendall(START_BLOCK + b"MSH|^~\\&|R\rMSA|AA|1\r" + END_BLOCK)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_register_query_and_assertion_against_fake_registry(
    fake_registry: str, fake_mllp: int, corpus: Corpus
) -> None:
    runner = Runner(
        Endpoints(fake_registry, None, ("127.0.0.1", fake_mllp)), RunConfig(corpus.root)
    )
    report = runner.run(["11990"])
    verdicts = {r.name: r.verdict for r in report.results}
    assert verdicts == {
        "15817/pif#step for 11990": Verdict.PASS,
        "11990/submit#submit": Verdict.PASS,
        "11990/eval#by_uid": Verdict.PASS,
        "11990/eval#verify_availabilityStatus": Verdict.PASS,
    }, [r.describe() for r in report.results]
    submit = runner.state.steps[("11990", "submit", "submit")]
    assert set(submit.assigned.uuids) >= {"Document01", "SubmissionSet01"}
    assert all(v.startswith("urn:uuid:") for v in submit.assigned.uuids.values())
    assert submit.reports["$patientid$"].endswith("&1.3.6.1.4.1.21367.2005.13.20.1000&ISO")
    assert report.counts()["ITI-42"].passed == 1
    assert "ITI-18: 1/1 passed" in report.summary()


def test_missing_dependency_and_repository_steps_are_skipped(
    fake_registry: str, fake_mllp: int, corpus: Corpus
) -> None:
    runner = Runner(
        Endpoints(fake_registry, None, ("127.0.0.1", fake_mllp)), RunConfig(corpus.root)
    )
    report = runner.run(["11902", "11966"])
    by_name = {r.name: r for r in report.results}
    uuid_query = by_name["11902/uuid#uuid"]
    assert uuid_query.verdict is Verdict.SKIP
    assert "12346" in uuid_query.reasons[0]
    pnr = by_name["11966/submit#submit"]
    assert pnr.verdict is Verdict.SKIP and "repository endpoint not configured" in pnr.reasons[0]
    assert by_name["11966/eval#eval"].verdict is Verdict.SKIP
    assert report.failures() == []
