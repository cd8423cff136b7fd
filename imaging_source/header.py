"""Read an instance's Data Set up to its Pixel Data with pydicom, and check it is whole.

pydicom reads with ``stop_before_pixels`` semantics (PS3.5 7: elements in tag order, Pixel
Data (7FE0,0010) last but for padding), so indexing never reads the pixels. pydicom ends a
truncated file quietly, so completeness is checked here: every defined-length element must
have all its bytes, the Pixel Data must end inside the file (:func:`part10.check_pixel_extent`),
and a Data Set without Pixel Data must end exactly where the file ends.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileDataset
from pydicom.filereader import read_partial
from pydicom.tag import BaseTag
from pydicom.uid import UID

from imaging_source import part10
from imaging_source.errors import IngestError, Reason

#: Pixel Data, Float Pixel Data, Double Float Pixel Data (PS3.3 C.7.6.3, C.7.6.24).
PIXEL_TAGS = {0x7FE00010: "OW", 0x7FE00008: "OF", 0x7FE00009: "OD"}
#: The UIDs every composite instance has (PS3.3 C.12.1 SOP Common, C.7.2.1, C.7.3.1).
REQUIRED_UIDS = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
_MAX_UID = 128  # 64 by PS3.5 9.1; real-world senders exceed it, never by this much

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PixelElement:
    """The top-level pixel data element that was not read: its tag and VR."""

    tag: int
    vr: str


@dataclass(frozen=True)
class Header:
    """The Data Set without its pixel data, and which pixel element the file holds."""

    dataset: FileDataset
    pixel: PixelElement | None


class _PixelStop:
    """``stop_when`` callback for pydicom: stop at the first pixel element, remember it."""

    def __init__(self) -> None:
        self.found: PixelElement | None = None

    def __call__(self, tag: BaseTag, vr: str | None, _length: int) -> bool:
        if int(tag) not in PIXEL_TAGS:
            return False
        self.found = PixelElement(int(tag), vr or PIXEL_TAGS[int(tag)])
        return True


def read_header(fp: BinaryIO, meta: part10.FileMeta, size: int) -> Header:
    """Parse the Part 10 file in ``fp`` (``size`` bytes) up to its pixel data and validate it.

    Raises :class:`IngestError`: CORRUPT for unreadable or truncated files, MISSING_ATTRIBUTE
    when a required UID is absent.
    """
    stop = _PixelStop()
    fp.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = read_partial(fp, stop_when=stop)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(Reason.CORRUPT, f"unreadable Data Set: {exc}") from exc
    _check_complete(ds, fp, size, meta, stop.found)
    _check_uids(ds, meta)
    return Header(ds, stop.found)


def _check_complete(
    ds: FileDataset, fp: BinaryIO, size: int, meta: part10.FileMeta, pixel: PixelElement | None
) -> None:
    """Raise CORRUPT if any part of the Data Set lies beyond the end of the file."""
    for tag in ds.keys():  # noqa: SIM118 - iterating a Dataset converts every element
        raw = ds.get_item(tag)
        if isinstance(raw, RawDataElement) and _short(raw):
            raise IngestError(Reason.CORRUPT, f"file is truncated in element {int(tag):08X}")
    implicit, little = ds.original_encoding
    if meta.transfer_syntax_uid == "1.2.840.10008.1.2.1.99":
        return  # Deflated (PS3.5 A.5): zlib already refused a truncated stream
    if pixel is not None:
        part10.check_pixel_extent(fp, size, implicit=bool(implicit), little=bool(little))
        return
    if _needs_pixels(ds) and "PixelDataProviderURL" not in ds:
        raise IngestError(Reason.CORRUPT, "image without Pixel Data: the file is truncated")
    _check_ends_at(ds, size)


def _needs_pixels(ds: Dataset) -> bool:
    """An image: it has the Image Pixel module (Rows) or an '... Image Storage' SOP Class.

    A file cut exactly at an element boundary reads as a shorter, valid Data Set; for images
    the missing Pixel Data (Type 1 in PS3.3 C.7.6.3) still gives the truncation away.
    """
    if "Rows" in ds:
        return True
    try:
        return "Image Storage" in UID(str(ds.get("SOPClassUID", ""))).name
    except Exception:
        return False


def _short(raw: RawDataElement) -> bool:
    """True if a defined-length element was read with fewer bytes than it declares."""
    if raw.length == part10.UNDEFINED_LENGTH or raw.value is None:
        return False
    return len(raw.value) < raw.length


def _check_ends_at(ds: Dataset, size: int) -> None:
    """The last top-level element must end at the end of the file (no partial header after)."""
    tags = list(ds.keys())
    if not tags:
        raise IngestError(Reason.CORRUPT, "empty Data Set")
    raw = ds.get_item(tags[-1])
    if not isinstance(raw, RawDataElement) or raw.length == part10.UNDEFINED_LENGTH:
        return
    if raw.value_tell + raw.length != size:
        raise IngestError(Reason.CORRUPT, "file is truncated after the last element")


def _check_uids(ds: Dataset, meta: part10.FileMeta) -> None:
    """Required UIDs present and short enough; the SOP Instance UID matches the File Meta."""
    for keyword in REQUIRED_UIDS:
        value = str(ds.get(keyword, "") or "").strip()
        if not value:
            raise IngestError(Reason.MISSING_ATTRIBUTE, f"{keyword} is missing")
        if len(value) > _MAX_UID:
            raise IngestError(Reason.CORRUPT, f"{keyword} is longer than {_MAX_UID} characters")
    uid = str(ds.SOPInstanceUID)
    if meta.sop_instance_uid and meta.sop_instance_uid != uid:
        raise IngestError(
            Reason.CORRUPT,
            f"Media Storage SOP Instance UID {meta.sop_instance_uid} differs from "
            f"SOP Instance UID {uid} (PS3.10 7.1)",
            uid,
        )
