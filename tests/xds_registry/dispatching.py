"""Send a body through a Dispatcher in-process and read the RegistryResponse it answers."""

from __future__ import annotations

import uuid

from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import Transaction
from xds_common import soap
from xds_common.dispatch import Dispatcher
from xds_common.xml import parse


def registry_response(
    dispatcher: Dispatcher, transaction: Transaction, body: etree._Element
) -> etree._Element:
    """POST-equivalent of ``body`` as ``transaction``; the rs:RegistryResponse of the reply."""
    envelope = soap.request_envelope(
        transaction.request_action, f"urn:uuid:{uuid.uuid4()}", "local", body
    )
    reply = dispatcher.dispatch(envelope, soap.SOAP_CONTENT_TYPE)
    assert reply.status == 200 and isinstance(reply.body, bytes)
    response = parse(reply.body).find(f"{{{ns.SOAP12}}}Body/{{{ns.RS}}}RegistryResponse")
    assert response is not None
    return response
