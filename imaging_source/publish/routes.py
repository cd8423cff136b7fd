"""HTTP API of study publication (JSON):

* ``POST /imaging/studies/{uid}/publish`` - publish the study as soon as possible, without
  waiting for the stability window: 202 Accepted with its publication state (and a Location
  of that state). With ``?now=true`` the study is published within the request: 200 when the
  repository accepted the manifest, 502 when it refused it (the error is in ``lastError``),
  202 when another worker is publishing it at this moment.
* ``GET /imaging/studies/{uid}/publication`` - the study's publication state.
* ``GET /imaging/publications`` - the state of the 100 most recently active studies.

The state object: ``studyInstanceUID``, ``instances`` (stored now), ``lastReceived``,
``state`` (``waiting`` for the stability window, ``queued``, ``publishing``, ``published``,
``failed``), ``requested``, ``attempts``, ``lastError``, ``lastAttempt``, ``nextAttempt``,
``documentUniqueId`` (the current KOS SOP Instance UID = DocumentEntry.uniqueId),
``entryUUID``, ``published``, ``publishedInstances`` and ``version`` (1 = the original
manifest; each RPLC replacement adds one). Times are ISO 8601 UTC.

Unknown studies answer 404, malformed UIDs 400 (PS3.5 9.1), always with a JSON body.
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from imaging_source.context import ImagingContext
from imaging_source.publish import state
from imaging_source.publish.publisher import Publisher, Result

#: A DICOM UID (PS3.5 9.1): dot-separated numbers without leading zeros, at most 64 characters.
_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_TRUE = frozenset({"1", "true", "yes"})


def _problem(status: int, message: str) -> ResponseReturnValue:
    return jsonify(error=message), status


def _checked(uid: str) -> ResponseReturnValue | None:
    if len(uid) > 64 or not _UID.match(uid):
        return _problem(400, f"not a DICOM UID: {uid[:80]!r}")
    return None


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add the publication routes to the imaging source's blueprint."""
    publisher = Publisher(ctx.settings, ctx.read, ctx.write)

    def current(uid: str) -> dict[str, object] | None:
        with ctx.read() as session:
            return state.status(session, uid)

    @bp.post("/imaging/studies/<uid>/publish")
    def publish_study(uid: str) -> ResponseReturnValue:
        if (bad := _checked(uid)) is not None:
            return bad
        if request.args.get("now", "").lower() in _TRUE:
            outcome = publisher.publish_now(uid)
            if outcome is None:
                return _problem(404, f"unknown study {uid}")
            code = {Result.PUBLISHED: 200, Result.FAILED: 502}.get(outcome.result, 202)
            return jsonify(current(uid)), code
        if not state.request(ctx.write, uid, state.utcnow()):
            return _problem(404, f"unknown study {uid}")
        location = url_for(".publication", uid=uid)
        return jsonify(current(uid)), 202, {"Location": location}

    @bp.get("/imaging/studies/<uid>/publication")
    def publication(uid: str) -> ResponseReturnValue:
        if (bad := _checked(uid)) is not None:
            return bad
        found = current(uid)
        return jsonify(found) if found is not None else _problem(404, f"unknown study {uid}")

    @bp.get("/imaging/publications")
    def publications() -> ResponseReturnValue:
        with ctx.read() as session:
            return jsonify(state.all_status(session))
