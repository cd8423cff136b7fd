"""A minimal SOAP 1.2 + WS-Addressing poster for protocol tests (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import Transaction

ENVELOPE = """<s:Envelope xmlns:s="{soap}" xmlns:a="{wsa}"><s:Header>
<a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>{mid}</a:MessageID>
<a:ReplyTo><a:Address>{anon}</a:Address></a:ReplyTo><a:To>{to}</a:To>
</s:Header><s:Body>{body}</s:Body></s:Envelope>"""


@dataclass
class SoapReply:
    """HTTP status plus the parsed envelope parts."""

    http_status: int
    envelope: etree._Element
    message_id: str

    @property
    def body(self) -> etree._Element:
        return self.envelope.find(ns.qn(ns.SOAP12, "Body"))[0]  # type: ignore[index]

    @property
    def action(self) -> str:
        node = self.envelope.find(f"{ns.qn(ns.SOAP12, 'Header')}/{ns.qn(ns.WSA, 'Action')}")
        return (node.text or "") if node is not None else ""

    @property
    def relates_to(self) -> str:
        node = self.envelope.find(f"{ns.qn(ns.SOAP12, 'Header')}/{ns.qn(ns.WSA, 'RelatesTo')}")
        return (node.text or "") if node is not None else ""

    @property
    def status(self) -> str:
        return self.body.get("status", "")

    @property
    def error_codes(self) -> list[str]:
        return [e.get("errorCode", "") for e in self.body.iter(ns.qn(ns.RS, "RegistryError"))]


def envelope(action: str, body: str, to: str) -> tuple[bytes, str]:
    """A request envelope around ``body`` and its MessageID."""
    message_id = f"urn:uuid:{uuid.uuid4()}"
    text = ENVELOPE.format(
        soap=ns.SOAP12,
        wsa=ns.WSA,
        action=action,
        mid=message_id,
        anon=ns.WSA_ANONYMOUS,
        to=to,
        body=body,
    )
    return text.encode(), message_id


def post(url: str, transaction: Transaction, body: str) -> SoapReply:
    """POST ``body`` as ``transaction`` and parse the SOAP response."""
    data, message_id = envelope(transaction.request_action, body, url)
    return post_raw(url, data, message_id)


def post_raw(url: str, data: bytes, message_id: str = "", content_type: str = "") -> SoapReply:
    """POST raw bytes (for malformed-input tests) and parse the SOAP response."""
    response = requests.post(
        url,
        data=data,
        headers={"Content-Type": content_type or "application/soap+xml; charset=UTF-8"},
        timeout=60,
    )
    return SoapReply(response.status_code, etree.fromstring(response.content), message_id)
