"""QIDO-RS endpoints at ``/dicomweb`` (PS3.18 10.6, Search Transaction).

``GET /studies``, ``/series``, ``/instances`` and the scoped forms under a study or series.
The answer is an ``application/dicom+json`` array; an empty match answers 200 with ``[]``
(PS3.18 10.6.3 as corrected by CP-2473; clients accept both that and the older 204).
Queries read only the index, in one statement each (:mod:`imaging_source.index.query`).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, request

from imaging_source.context import ImagingContext
from imaging_source.dicomweb.accept import accepts, parse_accept
from imaging_source.dicomweb.attributes import Level
from imaging_source.dicomweb.errors import not_acceptable
from imaging_source.dicomweb.http import DICOM_JSON, PREFIX, install_error_handler, json_response
from imaging_source.dicomweb.qido_json import results, returned_levels
from imaging_source.dicomweb.qido_params import QidoQuery, parse_query
from imaging_source.index.query import Scope, search

_JSON_TYPES = (DICOM_JSON, "application/json")


def _warnings(query: QidoQuery, more: bool) -> tuple[str, ...]:
    """Warning texts of PS3.18 8.3.4.2, 8.3.4.4 and 8.3.4.5."""
    found = []
    if query.ignored:
        found.append(
            "The following attributes are not supported as query keys or fields: "
            + ", ".join(query.ignored)
        )
    if query.fuzzy:
        found.append(
            "The fuzzymatching parameter is not supported. "
            "Only literal matching has been performed."
        )
    if more:
        found.append("There are additional results that can be requested")
    return tuple(found)


def run_search(ctx: ImagingContext, level: Level, scope: Scope) -> Response:
    """Answer one QIDO-RS search of ``level`` under ``scope``."""
    ranges = parse_accept(request.headers.get("Accept"), DICOM_JSON)
    if not any(accepts(ranges, t) for t in _JSON_TYPES):
        raise not_acceptable("QIDO-RS answers application/dicom+json only")
    query = parse_query(level, request.args.items(multi=True), ctx.settings.query_result_limit)
    with ctx.read() as session:
        rows = search(
            session,
            level.value,
            query.conditions,
            scope,
            limit=query.limit + 1,
            offset=query.offset,
            with_json=bool(query.include_all or query.include_other),
        )
    more = len(rows) > query.limit
    levels = returned_levels(level, scope.study_uid is not None, scope.series_uid is not None)
    with _collector_paused():
        found = results(rows[: query.limit], query, levels, ctx.settings.effective_dicomweb_url)
        text = json.dumps(found, ensure_ascii=False, separators=(",", ":"))
    return json_response(text, warnings=_warnings(query, more))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large answer is built.

    Thousands of small, acyclic dicts would otherwise trigger many full collections; with
    2,000 studies this halves the time of a search. Reference counting still frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add the QIDO-RS routes to ``bp``."""
    install_error_handler(bp)

    @bp.get(f"{PREFIX}/studies", endpoint="qido_studies")
    def studies() -> Response:
        return run_search(ctx, Level.STUDY, Scope())

    @bp.get(f"{PREFIX}/series", endpoint="qido_series")
    def all_series() -> Response:
        return run_search(ctx, Level.SERIES, Scope())

    @bp.get(f"{PREFIX}/studies/<study>/series", endpoint="qido_study_series")
    def study_series(study: str) -> Response:
        return run_search(ctx, Level.SERIES, Scope(study))

    @bp.get(f"{PREFIX}/instances", endpoint="qido_instances")
    def instances() -> Response:
        return run_search(ctx, Level.INSTANCE, Scope())

    @bp.get(f"{PREFIX}/studies/<study>/instances", endpoint="qido_study_instances")
    def study_instances(study: str) -> Response:
        return run_search(ctx, Level.INSTANCE, Scope(study))

    @bp.get(f"{PREFIX}/studies/<study>/series/<series>/instances", endpoint="qido_series_instances")
    def series_instances(study: str, series: str) -> Response:
        return run_search(ctx, Level.INSTANCE, Scope(study, series))
