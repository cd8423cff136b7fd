"""Which transfer syntax a RAD-69 answer uses for an instance, and lossless transcoding.

RAD TF-3 4.69.4.2.3: the Imaging Document Source returns each instance in one of the transfer
syntaxes of the request's ``TransferSyntaxUIDList`` (in the consumer's order of preference),
or reports that instance as an error. The stored file is sent byte for byte when its transfer
syntax is in the list. Otherwise it is re-encoded only where that loses nothing (PS3.5 10,
8.2.2): between the uncompressed syntaxes (Implicit/Explicit VR Little Endian, and from
Deflated or Explicit VR Big Endian), and from RLE Lossless (PS3.5 Annex G, decoded by
pydicom's own decoder) to an uncompressed syntax. Lossy re-encoding is never done.

Re-encoded files are written to the instance store's staging folder with a known size, so
the MTOM response keeps its Content-Length, and are removed when they have been streamed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from imaging_source.store import InstanceStore

#: What we can write: the uncompressed little-endian syntaxes (PS3.5 A.1, A.2).
TARGETS = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})
#: What we can read into those without loss: native encodings and RLE Lossless (PS3.5 G).
SOURCES = frozenset(
    {
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        DeflatedExplicitVRLittleEndian,
        ExplicitVRBigEndian,
        RLELossless,
    }
)
#: Elements larger than this stay on disk until they are written.
_DEFER = "1 MB"
#: pydicom holds the largest element (the pixel data) in memory while re-encoding, so larger
#: instances are only served in their stored transfer syntax (memory stays bounded).
MAX_TRANSCODE_BYTES = 256 << 20
CHUNK = 1 << 20


class TranscodeError(Exception):
    """The stored file could not be re-encoded."""


@dataclass(frozen=True)
class SyntaxChoice:
    """The transfer syntax to answer with, and whether the stored file must be re-encoded."""

    transfer_syntax: str
    transcode: bool


def choose(stored: str, requested: Sequence[str], size: int = 0) -> SyntaxChoice | None:
    """The stored syntax when it is requested; else the first requested one we can produce
    losslessly from a file of ``size`` bytes; None when there is none (RAD TF-3 4.69.4.2.3).

    Any listed syntax is acceptable to the consumer, so the stored file is preferred to a
    re-encoded copy even when the consumer listed another syntax first.
    """
    if stored in requested:
        return SyntaxChoice(stored, transcode=False)
    if stored not in SOURCES or size > MAX_TRANSCODE_BYTES:
        return None
    for wanted in requested:
        if wanted in TARGETS:
            return SyntaxChoice(wanted, transcode=True)
    return None


def transcode(store: InstanceStore, source: Path, target: str) -> tuple[Path, int]:
    """Re-encode the Part 10 file ``source`` in ``target`` into a staging file.

    Keeps the SOP Instance UID (lossless, PS3.5 8.2.2); returns the file and its size.
    """
    out, path = store.new_staging_file()
    try:
        with out:
            ds = pydicom.dcmread(source, defer_size=_DEFER)
            if ds.file_meta.TransferSyntaxUID.is_compressed:
                ds.decompress(as_rgb=False, generate_instance_uid=False)
            ds.file_meta.TransferSyntaxUID = UID(target)
            ds.save_as(out, enforce_file_format=True)
        return path, path.stat().st_size
    except Exception as exc:  # pydicom raises many kinds for a file it cannot decode
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise TranscodeError(f"cannot re-encode in {target}: {exc}") from exc


class StagedCopy:
    """A re-encoded staging file as the byte chunks of a response part.

    The file is removed once it has been streamed, and also when the response is dropped
    before reaching it (client gone, error while packaging): then on garbage collection.
    """

    def __init__(self, path: Path, chunk: int = CHUNK) -> None:
        self.path = path
        self.chunk = chunk

    def __iter__(self) -> Iterator[bytes]:
        try:
            with self.path.open("rb", buffering=0) as file:
                while data := file.read(self.chunk):
                    yield data
        finally:
            self.remove()

    def remove(self) -> None:
        """Delete the staging file (absent is fine)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __del__(self) -> None:
        self.remove()
