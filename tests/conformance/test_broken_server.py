"""The runner catches broken servers: one that says Success to everything, one that is down,
one that answers HTML or random bytes, one that never answers, and a dead MLLP listener.

Each fake is a ``http.server`` thread on 127.0.0.1. ``beeldportaal conformance run`` must
judge the negative NIST cases against the yes-sayer FAILED and exit 1; against the others
every step fails with a one-line reason, the summary says what is wrong with the endpoint,
and no traceback appears.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from conformance.config import RunConfig
from conformance.corpus import Corpus
from conformance.guard import GuardedClient, GuardedPatients
from conformance.patients import FeedRecord
from conformance.state import Unresolved
from profiles import namespaces as ns
from profiles.transactions import BY_ACTION, ITI_18
from tests.conformance.test_runner_cli import junit_cases, run_cli
from tests.conftest import free_port
from xds_common.mllp import END_BLOCK, START_BLOCK

SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
#: Negative NIST cases of the registry suite: unknown patient, patient mismatch, hash
#: mismatch, all-or-nothing, metadata update errors.
NEGATIVE = (
    "11996/submit#submit",
    "11997/submit#submit",
    "12004/submit#resubmit_doc_diff_hash",
    "12084/submit#submit",
    *(
        f"20002/eval#{step}"
        for step in (
            "invalid_slot",
            "missing_slot_originalstatus",
            "missing_slot_newstatus",
            "slot_newstatus_invalid_value",
            "slot_originalstatus_invalid_value",
            "slot_same_value",
        )
    ),
)
_ACTION = re.compile(rb'action="([^"]+)"')
_MESSAGE_ID = re.compile(rb"MessageID[^>]*>\s*([^<\s]+)\s*<")

Answer = Callable[[bytes, str], tuple[int, str, bytes]]


def yes_to_everything(body: bytes, content_type: str) -> tuple[int, str, bytes]:
    """A well-formed Success answer of the right kind and addressing, whatever was asked."""
    found = _ACTION.search(content_type.encode())
    transaction = BY_ACTION[found.group(1).decode()] if found else None
    message_id = _MESSAGE_ID.search(body)
    payload = f'<rs:RegistryResponse xmlns:rs="{ns.RS}" status="{SUCCESS}"/>'
    if transaction is not None and transaction.id == "ITI-18":
        payload = (
            f'<q:AdhocQueryResponse xmlns:q="{ns.QUERY}" xmlns:rim="{ns.RIM}" status="{SUCCESS}">'
            "<rim:RegistryObjectList/></q:AdhocQueryResponse>"
        )
    elif transaction is not None and transaction.id == "ITI-43":
        response = "x:RetrieveDocumentSetResponse"
        payload = f'<{response} xmlns:x="{ns.XDSB}">{payload}</{response}>'
    action = transaction.response_action if transaction else ""
    relates = message_id.group(1).decode() if message_id else ""
    envelope = (
        f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA}"><s:Header>'
        f"<a:Action>{action}</a:Action><a:RelatesTo>{relates}</a:RelatesTo></s:Header>"
        f"<s:Body>{payload}</s:Body></s:Envelope>"
    )
    return 200, "application/soap+xml; charset=UTF-8", envelope.encode()


def html_page(_body: bytes, _content_type: str) -> tuple[int, str, bytes]:
    """What a web server or proxy in front of the wrong path answers."""
    page = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body>"
    return 200, "text/html", page


def random_bytes(_body: bytes, _content_type: str) -> tuple[int, str, bytes]:
    """Garbage, announced as SOAP."""
    return 200, "application/soap+xml", os.urandom(512)


def serve(answer: Answer, delay: float = 0.0) -> Iterator[str]:
    """Run a fake endpoint; yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if delay:
                time.sleep(delay)
            status, content_type, reply = answer(body, self.headers.get("Content-Type", ""))
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the client gave up (timeout tests)

        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/xds/registry"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def broken_server() -> Iterator[str]:
    yield from serve(yes_to_everything)


@pytest.fixture
def fake_mllp() -> Iterator[str]:
    """An ITI-8 listener that acknowledges (AA) every message."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while END_BLOCK not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(START_BLOCK + b"MSH|^~\\&|R\rMSA|AA|1\r" + END_BLOCK)

    threading.Thread(target=accept, daemon=True).start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_negative_cases_catch_a_server_that_says_success_to_everything(
    broken_server: str, fake_mllp: str, corpus: Corpus, tmp_path: Path
) -> None:
    junit, page = tmp_path / "junit.xml", tmp_path / "report.html"
    tests = sorted({name.split("/")[0] for name in NEGATIVE})
    done = run_cli(
        "--registry", broken_server, "--mllp", fake_mllp, *tests,
        "--junit", str(junit), "--html", str(page),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-3].startswith("FAILED: ")
    cases = junit_cases(junit)
    for name in NEGATIVE:
        failure = cases[name].find("failure")
        assert failure is not None, f"{name} was not judged FAILED"
        assert "status Success where Failure was expected" in str(failure.get("message"))
        assert f"nist-tk2:{name} [" in done.stdout
    # the yes-sayer's Success is right for the positive submissions: they pass
    assert cases["12004/submit#submit"].find("failure") is None
    assert cases["20002/original#submit"].find("failure") is None
    text = page.read_text(encoding="utf-8")
    assert "status Success where Failure was expected" in text


def test_endpoint_that_is_down(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/xds/registry"
    junit = tmp_path / "junit.xml"
    start = time.monotonic()
    done = run_cli(
        "--registry", url, "--unfed-patients", "11990", "12084", "12004", "--junit", str(junit)
    )  # fmt: skip
    assert done.returncode == 1
    assert time.monotonic() - start < 60
    assert f"{url} never answered" in done.stdout
    assert f"cannot connect to {url}: Connection refused" in done.stdout
    assert f"not sent: {url} is down" in done.stdout  # later steps fail at once
    assert done.stdout.rstrip().splitlines()[-2].startswith("FAILED: ")
    failures = [c.find("failure") for c in junit_cases(junit).values()]
    messages = [str(f.get("message")) for f in failures if f is not None]
    assert len(messages) >= 6
    assert all("\n" not in m and url in m for m in messages)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (html_page, "answer is an HTML page (Welcome to nginx!), not SOAP - is "),
        (random_bytes, "HTTP 200: answer is not XML (not an XML document)"),
    ],
)
def test_endpoint_that_answers_garbage(answer: Answer, reason: str, tmp_path: Path) -> None:
    gen = serve(answer)
    url = next(gen)
    try:
        page = tmp_path / "report.html"
        done = run_cli("--registry", url, "--unfed-patients", "11990", "12084", "--html", str(page))
    finally:
        next(gen, None)
    assert done.returncode == 1
    assert reason in done.stdout
    assert f"{url} answered none of" in done.stdout
    assert "FAILED: " in done.stdout.rstrip().splitlines()[-2]
    assert reason.replace("&", "&amp;") in page.read_text(encoding="utf-8").replace("&#x27;", "'")


def test_endpoint_that_never_answers_in_time(tmp_path: Path) -> None:
    gen = serve(yes_to_everything, delay=3.0)
    url = next(gen)
    try:
        start = time.monotonic()
        done = run_cli(
            "--registry", url, "--unfed-patients", "--timeout", "0.5",
            "11990", "12084", "12004", "11996",
        )  # fmt: skip
        took = time.monotonic() - start
    finally:
        next(gen, None)
    assert done.returncode == 1
    assert f"no answer from {url} within 0.5 s (timeout)" in done.stdout
    assert f"not sent: {url} is down" in done.stdout
    assert took < 30  # three timeouts, then the endpoint counts as down


def test_mllp_that_is_down(broken_server: str) -> None:
    mllp = f"127.0.0.1:{free_port()}"
    done = run_cli("--registry", broken_server, "--mllp", mllp, "11990", "12084", "11996", "11997")
    assert done.returncode == 1
    assert f"MLLP {mllp}: " in done.stdout
    assert f"ITI-8 feed not possible: MLLP {mllp} did not acknowledge the last 3 feeds" in (
        done.stdout
    )
    assert "  ITI-8 " in done.stdout
    assert f"MLLP {mllp} never answered (3 requests): Connection refused" in done.stdout


def test_without_mllp_a_feed_always_skips_and_is_reported_once() -> None:
    records: list[FeedRecord] = []
    patients = GuardedPatients(None, RunConfig(), records.append, "no feed here")
    for _ in range(2):
        with pytest.raises(Unresolved) as raised:
            patients.feed_patient("15817", "11990")
        assert raised.value.skipped and str(raised.value) == "no feed here"
    assert [(r.feed_test, r.consumer, r.ok) for r in records] == [("15817", "11990", None)]
    unfed = GuardedPatients(None, RunConfig(), records.append, "no feed here", unfed_ok=True)
    assert unfed.feed_patient("15817", "11990") == unfed.feed_patient("15817", "11990")


def test_a_down_endpoint_is_retried_after_a_while() -> None:
    url = f"http://127.0.0.1:{free_port()}/xds/registry"
    body = etree.Element("x")
    client = GuardedClient(timeout=2, limit=2, retry_after=3600)
    problems = [client.call(url, ITI_18, body).problem for _ in range(4)]
    assert [str(p).split(":")[0] for p in problems] == ["cannot connect to http"] * 2 + [
        "not sent"
    ] * 2
    client.retry_after = 0
    assert str(client.call(url, ITI_18, body).problem).startswith("cannot connect to")
    health = client.endpoints()[0]
    assert (health.exchanges, health.unreachable, health.garbage) == (5, 5, 0)
