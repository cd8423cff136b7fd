"""SOAP 1.2 + WS-Addressing client against a tiny local HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from conformance import mtom
from conformance.soap import SoapClient
from profiles import namespaces as ns
from profiles.transactions import ITI_18, ITI_42, ITI_43

#: (request Content-Type, request body) -> (status, Content-Type, body)
Answer = Callable[[str, bytes], tuple[int, str, bytes]]
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"


class _Server:
    def __init__(self) -> None:
        self.answer: Answer = lambda ct, body: (200, "text/plain", b"")
        self.requests: list[tuple[str, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                content_type = self.headers.get("Content-Type", "")
                server.requests.append((content_type, data))
                status, reply_type, body = server.answer(content_type, data)
                self.send_response(status)
                self.send_header("Content-Type", reply_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/xds/registry"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _message_id(body: bytes) -> str:
    env = etree.fromstring(body)
    return str(env.findtext(f".//{{{ns.WSA}}}MessageID"))


def _envelope(action: str, relates_to: str, payload: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA}"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{action}</a:Action><a:RelatesTo>{relates_to}</a:RelatesTo>'
        f"</s:Header><s:Body>{payload}</s:Body></s:Envelope>"
    ).encode()


def _registry_response(status: str, errors: str = "") -> str:
    return (
        f'<rs:RegistryResponse xmlns:rs="{ns.RS}" status="{status}">{errors}</rs:RegistryResponse>'
    )


def _query() -> etree._Element:
    return etree.fromstring(f'<query:AdhocQueryRequest xmlns:query="{ns.QUERY}"/>')


def test_request_envelope_and_success(server: _Server) -> None:
    def answer(content_type: str, body: bytes) -> tuple[int, str, bytes]:
        reply = _envelope(ITI_42.response_action, _message_id(body), _registry_response(SUCCESS))
        return 200, "application/soap+xml; charset=UTF-8", reply

    server.answer = answer
    result = SoapClient(timeout=10).call(server.url, ITI_42, _query())
    assert result.status == SUCCESS and result.status_name == "Success"
    assert result.header_problems == [] and result.problem is None
    content_type, body = server.requests[0]
    assert content_type.startswith("application/soap+xml; charset=UTF-8")
    assert f'action="{ITI_42.request_action}"' in content_type
    env = etree.fromstring(body)
    action = env.find(f".//{{{ns.WSA}}}Action")
    assert action is not None and action.text == ITI_42.request_action
    assert action.get(f"{{{ns.SOAP12}}}mustUnderstand") == "1"
    assert env.findtext(f".//{{{ns.WSA}}}ReplyTo/{{{ns.WSA}}}Address") == ns.WSA_ANONYMOUS
    assert env.findtext(f".//{{{ns.WSA}}}To") == server.url
    assert "AdhocQueryRequest" in result.request_text and "RegistryResponse" in result.response_text


def test_registry_errors_and_addressing_problems(server: _Server) -> None:
    error = (
        '<rs:RegistryErrorList><rs:RegistryError errorCode="XDSUnknownPatientId" '
        'codeContext="unknown pid" '
        'severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>'
        "</rs:RegistryErrorList>"
    )
    server.answer = lambda ct, body: (
        200,
        "application/soap+xml",
        _envelope("urn:wrong", "urn:uuid:other", _registry_response(FAILURE, error)),
    )
    result = SoapClient(timeout=10).call(server.url, ITI_42, _query())
    assert result.status_name == "Failure"
    assert result.error_codes == ["XDSUnknownPatientId"]
    assert result.errors[0].context == "unknown pid" and not result.errors[0].is_warning
    assert len(result.header_problems) == 2


def test_soap_fault(server: _Server) -> None:
    fault = (
        f'<s:Fault xmlns:s="{ns.SOAP12}"><s:Code><s:Value>s:Sender</s:Value></s:Code>'
        '<s:Reason><s:Text xml:lang="en">bad request</s:Text></s:Reason></s:Fault>'
    )
    server.answer = lambda ct, body: (
        500,
        "application/soap+xml",
        _envelope("http://www.w3.org/2005/08/addressing/soap/fault", _message_id(body), fault),
    )
    result = SoapClient(timeout=10).call(server.url, ITI_18, _query())
    assert result.status_name == "Fault"
    assert result.fault == "s:Sender: bad request"
    assert result.http_status == 500 and result.header_problems == []


def test_non_xml_answer(server: _Server) -> None:
    server.answer = lambda ct, body: (404, "text/html", b"<html><body>Not Found")
    result = SoapClient(timeout=10).call(server.url, ITI_18, _query())
    assert result.problem is not None and "not XML" in result.problem
    assert result.status_name is None


def test_mtom_request_and_response(server: _Server) -> None:
    def answer(content_type: str, body: bytes) -> tuple[int, str, bytes]:
        unpacked = mtom.unpack(content_type, body)
        payload = (
            f'<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="{ns.XDSB}">'
            f"{_registry_response(SUCCESS)}<xdsb:DocumentResponse><xdsb:Document>"
            f'<xop:Include xmlns:xop="{ns.XOP}" href="cid:doc1@x"/></xdsb:Document>'
            "</xdsb:DocumentResponse></xdsb:RetrieveDocumentSetResponse>"
        )
        root = _envelope(ITI_43.response_action, _message_id(unpacked.root), payload)
        package = mtom.build(root, {"doc1@x": unpacked.attachments["att@x"]}, "x")
        return 200, package.content_type, package.body

    server.answer = answer
    request = etree.fromstring(f'<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="{ns.XDSB}"/>')
    result = SoapClient(timeout=10).call(server.url, ITI_43, request, {"att@x": b"\x00bytes"})
    assert server.requests[0][0].startswith("multipart/related")
    assert result.status_name == "Success" and result.header_problems == []
    assert result.attachments == {"doc1@x": b"\x00bytes"}
    assert result.body is not None
    document = result.body.find(f".//{{{ns.XDSB}}}Document")
    assert document is not None
    assert mtom.content_of(document, result.attachments) == b"\x00bytes"


def test_refused_connection_is_a_result() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = SoapClient(timeout=5).call(f"http://127.0.0.1:{port}/x", ITI_18, _query())
    assert result.problem is not None and "cannot connect" in result.problem
    assert result.request_text


def test_timeout_is_a_result() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        result = SoapClient(timeout=0.2).call(f"http://127.0.0.1:{port}/x", ITI_18, _query())
    assert result.problem is not None and "timeout" in result.problem
