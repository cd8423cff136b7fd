"""Flask glue shared by the DICOMweb route modules: error rendering and JSON responses.

The one boundary where a :class:`~imaging_source.dicomweb.errors.DicomwebError` becomes an
HTTP response (``text/plain`` reason, PS3.18 8.6.2); and ``application/dicom+json`` bodies
(PS3.18 8.7.3.4, F.2).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from imaging_source.dicomweb.errors import DicomwebError

log = logging.getLogger(__name__)

PREFIX = "/dicomweb"
DICOM_JSON = "application/dicom+json"


def error_response(error: DicomwebError) -> Response:
    """The plain-text response of ``error``."""
    return Response(error.reason + "\n", status=error.status, mimetype="text/plain")


def install_error_handler(bp: Blueprint) -> None:
    """Render :class:`DicomwebError` raised by any view of ``bp`` (idempotent)."""
    bp.register_error_handler(DicomwebError, error_response)


def json_response(text: str, status: int = 200, warnings: tuple[str, ...] = ()) -> Response:
    """An ``application/dicom+json`` response with optional ``Warning`` headers."""
    response = Response(text, status=status, mimetype=DICOM_JSON)
    for warning in warnings:
        response.headers.add("Warning", f'299 beeldportaal "{warning}"')
    return response
