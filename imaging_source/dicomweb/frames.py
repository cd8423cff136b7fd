"""Frames of a stored instance, as stored or decoded (PS3.18 10.4.1.1.4, 8.7.3.3).

Native pixel data: frame ``n`` is the ``n``-th slice of Rows x Columns x Samples x Bits
Allocated / 8 bytes of the Pixel Data value (PS3.5 8.1.1), read with one seek, so a large
multi-frame object is never read whole. Encapsulated pixel data: the fragments of frame
``n`` (PS3.5 A.4, pydicom's ``get_frame``, which uses the Basic or Extended Offset Table when
there is one), or the frame decoded to native bytes when the client wants uncompressed data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels.utils import pixel_array

EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_LONG_VRS = frozenset({b"OB", b"OW", b"OD", b"OF", b"OL", b"OV", b"UN"})
#: The single-frame media type of each compressed transfer syntax (PS3.18 Table 8.7.3-2).
FRAME_MEDIA: dict[str, str] = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
    "1.2.840.10008.1.2.4.201": "image/jphc",
    "1.2.840.10008.1.2.4.202": "image/jphc",
    "1.2.840.10008.1.2.4.203": "image/jphc",
    "1.2.840.10008.1.2.5": "image/dicom-rle",
}


class FrameError(Exception):
    """Frames that cannot be given: ``missing`` when they do not exist (404), else 406."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True)
class FrameSet:
    """Frames read from one instance and the transfer syntax their bytes are in."""

    transfer_syntax: str
    frames: list[bytes]


def _value_start(fp: BinaryIO, ts: str) -> tuple[int, int]:
    """At the Pixel Data element: the offset of its value and its length (PS3.5 7.1)."""
    header = fp.read(12)
    if len(header) < 8 or header[:4] != b"\xe0\x7f\x10\x00":
        raise FrameError("the instance has no Pixel Data", missing=True)
    if ts == _IMPLICIT_LE:
        return fp.tell() - 4, struct.unpack("<L", header[4:8])[0]
    if header[4:6] in _LONG_VRS:
        return fp.tell(), struct.unpack("<L", header[8:12])[0]
    return fp.tell() - 4, struct.unpack("<H", header[6:8])[0]


def _native(fp: BinaryIO, ds: Dataset, start: int, numbers: list[int]) -> list[bytes]:
    bits = int(ds.BitsAllocated)
    if bits % 8:
        raise FrameError(f"frames of {bits}-bit pixel data are not offered")
    size = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1)) * bits // 8
    frames = []
    for n in numbers:
        fp.seek(start + (n - 1) * size)
        data = fp.read(size)
        if len(data) != size:
            raise FrameError(f"frame {n} is cut short in the stored file")
        frames.append(data)
    return frames


def _decoded(path: Path, count: int, numbers: list[int]) -> list[bytes]:
    try:
        return [
            pixel_array(str(path), index=n - 1 if count > 1 else None, raw=True).tobytes()
            for n in numbers
        ]
    except (ValueError, NotImplementedError, RuntimeError) as exc:
        raise FrameError(f"cannot decompress the stored frames: {exc}") from exc


def read_frames(path: Path, numbers: list[int], *, decode: bool) -> FrameSet:
    """Frames ``numbers`` (1-based) of the file at ``path``: native bytes when ``decode``
    (Explicit VR Little Endian layout) or as stored otherwise."""
    with path.open("rb") as fp:
        ds = dcmread(fp, stop_before_pixels=True)
        ts = str(ds.file_meta.TransferSyntaxUID)
        count = int(ds.get("NumberOfFrames") or 1)
        if bad := [n for n in numbers if not 1 <= n <= count]:
            raise FrameError(f"no frame {bad[0]}: the instance has {count}", missing=True)
        start, _length = _value_start(fp, ts)
        if ts in FRAME_MEDIA:
            if decode:
                return FrameSet(EXPLICIT_LE, _decoded(path, count, numbers))
            frames = []
            for n in numbers:
                fp.seek(start)
                frames.append(get_frame(fp, n - 1, number_of_frames=count))
            return FrameSet(ts, frames)
        if ts not in (EXPLICIT_LE, _IMPLICIT_LE):
            raise FrameError(f"frames of transfer syntax {ts} are not offered")
        return FrameSet(EXPLICIT_LE, _native(fp, ds, start, numbers))
