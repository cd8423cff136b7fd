"""Every way a call can fail becomes a ClientError with a clear message, never a traceback.

Connection refused, timeout, HTTP error, SOAP Fault (SOAP 1.2 Part 1 5.4, also SOAP 1.1 from
older stacks), non-XML or non-SOAP answers, the wrong body element, an answer that breaks
off, and local problems (a document file that is missing).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.vocabulary import ResponseStatus
from tests.xds_common.client import samples
from tests.xds_common.client.fake_server import (
    Answer,
    FakeServer,
    MimePart,
    envelope,
    fault,
    include,
    mtom_answer,
    registry_response,
    retrieve_response,
)
from xds_common.client import (
    ClientError,
    ClientErrorKind,
    DocumentPart,
    RegistryClient,
    RepositoryClient,
)

PATIENT = "p1^^^&1.2.3.4.5.1000&ISO"


def register(url: str, timeout: float = 10) -> ClientError:
    request, _ = samples.submission(PATIENT, registry=True)
    with pytest.raises(ClientError) as caught:
        RegistryClient(url, timeout=timeout).register(request)
    return caught.value


def answered(server: FakeServer, answer: Answer) -> ClientError:
    server.queue(answer)
    return register(server.url)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/xds/registry"
    error = register(url)
    assert error.kind is ClientErrorKind.CONNECTION
    assert str(error) == f"cannot reach {url}: connection refused"
    assert error.url == url and error.status is None


@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/x", "http://"])
def test_unusable_url(url: str) -> None:
    error = register(url)
    assert error.kind is ClientErrorKind.CONNECTION
    assert url in str(error)


def test_timeout(server: FakeServer) -> None:
    server.queue(Answer(body=b"late", delay=1.5))
    error = register(server.url, timeout=0.3)
    assert error.kind is ClientErrorKind.TIMEOUT
    assert str(error) == f"no answer from {server.url} within 0.3 s"


def test_http_error_page(server: FakeServer) -> None:
    page = b"<html><head><title>404 Not Found</title></head><body>nope</body></html>"
    error = answered(server, Answer(404, "text/html", page))
    assert error.kind is ClientErrorKind.HTTP
    assert error.status == 404
    assert str(error) == f"{server.url} answered HTTP 404 Not Found: 404 Not Found"


def test_redirect_is_not_followed_with_a_body(server: FakeServer) -> None:
    error = answered(server, Answer(307, "text/plain", b"", headers={"Location": "https://x/y"}))
    assert error.kind is ClientErrorKind.HTTP and error.status == 307
    assert "redirect to https://x/y" in str(error)


def test_http_error_with_soap_body_but_no_fault(server: FakeServer) -> None:
    body = envelope(tx.ITI_42.response_action, registry_response(ResponseStatus.FAILURE))
    error = answered(server, Answer(503, body=body))
    assert error.kind is ClientErrorKind.HTTP and error.status == 503


@pytest.mark.parametrize("status", [400, 500, 200])
def test_soap_fault(server: FakeServer, status: int) -> None:
    error = answered(
        server,
        Answer(status, body=fault("Sender", "action is not supported", "wsa:ActionNotSupported")),
    )
    assert error.kind is ClientErrorKind.FAULT
    assert error.status == status
    assert (error.fault_code, error.fault_subcode) == ("s:Sender", "wsa:ActionNotSupported")
    assert error.fault_reason == "action is not supported"
    assert str(error) == (
        f"{server.url} answered with a SOAP Fault s:Sender (wsa:ActionNotSupported): "
        "action is not supported"
    )


def test_soap_11_fault(server: FakeServer) -> None:
    body = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
        b"<faultcode>e:Client</faultcode><faultstring>bad request</faultstring>"
        b"</e:Fault></e:Body></e:Envelope>"
    )
    error = answered(server, Answer(500, "text/xml; charset=utf-8", body))
    assert error.kind is ClientErrorKind.FAULT
    assert (error.fault_code, error.fault_reason) == ("e:Client", "bad request")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain", b"hello", "is not SOAP (text/plain): hello"),
        ("application/soap+xml", b"hello", "is not a readable SOAP message"),
        ("application/soap+xml", b"<a><b></a>", "is not a readable SOAP message"),
        ("application/soap+xml", b"<other/>", "is XML but not a SOAP envelope (other)"),
        (
            "application/soap+xml",
            b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            "is not a readable SOAP message",
        ),
    ],
)
def test_answer_that_is_not_soap(
    server: FakeServer, content_type: str, body: bytes, expected: str
) -> None:
    error = answered(server, Answer(200, content_type, body))
    assert error.kind is ClientErrorKind.INVALID_RESPONSE
    assert expected in str(error)
    assert error.status == 200


def test_wrong_body_element(server: FakeServer) -> None:
    body = envelope(
        tx.ITI_18.response_action, f'<q:AdhocQueryResponse xmlns:q="{ns.QUERY}" status="x"/>'
    )
    error = answered(server, Answer(body=body))
    assert error.kind is ClientErrorKind.INVALID_RESPONSE
    assert (
        str(error)
        == f"{server.url} answered AdhocQueryResponse where RegistryResponse was expected"
    )


def test_soap_11_answer_without_fault(server: FakeServer) -> None:
    body = b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>'
    error = answered(server, Answer(200, "text/xml", body))
    assert error.kind is ClientErrorKind.INVALID_RESPONSE
    assert "SOAP 1.1" in str(error)


def test_answer_that_breaks_off(server: FakeServer, tmp_path: Path) -> None:
    """Content-Length promises more than arrives: CONNECTION, and no staging file remains."""
    root = retrieve_response(ResponseStatus.SUCCESS, [("1.2", "3.4", "text/plain", include("a@x"))])
    full = mtom_answer(root, [MimePart("a@x", lambda: [b"x" * 100_000], 100_000)])

    def truncated() -> Iterator[bytes]:
        sent = 0
        for chunk in full.chunks():
            yield chunk[: max(0, 50_000 - sent)]
            sent += len(chunk)

    assert full.length is not None
    server.queue(Answer(200, full.content_type, truncated, full.length))
    with pytest.raises(ClientError) as caught:
        RepositoryClient(server.url, timeout=10).retrieve([("1.2", "3.4")], tmp_path)
    assert caught.value.kind is ClientErrorKind.CONNECTION
    assert "broke off" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_package_without_closing_boundary(server: FakeServer, tmp_path: Path) -> None:
    root = retrieve_response(ResponseStatus.SUCCESS, [("1.2", "3.4", "text/plain", include("a@x"))])
    full = mtom_answer(root, [MimePart("a@x", lambda: [b"abc"], 3)])
    data = b"".join(full.chunks())
    cut = data[: data.rindex(b"\r\n--")]
    server.queue(Answer(200, full.content_type, cut))
    with pytest.raises(ClientError) as caught:
        RepositoryClient(server.url, timeout=10).retrieve([("1.2", "3.4")], tmp_path)
    assert caught.value.kind is ClientErrorKind.INVALID_RESPONSE
    assert "truncated" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_document_file_is_local(server: FakeServer, tmp_path: Path) -> None:
    request, entries = samples.submission(PATIENT)
    missing = tmp_path / "nope.pdf"
    with pytest.raises(ClientError) as caught:
        RepositoryClient(server.url, timeout=10).provide_and_register(
            request, [DocumentPart(entries[0].entry_uuid, missing)]
        )
    assert caught.value.kind is ClientErrorKind.LOCAL
    assert str(caught.value) == f"{missing} is not a file"
    assert server.requests == [], "nothing was sent"


def test_document_that_changes_while_sent_is_local(server: FakeServer, tmp_path: Path) -> None:
    """A file that shrinks between packaging and sending is reported, not a traceback."""
    request, entries = samples.submission(PATIENT)
    document = tmp_path / "d.bin"
    document.write_bytes(b"x" * 3_000_000)
    progress_calls = []

    def shrink(done: int, total: int | None) -> None:
        progress_calls.append(done)
        if len(progress_calls) == 1:
            document.write_bytes(b"short")

    server.default = Answer(
        body=envelope(tx.ITI_41.response_action, registry_response(ResponseStatus.SUCCESS))
    )
    with pytest.raises(ClientError) as caught:
        RepositoryClient(server.url, timeout=10).provide_and_register(
            request, [DocumentPart(entries[0].entry_uuid, document)], shrink
        )
    assert caught.value.kind is ClientErrorKind.LOCAL
    assert "could not read a document while sending it" in str(caught.value)


def test_early_refusal_of_a_large_upload_is_reported(tmp_path: Path) -> None:
    """A server that answers 413 + Fault before reading the body and closes: the client
    reports the Fault (urllib3 reads the answer after the broken pipe), not a reset."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    answer = fault("Sender", "request larger than 20971520 bytes")

    def refuse() -> None:
        connection, _ = listener.accept()
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/soap+xml\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(answer), answer)
        )
        time.sleep(0.2)
        connection.close()

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    big = tmp_path / "big.bin"
    with big.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    request, entries = samples.submission(PATIENT)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/xds/repository"
    try:
        with pytest.raises(ClientError) as caught:
            RepositoryClient(url, timeout=10).provide_and_register(
                request, [DocumentPart(entries[0].entry_uuid, big)]
            )
    finally:
        thread.join(5)
        listener.close()
    assert caught.value.kind is ClientErrorKind.FAULT
    assert caught.value.status == 413
    assert caught.value.fault_reason == "request larger than 20971520 bytes"
