"""Flask app of the Document Registry: SOAP endpoint ``/xds/registry`` and its WSDL."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, request

from xds_common.db import session_factory
from xds_common.settings import Settings
from xds_common.wsdl import serve as wsdl
from xds_registry.context import RegistryContext
from xds_registry.patients import PatientIdentity
from xds_registry.service import build_dispatcher

ENDPOINT = "/xds/registry"


def build_context(settings: Settings) -> RegistryContext:
    """Sessions and settings for the registry handlers."""
    write = session_factory(settings.database_url, write=True)
    return RegistryContext(
        write=write,
        read=session_factory(settings.database_url),
        patients=PatientIdentity(write, settings.patient_id_domains),
        home_community_id=settings.home_community_id,
        query_result_limit=settings.query_result_limit,
        unknown_patient_query_error=settings.unknown_patient_query_error,
    )


def wsdl_text(base_url: str) -> str:
    """The registry WSDL with the service address filled in."""
    return wsdl.wsdl_text("registry.wsdl", base_url + ENDPOINT)


def _read_bounded(limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` (read no further)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data


def blueprint(settings: Settings) -> Blueprint:
    """Routes of the registry: POST SOAP requests, GET ``?wsdl``."""
    bp = Blueprint("xds_registry", __name__)
    dispatcher = build_dispatcher(build_context(settings), settings.max_soap_bytes)

    @bp.post(ENDPOINT)
    def soap_endpoint() -> Response:
        data = _read_bounded(settings.max_soap_bytes)
        if data is None:
            reply = dispatcher.too_large()
        else:
            reply = dispatcher.dispatch(data, request.content_type or "")
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        if reply.length is not None:
            response.content_length = reply.length
        return response

    @bp.get(ENDPOINT)
    def describe() -> Response:
        if "wsdl" not in {k.lower() for k in request.args}:
            return Response("POST SOAP 1.2 requests here; the WSDL is at ?wsdl\n", 200,
                            content_type="text/plain")  # fmt: skip
        text = wsdl_text(request.host_url.rstrip("/"))
        return Response(text, content_type=wsdl.WSDL_CONTENT_TYPE)

    @bp.get("/xds/<name>")
    def schema(name: str) -> Response:
        found = wsdl.schema_response(name)
        if found is None:
            abort(404)
        return Response(found[0], content_type=found[1])

    return bp


def create_app(settings: Settings) -> Flask:
    """The registry as a stand-alone Flask app."""
    app = Flask(__name__)
    app.register_blueprint(blueprint(settings))
    return app
