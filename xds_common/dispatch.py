"""The one dispatch boundary every SOAP request passes through (ITI TF-2x Appendix V).

Action -> handler table (no if-chains). Here, and only here, errors are rendered:
``SoapFault`` -> SOAP Fault, ``XdsError`` -> the transaction's error response, anything
unexpected -> the transaction's default error code, logged with a request id. Authentication
and audit hook in through ``before``/``after`` callbacks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from profiles.transactions import Transaction
from xds_common import soap
from xds_common.errors import RegistryError, XdsError
from xds_common.mtom import MtomError, Readable, ResponsePart, mtom_response, read_mtom

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attached:
    """A response body with MTOM attachments (ITI-43, RAD-69): ``xop:Include``s + parts."""

    payload: etree._Element
    parts: list[ResponsePart]


#: A handler answers an element, bytes it serialised itself (large LeafClass answers), or an
#: element with attachments.
Payload = etree._Element | bytes | Attached
Handler = Callable[[soap.SoapRequest], Payload]
ErrorRenderer = Callable[[list[RegistryError]], etree._Element]
Hook = Callable[[Transaction, soap.SoapRequest], None]
AfterHook = Callable[[Transaction, soap.SoapRequest, Payload], None]


@dataclass(frozen=True)
class Route:
    """How one transaction is served."""

    transaction: Transaction
    handler: Handler
    render_errors: ErrorRenderer


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type, body (bytes or a stream), and its length."""

    status: int
    content_type: str
    body: bytes | Iterable[bytes]
    length: int | None = None


def fault_reply(error: soap.SoapFault, status: int) -> Reply:
    """HTTP ``status`` with a SOAP Fault body of known length."""
    body = soap.fault(error)
    return Reply(status, soap.SOAP_CONTENT_TYPE, body, len(body))


@dataclass
class Dispatcher:
    """Dispatches SOAP requests of one endpoint by their wsa:Action."""

    routes: dict[str, Route] = field(default_factory=dict)
    max_bytes: int = 20 * 1024 * 1024
    before: list[Hook] = field(default_factory=list)
    after: list[AfterHook] = field(default_factory=list)

    def add(self, transaction: Transaction, handler: Handler, render: ErrorRenderer) -> None:
        """Serve ``transaction`` with ``handler``; ``render`` builds its error response."""
        self.routes[transaction.request_action] = Route(transaction, handler, render)

    def _fault(self, error: soap.SoapFault, relates_to: str = "") -> Reply:
        status = 500 if error.code == "Receiver" else 400
        return Reply(status, soap.SOAP_CONTENT_TYPE, soap.fault(error, relates_to))

    def too_large(self) -> Reply:
        """HTTP 413 with a SOAP Fault for a body over the configured limit."""
        error = soap.SoapFault(f"request larger than {self.max_bytes} bytes")
        return Reply(413, soap.SOAP_CONTENT_TYPE, soap.fault(error))

    def dispatch(self, data: bytes, content_type: str) -> Reply:
        """Handle one request body; never raises."""
        if len(data) > self.max_bytes:
            return self.too_large()
        try:
            request = soap.read_request(data, content_type, self.max_bytes)
        except soap.SoapFault as exc:
            return self._fault(exc)
        return self.dispatch_request(request)

    def dispatch_stream(
        self,
        stream: Readable,
        content_type: str,
        length: int | None,
        staging: Path,
        *,
        max_root_bytes: int,
        max_total_bytes: int,
    ) -> Reply:
        """Read a plain SOAP or MTOM/XOP request with bounded memory and dispatch it.

        A body over ``max_total_bytes`` is refused unread (HTTP 413); a broken package or
        envelope is a SOAP Fault (ITI TF-2x V.3.2.1, Appendix V.9). Attachments staged in
        ``staging`` are removed when the request is done. Never raises.
        """
        if length is not None and length > max_total_bytes:
            return fault_reply(soap.SoapFault(f"request larger than {max_total_bytes} bytes"), 413)
        try:
            message = read_mtom(
                stream,
                content_type,
                staging,
                max_root_bytes=max_root_bytes,
                max_total_bytes=max_total_bytes,
            )
        except MtomError as exc:
            return fault_reply(soap.SoapFault(str(exc)), exc.kind.http_status)
        with message:
            try:
                parsed = soap.read_envelope(message.envelope, message.is_mtom, message)
            except soap.SoapFault as exc:
                return fault_reply(exc, 400)
            return self.dispatch_request(parsed)

    def dispatch_request(self, request: soap.SoapRequest) -> Reply:
        """Handle a request whose envelope was already read (MTOM endpoints); never raises."""
        route = self.routes.get(request.action)
        if route is None:
            error = soap.SoapFault(
                f"action {request.action!r} is not supported by this endpoint",
                subcode="wsa:ActionNotSupported",
            )
            return self._fault(error, request.message_id)
        payload = self._run(route, request)
        return self._package(route.transaction, request, payload)

    @staticmethod
    def _package(transaction: Transaction, request: soap.SoapRequest, payload: Payload) -> Reply:
        """Simple SOAP, or MTOM for MTOM transactions (Appendix V.8: same encoding back)."""
        action, relates = transaction.response_action, request.message_id
        if isinstance(payload, Attached):
            element: etree._Element | bytes = payload.payload
            parts = payload.parts
        else:
            element, parts = payload, []
        body = soap.envelope(action, relates, element)
        if not (transaction.mtom or request.mtom or parts):
            return Reply(200, soap.SOAP_CONTENT_TYPE, body, len(body))
        package = mtom_response(body, parts, action=action)
        return Reply(200, package.content_type, package.body, package.content_length)

    def _run(self, route: Route, request: soap.SoapRequest) -> Payload:
        transaction = route.transaction
        try:
            if request.body.tag != transaction.request_element:
                raise XdsError(
                    transaction.default_error,
                    f"{transaction.id} expects {etree.QName(transaction.request_element).localname}"
                    f" in the SOAP Body, got {etree.QName(request.body).localname}",
                )
            for hook in self.before:
                hook(transaction, request)
            payload: Payload = route.handler(request)
        except XdsError as exc:
            payload = route.render_errors(exc.errors)
        except Exception:
            request_id = uuid.uuid4().hex[:12]
            log.exception("request %s (%s) failed unexpectedly", request_id, transaction.id)
            error = RegistryError(
                transaction.default_error, f"internal error, request id {request_id}"
            )
            payload = route.render_errors([error])
        for after in self.after:
            after(transaction, request, payload)
        return payload
