"""The registry's SOAP endpoint: its transactions, handlers and error renderers, as a table."""

from __future__ import annotations

from profiles import transactions as tx
from xds_common import soap
from xds_common.dispatch import Dispatcher, Handler, Payload
from xds_common.ebrim import writer
from xds_registry.context import RegistryContext
from xds_registry.delete import delete
from xds_registry.query.service import QueryConfig, error_response, run_stored_query
from xds_registry.register import register
from xds_registry.update import update


def _stored_query(ctx: RegistryContext) -> Handler:
    """ITI-18 in a read-only session (ITI TF-2a 3.18.4.1.3)."""
    config = QueryConfig(
        result_limit=ctx.query_result_limit,
        unknown_patient_error=ctx.unknown_patient_query_error,
        home_community_id=ctx.home_community_id,
    )

    def handle(request: soap.SoapRequest) -> Payload:
        with ctx.read() as session:
            return run_stored_query(session, request.body, config)

    return handle


def build_dispatcher(ctx: RegistryContext, max_bytes: int) -> Dispatcher:
    """The Document Registry actor's transactions (ITI-18, ITI-42, ITI-57, ITI-62)."""
    dispatcher = Dispatcher(max_bytes=max_bytes)
    dispatcher.add(tx.ITI_42, lambda request: register(ctx, request), writer.registry_response)
    dispatcher.add(tx.ITI_18, _stored_query(ctx), error_response)
    dispatcher.add(tx.ITI_57, lambda request: update(ctx, request), writer.registry_response)
    dispatcher.add(tx.ITI_62, lambda request: delete(ctx, request), writer.registry_response)
    return dispatcher
