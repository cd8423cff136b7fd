"""Golden MTOM messages and test streams for the MTOM tests, and checks of the samples.

The golden message is an ITI-41 request shaped like Apache CXF's (which IPF uses): a
``root.message@cxf.apache.org`` root part and a document part whose ``cid:`` href has its
colons %-encoded (RFC 2392). Its document holds text that nearly matches the boundary.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import random
from collections.abc import Iterable, Iterator
from email.message import EmailMessage

BOUNDARY = "MIMEBoundary_urn_uuid_2f1ec3d4"
ROOT_CID = "root.message@cxf.apache.org"
DOC_CID = "1.urn:uuid:5fb1e6c2@apache.org"
DOC_HREF = "cid:1.urn%3Auuid%3A5fb1e6c2@apache.org"
ACTION = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
DOCUMENT = (
    b'<ClinicalDocument xmlns="urn:hl7-org:v3">\r\n--MIMEBoundary_urn_uuid_2f1ec3d'
    b"\r\n-- MIMEBoundary_urn_uuid_2f1ec3d4 \x00\xff</ClinicalDocument>"
)
CONTENT_TYPE = (
    f'multipart/related; boundary="{BOUNDARY}"; type="application/xop+xml"; '
    f'start="<{ROOT_CID}>"; start-info="application/soap+xml"; action="{ACTION}"'
)
ROOT_HEADERS = (
    'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n'
    "Content-Transfer-Encoding: binary\r\n"
    f"Content-ID: <{ROOT_CID}>\r\n"
)
DOC_HEADERS = (
    f"Content-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{DOC_CID}>\r\n"
)
XDS = "urn:ihe:iti:xds-b:2007"
T_DOCUMENT = f"{{{XDS}}}Document"


def envelope(documents: str) -> bytes:
    """An ITI-41 request envelope whose body ends with ``documents``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
    xmlns:wsa="http://www.w3.org/2005/08/addressing">
  <soap:Header>
    <wsa:Action soap:mustUnderstand="true">{ACTION}</wsa:Action>
    <wsa:MessageID>urn:uuid:7a0f7e4c-3c53-4bd4-9d0e-0d5f3c1d2b11</wsa:MessageID>
    <wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address>
    </wsa:ReplyTo>
  </soap:Header>
  <soap:Body>
    <xds:ProvideAndRegisterDocumentSetRequest xmlns:xds="{XDS}"
        xmlns:xop="http://www.w3.org/2004/08/xop/include"
        xmlns:xmime="http://www.w3.org/2005/05/xmlmime"
        xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
        xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
      <lcm:SubmitObjectsRequest><rim:RegistryObjectList/></lcm:SubmitObjectsRequest>
      {documents}
    </xds:ProvideAndRegisterDocumentSetRequest>
  </soap:Body>
</soap:Envelope>""".encode()


ENVELOPE = envelope(
    f'<xds:Document id="Document01"><xop:Include href="{DOC_HREF}"/></xds:Document>'
)


def package(parts: Iterable[tuple[str, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart body from (header lines, content) pairs (RFC 2046 5.1.1)."""
    dash = b"--" + boundary.encode()
    body = b"".join(
        dash + b"\r\n" + head.encode() + b"\r\n" + data + b"\r\n" for head, data in parts
    )
    return body + dash + b"--\r\n"


GOLDEN = package([(ROOT_HEADERS, ENVELOPE), (DOC_HEADERS, DOCUMENT)])


def changed(old: bytes, new: bytes, body: bytes = GOLDEN) -> bytes:
    """``body`` with its one occurrence of ``old`` replaced: the one change of a scenario."""
    assert body.count(old) == 1, old
    return body.replace(old, new)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class TrickleStream:
    """A body that arrives in short reads of the given sizes, in turn, like a slow socket."""

    def __init__(self, data: bytes, steps: tuple[int, ...]) -> None:
        self._data = data
        self._pos = 0
        self._steps = itertools.cycle(steps)

    def read(self, size: int = -1, /) -> bytes:
        step = next(self._steps)
        out = self._data[self._pos : self._pos + (step if size < 0 else min(size, step))]
        self._pos += len(out)
        return out


class IteratorStream:
    """A file-like view of a byte-chunk iterator (a WSGI response body, a generator)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self._offset = 0
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        while self._offset == len(self._pending):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending, self._offset = chunk, 0
        end = len(self._pending) if size < 0 else self._offset + size
        out = self._pending[self._offset : end]
        self._offset += len(out)
        self.consumed += len(out)
        return out


class GeneratedDocument:
    """``blocks`` MiB of pseudo-random bytes as chunks; the SHA-1 is known once consumed.

    Each MiB differs (a counter) and ends with a near-boundary, so delimiter candidates
    straddle the reader's chunk edges.
    """

    def __init__(self, blocks: int, seed: int = 41) -> None:
        self.blocks = blocks
        self.size = blocks << 20
        self._hash = hashlib.sha1()
        tail = b"\r\n--" + BOUNDARY.encode()[:-1]
        self._base = random.Random(seed).randbytes((1 << 20) - 8 - len(tail)) + tail

    def chunks(self) -> Iterator[bytes]:
        for number in range(self.blocks):
            block = number.to_bytes(8, "big") + self._base
            self._hash.update(block)
            yield block

    @property
    def sha1(self) -> str:
        return self._hash.hexdigest()


def big_package(document: GeneratedDocument) -> Iterator[bytes]:
    """The golden message with ``document`` as its attachment, produced lazily."""
    dash = b"--" + BOUNDARY.encode()
    yield dash + b"\r\n" + ROOT_HEADERS.encode() + b"\r\n" + ENVELOPE + b"\r\n"
    yield dash + b"\r\n" + DOC_HEADERS.encode() + b"\r\n"
    yield from document.chunks()
    yield b"\r\n" + dash + b"--\r\n"


def email_parts(content_type: str, body: bytes) -> tuple[EmailMessage, list[EmailMessage]]:
    """Parse a multipart body with the standard library's ``email`` package."""
    raw = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    parts = [p for p in message.iter_parts() if isinstance(p, EmailMessage)]
    return message, parts


def payload(part: EmailMessage) -> bytes:
    """A part's decoded content."""
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def test_golden_is_valid_multipart_related_for_the_email_package() -> None:
    message, parts = email_parts(CONTENT_TYPE, GOLDEN)
    assert message.get_content_type() == "multipart/related"
    assert not message.defects
    assert [p["Content-ID"] for p in parts] == [f"<{ROOT_CID}>", f"<{DOC_CID}>"]
    assert payload(parts[0]) == ENVELOPE
    assert payload(parts[1]) == DOCUMENT


def test_streams_deliver_every_byte() -> None:
    stream = TrickleStream(GOLDEN, (3, 1, 7))
    assert b"".join(iter(lambda: stream.read(5), b"")) == GOLDEN
    chunks = IteratorStream([b"ab", b"", b"cde"])
    assert [chunks.read(2), chunks.read(2), chunks.read(2), chunks.read(2)] == [
        b"ab",
        b"cd",
        b"e",
        b"",
    ]
    document = GeneratedDocument(2)
    data = b"".join(document.chunks())
    assert len(data) == document.size and sha1(data) == document.sha1
