"""multipart/related reading and writing of DICOMweb bodies (PS3.18 8.6.1.2, RFC 2046 5.1)."""

from __future__ import annotations

import io
import os
from functools import partial

import pytest

from imaging_source.dicomweb.multipart import (
    PartPlan,
    PartReader,
    body_length,
    new_boundary,
    stream_parts,
)
from xds_common.mtom_model import MtomError
from xds_common.mtom_multipart import ChunkSource


def body(parts: list[bytes], boundary: str) -> bytes:
    out = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + p + b"\r\n"
        for p in parts
    )
    return out + b"--" + boundary.encode() + b"--\r\n"


def read_all(data: bytes, boundary: str, chunk: int, read_size: int) -> list[bytes]:
    reader = PartReader(ChunkSource(io.BytesIO(data), len(data) + 10, chunk), boundary)
    found = []
    for headers, stream in reader.parts():
        assert headers.media_type == "application/dicom"
        pieces = []
        while piece := stream.read(read_size):
            assert len(piece) <= read_size
            pieces.append(piece)
        found.append(b"".join(pieces))
    return found


@pytest.mark.parametrize(("chunk", "read_size"), [(7, 5), (64, 1000), (1 << 20, 1 << 20)])
def test_parts_come_out_whole_whatever_the_chunking(chunk: int, read_size: int) -> None:
    boundary = "b0und"
    # contents that contain the boundary text without the CRLF, and CRLF--
    parts = [os.urandom(3000), b"--b0und not a delimiter\r\n--b0un", b""]
    assert read_all(body(parts, boundary), boundary, chunk, read_size) == parts


def test_a_part_left_unread_is_skipped() -> None:
    data = body([b"A" * 500, b"B" * 10], "x")
    reader = PartReader(ChunkSource(io.BytesIO(data), 10_000, 16), "x")
    contents = [stream.read(3) for _, stream in reader.parts()]
    assert contents == [b"AAA", b"BBB"]


def test_truncated_body_raises_and_is_remembered() -> None:
    data = body([b"C" * 100], "x")[:-20]
    reader = PartReader(ChunkSource(io.BytesIO(data), 10_000, 16), "x")
    _, stream = next(reader.parts())
    with pytest.raises(MtomError):
        while stream.read(10):
            pass
    assert stream.error is not None


def test_written_body_has_the_announced_length_and_reads_back() -> None:
    boundary = new_boundary()
    contents = [b"one" * 1000, b"two"]
    plans = [
        PartPlan("application/dicom", len(c), partial(iter, (c[:10], c[10:]))) for c in contents
    ]
    written = b"".join(stream_parts(boundary, plans))
    assert len(written) == body_length(boundary, plans)
    assert read_all(written, boundary, 100, 4096) == contents
