"""Bad input at ``/xds/repository``: a proper error, never a 500, and no staging file left.

Broken packages get a SOAP 1.2 Fault with the HTTP status of their kind (SOAP 1.2 Part 2
7.5.2.2: Sender faults with 400; 413 over the size limit; 415 for a media type that is not
SOAP or MTOM); problems inside a well-formed request are answered in the transaction's own
form (ITI TF-2b 3.41.4.1.3, 3.43.4.1.3). MTOM/XOP: W3C XOP 1.0 sections 3-4, ITI TF-2x
Appendix V.8.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import struct
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import ITI_41, ITI_43
from profiles.vocabulary import ResponseStatus
from tests.conftest import LiveServer, start_server
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r
from tests.xds_repository import procs
from xds_common import soap
from xds_common.mtom import mtom_response, read_mtom, xop_include

XDSB = ns.XDSB
T_FAULT = ns.qn(ns.SOAP12, "Fault")
T_CODE_VALUE = f"{ns.qn(ns.SOAP12, 'Code')}/{ns.qn(ns.SOAP12, 'Value')}"
T_REGISTRY_RESPONSE = ns.qn(ns.RS, "RegistryResponse")
CONTENT = b"%PDF-1.4 beeldportaal bad-input test\n" * 2000  # ~74 KB
XOP_TYPE = 'type="application/xop+xml"; start-info="application/soap+xml"'
#: The limit of the dedicated server of the over-limit tests (and what it is sent).
SMALL_LIMIT = 1 << 20
OVER_LIMIT_BYTES = 8 << 20
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Answer:
    """An HTTP answer of the repository: status, Content-Type and the SOAP envelope."""

    status: int
    content_type: str
    envelope: etree._Element

    def fault_code(self) -> str:
        fault = self.envelope.find(f"{soap.T_BODY}/{T_FAULT}")
        assert fault is not None, etree.tostring(self.envelope)[:2000]
        return self.envelope.findtext(f".//{T_FAULT}/{T_CODE_VALUE}") or ""

    def registry_response(self) -> etree._Element:
        response = self.envelope.find(f"{soap.T_BODY}//{T_REGISTRY_RESPONSE}")
        assert response is not None, etree.tostring(self.envelope)[:2000]
        return response


def _answer(status: int, content_type: str, content: bytes) -> Answer:
    assert status != 500, content[:2000]
    if content_type.lower().startswith("multipart/related"):
        message = read_mtom(
            io.BytesIO(content),
            content_type,
            Path("/nonexistent"),  # answers to bad input carry no attachments
            max_root_bytes=1 << 20,
            max_total_bytes=1 << 20,
        )
        with message:
            assert message.attachments == {}
            return Answer(status, content_type, message.envelope)
    assert content_type.startswith("application/soap+xml"), (content_type, content[:500])
    return Answer(status, content_type, etree.fromstring(content))


def _post(server: LiveServer, body: bytes | Iterator[bytes], content_type: str) -> Answer:
    reply = requests.post(
        procs.url(server), data=body, headers={"Content-Type": content_type}, timeout=120
    )
    return _answer(reply.status_code, reply.headers.get("Content-Type", ""), reply.content)


@contextmanager
def _nothing_left(server: LiveServer, *unique_ids: str) -> Iterator[None]:
    """After the block: no staging file, no stored document, no unexpected error logged."""
    offset = procs.log_size(server)
    yield
    assert procs.staging_files(server) == []
    for unique_id in unique_ids:
        assert procs.index_rows(server, unique_id) == []
    logged = procs.log_since(server, offset)
    assert "Traceback" not in logged and "failed unexpectedly" not in logged, logged


# --- building requests -------------------------------------------------------------------


def _doc() -> m.Doc:
    return m.Doc(hash=hashlib.sha1(CONTENT).hexdigest(), size=str(len(CONTENT)))


def _provide_envelope(
    server: LiveServer, doc: m.Doc, fill: Callable[[etree._Element], None], patient: str = ""
) -> bytes:
    """An ITI-41 envelope whose xds:Document is filled in by ``fill``.

    The patient need not be known: bad packages are refused before the registry is asked.
    """
    submit = etree.fromstring(m.submission(patient or m.new_patient(), [doc]).encode())
    body = etree.Element(ns.qn(XDSB, "ProvideAndRegisterDocumentSetRequest"), nsmap={"xdsb": XDSB})
    body.append(submit)
    fill(etree.SubElement(body, ns.qn(XDSB, "Document"), id=doc.id))
    message_id = f"urn:uuid:{uuid.uuid4()}"
    return soap.request_envelope(ITI_41.request_action, message_id, procs.url(server), body)


def _include(href: str) -> Callable[[etree._Element], None]:
    def fill(element: etree._Element) -> None:
        xop_include(element, "placeholder@test").set("href", href)

    return fill


def _inline(text: str) -> Callable[[etree._Element], None]:
    def fill(element: etree._Element) -> None:
        element.text = text

    return fill


def _package(
    envelope: bytes, parts: list[tuple[str, bytes]], root_cid: str | None = None
) -> tuple[str, bytes]:
    """An XOP package: (Content-Type, body)."""
    package = mtom_response(
        envelope,
        [(cid, "application/octet-stream", [data], len(data)) for cid, data in parts],
        action=ITI_41.request_action,
        root_cid=root_cid,
    )
    return package.content_type, b"".join(package.body)


def _valid_package(
    server: LiveServer, doc: m.Doc, patient: str = "", content: bytes = CONTENT
) -> tuple[str, bytes]:
    envelope = _provide_envelope(server, doc, _include("cid:doc%40test"), patient)
    return _package(envelope, [("doc@test", content)])


BOUNDARY = "MIMEBoundary_x"
PACKAGE_TYPE = f'multipart/related; boundary="{BOUNDARY}"; {XOP_TYPE}'
ROOT_HEADERS = 'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"'


def _raw_package(parts: list[tuple[str, bytes]]) -> bytes:
    """A multipart/related body from (header block, content) pairs, framed by hand."""
    body = b""
    for headers, content in parts:
        body += f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def _part(cid: str, extra: str = "") -> str:
    return f"Content-Type: application/octet-stream\r\nContent-ID: <{cid}>{extra}"


def _retrievable(server: LiveServer, unique_id: str, tmp: Path) -> bool:
    pairs = [(procs.repository_id(server), unique_id)]
    with r.post_retrieve(procs.url(server), pairs, tmp) as message:
        return bool(message.attachments)


# --- the cases ---------------------------------------------------------------------------


def test_the_valid_package_is_accepted(live_server: LiveServer, tmp_path: Path) -> None:
    """The control: the package that the other tests break is accepted as it is."""
    doc = _doc()
    content_type, body = _valid_package(live_server, doc, procs.new_patient(live_server))
    answer = _post(live_server, body, content_type)
    assert answer.status == 200
    assert answer.registry_response().get("status") == ResponseStatus.SUCCESS
    assert _retrievable(live_server, doc.unique_id, tmp_path)
    assert procs.staging_files(live_server) == []


#: Where a package is cut short (the cut body is sent with its own, honest Content-Length).
TRUNCATIONS: dict[str, Callable[[bytes], int]] = {
    "empty": lambda body: 0,
    "in-root-headers": lambda body: 100,
    "in-root": lambda body: body.index(b"</soap:Envelope>"),
    "in-document": lambda body: body.index(CONTENT) + len(CONTENT) // 2,
    "before-close": lambda body: len(body) - 10,
}


@pytest.mark.parametrize("where", list(TRUNCATIONS))
def test_truncated_package(live_server: LiveServer, where: str) -> None:
    doc = _doc()
    content_type, body = _valid_package(live_server, doc)
    with _nothing_left(live_server, doc.unique_id):
        answer = _post(live_server, body[: TRUNCATIONS[where](body)], content_type)
        assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


def _connect(server: LiveServer, content_type: str, length: int) -> socket.socket:
    """A raw HTTP/1.1 connection with the headers of a POST to the repository already sent."""
    where = urlsplit(server.base_url)
    assert where.hostname == "127.0.0.1" and where.port is not None
    sock = socket.create_connection((where.hostname, where.port), timeout=60)
    sock.sendall(
        f"POST /xds/repository HTTP/1.1\r\nHost: {where.netloc}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        "Connection: close\r\n\r\n".encode("ascii")
    )
    return sock


def _read_answer(sock: socket.socket) -> Answer:
    """Read a whole HTTP/1.1 answer (the server closes the connection after it)."""
    raw = b""
    while data := sock.recv(65536):
        raw += data
    head, _, content = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.partition(":")[::2] for line in lines[1:])
    content_type = {k.strip().lower(): v.strip() for k, v in headers.items()}.get("content-type")
    return _answer(int(lines[0].split()[1]), content_type or "", content)


def test_body_that_breaks_off(live_server: LiveServer) -> None:
    """The client announces the whole package, sends half, and stops sending (half-close)."""
    doc = _doc()
    content_type, body = _valid_package(live_server, doc)
    with _nothing_left(live_server, doc.unique_id):
        with _connect(live_server, content_type, len(body)) as sock:
            sock.sendall(body[: len(body) // 2])
            sock.shutdown(socket.SHUT_WR)
            answer = _read_answer(sock)
        assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_client_gone_mid_upload(live_server: LiveServer, reset: bool) -> None:
    """The client closes (FIN) or resets (RST) the connection while the document streams in."""
    content = bytes(range(256)) * (8 * procs.MIB // 256)
    doc = m.Doc(hash=hashlib.sha1(content).hexdigest(), size=str(len(content)))
    content_type, body = _valid_package(live_server, doc, content=content)
    with _nothing_left(live_server, doc.unique_id):
        with _connect(live_server, content_type, len(body)) as sock:
            sock.sendall(body[: len(body) // 2])
            procs.wait_for(
                lambda: bool(procs.staging_files(live_server)), "the upload to be staged"
            )
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        procs.wait_for(
            lambda: not procs.staging_files(live_server), "the staging file to be removed"
        )


def test_include_of_a_part_that_is_not_there(live_server: LiveServer) -> None:
    """xop:Include to a well-formed cid: URL that no MIME part carries (XOP 1.0 3.1)."""
    doc = _doc()
    envelope = _provide_envelope(live_server, doc, _include("cid:missing%40test"))
    for parts in ([("doc@test", CONTENT)], []):
        content_type, body = _package(envelope, parts)
        with _nothing_left(live_server, doc.unique_id):
            answer = _post(live_server, body, content_type)
            assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


@pytest.mark.parametrize(
    "href", ["http://example.org/doc", "doc@test", "cid:", "", "cid:%zz%40test"]
)
def test_href_that_points_nowhere(live_server: LiveServer, href: str) -> None:
    doc = _doc()
    envelope = _provide_envelope(live_server, doc, _include(href))
    content_type, body = _package(envelope, [("doc@test", CONTENT)])
    with _nothing_left(live_server, doc.unique_id):
        answer = _post(live_server, body, content_type)
        assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        f"multipart/form-data; boundary={BOUNDARY}",
        "text/plain",
        "application/octet-stream",
        f'multipart/related; boundary="{BOUNDARY}"; type="text/xml"',
        f"multipart/related; {XOP_TYPE}",
        "",
    ],
    ids=["json", "form-data", "text", "octet-stream", "related-not-xop", "no-boundary", "none"],
)
def test_wrong_content_type(live_server: LiveServer, content_type: str) -> None:
    doc = _doc()
    _, body = _valid_package(live_server, doc)
    if content_type == "application/json":
        body = b'{"resourceType": "Bundle"}'
    with _nothing_left(live_server, doc.unique_id):
        answer = _post(live_server, body, content_type)
        assert (answer.status, answer.fault_code()) == (415, "soap:Sender")


def test_package_without_root_part(live_server: LiveServer) -> None:
    """``start`` names a part that is not there; and a package with no parts at all."""
    doc = _doc()
    envelope = _provide_envelope(live_server, doc, _include("cid:doc%40test"))
    content_type, body = _package(envelope, [("doc@test", CONTENT)], root_cid="root@test")
    no_root = content_type.replace("<root@test>", "<absent@test>")
    for sent_type, sent in ((no_root, body), (PACKAGE_TYPE, _raw_package([]))):
        with _nothing_left(live_server, doc.unique_id):
            answer = _post(live_server, sent, sent_type)
            assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


@pytest.mark.parametrize("mtom", [False, True], ids=["plain-soap", "mtom-root"])
@pytest.mark.parametrize(
    "text",
    ["@@ not base64 @@", base64.b64encode(CONTENT).decode()[:-1], "QUJD=QUJD", "\u00e9t\u00e9"],
    ids=["symbols", "short", "padding-inside", "non-ascii"],
)
def test_inline_content_that_is_not_base64(
    live_server: LiveServer, tmp_path: Path, mtom: bool, text: str
) -> None:
    """Inline base64Binary content (ITI TF-2x V.8.2) that does not decode: a RegistryResponse."""
    doc = _doc()
    patient = procs.new_patient(live_server)
    envelope = _provide_envelope(live_server, doc, _inline(text), patient)
    content_type, body = soap.SOAP_CONTENT_TYPE, envelope
    if mtom:
        content_type, body = _package(envelope, [])
    with _nothing_left(live_server, doc.unique_id):
        answer = _post(live_server, body, content_type)
        assert answer.status == 200
        response = answer.registry_response()
        assert response.get("status") == ResponseStatus.FAILURE
        assert procs.error_codes(response) == ["XDSMissingDocument"]
    assert not _retrievable(live_server, doc.unique_id, tmp_path)


def test_inline_base64_that_decodes_is_accepted(live_server: LiveServer, tmp_path: Path) -> None:
    """The control of the case above: valid inline base64 is stored like an attachment."""
    doc = _doc()
    patient = procs.new_patient(live_server)
    envelope = _provide_envelope(
        live_server, doc, _inline(base64.encodebytes(CONTENT).decode()), patient
    )
    answer = _post(live_server, envelope, soap.SOAP_CONTENT_TYPE)
    assert answer.registry_response().get("status") == ResponseStatus.SUCCESS
    assert _retrievable(live_server, doc.unique_id, tmp_path)


def test_retrieve_without_document_request(live_server: LiveServer) -> None:
    """ITI-43 with an empty RetrieveDocumentSetRequest (ITI TF-2b 3.43.4.1.2: 1..*)."""
    data = r.retrieve_request(procs.url(live_server), [])
    with _nothing_left(live_server):
        answer = _post(live_server, data, soap.SOAP_CONTENT_TYPE)
        assert answer.status == 200
        assert (
            answer.envelope.find(f"{soap.T_BODY}/{{{XDSB}}}RetrieveDocumentSetResponse") is not None
        )
        response = answer.registry_response()
        assert response.get("status") == ResponseStatus.FAILURE
        assert procs.error_codes(response) == ["XDSRepositoryError"]


def _soap11(server: LiveServer) -> bytes:
    return (
        f'<e:Envelope xmlns:e="{SOAP11}" xmlns:a="{ns.WSA}"><e:Header>'
        f"<a:Action>{ITI_43.request_action}</a:Action>"
        f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID></e:Header><e:Body>"
        f'<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="{XDSB}"><xdsb:DocumentRequest>'
        f"<xdsb:RepositoryUniqueId>{procs.repository_id(server)}</xdsb:RepositoryUniqueId>"
        "<xdsb:DocumentUniqueId>1.2.3</xdsb:DocumentUniqueId></xdsb:DocumentRequest>"
        "</xdsb:RetrieveDocumentSetRequest></e:Body></e:Envelope>"
    ).encode()


def test_soap11_envelope_is_a_version_mismatch(live_server: LiveServer) -> None:
    """SOAP 1.1 (plain ``text/xml``, and as the root of an XOP package): SOAP 1.2 Part 1 5.4.7."""
    envelope = _soap11(live_server)
    root = 'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"'
    package = _raw_package([(f"{root}\r\nContent-ID: <root@test>", envelope)])
    package_type = (
        f'multipart/related; boundary="{BOUNDARY}"; type="application/xop+xml"; '
        'start="<root@test>"; start-info="text/xml"'
    )
    for content_type, body in (("text/xml; charset=utf-8", envelope), (package_type, package)):
        with _nothing_left(live_server):
            answer = _post(live_server, body, content_type)
            assert (answer.status, answer.fault_code()) == (400, "soap:VersionMismatch")


MALFORMED_PARTS: dict[str, tuple[int, Callable[[bytes], list[tuple[str, bytes]]]]] = {
    "part-without-content-id": (
        400,
        lambda env: [(ROOT_HEADERS, env), ("Content-Type: application/octet-stream", CONTENT)],
    ),
    "two-parts-one-content-id": (
        400,
        lambda env: [(ROOT_HEADERS, env), (_part("doc@test"), CONTENT), (_part("doc@test"), b"x")],
    ),
    "unknown-transfer-encoding": (
        400,
        lambda env: [
            (ROOT_HEADERS, env),
            (_part("doc@test", "\r\nContent-Transfer-Encoding: x-uuencode"), CONTENT),
        ],
    ),
    "part-base64-that-is-not": (
        400,
        lambda env: [
            (ROOT_HEADERS, env),
            (_part("doc@test", "\r\nContent-Transfer-Encoding: base64"), b"@@ not base64 @@"),
        ],
    ),
    "header-block-not-mime": (
        400,
        lambda env: [(ROOT_HEADERS, env), ("this is not a header\x00", CONTENT)],
    ),
    "root-not-xml": (
        400,
        lambda env: [(ROOT_HEADERS, env[: len(env) // 2]), (_part("doc@test"), CONTENT)],
    ),
    "root-is-octet-stream": (
        415,
        lambda env: [("Content-Type: application/octet-stream", env), (_part("doc@test"), CONTENT)],
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_PARTS))
def test_malformed_package_structure(live_server: LiveServer, case: str) -> None:
    """MIME and XOP structure errors (RFC 2046 5.1, XOP 1.0 4.1) are Sender faults."""
    doc = _doc()
    envelope = _provide_envelope(live_server, doc, _include("cid:doc%40test"))
    status, parts = MALFORMED_PARTS[case]
    with _nothing_left(live_server, doc.unique_id):
        answer = _post(live_server, _raw_package(parts(envelope)), PACKAGE_TYPE)
        assert (answer.status, answer.fault_code()) == (status, "soap:Sender")


def test_one_part_referenced_twice(live_server: LiveServer) -> None:
    """Two xop:Include elements naming one part (XOP 1.0 3.1: each part once)."""
    first, second = m.Doc(id="Document01"), m.Doc(id="Document02")
    submit = etree.fromstring(m.submission(m.new_patient(), [first, second]).encode())
    body = etree.Element(ns.qn(XDSB, "ProvideAndRegisterDocumentSetRequest"), nsmap={"xdsb": XDSB})
    body.append(submit)
    for doc in (first, second):
        xop_include(etree.SubElement(body, ns.qn(XDSB, "Document"), id=doc.id), "doc@test")
    message_id = f"urn:uuid:{uuid.uuid4()}"
    envelope = soap.request_envelope(
        ITI_41.request_action, message_id, procs.url(live_server), body
    )
    content_type, data = _package(envelope, [("doc@test", CONTENT)])
    with _nothing_left(live_server, first.unique_id, second.unique_id):
        answer = _post(live_server, data, content_type)
        assert (answer.status, answer.fault_code()) == (400, "soap:Sender")


# --- over the configured limit (a dedicated server with a small limit) -------------------


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose BEELDPORTAAL_MAX_DOCUMENT_BYTES is 1 MiB."""
    tmp = tmp_path_factory.mktemp("small-limit")
    server = start_server(tmp, extra_env={"BEELDPORTAAL_MAX_DOCUMENT_BYTES": str(SMALL_LIMIT)})
    yield server
    server.stop()


def test_under_the_limit_is_accepted(small_limit_server: LiveServer) -> None:
    """The control: the same server takes a package below its limit."""
    server = small_limit_server
    doc = _doc()
    content_type, body = _valid_package(server, doc, procs.new_patient(server))
    answer = _post(server, body, content_type)
    assert answer.registry_response().get("status") == ResponseStatus.SUCCESS


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit(small_limit_server: LiveServer, chunked: bool) -> None:
    server = small_limit_server
    content = bytes(range(256)) * (OVER_LIMIT_BYTES // 256)
    doc = m.Doc(hash=hashlib.sha1(content).hexdigest(), size=str(len(content)))
    content_type, body = _valid_package(server, doc, content=content)
    pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
    with _nothing_left(server, doc.unique_id):
        answer = _post(server, pieces if chunked else body, content_type)
        assert (answer.status, answer.fault_code()) == (413, "soap:Sender")
