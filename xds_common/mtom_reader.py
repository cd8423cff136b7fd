"""Streaming reader for SOAP 1.2 requests: MTOM/XOP packages and plain SOAP bodies.

W3C SOAP 1.2 MTOM section 3 (HTTP SOAP Transmission Optimization Feature), W3C XOP 1.0
sections 3-4 (the XOP package: root part, ``xop:Include``, one part per Content-ID), ITI TF-2x
Appendix V.8 (a receiver accepts XOP-optimised *and* inline base64 content for every
base64Binary element). The envelope is kept in memory up to a limit; every other part is
streamed to a staging file while its SHA-1 and size are computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from xds_common.mtom_message import MtomMessage, resolve_includes
from xds_common.mtom_model import (
    OCTET_STREAM,
    MtomError,
    MtomErrorKind,
    StagedPart,
    Stager,
    normalise_cid,
)
from xds_common.mtom_multipart import (
    Base64Decoder,
    ChunkSource,
    MultipartReader,
    PartHeaders,
    Readable,
    Sink,
    parse_content_type,
)
from xds_common.xml import XmlRejected, parse

XOP_MEDIA_TYPE = "application/xop+xml"
MULTIPART_RELATED = "multipart/related"
SOAP_MEDIA_TYPES = frozenset({"application/soap+xml", "text/xml"})
ROOT_MEDIA_TYPES = SOAP_MEDIA_TYPES | {XOP_MEDIA_TYPE}
IDENTITY_ENCODINGS = frozenset({"binary", "8bit", "7bit"})
DEFAULT_MAX_PARTS = 1000


@dataclass(frozen=True)
class _Limits:
    max_root_bytes: int
    max_parts: int


def read_mtom(
    stream: Readable,
    content_type: str,
    staging_dir: Path,
    *,
    max_root_bytes: int,
    max_total_bytes: int,
    chunk: int = 1 << 20,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> MtomMessage:
    """Read a request body (``wsgi.input`` or ``request.stream``) as MTOM/XOP or plain SOAP.

    ``content_type`` is the HTTP Content-Type header. Refusals raise :class:`MtomError`,
    whose ``kind`` tells the HTTP status; every file staged so far is then removed.
    """
    media_type, params = _content_type(content_type)
    source = ChunkSource(stream, max_total_bytes, chunk)
    limits = _Limits(max_root_bytes, max_parts)
    stager = Stager(staging_dir)
    try:
        if media_type == MULTIPART_RELATED:
            root, attachments = _read_package(source, params, stager, limits)
        elif media_type in SOAP_MEDIA_TYPES:
            root, attachments = _read_plain(source, max_root_bytes), {}
        else:
            raise _wrong_type(f"Content-Type {media_type!r} is not MTOM or SOAP 1.2")
        envelope = _parse_envelope(root, max_root_bytes)
        includes = resolve_includes(envelope, attachments)
    except BaseException:
        stager.cleanup()
        raise
    return MtomMessage(
        envelope, attachments, includes, stager, is_mtom=media_type == MULTIPART_RELATED
    )


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    try:
        return parse_content_type(value)
    except ValueError as exc:
        raise _wrong_type(f"unreadable Content-Type: {exc}") from None


def _wrong_type(reason: str) -> MtomError:
    return MtomError(reason, MtomErrorKind.WRONG_CONTENT_TYPE)


class _MemorySink:
    """Collects the root part in memory, refusing more than ``limit`` bytes."""

    def __init__(self, limit: int, what: str) -> None:
        self.pieces: list[bytes] = []
        self._size = 0
        self._limit = limit
        self._what = what

    def __call__(self, data: bytes | memoryview) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise MtomError(
                f"{self._what} larger than {self._limit} bytes", MtomErrorKind.OVER_LIMIT
            )
        self.pieces.append(bytes(data))


def _read_plain(source: ChunkSource, limit: int) -> bytes:
    """A plain ``application/soap+xml`` body (SOAP 1.2 Part 2 section 7), bounded."""
    sink = _MemorySink(limit, "SOAP envelope")
    while data := source.read():
        sink(data)
    return b"".join(sink.pieces)


def _read_package(
    source: ChunkSource, params: dict[str, str], stager: Stager, limits: _Limits
) -> tuple[bytes, dict[str, StagedPart]]:
    """Root part and staged attachments of an XOP package (XOP 1.0 section 4.1)."""
    boundary = params.get("boundary", "")
    if not boundary:
        raise _wrong_type("multipart/related without a boundary parameter")
    package_type = params.get("type", XOP_MEDIA_TYPE).lower()
    if package_type != XOP_MEDIA_TYPE:
        raise _wrong_type(f'multipart/related type="{package_type}" is not MTOM')
    start = normalise_cid(params.get("start", ""))
    reader = MultipartReader(source, boundary)
    root: bytes | None = None
    attachments: dict[str, StagedPart] = {}
    seen: set[str] = set()
    while (headers := reader.next_part()) is not None:
        _check_part(headers, seen, limits)
        if root is None and (headers.content_id == start if start else True):
            root = _read_root(reader, headers, limits.max_root_bytes)
        elif not headers.content_id:
            raise MtomError("a non-root part has no Content-ID", MtomErrorKind.MALFORMED)
        else:
            attachments[headers.content_id] = _stage_part(reader, headers, stager)
    if root is None:
        raise MtomError(f"no root part with Content-ID <{start}>", MtomErrorKind.MISSING_ROOT)
    return root, attachments


def _check_part(headers: PartHeaders, seen: set[str], limits: _Limits) -> None:
    if len(seen) >= limits.max_parts:
        raise MtomError(f"more than {limits.max_parts} parts", MtomErrorKind.OVER_LIMIT)
    if headers.content_id and headers.content_id in seen:
        raise MtomError(
            f"Content-ID <{headers.content_id}> used by two parts", MtomErrorKind.MALFORMED
        )
    seen.add(headers.content_id or f"#anonymous-{len(seen)}")


def _decoding(sink: Sink, transfer_encoding: str) -> tuple[Sink, Callable[[], None]]:
    """Undo a part's Content-Transfer-Encoding (RFC 2045 section 6) on the way to ``sink``."""
    if transfer_encoding in IDENTITY_ENCODINGS:
        return sink, lambda: None
    if transfer_encoding == "base64":
        decoder = Base64Decoder(sink)
        return decoder.write, decoder.close
    raise MtomError(
        f"unsupported Content-Transfer-Encoding {transfer_encoding!r}", MtomErrorKind.MALFORMED
    )


def _read_root(reader: MultipartReader, headers: PartHeaders, limit: int) -> bytes:
    """The root part, ``application/xop+xml`` (MTOM section 3.2, XOP 1.0 section 4.1)."""
    if headers.media_type not in ROOT_MEDIA_TYPES:
        raise _wrong_type(f"root part has Content-Type {headers.media_type or 'none'!r}")
    memory = _MemorySink(limit, "root part")
    write, close = _decoding(memory, headers.transfer_encoding)
    reader.copy_body(write)
    close()
    return b"".join(memory.pieces)


def _stage_part(reader: MultipartReader, headers: PartHeaders, stager: Stager) -> StagedPart:
    """Stream one attachment to a staging file, hashing it on the way."""
    staged = stager.open(headers.content_type or OCTET_STREAM)
    write, close = _decoding(staged.write, headers.transfer_encoding)
    reader.copy_body(write)
    close()
    return staged.finish()


def _parse_envelope(root: bytes, limit: int) -> etree._Element:
    try:
        return parse(root, limit)
    except XmlRejected as exc:
        raise MtomError(str(exc), MtomErrorKind.INVALID_XML) from None
