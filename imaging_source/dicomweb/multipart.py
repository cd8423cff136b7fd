"""``multipart/related`` bodies of DICOMweb (PS3.18 8.6.1.2, RFC 2387), both directions.

Reading (STOW-RS requests): :class:`PartReader` walks the parts with the streaming parser of
``xds_common.mtom_multipart`` and hands each part's content out as a file-like
:class:`PartStream`, so an instance streams into the ingestor without being held whole.

Writing (WADO-RS responses): :class:`PartPlan` lists the parts; :func:`body_length` gives the
exact Content-Length before a byte is sent and :func:`stream_parts` writes each part once,
reading files in bounded chunks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from xds_common.mtom_model import MtomError, MtomErrorKind
from xds_common.mtom_multipart import ChunkSource, MultipartReader, PartHeaders, Readable

CHUNK = 1 << 20
CRLF = b"\r\n"


class PartStream:
    """The content of the current part as a read-only binary stream (ends at its delimiter).

    A transport or framing problem is kept in :attr:`error` (and raised): the ingestor turns
    any read failure into a refused instance, and the endpoint needs to know the body broke.
    """

    def __init__(self, reader: PartReader) -> None:
        self._reader = reader
        self.done = False
        self.error: MtomError | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the part (all that remain when negative); ``b""`` at its end."""
        if self.done:
            return b""
        try:
            data = self._reader.read_part(size if size >= 0 else 1 << 62)
        except MtomError as exc:
            self.error = exc
            self.done = True
            raise
        if not data:
            self.done = True
        return data

    def drain(self) -> None:
        """Skip what is left of the part."""
        while self.read(CHUNK):
            pass


class PartReader(MultipartReader):
    """A :class:`MultipartReader` whose part contents are pulled (``read``) instead of pushed."""

    def read_part(self, size: int) -> bytes:
        """The next at most ``size`` bytes of the current part; ``b""`` once its delimiter came."""
        window, marker = self._window, self._delimiter
        keep = len(marker) - 1
        while True:
            found = window.data.find(marker, window.pos)
            end = found if found >= 0 else len(window.data) - keep
            if end > window.pos:
                take = min(size, end - window.pos)
                data = window.data[window.pos : window.pos + take]
                window.pos += take
                return data
            if found >= 0:
                window.pos = found + len(marker)
                return b""
            if not window.fill():
                raise MtomError(
                    "body ended inside a part (no closing boundary)", MtomErrorKind.TRUNCATED
                )

    def parts(self) -> Iterator[tuple[PartHeaders, PartStream]]:
        """Each part's headers and a stream of its content (read it before the next one)."""
        while (headers := self.next_part()) is not None:
            stream = PartStream(self)
            yield headers, stream
            stream.drain()


def open_reader(body: Readable, boundary: str, limit: int) -> PartReader:
    """A part reader over a request ``body`` of at most ``limit`` bytes."""
    return PartReader(ChunkSource(body, limit, CHUNK), boundary)


@dataclass(frozen=True)
class PartPlan:
    """One response part: its Content-Type, length, and how to produce its bytes."""

    content_type: str
    length: int
    chunks: Callable[[], Iterator[bytes]]


def new_boundary() -> str:
    """A fresh boundary that cannot occur in the content by chance (RFC 2046 5.1.1)."""
    return f"beeldportaal-{uuid.uuid4().hex}"


def content_type(boundary: str, inner: str) -> str:
    """The response Content-Type: ``multipart/related; type="…"; boundary=…``."""
    return f'multipart/related; type="{inner}"; boundary={boundary}'


def _head(boundary: str, part: PartPlan) -> bytes:
    return (
        f"--{boundary}\r\nContent-Type: {part.content_type}\r\n"
        f"Content-Length: {part.length}\r\n\r\n"
    ).encode("ascii")


def _tail(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("ascii")


def body_length(boundary: str, parts: Sequence[PartPlan]) -> int:
    """The exact length of the body :func:`stream_parts` writes."""
    heads = sum(len(_head(boundary, p)) + p.length + len(CRLF) for p in parts)
    return heads + len(_tail(boundary))


def stream_parts(boundary: str, parts: Sequence[PartPlan]) -> Iterator[bytes]:
    """The body, part by part; each part's header goes out with its first chunk."""
    for part in parts:
        pending = _head(boundary, part)
        for chunk in part.chunks():
            if pending:
                yield pending + chunk
                pending = b""
            else:
                yield chunk
        yield pending + CRLF
    yield _tail(boundary)


def file_chunks(open_file: Callable[[], BinaryIO], length: int) -> Callable[[], Iterator[bytes]]:
    """A chunk producer for ``length`` bytes of a file opened when the part is written."""

    def chunks() -> Iterator[bytes]:
        left = length
        with open_file() as fp:
            while left > 0:
                data = fp.read(min(CHUNK, left))
                if not data:
                    raise OSError(f"file ended {left} bytes early")
                left -= len(data)
                yield data

    return chunks
