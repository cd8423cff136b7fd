"""Read a DICOMDIR: which files of a File-set it references (PS3.10 8, PS3.3 F.5).

pydicom's ``FileSet`` is the well-kept reader for writing and browsing File-sets, but on
load it silently drops every record whose file is missing, and it resolves File IDs with
the exact case of the record. A DVD mounted on Linux often shows ISO 9660 names in lower
case, and a patient's DVD with a missing file must be reported, not skipped. So this module
reads the Directory Record Sequence (0004,1220) itself, with pydicom, and returns every
Referenced File ID (0004,1500); the importer resolves them case-insensitively.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import MediaStorageDirectoryStorage

NAME = "DICOMDIR"
_BAD_COMPONENTS = {"", ".", ".."}


class DicomdirError(Exception):
    """The DICOMDIR cannot be read."""


@dataclass(frozen=True)
class Reference:
    """A file referenced by a directory record, its File ID relative to the DICOMDIR folder."""

    file_id: tuple[str, ...]
    sop_instance_uid: str

    @property
    def relative_path(self) -> str:
        """The File ID as a ``/``-separated relative path (PS3.10 8.2)."""
        return "/".join(self.file_id)


def _file_id(record: Dataset) -> tuple[str, ...] | None:
    """Referenced File ID components, or None when absent, empty or escaping the folder."""
    value = record.get("ReferencedFileID")
    if not value:
        return None
    values = [value] if isinstance(value, str) else list(value)  # VM 1-8 (CS)
    parts = tuple(str(v).strip() for v in values)
    parts = tuple(p for c in parts for p in c.replace("\\", "/").split("/"))
    if any(p in _BAD_COMPONENTS for p in parts):
        return None
    return parts


def read_references(data: bytes) -> list[Reference]:
    """Every file referenced by the DICOMDIR in ``data``, in record order.

    Raises :class:`DicomdirError` if ``data`` is not a readable Media Storage Directory.
    """
    try:
        ds = dcmread(io.BytesIO(data))
        records = list(ds.get("DirectoryRecordSequence") or [])
    except (InvalidDicomError, ValueError, EOFError, TypeError, AttributeError) as exc:
        raise DicomdirError(f"unreadable DICOMDIR: {exc}") from exc
    if ds.file_meta.get("MediaStorageSOPClassUID") != MediaStorageDirectoryStorage:
        raise DicomdirError("not a Media Storage Directory (PS3.10 8.6)")
    references: list[Reference] = []
    for record in records:
        file_id = _file_id(record)
        if file_id is not None:
            uid = str(record.get("ReferencedSOPInstanceUIDInFile", "") or "")
            references.append(Reference(file_id, uid))
    return references
