"""WADO-RS retrieve of instances: which transfer syntax to send and the parts to write.

PS3.18 10.4.1.1.1 (Retrieve Study/Series/Instance) answers ``multipart/related;
type="application/dicom"``, one Part 10 instance per part (8.7.3.5). Instances go out as
stored, byte for byte: with ``transfer-syntax=*`` (8.7.3.5.2), when the requested transfer
syntax is the stored one, or when the client names none. A client that names only transfer
syntaxes an instance is not stored in gets 406 (we do not transcode).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from imaging_source.dicomweb.accept import MediaRange
from imaging_source.dicomweb.errors import not_acceptable, not_found
from imaging_source.dicomweb.multipart import PartPlan, file_chunks
from imaging_source.index.reader import InstanceFile
from imaging_source.store import InstanceStore

log = logging.getLogger(__name__)

DICOM = "application/dicom"
#: "whatever it is stored in" (PS3.18 8.7.3.5.2), and "nothing said" (also as stored).
ANY = "*"


def acceptable_syntaxes(ranges: Sequence[MediaRange]) -> list[str]:
    """Transfer syntaxes the client takes for ``application/dicom`` parts, best first.

    ``*`` stands for any; an empty list means no range allows application/dicom (406).
    """
    found: list[str] = []
    for media in ranges:
        if media.media_type in ("*/*", "multipart/*") or (
            media.media_type == "multipart/related" and media.inner in (None, DICOM)
        ):
            found.append(media.transfer_syntax or ANY)
    return found


def check_syntaxes(files: Sequence[InstanceFile], syntaxes: Sequence[str]) -> None:
    """406 unless every instance can go out as stored under ``syntaxes``."""
    if not syntaxes:
        raise not_acceptable(f'acceptable: multipart/related; type="{DICOM}"')
    if ANY in syntaxes:
        return
    for f in files:
        if f.transfer_syntax_uid not in syntaxes:
            raise not_acceptable(
                f"instance {f.sop_instance_uid} is stored in transfer syntax "
                f"{f.transfer_syntax_uid}, not in {', '.join(syntaxes)}; "
                "ask with transfer-syntax=* for the stored form"
            )


def plan_parts(store: InstanceStore, files: Sequence[InstanceFile]) -> list[PartPlan]:
    """One part per stored file, with its size from the index (checked against the disk)."""
    parts = []
    for f in files:
        path = store.path_of(f.file_key)
        try:
            size = path.stat().st_size
        except OSError:
            log.error("stored file of %s is missing: %s", f.sop_instance_uid, path)
            raise not_found(f"instance {f.sop_instance_uid} is not available") from None
        if size != f.size:
            log.error(
                "stored file of %s has %d bytes, index says %d", f.sop_instance_uid, size, f.size
            )
        parts.append(
            PartPlan(
                f"{DICOM}; transfer-syntax={f.transfer_syntax_uid}",
                size,
                file_chunks(partial(store.open, f.file_key), size),
            )
        )
    return parts
