"""STOW-RS endpoints: ``POST /dicomweb/studies[/{study}]`` (PS3.18 10.5, Store Transaction).

The body is ``multipart/related; type="application/dicom"``; each part streams straight
into an ingest batch (:meth:`~imaging_source.ingest.Ingestor.batch`, ``origin="stow-rs"``,
and the target study for ``/studies/{study}``, PS3.18 10.5.1), so no instance is held whole
in memory, and the instances of the request are indexed in a few transactions with one round
of fsyncs each rather than one per instance; the response is sent only when every stored
instance is durable. The Store Instances Response comes from :mod:`imaging_source.stow`
(PS3.18 10.5.3, Annex I): 200 all stored, 202 some, 409 none. A body that is not
multipart/related of application/dicom is refused with 415, a broken one with 400 when
nothing of it was stored.
"""

from __future__ import annotations

import json
import logging
from typing import BinaryIO, cast

from flask import Blueprint, Response, request

from imaging_source.context import ImagingContext
from imaging_source.dicomweb.errors import DicomwebError, bad_request, unsupported_media_type
from imaging_source.dicomweb.http import PREFIX, install_error_handler, json_response
from imaging_source.dicomweb.multipart import PartStream, open_reader
from imaging_source.errors import IngestError, Reason
from imaging_source.ingest import IngestBatch, IngestResult
from imaging_source.stow import PartOutcome, stow_response
from xds_common.mtom_model import MtomError
from xds_common.mtom_multipart import PartHeaders, parse_content_type

log = logging.getLogger(__name__)

DICOM = "application/dicom"


def _boundary() -> str:
    """The boundary of a ``multipart/related`` body of DICOM instances; 415/400 otherwise."""
    try:
        media, params = parse_content_type(request.headers.get("Content-Type", ""))
    except ValueError as exc:
        raise bad_request(f"Content-Type: {exc}") from None
    if media != "multipart/related":
        raise unsupported_media_type(f"STOW-RS takes multipart/related, not {media or 'nothing'}")
    inner = params.get("type", DICOM).lower()
    if inner != DICOM:
        raise unsupported_media_type(f'only type="{DICOM}" bodies are supported, not {inner!r}')
    if not params.get("boundary"):
        raise bad_request("Content-Type has no boundary parameter")
    return params["boundary"]


def _store_part(batch: IngestBatch, headers: PartHeaders, stream: PartStream) -> None:
    """Add one part to the batch; every refusal becomes that part's outcome."""
    if headers.media_type not in ("", DICOM):
        batch.refuse(IngestError(Reason.NOT_DICOM, f"part of type {headers.media_type}"))
        return
    try:
        batch.add(cast(BinaryIO, stream))  # the ingestor only calls read(n)
    except Exception as exc:  # never a 500: logged and answered as a processing failure
        log.exception("STOW-RS part failed")
        batch.refuse(IngestError(Reason.PROCESSING_FAILURE, str(exc)))


def store(ctx: ImagingContext, study: str | None) -> Response:
    """Store every part of the request body (PS3.18 10.5.1.2) and answer per 10.5.3."""
    reader = open_reader(request.stream, _boundary(), ctx.settings.max_document_bytes)
    with ctx.ingestor.batch(origin="stow-rs", study_uid=study) as batch:
        broken: MtomError | None = None
        try:
            for headers, stream in reader.parts():
                _store_part(batch, headers, stream)
                if stream.error is not None:
                    raise stream.error
        except MtomError as exc:
            broken = exc
        outcomes: list[PartOutcome] = list(batch.finish())
    if broken is not None:
        if not any(isinstance(o, IngestResult) for o in outcomes):
            raise DicomwebError(broken.kind.http_status, f"multipart body: {broken.reason}")
        log.warning("STOW-RS body broke off after some instances were stored: %s", broken)
    if not outcomes:
        raise bad_request("the multipart body has no parts")
    answer = stow_response(outcomes, ctx.settings.effective_dicomweb_url, study)
    text = json.dumps(answer.body, ensure_ascii=False, separators=(",", ":"))
    return json_response(text, status=answer.status)


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add the STOW-RS routes to ``bp``."""
    install_error_handler(bp)

    @bp.post(f"{PREFIX}/studies", endpoint="stow_studies")
    def stow() -> Response:
        return store(ctx, None)

    @bp.post(f"{PREFIX}/studies/<study>", endpoint="stow_study")
    def stow_study(study: str) -> Response:
        return store(ctx, study)
