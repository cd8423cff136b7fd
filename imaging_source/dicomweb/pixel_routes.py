"""WADO-RS frames, rendered and thumbnail resources of instances (PS3.18 10.4.1.1.4, 10.4.1.1.3).

Frames answer ``multipart/related`` with one part per frame: ``application/octet-stream``
uncompressed (decoded when stored compressed), or the stored compressed bytes with
``transfer-syntax=*``, the stored syntax, or the syntax's own media type (e.g.
``image/dicom-rle``, PS3.18 8.7.3.3.2). Rendered and thumbnail answer one JPEG or PNG
(PS3.18 8.3.5: ``window``, ``viewport``, ``quality``).
"""

from __future__ import annotations

import re
from functools import partial

from flask import Blueprint, Response, request

from imaging_source.context import ImagingContext
from imaging_source.dicomweb.accept import MediaRange, parse_accept
from imaging_source.dicomweb.errors import bad_request, not_acceptable, not_found
from imaging_source.dicomweb.frames import EXPLICIT_LE, FRAME_MEDIA, FrameError, read_frames
from imaging_source.dicomweb.http import PREFIX, install_error_handler
from imaging_source.dicomweb.multipart import (
    PartPlan,
    body_length,
    content_type,
    new_boundary,
    stream_parts,
)
from imaging_source.index.reader import InstanceFile, instance_file
from imaging_source.render import FORMATS, RenderError, RenderRequest, render

OCTET = "application/octet-stream"
_FRAME_LIST = re.compile(r"[1-9][0-9]{0,8}(,[1-9][0-9]{0,8})*")
THUMBNAIL_SIZE = 128


def _instance(ctx: ImagingContext, study: str, series: str, sop: str) -> InstanceFile:
    with ctx.read() as session:
        found = instance_file(session, sop)
    if found is None or (found.study_instance_uid, found.series_instance_uid) != (study, series):
        raise not_found(f"no instance {sop} in that study and series")
    return found


def _frame_choice(ranges: list[MediaRange], stored: str) -> tuple[str, bool] | None:
    """(part media type, decode?) of the first acceptable range, or None (PS3.18 8.7.3.3)."""
    native = stored not in FRAME_MEDIA
    for media in ranges:
        inner = media.inner if media.media_type == "multipart/related" else None
        if media.media_type == "*/*" or inner == "*/*":  # anything: the stored form
            return (OCTET, False) if native else (FRAME_MEDIA[stored], False)
        if media.media_type == "multipart/related" and inner in (None, OCTET):
            syntax = media.transfer_syntax
            if syntax in (None, EXPLICIT_LE):
                return OCTET, not native
            if syntax in ("*", stored):
                return OCTET, False
        elif (
            inner is not None
            and inner == FRAME_MEDIA.get(stored)
            and media.transfer_syntax in (None, "*", stored)
        ):
            return inner, False
    return None


def frames(ctx: ImagingContext, found: InstanceFile, numbers: list[int]) -> Response:
    """Retrieve Frames (PS3.18 10.4.1.1.4)."""
    default = f'multipart/related; type="{OCTET}"'
    choice = _frame_choice(
        parse_accept(request.headers.get("Accept"), default), found.transfer_syntax_uid
    )
    if choice is None:
        raise not_acceptable(
            f"frames of this instance are offered as {OCTET}"
            + (
                f" or {FRAME_MEDIA[found.transfer_syntax_uid]}"
                if found.transfer_syntax_uid in FRAME_MEDIA
                else ""
            )
        )
    media, decode = choice
    try:
        got = read_frames(ctx.store.path_of(found.file_key), numbers, decode=decode)
    except FrameError as exc:
        raise (not_found if exc.missing else not_acceptable)(exc.reason) from None
    part_type = f"{media}; transfer-syntax={got.transfer_syntax}"
    parts = [PartPlan(part_type, len(f), partial(iter, (f,))) for f in got.frames]
    boundary = new_boundary()
    response = Response(stream_parts(boundary, parts), content_type=content_type(boundary, media))
    response.content_length = body_length(boundary, parts)
    return response


def _numbers(frame_list: str) -> list[int]:
    if not _FRAME_LIST.fullmatch(frame_list):
        raise bad_request(f"frame list {frame_list!r} is not comma-separated frame numbers")
    return [int(n) for n in frame_list.split(",")]


def _floats(name: str, count: tuple[int, ...]) -> list[float] | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        numbers = [float(v) for v in value.split(",")[: max(count)] if v != ""]
    except ValueError:
        raise bad_request(f"{name}: {value!r} is not a list of numbers") from None
    if len(numbers) not in count:
        raise bad_request(f"{name}: {value!r} has the wrong number of values")
    return numbers


def _render_request(media: str, frame: int, size: int | None) -> RenderRequest:
    """Rendering parameters of PS3.18 8.3.5.1: window=c,w[,fn], viewport=vw,vh, quality."""
    window = _floats("window", (2,))
    viewport = _floats("viewport", (2,))
    quality = _floats("quality", (1,))
    if window is not None and window[1] < 1:
        raise bad_request("window: the width must be at least 1")
    if viewport is not None and min(viewport) < 1:
        raise bad_request("viewport: sizes must be positive")
    if quality is not None and not 1 <= quality[0] <= 100:
        raise bad_request("quality: must be 1 to 100")
    columns, rows = (int(viewport[0]), int(viewport[1])) if viewport else (size, size)
    return RenderRequest(
        media_type=media,
        frame=frame,
        window=(window[0], window[1]) if window else None,
        rows=rows,
        columns=columns,
        quality=int(quality[0]) if quality else 90,
    )


def rendered(
    ctx: ImagingContext, found: InstanceFile, frame: int, size: int | None = None
) -> Response:
    """Retrieve Rendered / Thumbnail of an instance or frame (PS3.18 10.4.1.1.3)."""
    ranges = parse_accept(request.headers.get("Accept"), "image/jpeg")
    media = next((m for r in ranges for m in FORMATS if r.matches(m)), None)
    if media is None:
        raise not_acceptable(f"rendered images are offered as {', '.join(FORMATS)}")
    try:
        body = render(ctx.store.path_of(found.file_key), _render_request(media, frame, size))
    except RenderError as exc:
        raise (not_found if exc.missing else not_acceptable)(exc.reason) from None
    return Response(body, mimetype=media)


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add the frames, rendered and thumbnail routes to ``bp``."""
    install_error_handler(bp)
    instance = f"{PREFIX}/studies/<study>/series/<series>/instances/<sop>"

    @bp.get(f"{instance}/frames/<frame_list>", endpoint="wado_frames")
    def get_frames(study: str, series: str, sop: str, frame_list: str) -> Response:
        numbers = _numbers(frame_list)
        return frames(ctx, _instance(ctx, study, series, sop), numbers)

    @bp.get(f"{instance}/rendered", endpoint="wado_rendered")
    def get_rendered(study: str, series: str, sop: str) -> Response:
        return rendered(ctx, _instance(ctx, study, series, sop), 1)

    @bp.get(f"{instance}/frames/<frame_list>/rendered", endpoint="wado_frame_rendered")
    def get_frame_rendered(study: str, series: str, sop: str, frame_list: str) -> Response:
        numbers = _numbers(frame_list)
        if len(numbers) != 1:
            raise bad_request("a rendered frame is one frame number")
        return rendered(ctx, _instance(ctx, study, series, sop), numbers[0])

    @bp.get(f"{instance}/thumbnail", endpoint="wado_thumbnail")
    def get_thumbnail(study: str, series: str, sop: str) -> Response:
        return rendered(ctx, _instance(ctx, study, series, sop), 1, THUMBNAIL_SIZE)

    @bp.get(f"{instance}/frames/<frame_list>/thumbnail", endpoint="wado_frame_thumbnail")
    def get_frame_thumbnail(study: str, series: str, sop: str, frame_list: str) -> Response:
        numbers = _numbers(frame_list)
        if len(numbers) != 1:
            raise bad_request("a frame thumbnail is one frame number")
        return rendered(ctx, _instance(ctx, study, series, sop), numbers[0], THUMBNAIL_SIZE)
