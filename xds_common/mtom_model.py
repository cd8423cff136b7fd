"""MTOM/XOP values shared by the reader and the writer: errors, staged parts, Content-IDs.

W3C XOP 1.0 section 4.1 (every non-root part carries a Content-ID) and RFC 2392 (a ``cid:``
URL is the Content-ID without its angle brackets, %-encoded); ITI TF-2x Appendix V.8.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

#: Media type of a staged part whose sender gave none (RFC 2046 section 4.5.1).
OCTET_STREAM = "application/octet-stream"


class MtomErrorKind(StrEnum):
    """Why an MTOM/XOP request was refused; :attr:`http_status` is the answer to send."""

    MALFORMED = "malformed package"
    TRUNCATED = "truncated"
    MISSING_ROOT = "missing root"
    CID_NOT_FOUND = "cid not found"
    DUPLICATE_REFERENCE = "part referenced twice"
    OVER_LIMIT = "over limit"
    WRONG_CONTENT_TYPE = "wrong content type"
    INVALID_XML = "invalid xml"

    @property
    def http_status(self) -> int:
        """413 for a body over the limit, 415 for an unsupported media type, otherwise 400.

        SOAP 1.2 Part 2 section 7.5.2.2: a Sender fault travels with HTTP 400.
        """
        return {self.OVER_LIMIT: 413, self.WRONG_CONTENT_TYPE: 415}.get(self, 400)


class MtomError(ValueError):
    """An MTOM/XOP request that cannot be accepted; never a server fault."""

    def __init__(self, reason: str, kind: MtomErrorKind) -> None:
        super().__init__(f"{kind.value}: {reason}")
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class StagedPart:
    """A document's bytes in a staging file, with the SHA-1 (hex) and size seen on the wire."""

    path: Path
    sha1: str
    size: int
    content_type: str


def normalise_cid(value: str) -> str:
    """A Content-ID header value or ``start`` parameter as a key: ``<a@b>`` becomes ``a@b``.

    The header carries the Content-ID itself (RFC 2045 section 7), so it is not %-decoded.
    """
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def href_cids(href: str) -> tuple[str, ...]:
    """The Content-IDs a ``cid:`` URL may name, the RFC 2392 reading first.

    RFC 2392: the URL is the Content-ID without ``<>``, %-encoded; ``cid:a%40b`` names
    ``<a@b>``. Second, the undecoded text, for senders that did not encode it.
    """
    text = href.strip()
    if text[:4].lower() == "cid:":
        text = text[4:]
    decoded = normalise_cid(unquote(text))
    raw = normalise_cid(text)
    return (decoded,) if decoded == raw else (decoded, raw)


class StagingFile:
    """One part being written to the staging area while its SHA-1 and size are counted."""

    def __init__(self, path: Path, file: BinaryIO, content_type: str) -> None:
        self.path = path
        self.content_type = content_type
        self.size = 0
        self._file = file
        self._sha1 = hashlib.sha1(usedforsecurity=False)

    def write(self, data: bytes | memoryview) -> None:
        """Hash and store one slice of the part (never the whole part at once)."""
        self._sha1.update(data)
        self._file.write(data)
        self.size += len(data)

    def finish(self) -> StagedPart:
        """Close the file and describe what was staged."""
        self._file.close()
        return StagedPart(self.path, self._sha1.hexdigest(), self.size, self.content_type)

    def discard(self) -> None:
        """Close and remove the file (idempotent)."""
        self._file.close()
        self.path.unlink(missing_ok=True)


class Stager:
    """Creates the staging files of one message and removes them all on :meth:`cleanup`.

    A caller keeps a document with :meth:`move`; cleanup then removes only what is left.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._files: list[StagingFile] = []

    def open(self, content_type: str) -> StagingFile:
        """A new, empty staging file (mode 0600) in the staging directory."""
        fd, name = tempfile.mkstemp(prefix="mtom-", suffix=".part", dir=self.directory)
        staged = StagingFile(Path(name), os.fdopen(fd, "wb"), content_type)
        self._files.append(staged)
        return staged

    def move(self, path: Path, destination: Path) -> None:
        """Move a staging file out of this stager's care (``os.replace``, same filesystem)."""
        os.replace(path, destination)
        self._files = [staged for staged in self._files if staged.path != path]

    def cleanup(self) -> None:
        """Remove every staging file created so far (idempotent)."""
        for staged in self._files:
            staged.discard()
