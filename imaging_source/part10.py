"""The DICOM File Format around a Data Set, read without pydicom (PS3.10 7.1, PS3.5 7).

Pure functions over bytes and seekable binary files: find the end of the File Meta
Information, read its three UIDs, and check that the Pixel Data element ends inside the file,
so a truncated copy is caught without reading the pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from imaging_source.errors import IngestError, Reason

PREAMBLE = 128
PREFIX = b"DICM"
#: Bytes read before anything is staged; the File Meta Information must end inside them.
HEAD_BYTES = 64 * 1024
#: Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1).
LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM = 0xFFFEE000
SEQUENCE_DELIMITER = 0xFFFEE0DD
_META_UIDS = {0x00020002: "sop_class_uid", 0x00020003: "sop_instance_uid", 0x00020010: "ts"}


@dataclass(frozen=True)
class FileMeta:
    """What the File Meta Information says, and where the Data Set starts (byte offset)."""

    dataset_offset: int
    transfer_syntax_uid: str
    sop_class_uid: str
    sop_instance_uid: str


def is_part10(head: bytes) -> bool:
    """True if ``head`` starts with a 128-byte preamble and the 'DICM' prefix (PS3.10 7.1)."""
    return len(head) >= PREAMBLE + 4 and head[PREAMBLE : PREAMBLE + 4] == PREFIX


def _meta_element(head: bytes, pos: int) -> tuple[int, int, int]:
    """Tag, value offset and value length of the element at ``pos`` (Explicit VR LE)."""
    if pos + 8 > len(head):
        raise IngestError(Reason.CORRUPT, "File Meta Information is truncated")
    group, elem = struct.unpack_from("<HH", head, pos)
    vr = head[pos + 4 : pos + 6]
    if vr in LONG_VRS:
        if pos + 12 > len(head):
            raise IngestError(Reason.CORRUPT, "File Meta Information is truncated")
        (length,) = struct.unpack_from("<L", head, pos + 8)
        return group << 16 | elem, pos + 12, length
    if vr.isalpha() and vr.isupper():
        (length,) = struct.unpack_from("<H", head, pos + 6)
        return group << 16 | elem, pos + 8, length
    (length,) = struct.unpack_from("<L", head, pos + 4)  # a non-conformant Implicit VR meta
    return group << 16 | elem, pos + 8, length


def read_file_meta(head: bytes) -> FileMeta:
    """Parse the File Meta Information (group 0002) at the start of ``head`` (PS3.10 7.1).

    Raises :class:`IngestError` NOT_DICOM without preamble and prefix, CORRUPT when the group
    is truncated, runs past ``head`` or lacks a Transfer Syntax UID.
    """
    if not is_part10(head):
        raise IngestError(Reason.NOT_DICOM, "not a DICOM Part 10 file (no 'DICM' prefix)")
    pos = PREAMBLE + 4
    found: dict[str, str] = {}
    while pos + 4 <= len(head) and struct.unpack_from("<H", head, pos)[0] == 0x0002:
        tag, value_at, length = _meta_element(head, pos)
        if length == UNDEFINED_LENGTH or value_at + length > len(head):
            raise IngestError(Reason.CORRUPT, f"File Meta element {tag:08X} is truncated")
        if tag in _META_UIDS:
            raw = head[value_at : value_at + length]
            found[_META_UIDS[tag]] = raw.decode("ascii", "replace").rstrip("\0 ")
        pos = value_at + length
    if pos + 4 > len(head) and len(head) >= HEAD_BYTES:
        raise IngestError(Reason.CORRUPT, "File Meta Information is longer than 64 KiB")
    if not found.get("ts"):
        raise IngestError(Reason.CORRUPT, "File Meta Information has no Transfer Syntax UID")
    return FileMeta(
        pos, found["ts"], found.get("sop_class_uid", ""), found.get("sop_instance_uid", "")
    )


def _read_exact(fp: BinaryIO, n: int, what: str) -> bytes:
    data = fp.read(n)
    if len(data) != n:
        raise IngestError(Reason.CORRUPT, f"file is truncated in {what}")
    return data


def check_pixel_extent(fp: BinaryIO, size: int, *, implicit: bool, little: bool) -> int:
    """Check that the Pixel Data element at ``fp``'s position ends inside a file of ``size``.

    Native pixel data must fit its defined length; encapsulated pixel data (PS3.5 A.4) must
    have all its items and the Sequence Delimitation Item inside the file. Only headers are
    read (8 bytes per fragment). Returns the offset just after the element.
    """
    order = "<" if little else ">"
    _read_exact(fp, 4, "Pixel Data")  # the tag, known from pydicom
    if implicit:
        (length,) = struct.unpack(order + "L", _read_exact(fp, 4, "Pixel Data"))
    else:
        vr = _read_exact(fp, 2, "Pixel Data")
        fmt = order + ("xxL" if vr in LONG_VRS else "H")
        (length,) = struct.unpack(fmt, _read_exact(fp, struct.calcsize(fmt), "Pixel Data"))
    start = fp.tell()
    if length != UNDEFINED_LENGTH:
        end = start + int(length)
        if end > size:
            raise IngestError(Reason.CORRUPT, "file is truncated in Pixel Data")
        return end
    return _skip_items(fp, size, order)


def _skip_items(fp: BinaryIO, size: int, order: str) -> int:
    """Skip the items of encapsulated Pixel Data up to and past its Sequence Delimiter."""
    while True:
        group, elem, length = struct.unpack(order + "HHL", _read_exact(fp, 8, "Pixel Data"))
        tag = group << 16 | elem
        if tag == SEQUENCE_DELIMITER:
            return fp.tell()
        if tag != ITEM or length == UNDEFINED_LENGTH:
            raise IngestError(Reason.CORRUPT, f"unexpected {tag:08X} in encapsulated Pixel Data")
        end = fp.tell() + length
        if end > size:
            raise IngestError(Reason.CORRUPT, "file is truncated in Pixel Data")
        fp.seek(end)
