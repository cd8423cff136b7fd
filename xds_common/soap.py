"""SOAP 1.2 + WS-Addressing 1.0 server binding (ITI TF-2x Appendix V).

Reads a request envelope (plain SOAP or an MTOM/XOP package whose root part is the
envelope), and writes response envelopes with the response Action and RelatesTo.
Faults are only for broken envelopes and unknown actions (Appendix V.3).
"""

from __future__ import annotations

import email.parser
import email.policy
import uuid
from dataclasses import dataclass

from lxml import etree

from profiles import namespaces as ns
from xds_common.mtom import MtomMessage
from xds_common.xml import XmlRejected, parse

T_ENVELOPE = ns.qn(ns.SOAP12, "Envelope")
T_HEADER = ns.qn(ns.SOAP12, "Header")
T_BODY = ns.qn(ns.SOAP12, "Body")
T_ACTION = ns.qn(ns.WSA, "Action")
T_MESSAGE_ID = ns.qn(ns.WSA, "MessageID")
T_RELATES_TO = ns.qn(ns.WSA, "RelatesTo")
T_REPLY_TO = ns.qn(ns.WSA, "ReplyTo")
T_ADDRESS = ns.qn(ns.WSA, "Address")
T_TO = ns.qn(ns.WSA, "To")
MUST_UNDERSTAND = ns.qn(ns.SOAP12, "mustUnderstand")
SOAP_CONTENT_TYPE = "application/soap+xml; charset=UTF-8"
_BODY_MARK = "@@BODY-PAYLOAD@@"
#: Header namespaces we understand (WS-Addressing, WS-Security is accepted for XUA).
UNDERSTOOD = frozenset(
    {
        ns.WSA,
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    }
)


class SoapFault(Exception):
    """A SOAP 1.2 Fault (code Sender/Receiver/MustUnderstand, optional subcode)."""

    def __init__(self, reason: str, code: str = "Sender", subcode: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True)
class SoapRequest:
    """A parsed request envelope (and, for MTOM endpoints, its staged attachments)."""

    action: str
    message_id: str
    reply_to: str
    body: etree._Element
    envelope: etree._Element
    mtom: bool
    message: MtomMessage | None = None


def _root_part(data: bytes, content_type: str) -> bytes:
    """The root part of an MTOM/XOP multipart/related package (XOP 1.0)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    if not message.is_multipart():
        raise SoapFault("multipart/related request without parts")
    start = message.get_param("start", header="content-type")
    parts = list(message.iter_parts())
    for part in parts:
        if not start or part.get("Content-ID", "").strip() == str(start).strip():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise SoapFault("MTOM package has no root part matching its start parameter")


def _text(header: etree._Element | None, tag: str) -> str:
    if header is None:
        return ""
    node = header.find(tag)
    return (node.text or "").strip() if node is not None else ""


def _check_must_understand(header: etree._Element | None) -> None:
    if header is None:
        return
    for block in header:
        flag = block.get(MUST_UNDERSTAND, "false").strip().lower()
        if flag in ("1", "true") and etree.QName(block).namespace not in UNDERSTOOD:
            raise SoapFault(
                f"header {etree.QName(block).localname} is not understood", "MustUnderstand"
            )


def _check_addressing(header: etree._Element | None) -> None:
    """One of each addressing header; synchronous (anonymous) replies only (WS-Addr 1.0)."""
    if header is None:
        return
    for tag in (T_ACTION, T_MESSAGE_ID, T_REPLY_TO, T_TO):
        if len(header.findall(tag)) > 1:
            raise SoapFault(
                f"duplicate WS-Addressing header {etree.QName(tag).localname}",
                subcode="wsa:InvalidAddressingHeader",
            )
    reply_to = header.find(T_REPLY_TO)
    address = _text(reply_to, T_ADDRESS) if reply_to is not None else ""
    if address and address not in (ns.WSA_ANONYMOUS, ns.WSA + "/none"):
        raise SoapFault(
            "this endpoint answers synchronously only; ReplyTo must be anonymous",
            subcode="wsa:OnlyAnonymousAddressSupported",
        )


def read_request(data: bytes, content_type: str, limit: int) -> SoapRequest:
    """Parse and check a SOAP 1.2 request; broken envelopes raise :class:`SoapFault`."""
    mtom = content_type.lower().startswith("multipart/related")
    if mtom:
        data = _root_part(data, content_type)
    elif not content_type.lower().startswith(("application/soap+xml", "text/xml")):
        raise SoapFault(f"unsupported Content-Type {content_type!r}")
    try:
        envelope = parse(data, limit)
    except XmlRejected as exc:
        raise SoapFault(str(exc)) from None
    return read_envelope(envelope, mtom)


def read_envelope(
    envelope: etree._Element, mtom: bool, message: MtomMessage | None = None
) -> SoapRequest:
    """Check a parsed envelope (SOAP 1.2 Part 1 5; WS-Addressing 1.0) and read its headers."""
    if envelope.tag != T_ENVELOPE:
        if etree.QName(envelope).localname == "Envelope":
            raise SoapFault("not a SOAP 1.2 envelope", "VersionMismatch")
        raise SoapFault("the document is not a SOAP envelope")
    header = envelope.find(T_HEADER)
    body = envelope.find(T_BODY)
    _check_must_understand(header)
    if body is None or len(body) == 0:
        raise SoapFault("SOAP Body is missing or empty")
    _check_addressing(header)
    action = _text(header, T_ACTION)
    if not action:
        raise SoapFault(
            "WS-Addressing Action header is missing", subcode="wsa:MessageAddressingHeaderRequired"
        )
    reply_to = ""
    if header is not None and (node := header.find(T_REPLY_TO)) is not None:
        reply_to = _text(node, T_ADDRESS)
    message_id = _text(header, T_MESSAGE_ID)
    return SoapRequest(action, message_id, reply_to, body[0], envelope, mtom, message)


def envelope(action: str, relates_to: str, payload: etree._Element | bytes) -> bytes:
    """A response envelope with wsa:Action (mustUnderstand) and wsa:RelatesTo.

    ``payload`` may be an element or an already serialised element (UTF-8 bytes).
    """
    env = etree.Element(T_ENVELOPE, nsmap={"soap": ns.SOAP12, "wsa": ns.WSA})
    header = etree.SubElement(env, T_HEADER)
    act = etree.SubElement(header, T_ACTION)
    act.set(MUST_UNDERSTAND, "true")
    act.text = action
    etree.SubElement(header, T_MESSAGE_ID).text = f"urn:uuid:{uuid.uuid4()}"
    if relates_to:
        etree.SubElement(header, T_RELATES_TO).text = relates_to
    body = etree.SubElement(env, T_BODY)
    if isinstance(payload, bytes):
        body.text = _BODY_MARK
        text = etree.tostring(env, encoding="utf-8", xml_declaration=True)
        return text.replace(_BODY_MARK.encode(), payload, 1)
    body.append(payload)
    return etree.tostring(env, encoding="utf-8", xml_declaration=True)


def request_envelope(action: str, message_id: str, to: str, payload: etree._Element) -> bytes:
    """A request envelope: Action (mustUnderstand), MessageID, anonymous ReplyTo, To (App. V)."""
    env = etree.Element(T_ENVELOPE, nsmap={"soap": ns.SOAP12, "wsa": ns.WSA})
    header = etree.SubElement(env, T_HEADER)
    act = etree.SubElement(header, T_ACTION)
    act.set(MUST_UNDERSTAND, "true")
    act.text = action
    etree.SubElement(header, T_MESSAGE_ID).text = message_id
    reply = etree.SubElement(header, T_REPLY_TO)
    etree.SubElement(reply, T_ADDRESS).text = ns.WSA_ANONYMOUS
    etree.SubElement(header, T_TO).text = to
    etree.SubElement(env, T_BODY).append(payload)
    return etree.tostring(env, encoding="utf-8", xml_declaration=True)


def fault(error: SoapFault, relates_to: str = "") -> bytes:
    """A SOAP 1.2 Fault envelope (SOAP 1.2 Part 1, 5.4)."""
    env = etree.Element(T_ENVELOPE, nsmap={"soap": ns.SOAP12, "wsa": ns.WSA})
    header = etree.SubElement(env, T_HEADER)
    etree.SubElement(header, T_ACTION).text = "http://www.w3.org/2005/08/addressing/soap/fault"
    if relates_to:
        etree.SubElement(header, T_RELATES_TO).text = relates_to
    if error.code == "VersionMismatch":
        # SOAP 1.2 Part 1 5.4.7: name the envelope version we support.
        upgrade = etree.SubElement(header, ns.qn(ns.SOAP12, "Upgrade"))
        supported = etree.SubElement(upgrade, ns.qn(ns.SOAP12, "SupportedEnvelope"))
        supported.set("qname", "soap:Envelope")
    body = etree.SubElement(env, T_BODY)
    node = etree.SubElement(body, ns.qn(ns.SOAP12, "Fault"))
    code = etree.SubElement(node, ns.qn(ns.SOAP12, "Code"))
    etree.SubElement(code, ns.qn(ns.SOAP12, "Value")).text = f"soap:{error.code}"
    if error.subcode:
        sub = etree.SubElement(code, ns.qn(ns.SOAP12, "Subcode"))
        value = etree.SubElement(sub, ns.qn(ns.SOAP12, "Value"))
        value.text = error.subcode
    reason = etree.SubElement(node, ns.qn(ns.SOAP12, "Reason"))
    text = etree.SubElement(reason, ns.qn(ns.SOAP12, "Text"))
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    text.text = error.reason
    return etree.tostring(env, encoding="utf-8", xml_declaration=True)
