"""WADO-RS endpoints: retrieve and metadata of studies, series, instances (PS3.18 10.4).

Retrieve answers ``multipart/related; type="application/dicom"`` with Content-Length set
(computed before the first byte from the file sizes) and each file streamed in bounded
chunks; metadata answers the cached DICOM JSON (``application/dicom+json``, 10.4.1.1.2)
without opening a file, streamed in chunks of instances. Unknown targets are 404,
unacceptable media types 406 (10.4.3).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from imaging_source.context import ImagingContext
from imaging_source.dicom_json import metadata_chunks
from imaging_source.dicomweb.accept import accepts, parse_accept
from imaging_source.dicomweb.errors import not_acceptable, not_found
from imaging_source.dicomweb.http import DICOM_JSON, PREFIX, install_error_handler
from imaging_source.dicomweb.multipart import (
    body_length,
    content_type,
    new_boundary,
    stream_parts,
)
from imaging_source.dicomweb.retrieve import DICOM, acceptable_syntaxes, check_syntaxes, plan_parts
from imaging_source.index.reader import Target, instance_files, metadata_texts

_RETRIEVE_DEFAULT = f'multipart/related; type="{DICOM}"'


def _describe(target: Target) -> str:
    if target.sop_instance_uid:
        return f"instance {target.sop_instance_uid}"
    if target.series_uid:
        return f"series {target.series_uid}"
    return f"study {target.study_uid}"


def retrieve(ctx: ImagingContext, target: Target) -> Response:
    """Retrieve Study, Series or Instance (PS3.18 10.4.1.1.1)."""
    ranges = parse_accept(request.headers.get("Accept"), _RETRIEVE_DEFAULT)
    syntaxes = acceptable_syntaxes(ranges)
    with ctx.read() as session:
        files = instance_files(session, target)
    if not files:
        raise not_found(f"no {_describe(target)} here")
    check_syntaxes(files, syntaxes)
    parts = plan_parts(ctx.store, files)
    boundary = new_boundary()
    response = Response(
        stream_parts(boundary, parts),
        content_type=content_type(boundary, DICOM),
        direct_passthrough=True,
    )
    response.content_length = body_length(boundary, parts)
    return response


def retrieve_metadata(ctx: ImagingContext, target: Target) -> Response:
    """Retrieve Metadata as DICOM JSON (PS3.18 10.4.1.1.2, F.2)."""
    ranges = parse_accept(request.headers.get("Accept"), DICOM_JSON)
    if not (accepts(ranges, DICOM_JSON) or accepts(ranges, "application/json")):
        raise not_acceptable("metadata is available as application/dicom+json")
    with ctx.read() as session:
        texts = metadata_texts(session, target)
    if not texts:
        raise not_found(f"no {_describe(target)} here")
    body = metadata_chunks(texts, ctx.settings.effective_dicomweb_url)
    return Response(body, mimetype=DICOM_JSON, direct_passthrough=True)


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add the WADO-RS retrieve and metadata routes to ``bp``."""
    install_error_handler(bp)
    study = f"{PREFIX}/studies/<study>"
    series = f"{study}/series/<series>"
    instance = f"{series}/instances/<sop>"

    @bp.get(study, endpoint="wado_study")
    def get_study(study: str) -> Response:
        return retrieve(ctx, Target(study))

    @bp.get(series, endpoint="wado_series")
    def get_series(study: str, series: str) -> Response:
        return retrieve(ctx, Target(study, series))

    @bp.get(instance, endpoint="wado_instance")
    def get_instance(study: str, series: str, sop: str) -> Response:
        return retrieve(ctx, Target(study, series, sop))

    @bp.get(f"{study}/metadata", endpoint="wado_study_metadata")
    def study_metadata(study: str) -> Response:
        return retrieve_metadata(ctx, Target(study))

    @bp.get(f"{series}/metadata", endpoint="wado_series_metadata")
    def series_metadata(study: str, series: str) -> Response:
        return retrieve_metadata(ctx, Target(study, series))

    @bp.get(f"{instance}/metadata", endpoint="wado_instance_metadata")
    def instance_metadata(study: str, series: str, sop: str) -> Response:
        return retrieve_metadata(ctx, Target(study, series, sop))
