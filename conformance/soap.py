"""A SOAP 1.2 + WS-Addressing 1.0 client for XDS.b transactions (ITI TF-2 Appendix V).

The request envelope carries ``wsa:Action`` (mustUnderstand), ``wsa:MessageID``,
``wsa:ReplyTo`` = anonymous and ``wsa:To``; it is POSTed as
``application/soap+xml; charset=UTF-8; action="..."`` or, for MTOM transactions (ITI-41,
ITI-43; ``Transaction.mtom``), as ``multipart/related`` XOP. The response's ``wsa:Action``
and ``wsa:RelatesTo`` are checked. Every outcome - a RegistryResponse, a SOAP Fault, a
non-XML answer, a refused connection, a timeout - becomes a :class:`SoapResult`; this module
never raises for what the far end does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import requests
from lxml import etree

from conformance import mtom
from profiles import namespaces as ns
from profiles.transactions import Transaction
from xds_common.xml import XmlRejected, parse

DEFAULT_TIMEOUT = 30.0
_TEXT_LIMIT = 200_000


@dataclass(frozen=True)
class RegistryError:
    """One ``rs:RegistryError`` (ITI TF-3 4.2.4)."""

    code: str
    context: str
    severity: str
    location: str = ""

    @property
    def is_warning(self) -> bool:
        """True for ``...ErrorSeverityType:Warning``."""
        return self.severity.endswith(":Warning")


@dataclass
class SoapResult:
    """What came back from one SOAP exchange."""

    transaction: str
    url: str
    http_status: int | None = None
    status: str | None = None
    errors: list[RegistryError] = field(default_factory=list)
    body: etree._Element | None = None
    fault: str | None = None
    problem: str | None = None
    header_problems: list[str] = field(default_factory=list)
    attachments: dict[str, bytes] = field(default_factory=dict)
    request_text: str = ""
    response_text: str = ""

    @property
    def status_name(self) -> str | None:
        """``Success``/``Failure``/``PartialSuccess`` (last URN component) or ``Fault``."""
        if self.fault is not None:
            return "Fault"
        if self.status is None:
            return None
        return self.status.rsplit(":", 1)[-1]

    @property
    def error_codes(self) -> list[str]:
        """The ``errorCode`` of every RegistryError, in order."""
        return [e.code for e in self.errors]


def envelope(transaction: Transaction, body: etree._Element, to: str, message_id: str) -> bytes:
    """Build the SOAP 1.2 envelope with WS-Addressing headers (ITI TF-2 Appendix V.3)."""
    env = etree.Element(ns.qn(ns.SOAP12, "Envelope"), nsmap={"s": ns.SOAP12, "a": ns.WSA})
    header = etree.SubElement(env, ns.qn(ns.SOAP12, "Header"))
    action = etree.SubElement(header, ns.qn(ns.WSA, "Action"))
    action.set(ns.qn(ns.SOAP12, "mustUnderstand"), "1")
    action.text = transaction.request_action
    etree.SubElement(header, ns.qn(ns.WSA, "MessageID")).text = message_id
    reply_to = etree.SubElement(header, ns.qn(ns.WSA, "ReplyTo"))
    etree.SubElement(reply_to, ns.qn(ns.WSA, "Address")).text = ns.WSA_ANONYMOUS
    etree.SubElement(header, ns.qn(ns.WSA, "To")).text = to
    soap_body = etree.SubElement(env, ns.qn(ns.SOAP12, "Body"))
    soap_body.append(body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


class SoapClient:
    """Sends XDS.b SOAP requests with ``requests``; every call has a timeout."""

    def __init__(
        self, timeout: float = DEFAULT_TIMEOUT, session: requests.Session | None = None
    ) -> None:
        self.timeout = timeout
        self.session = session or requests.Session()

    def call(
        self,
        url: str,
        transaction: Transaction,
        body: etree._Element,
        attachments: Mapping[str, bytes] | None = None,
    ) -> SoapResult:
        """Send ``body`` as ``transaction`` to ``url`` and interpret the answer."""
        message_id = f"urn:uuid:{uuid.uuid4()}"
        result = SoapResult(transaction.id, url)
        raw = envelope(transaction, body, url, message_id)
        content_type, data = self._encode(transaction, raw, attachments or {})
        result.request_text = _text(data)
        try:
            response = self.session.post(
                url, data=data, headers={"Content-Type": content_type}, timeout=self.timeout
            )
        except requests.Timeout:
            result.problem = f"no answer from {url} within {self.timeout:g} s (timeout)"
            return result
        except requests.ConnectionError as exc:
            result.problem = f"cannot connect to {url}: {_short(exc)}"
            return result
        except requests.RequestException as exc:
            result.problem = f"HTTP request to {url} failed: {_short(exc)}"
            return result
        result.http_status = response.status_code
        result.response_text = _text(response.content)
        env = interpret(result, response.headers.get("Content-Type", ""), response.content)
        if env is not None:
            check_addressing(result, env, transaction, message_id)
        return result

    @staticmethod
    def _encode(
        transaction: Transaction, raw: bytes, attachments: Mapping[str, bytes]
    ) -> tuple[str, bytes]:
        action = transaction.request_action
        if transaction.mtom or attachments:
            package = mtom.build(raw, attachments, action)
            return package.content_type, package.body
        return f'application/soap+xml; charset=UTF-8; action="{action}"', raw


def interpret(result: SoapResult, content_type: str, content: bytes) -> etree._Element | None:
    """Fill ``result`` from an HTTP answer; return the envelope when there is one."""
    if mtom.is_multipart(content_type):
        unpacked = mtom.unpack(content_type, content)
        content, result.attachments = unpacked.root, unpacked.attachments
    try:
        env = parse(content.lstrip())
    except XmlRejected as exc:
        result.problem = f"HTTP {result.http_status}: answer is not XML ({exc})"
        return None
    soap_body = env.find(ns.qn(ns.SOAP12, "Body"))
    if env.tag != ns.qn(ns.SOAP12, "Envelope") or soap_body is None:
        result.problem = f"HTTP {result.http_status}: answer is not a SOAP 1.2 envelope"
        return None
    payload = next((c for c in soap_body if isinstance(c.tag, str)), None)
    if payload is None:
        result.problem = f"HTTP {result.http_status}: empty SOAP Body"
        return env
    result.body = payload
    if payload.tag == ns.qn(ns.SOAP12, "Fault"):
        result.fault = describe_fault(payload)
        return env
    result.status = response_status(payload)
    result.errors = registry_errors(payload)
    if result.status is None:
        result.problem = f"no status attribute on {etree.QName(payload).localname}"
    return env


def response_status(payload: etree._Element) -> str | None:
    """``@status`` of the RegistryResponse / AdhocQueryResponse (ITI TF-3 4.2.4)."""
    if payload.get("status"):
        return payload.get("status")
    nested = payload.find(ns.qn(ns.RS, "RegistryResponse"))
    return nested.get("status") if nested is not None else None


def registry_errors(payload: etree._Element) -> list[RegistryError]:
    """Every ``rs:RegistryError`` in the response body."""
    return [
        RegistryError(
            code=e.get("errorCode", ""),
            context=e.get("codeContext", ""),
            severity=e.get("severity", ""),
            location=e.get("location", ""),
        )
        for e in payload.iter(ns.qn(ns.RS, "RegistryError"))
    ]


def describe_fault(fault: etree._Element) -> str:
    """``<code>[/<subcode>]: <reason>`` of a SOAP 1.2 Fault."""
    codes = [(v.text or "").strip() for v in fault.iter(ns.qn(ns.SOAP12, "Value"))]
    reasons = [(t.text or "").strip() for t in fault.iter(ns.qn(ns.SOAP12, "Text"))]
    return f"{'/'.join(c for c in codes if c) or 'Fault'}: {' '.join(reasons)}".strip()


def check_addressing(
    result: SoapResult, env: etree._Element, transaction: Transaction, message_id: str
) -> None:
    """Response ``wsa:Action`` and ``wsa:RelatesTo`` (ITI TF-2 Appendix V.3.2.2)."""
    header = env.find(ns.qn(ns.SOAP12, "Header"))
    action = header.findtext(ns.qn(ns.WSA, "Action")) if header is not None else None
    relates = header.findtext(ns.qn(ns.WSA, "RelatesTo")) if header is not None else None
    if result.fault is None and (action or "").strip() != transaction.response_action:
        result.header_problems.append(
            f"response wsa:Action is {action!r}, expected {transaction.response_action!r}"
        )
    if (relates or "").strip() != message_id:
        result.header_problems.append(
            f"response wsa:RelatesTo is {relates!r}, expected our MessageID {message_id!r}"
        )


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    if len(text) > _TEXT_LIMIT:
        return text[:_TEXT_LIMIT] + f"\n... ({len(text) - _TEXT_LIMIT} more characters)"
    return text


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."
