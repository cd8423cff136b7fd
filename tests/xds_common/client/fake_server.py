"""A small HTTP server on 127.0.0.1 that answers canned SOAP and MTOM, for client tests.

Deliberately none of our own components: the standard library's ``http.server`` in a thread,
answers written by hand below. Each request is recorded (headers, and the body or, for big
uploads, only its length, SHA-1, head and tail), so tests can take it apart with the
``email`` package.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from profiles import namespaces as ns
from profiles import transactions as tx

CHUNK = 1 << 20
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 4 * 1024
SOAP_TYPE = "application/soap+xml; charset=UTF-8"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    length: int = 0
    sha1: str = ""
    head: bytes = b""
    tail: bytes = b""
    body: bytes | None = None


@dataclass
class Answer:
    """A canned answer: status, headers, body chunks; optional delay and early close."""

    status: int = 200
    content_type: str = SOAP_TYPE
    body: bytes | Callable[[], Iterable[bytes]] = b""
    length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def chunks(self) -> Iterable[bytes]:
        return [self.body] if isinstance(self.body, bytes) else self.body()


Responder = Callable[[Recorded], Answer]


class FakeServer:
    """Answers each POST with the next queued answer (or ``default``); records requests."""

    def __init__(self, keep_bodies: bool = True) -> None:
        self.keep_bodies = keep_bodies
        self.requests: list[Recorded] = []
        self.answers: deque[Answer | Responder] = deque()
        self.default: Answer | Responder = Answer(500, "text/plain", b"no answer queued")
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._respond(Answer(404, "text/plain", b"not here"))

            def do_POST(self) -> None:
                recorded = Recorded("POST", self.path, {k: v for k, v in self.headers.items()})
                self._consume(recorded)
                server.requests.append(recorded)
                queued = server.answers.popleft() if server.answers else server.default
                answer = queued if isinstance(queued, Answer) else queued(recorded)
                self._respond(answer)

            def _consume(self, recorded: Recorded) -> None:
                remaining = int(self.headers.get("Content-Length", "0"))
                digest = hashlib.sha1(usedforsecurity=False)
                kept: list[bytes] = []
                tail = b""
                while remaining:
                    data = self.rfile.read(min(CHUNK, remaining))
                    if not data:
                        break
                    remaining -= len(data)
                    digest.update(data)
                    if len(recorded.head) < HEAD_BYTES:
                        recorded.head += data[: HEAD_BYTES - len(recorded.head)]
                    tail = (tail + data)[-TAIL_BYTES:]
                    recorded.length += len(data)
                    if server.keep_bodies:
                        kept.append(data)
                recorded.sha1 = digest.hexdigest()
                recorded.tail = tail
                if server.keep_bodies:
                    recorded.body = b"".join(kept)

            def _respond(self, answer: Answer) -> None:
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if isinstance(answer.body, bytes) and answer.length is None:
                    self.send_header("Content-Length", str(len(answer.body)))
                elif answer.length is not None:
                    self.send_header("Content-Length", str(answer.length))
                    self.send_header("Connection", "close")
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    for chunk in answer.chunks():
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if answer.length is not None:
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/xds/endpoint"

    def queue(self, *answers: Answer | Responder) -> None:
        self.answers.extend(answers)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ----------------------------------------------------------------------------- canned answers


def envelope(action: str, body: str, relates_to: str = "urn:uuid:x") -> bytes:
    """A SOAP 1.2 response envelope around ``body`` (text)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA}"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{action}</a:Action>'
        f"<a:RelatesTo>{relates_to}</a:RelatesTo></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def registry_response(status: str, errors: Iterable[tuple[str, str, str, str]] = ()) -> str:
    """``rs:RegistryResponse`` text with (code, context, severity, location) errors."""
    items = "".join(
        f'<rs:RegistryError errorCode="{code}" codeContext="{context}" severity="{severity}"'
        + (f' location="{location}"' if location else "")
        + "/>"
        for code, context, severity, location in errors
    )
    error_list = f"<rs:RegistryErrorList>{items}</rs:RegistryErrorList>" if items else ""
    return (
        f'<rs:RegistryResponse xmlns:rs="{ns.RS}" status="{status}">'
        f"{error_list}</rs:RegistryResponse>"
    )


def fault(code: str, reason: str, subcode: str = "") -> bytes:
    """A SOAP 1.2 Fault envelope."""
    sub = f"<s:Subcode><s:Value>{subcode}</s:Value></s:Subcode>" if subcode else ""
    return envelope(
        "http://www.w3.org/2005/08/addressing/soap/fault",
        f"<s:Fault><s:Code><s:Value>s:{code}</s:Value>{sub}</s:Code>"
        f'<s:Reason><s:Text xml:lang="en">{reason}</s:Text></s:Reason></s:Fault>',
    )


@dataclass
class MimePart:
    """One attachment of a hand-written MTOM answer."""

    cid: str
    content: Callable[[], Iterable[bytes]]
    size: int
    content_type: str = "application/octet-stream"


def mtom_answer(root: bytes, parts: Iterable[MimePart], status: int = 200) -> Answer:
    """A multipart/related XOP package (root first), streamed, with its exact length."""
    boundary = f"uuid:{uuid.uuid4()}"
    start = f"root.{uuid.uuid4().hex}@example.org"
    parts = list(parts)
    head = (
        f"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; "
        f'type="application/soap+xml"\r\nContent-Transfer-Encoding: binary\r\n'
        f"Content-ID: <{start}>\r\n\r\n"
    ).encode() + root
    heads = [
        (
            f"\r\n--{boundary}\r\nContent-Type: {part.content_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\nContent-ID: <{part.cid}>\r\n\r\n"
        ).encode()
        for part in parts
    ]
    close = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + sum(map(len, heads)) + sum(p.size for p in parts) + len(close)

    def body() -> Iterator[bytes]:
        yield head
        for part_head, part in zip(heads, parts, strict=True):
            yield part_head
            yield from part.content()
        yield close

    content_type = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; '
        f'start="<{start}>"; start-info="application/soap+xml"'
    )
    return Answer(status, content_type, body, length)


def retrieve_response(
    status: str, documents: Iterable[tuple[str, str, str, str]], errors: str = ""
) -> bytes:
    """RetrieveDocumentSetResponse envelope; documents are (repo, doc, mime, Document inner XML)."""
    items = "".join(
        f"<x:DocumentResponse><x:RepositoryUniqueId>{repo}</x:RepositoryUniqueId>"
        f"<x:DocumentUniqueId>{doc}</x:DocumentUniqueId><x:mimeType>{mime}</x:mimeType>"
        f"<x:Document>{content}</x:Document></x:DocumentResponse>"
        for repo, doc, mime, content in documents
    )
    rr = f'<rs:RegistryResponse xmlns:rs="{ns.RS}" status="{status}">{errors}</rs:RegistryResponse>'
    return envelope(
        tx.ITI_43.response_action,
        f'<x:RetrieveDocumentSetResponse xmlns:x="{ns.XDSB}">{rr}{items}'
        "</x:RetrieveDocumentSetResponse>",
    )


def include(cid: str) -> str:
    """``xop:Include`` text for ``cid``."""
    return f'<xop:Include xmlns:xop="{ns.XOP}" href="cid:{cid}"/>'


def pattern(size: int, seed: int = 7) -> Callable[[], Iterator[bytes]]:
    """Deterministic pseudo-random content of ``size`` bytes, generated in 1 MiB chunks."""

    def chunks() -> Iterator[bytes]:
        left, index = size, 0
        while left:
            block = hashlib.sha256(f"{seed}:{index}".encode()).digest() * (CHUNK // 32)
            piece = block[: min(left, CHUNK)]
            left -= len(piece)
            index += 1
            yield piece

    return chunks


def sha1_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
