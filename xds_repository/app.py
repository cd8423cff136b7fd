"""Flask app of the Document Repository: ``/xds/repository`` (ITI-41, ITI-43) and its WSDL.

The request body is read as a stream by the MTOM reader (attachments go to staging files);
responses stream from storage with a Content-Length. Bad packages get SOAP Faults with the
HTTP status of their kind (400, 413, 415), never a 500.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Flask, Response, request

from profiles import transactions as tx
from xds_common.db import session_factory
from xds_common.dispatch import Dispatcher, Reply
from xds_common.ebrim import writer
from xds_common.settings import Settings
from xds_common.wsdl import serve
from xds_repository.context import RepositoryContext
from xds_repository.provide import provide
from xds_repository.recovery import recover
from xds_repository.registry_link import registry_sender
from xds_repository.retrieve import retrieve, retrieve_errors
from xds_repository.store import DocumentStore, open_store

ENDPOINT = "/xds/repository"
log = logging.getLogger(__name__)


def build_store(settings: Settings) -> DocumentStore:
    """The configured document store (``BEELDPORTAAL_DOCUMENT_STORE``)."""
    if settings.document_store == "s3":
        options = dict(settings.s3)
        return open_store("s3", staging_dir=settings.home / "staging", **options)
    return open_store(settings.document_store, root=settings.home / "documents")


def build_context(settings: Settings) -> RepositoryContext:
    """Store, sessions, identity and the registry link for the repository handlers."""
    return RepositoryContext(
        store=build_store(settings),
        write=session_factory(settings.database_url, write=True),
        read=session_factory(settings.database_url),
        repository_unique_id=settings.repository_unique_id,
        home_community_id=settings.home_community_id,
        register=registry_sender(settings.effective_registry_url),
    )


def build_dispatcher(ctx: RepositoryContext, max_bytes: int) -> Dispatcher:
    """The Document Repository actor's transactions (ITI-41, ITI-43)."""
    dispatcher = Dispatcher(max_bytes=max_bytes)
    dispatcher.add(tx.ITI_41, lambda r: provide(ctx, r), writer.registry_response)
    dispatcher.add(tx.ITI_43, lambda r: retrieve(ctx, r), retrieve_errors)
    return dispatcher


def handle(ctx: RepositoryContext, dispatcher: Dispatcher, settings: Settings) -> Reply:
    """Read the streamed request, dispatch it, and always clean its staging files."""
    return dispatcher.dispatch_stream(
        request.stream,
        request.content_type or "",
        request.content_length,
        ctx.store.stage_dir(),
        max_root_bytes=settings.max_soap_bytes,
        max_total_bytes=settings.max_document_bytes,
    )


def wsdl_text(base_url: str) -> str:
    """The repository WSDL with the service address filled in (WSDL 1.1 3.8)."""
    return serve.wsdl_text("repository.wsdl", base_url + ENDPOINT)


def blueprint(settings: Settings) -> Blueprint:
    """Routes of the repository: POST SOAP/MTOM requests, GET ``?wsdl``."""
    bp = Blueprint("xds_repository", __name__)
    ctx = build_context(settings)
    dispatcher = build_dispatcher(ctx, settings.max_soap_bytes)
    recovery = threading.Thread(
        target=recover,
        args=(ctx, settings.effective_registry_url),
        daemon=True,
        name="repository-recovery",
    )
    recovery.start()

    @bp.post(ENDPOINT)
    def soap_endpoint() -> Response:
        reply = handle(ctx, dispatcher, settings)
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        if reply.length is not None:
            response.content_length = reply.length
        return response

    @bp.get(ENDPOINT)
    def describe() -> Response:
        if "wsdl" not in {k.lower() for k in request.args}:
            return Response("POST SOAP 1.2 / MTOM requests here (ITI-41, ITI-43)\n", 200,
                            content_type="text/plain")  # fmt: skip
        text = wsdl_text(request.host_url.rstrip("/"))
        return Response(text, content_type=serve.WSDL_CONTENT_TYPE)

    return bp


def create_app(settings: Settings) -> Flask:
    """The repository as a stand-alone Flask app."""
    app = Flask(__name__)
    app.register_blueprint(blueprint(settings))
    return app
