"""Streaming MTOM/XOP response writer (W3C SOAP 1.2 MTOM section 3, XOP 1.0 section 4).

ITI-43 and RAD-69 answer with an XOP package (ITI TF-2x Appendix V.8.1: the response uses the
request's encoding). The root part is the envelope with ``xop:Include`` elements in place of
the documents; each document part is read from storage in 1 MiB chunks. Content-Length is known
up front, so a WSGI server can send a fixed-length body instead of chunked encoding.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from lxml import etree

from profiles import namespaces as ns
from xds_common.mtom_model import OCTET_STREAM

T_INCLUDE = ns.qn(ns.XOP, "Include")
CHUNK = 1 << 20
ROOT_CONTENT_TYPE = 'application/xop+xml; charset=UTF-8; type="application/soap+xml"'
#: Characters left as they are in a ``cid:`` URL (RFC 2392 with RFC 3986 sub-delims).
_CID_SAFE = "@!$&'()*+,;=:._~-"


class ResponsePart(NamedTuple):
    """One attachment: Content-ID (no ``<>``), media type, a file or byte chunks, and size."""

    cid: str
    content_type: str
    source: Path | Iterable[bytes]
    size: int


class MtomResponse(NamedTuple):
    """What a WSGI endpoint needs: the Content-Type header, Content-Length and the body.

    ``body`` is a generator: closing it (as a WSGI server does) closes the open file.
    """

    content_type: str
    content_length: int
    body: Generator[bytes, None, None]


def new_cid(domain: str = "beeldportaal") -> str:
    """A fresh, globally unique Content-ID (RFC 2392 ``addr-spec`` form, without ``<>``)."""
    return f"{uuid.uuid4().hex}@{domain}"


def xop_include(parent: etree._Element, cid: str) -> etree._Element:
    """Replace ``parent``'s content by ``<xop:Include href="cid:..."/>`` (XOP 1.0 3.1).

    The element then has no text at all (MTOM: no white space around optimised content).
    """
    for child in list(parent):
        parent.remove(child)
    parent.text = None
    include = etree.SubElement(parent, T_INCLUDE, nsmap={"xop": ns.XOP})
    include.set("href", "cid:" + quote(cid, safe=_CID_SAFE))
    return include


def mtom_response(
    envelope: etree._Element | bytes,
    parts: Sequence[ResponsePart | tuple[str, str, Path | Iterable[bytes], int]],
    *,
    action: str | None = None,
    root_cid: str | None = None,
    chunk: int = CHUNK,
) -> MtomResponse:
    """Package ``envelope`` (whose documents are already ``xop:Include``) and ``parts``.

    Raises ``ValueError`` up front when a file's size differs from the declared size, and
    while streaming when an iterable source yields a different number of bytes.
    """
    root = _serialise(envelope)
    checked = [_checked(ResponsePart(*part)) for part in parts]
    root_cid = root_cid or new_cid()
    boundary = _boundary(root)
    delimiter = b"\r\n--" + boundary.encode("ascii")
    heads = [delimiter + _headers(part.cid, part.content_type or OCTET_STREAM) for part in checked]
    first = b"--" + boundary.encode("ascii") + _headers(root_cid, ROOT_CONTENT_TYPE) + root
    last = delimiter + b"--\r\n"
    length = len(first) + sum(map(len, heads)) + sum(p.size for p in checked) + len(last)
    content_type = _package_type(boundary, root_cid, action)
    return MtomResponse(content_type, length, _body(first, heads, checked, last, chunk))


def _package_type(boundary: str, root_cid: str, action: str | None) -> str:
    """The HTTP Content-Type of an MTOM package (MTOM section 3.2, RFC 2387)."""
    value = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; '
        f'start="<{root_cid}>"; start-info="application/soap+xml"'
    )
    if not action:
        return value
    if '"' in action:
        raise ValueError(f"action {action!r} cannot be quoted")
    return value + f'; action="{_header_value(action)}"'


def _serialise(envelope: etree._Element | bytes) -> bytes:
    if isinstance(envelope, bytes):
        return envelope
    return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _boundary(root: bytes) -> str:
    """A random boundary (RFC 2046 5.1.1) that does not occur in the root part."""
    while True:
        boundary = f"MIMEBoundary_{uuid.uuid4().hex}"
        if boundary.encode("ascii") not in root:
            return boundary


def _header_value(value: str) -> str:
    """``value`` if it can stand in a MIME header as it is (ASCII, no line breaks)."""
    if "\r" in value or "\n" in value or not value.isascii():
        raise ValueError(f"not usable in a MIME header: {value!r}")
    return value


def _headers(cid: str, content_type: str) -> bytes:
    """A part's header block, CRLF-framed: CRLF headers CRLF CRLF (RFC 2046 5.1.1)."""
    if not cid or any(c in "<>" or c.isspace() for c in cid):
        raise ValueError(f"Content-ID {cid!r} must be an addr-spec without <> or spaces")
    return (
        f"\r\nContent-Type: {_header_value(content_type)}\r\n"
        f"Content-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{_header_value(cid)}>\r\n\r\n"
    ).encode("ascii")


def _checked(part: ResponsePart) -> ResponsePart:
    if part.size < 0:
        raise ValueError(f"part <{part.cid}> has a negative size")
    if isinstance(part.source, Path) and part.source.stat().st_size != part.size:
        raise ValueError(f"file of part <{part.cid}> is not {part.size} bytes long")
    return part


def _body(
    first: bytes, heads: list[bytes], parts: list[ResponsePart], last: bytes, chunk: int
) -> Generator[bytes, None, None]:
    """Root part, then each attachment behind its delimiter and headers, then the close.

    The root part goes out together with the first part's headers: one write fewer.
    """
    pending = first
    for head, part in zip(heads, parts, strict=True):
        yield pending + head
        pending = b""
        sent = 0
        for data in _chunks(part.source, chunk):
            sent += len(data)
            if sent > part.size:
                raise ValueError(f"part <{part.cid}> is longer than its declared size")
            yield data
        if sent != part.size:
            raise ValueError(f"part <{part.cid}> has {sent} bytes, {part.size} declared")
    yield pending + last


def _chunks(source: Path | Iterable[bytes], chunk: int) -> Iterator[bytes]:
    if not isinstance(source, Path):
        yield from (data for data in source if data)
        return
    with source.open("rb", buffering=0) as file:
        while data := file.read(chunk):
            yield data
