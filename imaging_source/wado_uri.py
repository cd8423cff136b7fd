"""WADO-URI (IHE RAD-55, DICOM PS3.18 chapter 9) at ``/wado``.

``GET /wado?requestType=WADO&studyUID=…&seriesUID=…&objectUID=…[&contentType=…]
[&transferSyntax=…][&frameNumber=…][&rows=…&columns=…][&windowCenter=…&windowWidth=…]
[&imageQuality=…]`` (PS3.18 Table 9.1.2-1 / 9.2). ``application/dicom`` returns the stored
Part 10 file unchanged; ``image/jpeg`` (the default for images, 9.2.3.1) and ``image/png``
render one frame (:mod:`imaging_source.render`); objects without pixel data default to
``application/dicom``.

Status codes (PS3.18 9.1.2.5 and 8.6.1, RAD TF-3 4.55.4.1.3): a missing or wrong
``requestType``, a missing UID parameter or a malformed value is 400; an object that is not
stored, or not in the named study and series, is 404 — also for an empty UID, which names no
object (the NIST IDS cases ``ids_2018-4810`` 04 to 06 expect 404); a content type or transfer
syntax we cannot provide is 406.
"""

from __future__ import annotations

import re
from functools import partial

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from imaging_source.context import ImagingContext
from imaging_source.dicomweb.errors import bad_request, not_acceptable, not_found
from imaging_source.dicomweb.http import install_error_handler
from imaging_source.dicomweb.multipart import file_chunks
from imaging_source.index.reader import InstanceFile, instance_file
from imaging_source.render import FORMATS, RenderError, RenderRequest, render

DICOM = "application/dicom"
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_UID_PARAMS = ("studyUID", "seriesUID", "objectUID")
#: Parameters that only make sense for a rendered image (PS3.18 9.1.2.1: not with DICOM).
_RENDER_PARAMS = ("frameNumber", "rows", "columns", "windowCenter", "windowWidth", "imageQuality")


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name} is given more than once")
    return values[0] if values else None


def _number(args: MultiDict[str, str], name: str, low: float, high: float) -> float | None:
    value = _single(args, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise bad_request(f"{name}: {value!r} is not a number") from None
    if not low <= number <= high:
        raise bad_request(f"{name}: {value!r} is out of range")
    return number


def _integer(args: MultiDict[str, str], name: str, low: int, high: int) -> int | None:
    value = _single(args, name)
    if value is not None and not value.isdigit():
        raise bad_request(f"{name}: {value!r} is not a positive integer")
    number = _number(args, name, low, high)
    return None if number is None else int(number)


def _find(ctx: ImagingContext, args: MultiDict[str, str]) -> InstanceFile:
    """The requested object: 400 for absent or malformed UIDs, 404 when not stored there."""
    uids = {}
    for name in _UID_PARAMS:
        value = _single(args, name)
        if value is None:
            raise bad_request(f"{name} is required")
        if value and not _UID.fullmatch(value):
            raise bad_request(f"{name}: {value!r} is not a UID")
        uids[name] = value
    with ctx.read() as session:
        found = instance_file(session, uids["objectUID"]) if uids["objectUID"] else None
    if (
        found is None
        or found.study_instance_uid != uids["studyUID"]
        or found.series_instance_uid != uids["seriesUID"]
    ):
        raise not_found("no such object in that study and series")
    return found


def _content_types(args: MultiDict[str, str]) -> list[str]:
    """The ``contentType`` list (comma-separated, PS3.18 9.1.2.1.3), empty when absent."""
    value = _single(args, "contentType")
    if value is None:
        return []
    types = [t.split(";", 1)[0].strip().lower() for t in value.split(",")]
    if not all(t.count("/") == 1 for t in types):
        raise bad_request(f"contentType: {value!r} is not a list of media types")
    return types


def _choose(types: list[str]) -> str | None:
    """The first listed type we make, or None for the default (absent or ``*/*``)."""
    for media in types:
        if media == "*/*":
            return None
        if media == "image/*":
            return "image/jpeg"
        if media == DICOM or media in FORMATS:
            return media
    if types:
        raise not_acceptable(f"content types offered: {DICOM}, {', '.join(FORMATS)}")
    return None


def _dicom(ctx: ImagingContext, found: InstanceFile, args: MultiDict[str, str]) -> Response:
    """The stored Part 10 file (PS3.18 9.2.3.2), as stored; 406 for another transfer syntax."""
    if given := [p for p in _RENDER_PARAMS if p in args]:
        raise bad_request(f"{', '.join(given)} only apply to rendered images")
    syntax = _single(args, "transferSyntax")
    if syntax is not None and syntax not in ("*", found.transfer_syntax_uid):
        if not _UID.fullmatch(syntax):
            raise bad_request(f"transferSyntax: {syntax!r} is not a UID")
        raise not_acceptable(f"the object is available in {found.transfer_syntax_uid} only")
    try:
        size = ctx.store.path_of(found.file_key).stat().st_size
    except OSError:
        raise not_found("the object's file is not available") from None
    chunks = file_chunks(partial(ctx.store.open, found.file_key), size)
    response = Response(chunks(), mimetype=DICOM, direct_passthrough=True)
    response.content_length = size
    return response


def _render_request(media: str, args: MultiDict[str, str]) -> RenderRequest:
    """Rendering parameters (PS3.18 9.1.2.2): frame, size, window, quality."""
    if "transferSyntax" in args:
        raise bad_request("transferSyntax only applies to application/dicom")
    center = _number(args, "windowCenter", -1e9, 1e9)
    width = _number(args, "windowWidth", 1, 1e9)
    if (center is None) != (width is None):
        raise bad_request("windowCenter and windowWidth go together")
    window = (center, width) if center is not None and width is not None else None
    return RenderRequest(
        media_type=media,
        frame=_integer(args, "frameNumber", 1, 1 << 31) or 1,
        window=window,
        rows=_integer(args, "rows", 1, 4096),
        columns=_integer(args, "columns", 1, 4096),
        quality=_integer(args, "imageQuality", 1, 100) or 90,
    )


def wado(ctx: ImagingContext) -> Response:
    """Answer one WADO-URI request (PS3.18 9.1, RAD TF-3 4.55)."""
    args = request.args
    if _single(args, "requestType") != "WADO":
        raise bad_request("requestType must be WADO")
    if _single(args, "anonymize") not in (None, "no"):
        raise not_acceptable("anonymized objects are not offered")
    media = _choose(_content_types(args))
    found = _find(ctx, args)
    if media == DICOM:
        return _dicom(ctx, found, args)
    rendering = _render_request(media or "image/jpeg", args)
    try:
        body = render(ctx.store.path_of(found.file_key), rendering)
    except RenderError as exc:
        if exc.missing:
            raise not_found(exc.reason) from None
        if media is None:  # the default for objects that are not images (PS3.18 9.2.3.1)
            return _dicom(ctx, found, args)
        raise not_acceptable(exc.reason) from None
    return Response(body, mimetype=rendering.media_type)


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add ``GET /wado`` to ``bp``."""
    install_error_handler(bp)

    @bp.get("/wado", endpoint="wado_uri")
    def wado_uri() -> Response:
        return wado(ctx)
