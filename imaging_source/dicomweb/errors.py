"""DICOMweb errors: an HTTP status and a plain-text reason (PS3.18 8.6.2, 10.4.3, 10.6.3).

Business code raises :class:`DicomwebError`; the route modules render it at one boundary
(``text/plain`` with the reason, see :mod:`imaging_source.dicomweb.http`).
"""

from __future__ import annotations


class DicomwebError(Exception):
    """A request the DICOMweb service answers with a 4xx status and a reason text."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def bad_request(reason: str) -> DicomwebError:
    """400 Bad Request (PS3.18 8.6.2: invalid query parameter or value)."""
    return DicomwebError(400, reason)


def not_found(reason: str) -> DicomwebError:
    """404 Not Found (PS3.18 10.4.3: the target resource does not exist)."""
    return DicomwebError(404, reason)


def not_acceptable(reason: str) -> DicomwebError:
    """406 Not Acceptable (PS3.18 8.7.3: no acceptable media type can be returned)."""
    return DicomwebError(406, reason)


def unsupported_media_type(reason: str) -> DicomwebError:
    """415 Unsupported Media Type (PS3.18 10.5.3: a STOW-RS body that is not supported)."""
    return DicomwebError(415, reason)
