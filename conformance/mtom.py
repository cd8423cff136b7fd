"""MTOM/XOP packaging (W3C SOAP 1.2 MTOM, XOP 1.0; ITI TF-2 Appendix V.8).

Requests: ``multipart/related; type="application/xop+xml"`` with the SOAP envelope as the
root part and each attachment as a binary part referenced by ``<xop:Include href="cid:..."/>``.
Responses: either plain ``application/soap+xml`` or the same multipart form; the root part
and the attachment parts are returned separately.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote

from lxml import etree

from profiles import namespaces as ns

ROOT_CID = "root@beeldportaal.conformance"


@dataclass(frozen=True)
class Package:
    """A serialised HTTP body and its Content-Type header."""

    content_type: str
    body: bytes


def build(envelope: bytes, attachments: Mapping[str, bytes], action: str) -> Package:
    """Wrap ``envelope`` and ``attachments`` (Content-ID without <> -> bytes) as MTOM."""
    boundary = f"MIMEBoundary_{uuid.uuid4().hex}"
    parts = [
        _part(
            {
                "Content-Type": 'application/xop+xml; charset=UTF-8; type="application/soap+xml"',
                "Content-Transfer-Encoding": "binary",
                "Content-ID": f"<{ROOT_CID}>",
            },
            envelope,
        )
    ]
    for cid, data in attachments.items():
        parts.append(
            _part(
                {
                    "Content-Type": "application/octet-stream",
                    "Content-Transfer-Encoding": "binary",
                    "Content-ID": f"<{cid}>",
                },
                data,
            )
        )
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    content_type = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; '
        f'start="<{ROOT_CID}>"; start-info="application/soap+xml"; action="{action}"'
    )
    return Package(content_type, body)


def _part(headers: Mapping[str, str], data: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    return head + b"\r\n" + data


@dataclass
class Unpacked:
    """The root (SOAP) part of a response and its attachments by Content-ID."""

    root: bytes
    attachments: dict[str, bytes] = field(default_factory=dict)


def is_multipart(content_type: str) -> bool:
    """True for ``multipart/related`` bodies."""
    return content_type.strip().lower().startswith("multipart/")


def unpack(content_type: str, body: bytes) -> Unpacked:
    """Split a ``multipart/related`` body into its root part and attachments."""
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return Unpacked(body)
    start = _strip_cid(str(message.get_param("start", "") or ""))
    parts = [p for p in message.iter_parts() if isinstance(p, EmailMessage)]
    by_cid = {_strip_cid(str(p.get("Content-ID", ""))): _payload(p) for p in parts}
    root_cid = start if start in by_cid else _strip_cid(str(parts[0].get("Content-ID", "")))
    root = by_cid.pop(root_cid, _payload(parts[0]) if parts else b"")
    return Unpacked(root, by_cid)


def _payload(part: EmailMessage) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _strip_cid(value: str) -> str:
    value = unquote(value.strip())
    if value.startswith("cid:"):
        value = value[4:]
    return value.strip("<>")


def include_target(element: etree._Element) -> str | None:
    """The Content-ID an element's ``xop:Include`` child points at, if it has one."""
    include = element.find(ns.qn(ns.XOP, "Include"))
    if include is None:
        return None
    return _strip_cid(include.get("href", ""))


def content_of(element: etree._Element, attachments: Mapping[str, bytes]) -> bytes | None:
    """The bytes of a base64Binary element: its XOP attachment or its inline base64 text."""
    cid = include_target(element)
    if cid is not None:
        return attachments.get(cid)
    try:
        return base64.b64decode((element.text or "").strip(), validate=False)
    except (binascii.Error, ValueError):
        return None
