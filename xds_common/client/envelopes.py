"""Request envelopes built by python-zeep from the project's WSDLs (ITI TF-2x Appendix V).

zeep reads ``registry.wsdl`` / ``repository.wsdl`` and their schemas from this package's
files (never from the network) and renders, for the operation whose ``wsam:Action`` is the
transaction's request action (looked up in :mod:`profiles.transactions`, never retyped):
the SOAP 1.2 envelope, the body element with everything given as zeep values, and
``wsa:Action``, ``wsa:MessageID`` and ``wsa:To``. :class:`IheAddressing`, a zeep plugin,
adds what Appendix V requires and zeep leaves out: ``mustUnderstand`` on Action and To
(IHE-WSA101) and an anonymous ``wsa:ReplyTo`` (IHE-WSA102).

A request body that the caller already holds as XML (an ``lcm:SubmitObjectsRequest`` made
by the ebRIM writer or received from a Document Source) is put into the zeep-built envelope
as it is, rather than parsed into zeep objects and rendered again: zeep would drop anything
the schema subset does not model and re-validate what the registry validates anyway.
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import zeep
from lxml import etree
from zeep import xsd
from zeep.plugins import Plugin
from zeep.transports import Transport

from profiles import namespaces as ns
from profiles.transactions import Transaction
from xds_common.soap import (
    MUST_UNDERSTAND,
    T_ACTION,
    T_ADDRESS,
    T_BODY,
    T_HEADER,
    T_MESSAGE_ID,
    T_REPLY_TO,
    T_TO,
)

WSDL_DIR: Final = Path(__file__).resolve().parent.parent / "wsdl"
#: Value for a body child that zeep must not render (the caller inserts it as XML).
SKIP: Final = xsd.SkipValue


@dataclass(frozen=True)
class Service:
    """A WSDL file and the SOAP 1.2 binding in it that the client talks to."""

    wsdl: str
    binding: str


REGISTRY: Final = Service("registry.wsdl", ns.qn(ns.XDSB, "DocumentRegistry_Binding_Soap12"))
REPOSITORY: Final = Service("repository.wsdl", ns.qn(ns.XDSB, "DocumentRepository_Binding_Soap12"))


class PackageTransport(Transport):  # type: ignore[misc]
    """zeep's loader restricted to local files: a remote schema import is refused."""

    def load(self, url: str) -> bytes:
        if "://" in url and not url.startswith("file://"):
            raise ValueError(f"refusing to fetch {url} while loading a packaged WSDL")
        return bytes(super().load(url))


class IheAddressing(Plugin):  # type: ignore[misc]
    """Completes zeep's WS-Addressing headers as ITI TF-2x Appendix V requires."""

    def egress(
        self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any
    ) -> tuple[Any, Any]:
        header = envelope.find(T_HEADER)
        for tag in (T_ACTION, T_TO):
            node = header.find(tag)
            if node is not None:
                node.set(MUST_UNDERSTAND, "1")
        if header.find(T_REPLY_TO) is None:
            reply_to = etree.Element(T_REPLY_TO)
            etree.SubElement(reply_to, T_ADDRESS).text = ns.WSA_ANONYMOUS
            message_id = header.find(T_MESSAGE_ID)
            position = header.index(message_id) + 1 if message_id is not None else len(header)
            header.insert(position, reply_to)
        # SOAPAction is a SOAP 1.1 header; SOAP 1.2 carries the action in Content-Type.
        http_headers.pop("SOAPAction", None)
        return envelope, http_headers


@cache
def _client(wsdl: str) -> Any:
    """The zeep client of one packaged WSDL, loaded once per process."""
    return zeep.Client(
        str(WSDL_DIR / wsdl), transport=PackageTransport(), plugins=[IheAddressing()]
    )


@dataclass
class Request:
    """A request envelope ready to send, with what the answer is checked against."""

    envelope: etree._Element
    message_id: str
    action: str
    content_type: str
    #: Clark name of the body element the WSDL promises in the answer.
    response_element: str

    @property
    def body(self) -> etree._Element:
        """The request's body element (the child of ``soap:Body``)."""
        body = self.envelope.find(T_BODY)
        assert body is not None and len(body) == 1
        return body[0]


class Envelopes:
    """Builds request envelopes for one service at one endpoint address."""

    def __init__(self, service: Service, address: str) -> None:
        self._client = _client(service.wsdl)
        proxy = self._client.create_service(service.binding, address)
        self._binding = proxy._binding
        self._options = proxy._binding_options
        self._by_action = {
            operation.abstract.wsa_action: name for name, operation in self._binding.all().items()
        }

    def _operation(self, transaction: Transaction) -> tuple[str, Any]:
        name = self._by_action.get(transaction.request_action)
        if name is None:
            raise ValueError(f"{transaction.id} is not an operation of this WSDL")
        return name, self._binding.get(name)

    def build(self, transaction: Transaction, **values: Any) -> Request:
        """The envelope of ``transaction`` with its body rendered by zeep from ``values``.

        Pass :data:`zeep.xsd.SkipValue` for a child that the caller adds as XML itself.
        """
        name, operation = self._operation(transaction)
        envelope, headers = self._binding._create(
            name, (), values, client=self._client, options=self._options
        )
        message_id = envelope.find(f"{T_HEADER}/{T_MESSAGE_ID}")
        return Request(
            envelope=envelope,
            message_id=(message_id.text or "") if message_id is not None else "",
            action=transaction.request_action,
            content_type=str(headers["Content-Type"]),
            response_element=operation.output.body.qname.text,
        )

    def wrap(self, transaction: Transaction, payload: etree._Element) -> Request:
        """The envelope of ``transaction`` around a copy of ``payload``, the body element as XML."""
        _name, operation = self._operation(transaction)
        expected = operation.input.body.qname.text
        if payload.tag != expected:
            raise ValueError(f"{transaction.id} sends {expected}, not {payload.tag}")
        skip = {child: xsd.SkipValue for child, _ in operation.input.body.type.elements}
        request = self.build(transaction, **skip)
        body = request.body
        body.getparent().replace(body, copy.deepcopy(payload))  # type: ignore[union-attr]
        return request
