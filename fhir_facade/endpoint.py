"""Endpoint read: the DICOMweb (WADO-RS) service every ImagingStudy points at.

FHIR R4 endpoint.html and http.html read (2.21.0.8); the resource is built by
:func:`fhir_facade.imaging_study_map.endpoint` (MADO WADO-RS Endpoint conventions).
"""

from __future__ import annotations

from typing import Final

from flask import Blueprint, Response

from fhir_facade import wire
from fhir_facade.capability import ResourceSupport
from fhir_facade.errors import FhirError
from fhir_facade.imaging_study_map import ENDPOINT_ID, endpoint
from xds_common.settings import Settings

SUPPORT: Final = ResourceSupport(
    type="Endpoint",
    interactions=("read",),
    documentation=f"Endpoint/{ENDPOINT_ID}: the DICOMweb WADO-RS service of every ImagingStudy.",
)


def register(bp: Blueprint, settings: Settings) -> None:
    """Add the Endpoint read route to the ``/fhir`` blueprint."""
    base = settings.effective_dicomweb_url

    @bp.get("/Endpoint/<endpoint_id>")
    def read_endpoint(endpoint_id: str) -> Response:
        if endpoint_id != ENDPOINT_ID:
            raise FhirError.of(404, "not-found", f"Endpoint/{endpoint_id} is not known")
        return wire.respond(endpoint(base).model_dump(mode="json", exclude_none=True))
