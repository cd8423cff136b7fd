"""Incremental ``multipart/related`` parsing (RFC 2046 section 5.1.1, RFC 2387) for MTOM.

The body is read in large chunks into a sliding window and the delimiter ``CRLF--boundary``
is found with ``bytes.find``; binary part content is handed on as ``memoryview`` slices of
the window, so no part is ever held whole and no Python loop runs per line or per byte.
"""

from __future__ import annotations

import binascii
import email.message
import email.parser
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from xds_common.mtom_model import MtomError, MtomErrorKind, normalise_cid

#: A consumer of part content: called with consecutive slices of one part.
Sink = Callable[[bytes | memoryview], None]

CRLF = b"\r\n"
#: Bound on one part's header block (headers are small; this stops a header flood).
MAX_HEADER_BYTES = 16 * 1024
#: Bound on the transport padding after a delimiter (RFC 2046: linear white space only).
MAX_PADDING_BYTES = 1024
#: RFC 2046 allows 70 characters; a little slack for senders that exceed it.
MAX_BOUNDARY_CHARS = 200
_FOLD = re.compile(r"\r?\n[ \t]+")
_WHITESPACE = b" \t\r\n\v\f"


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """The lower-case media type and the parameters of a Content-Type value (RFC 2045 5.1).

    Raises ``ValueError`` for a value that is not US-ASCII.
    """
    if not value.isascii():
        raise ValueError("Content-Type is not US-ASCII")
    message = email.message.Message()
    message["Content-Type"] = _FOLD.sub(" ", value)
    params: dict[str, str] = {}
    for key, raw in message.get_params(failobj=[], unquote=True)[1:]:
        params[key.strip().lower()] = email.utils.collapse_rfc2231_value(raw).strip()
    return value.split(";", 1)[0].strip().lower(), params


@dataclass(frozen=True)
class PartHeaders:
    """The MIME headers of one body part that MTOM cares about."""

    content_type: str
    media_type: str
    content_id: str
    transfer_encoding: str


def parse_part_headers(block: bytes) -> PartHeaders:
    """Parse one part's header block (without the blank line that ends it; RFC 2045 3)."""
    malformed = MtomError("a part's MIME header block is not well formed", MtomErrorKind.MALFORMED)
    if not block.isascii():
        raise malformed
    message = email.parser.BytesHeaderParser().parsebytes(block + CRLF + CRLF)
    if message.defects or message.get_payload():
        raise malformed
    headers = {key.lower(): _FOLD.sub(" ", str(value)).strip() for key, value in message.items()}
    content_type = headers.get("content-type", "")
    return PartHeaders(
        content_type=content_type,
        media_type=content_type.split(";", 1)[0].strip().lower(),
        content_id=normalise_cid(headers.get("content-id", "")),
        transfer_encoding=headers.get("content-transfer-encoding", "binary").lower(),
    )


class Readable(Protocol):
    """What the reader needs of a request body: ``wsgi.input``, ``request.stream``, a file."""

    def read(self, size: int = ..., /) -> bytes | None:
        """Up to ``size`` bytes; ``b""`` (or None) at the end."""
        ...


class ChunkSource:
    """Reads the request body in chunks and enforces the total size limit."""

    def __init__(self, stream: Readable, limit: int, chunk: int) -> None:
        self.total = 0
        self._stream = stream
        self._limit = limit
        self._chunk = chunk

    def read(self) -> bytes:
        """The next chunk, ``b""`` at the end; transport failures become MtomErrors."""
        try:
            data = self._stream.read(min(self._chunk, self._limit - self.total + 1)) or b""
        except RequestEntityTooLarge:
            raise _over_limit(self._limit) from None
        except (ClientDisconnected, OSError) as exc:
            raise MtomError(f"request body broke off: {exc}", MtomErrorKind.TRUNCATED) from None
        self.total += len(data)
        if self.total > self._limit:
            raise _over_limit(self._limit)
        return data


def _over_limit(limit: int) -> MtomError:
    return MtomError(f"request body larger than {limit} bytes", MtomErrorKind.OVER_LIMIT)


def _truncated(where: str) -> MtomError:
    return MtomError(f"body ended {where}", MtomErrorKind.TRUNCATED)


class Window:
    """A sliding window over the body: ``data[pos:]`` is read but not yet consumed.

    It starts with a virtual CRLF so that a delimiter at the very start of the body is found
    like every other one (RFC 2046: the CRLF before a delimiter belongs to the delimiter).
    """

    def __init__(self, source: ChunkSource) -> None:
        self.data = CRLF
        self.pos = 0
        self._source = source

    def fill(self) -> bool:
        """Append one chunk, dropping consumed bytes; False at the end of the body."""
        more = self._source.read()
        if not more:
            return False
        self.data = self.data[self.pos :] + more if self.pos < len(self.data) else more
        self.pos = 0
        return True

    def peek(self, size: int, where: str) -> bytes:
        """The next ``size`` unconsumed bytes (not consumed)."""
        while len(self.data) - self.pos < size:
            if not self.fill():
                raise _truncated(where)
        return self.data[self.pos : self.pos + size]

    def take_until(self, marker: bytes, limit: int, where: str) -> bytes:
        """Consume and return the bytes before ``marker`` (at most ``limit``), and the marker."""
        while (found := self.data.find(marker, self.pos)) < 0:
            if len(self.data) - self.pos > limit + len(marker):
                raise MtomError(f"{where} longer than {limit} bytes", MtomErrorKind.MALFORMED)
            if not self.fill():
                raise _truncated(f"inside {where}")
        if found - self.pos > limit:
            raise MtomError(f"{where} longer than {limit} bytes", MtomErrorKind.MALFORMED)
        taken = self.data[self.pos : found]
        self.pos = found + len(marker)
        return taken

    def stream_until(self, marker: bytes, sink: Sink, at_end: MtomError) -> None:
        """Hand everything before ``marker`` to ``sink`` in window-sized slices; consume it.

        Only the last ``len(marker) - 1`` bytes are held back, since they may start a marker
        that the next chunk completes.
        """
        keep = len(marker) - 1
        while True:
            view = memoryview(self.data)
            found = self.data.find(marker, self.pos)
            if found >= 0:
                if found > self.pos:
                    sink(view[self.pos : found])
                self.pos = found + len(marker)
                return
            safe = len(self.data) - keep
            if safe > self.pos:
                sink(view[self.pos : safe])
                self.pos = safe
            if not self.fill():
                raise at_end


def discard(_data: bytes | memoryview) -> None:
    """A sink for the preamble: RFC 2046 says to ignore it."""


class MultipartReader:
    """Walks the parts of a multipart body: :meth:`next_part`, then :meth:`copy_body`."""

    def __init__(self, source: ChunkSource, boundary: str) -> None:
        if not 0 < len(boundary) <= MAX_BOUNDARY_CHARS or not boundary.isascii():
            raise MtomError("unusable multipart boundary", MtomErrorKind.WRONG_CONTENT_TYPE)
        self._window = Window(source)
        self._delimiter = CRLF + b"--" + boundary.encode("ascii")
        self._started = False

    def next_part(self) -> PartHeaders | None:
        """The headers of the next part, or None after the close delimiter."""
        if not self._started:
            missing = MtomError("no multipart boundary found in body", MtomErrorKind.MALFORMED)
            self._window.stream_until(self._delimiter, discard, missing)
            self._started = True
        if self._window.peek(2, "after a boundary") == b"--":
            return None
        padding = self._window.take_until(CRLF, MAX_PADDING_BYTES, "boundary line")
        if padding.strip(_WHITESPACE):
            raise MtomError("text after a multipart boundary", MtomErrorKind.MALFORMED)
        if self._window.peek(2, "in part headers") == CRLF:
            self._window.pos += 2
            return parse_part_headers(b"")
        return parse_part_headers(
            self._window.take_until(CRLF + CRLF, MAX_HEADER_BYTES, "part header block")
        )

    def copy_body(self, sink: Sink) -> None:
        """Stream the current part's content into ``sink``."""
        self._window.stream_until(
            self._delimiter, sink, _truncated("inside a part (no closing boundary)")
        )


class Base64Decoder:
    """Decodes base64 arriving in slices of any size (RFC 4648 section 4) into ``sink``.

    White space anywhere is ignored (RFC 2045 6.8 line breaks); padding may only end it.
    """

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._carry = b""
        self._ended = False

    def write(self, data: bytes | memoryview) -> None:
        """Decode as many whole 4-character quanta as have arrived."""
        text = self._carry + bytes(data).translate(None, _WHITESPACE)
        whole = len(text) - len(text) % 4
        self._carry = text[whole:]
        if not whole:
            return
        if self._ended:
            raise _bad_base64("data after base64 padding")
        try:
            self._sink(binascii.a2b_base64(text[:whole], strict_mode=True))
        except binascii.Error as exc:
            raise _bad_base64(str(exc)) from None
        self._ended = text[whole - 1 : whole] == b"="

    def close(self) -> None:
        """Check that the text ended on a whole quantum."""
        if self._carry:
            raise _bad_base64("base64 text does not end on a 4-character boundary")


def _bad_base64(why: str) -> MtomError:
    return MtomError(f"invalid base64 content: {why}", MtomErrorKind.MALFORMED)
