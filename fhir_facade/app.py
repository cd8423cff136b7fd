"""Flask app of the FHIR facade at ``/fhir``: collects the resource modules' routes and
their ``SUPPORT`` declarations (the CapabilityStatement is built from them).

A resource module exposes ``SUPPORT`` (:class:`~fhir_facade.capability.ResourceSupport`, or
:class:`~fhir_facade.capability.SystemSupport` for a system-level interaction such as the
ITI-65 ``transaction``) and ``register(bp, settings)`` that adds its routes to the blueprint.
Add modules to :data:`RESOURCE_MODULES`.

Every error under ``/fhir`` is an OperationOutcome with its HTTP status (FHIR R4 http.html
2.21.0.17): :class:`~fhir_facade.errors.FhirError` from any route, 404 for unknown paths,
405 for methods a path does not support, 500 (logged with a request id) for anything else.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from importlib import metadata
from types import ModuleType

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map

from fhir_facade import (
    binary,
    document_reference,
    endpoint,
    imaging_study,
    lists,
    patient,
    provide,
    wire,
)
from fhir_facade.capability import ResourceSupport, SystemSupport, capability_statement
from fhir_facade.errors import FhirError
from fhir_facade.xds import fhir_base
from xds_common.settings import Settings

ENDPOINT = "/fhir"
NAME = "fhir_facade"
_UNROUTED = f"{NAME}.unrouted"
LOG = logging.getLogger(__name__)

#: Resource modules, each with ``SUPPORT`` and ``register(bp, settings)``.
RESOURCE_MODULES: tuple[ModuleType, ...] = (
    provide,
    document_reference,
    lists,
    binary,
    patient,
    imaging_study,
    endpoint,
)

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _version() -> str:
    try:
        return metadata.version("beeldportaal")
    except metadata.PackageNotFoundError:
        return "unknown"


def _metadata(settings: Settings, date: str) -> Response:
    """``GET /fhir/metadata`` (FHIR R4 http.html#capabilities)."""
    resources = [m.SUPPORT for m in RESOURCE_MODULES if isinstance(m.SUPPORT, ResourceSupport)]
    system = [m.SUPPORT for m in RESOURCE_MODULES if isinstance(m.SUPPORT, SystemSupport)]
    statement = capability_statement(resources, system, fhir_base(settings), _version(), date)
    return wire.respond(statement)


def _unrouted(path: str = "") -> Response:
    """404 for unknown paths, 405 when the path exists for other methods."""
    ours = Map(
        [rule.empty() for rule in current_app.url_map.iter_rules()
         if rule.endpoint.startswith(f"{NAME}.") and not rule.endpoint.startswith(_UNROUTED)]
    )  # fmt: skip
    target = f"{ENDPOINT}/{path}" if path else ENDPOINT
    try:
        ours.bind("").match(target, method=request.method)
    except MethodNotAllowed as exc:
        allowed = sorted(exc.valid_methods or [])
        raise FhirError.of(
            405, "not-supported", f"{request.method} {target}: use {allowed}"
        ) from None
    except NotFound:
        pass
    raise FhirError.of(404, "not-found", f"{target} is not part of this FHIR server")


def _fhir_error(error: FhirError) -> Response:
    return wire.error_response(error)


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        code = error.code or 500
        return wire.error_response(FhirError.of(code, "exception", error.description or ""))
    request_id = uuid.uuid4().hex
    LOG.exception("FHIR request %s failed", request_id)
    return wire.error_response(
        FhirError.of(500, "exception", f"internal error (request id {request_id})")
    )


def blueprint(settings: Settings) -> Blueprint:
    """Routes of the FHIR facade."""
    bp = Blueprint(NAME, __name__, url_prefix=ENDPOINT)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for module in RESOURCE_MODULES:
        module.register(bp, settings)
    bp.add_url_rule("/metadata", "metadata", lambda: _metadata(settings, started))
    bp.add_url_rule("/<path:path>", "unrouted", _unrouted, methods=_ALL_METHODS)
    others = [m for m in _ALL_METHODS if m != "POST"]
    bp.add_url_rule("", "unrouted_base", _unrouted, methods=others)
    bp.register_error_handler(FhirError, _fhir_error)
    bp.register_error_handler(Exception, _unexpected)
    return bp
