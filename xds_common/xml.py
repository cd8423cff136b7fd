"""The one safe XML parser: no DTD, no entities, no network, bounded size.

Every XML byte string from outside goes through :func:`parse`. Parse failures become
``XmlRejected`` which each protocol boundary renders in its own form (SOAP Fault,
OperationOutcome, ...).
"""

from __future__ import annotations

from lxml import etree

DEFAULT_LIMIT = 20 * 1024 * 1024


class XmlRejected(ValueError):
    """The bytes are not acceptable XML (malformed, DTD, entities, too large)."""


def safe_parser() -> etree.XMLParser:
    """An lxml parser with no DTD, no entities, no network and no huge trees (XXE-safe)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse(data: bytes, limit: int = DEFAULT_LIMIT) -> etree._Element:
    """Parse ``data`` into an element, refusing DTDs, entity declarations and big input."""
    if len(data) > limit:
        raise XmlRejected(f"XML document larger than {limit} bytes")
    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlRejected("DTDs and entity declarations are not accepted")
    if not head.startswith(b"<"):
        raise XmlRejected("not an XML document")
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"malformed XML: {exc}") from None
    if root is None:
        raise XmlRejected("empty XML document")
    return root


def parse_trusted(text: str | bytes) -> etree._Element:
    """Parse XML we wrote ourselves (stored registry objects): same safe parser, no limit."""
    data = text.encode() if isinstance(text, str) else text
    return etree.fromstring(data, parser=safe_parser())


def to_bytes(element: etree._Element) -> bytes:
    """Serialise an element as UTF-8 without an XML declaration."""
    return etree.tostring(element, encoding="utf-8")
