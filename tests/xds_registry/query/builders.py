"""Build ``query:AdhocQueryRequest`` elements for the tests (ITI TF-2a 3.18.4.1.2)."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from profiles import namespaces as ns
from profiles.stored_queries import StoredQuery
from xds_common.ebrim import rim

#: (slot name, one rim:Value text or several)
Slot = tuple[str, str | Sequence[str]]


def quoted(*values: str) -> str:
    """``('a','b')`` with quotes doubled inside values."""
    items = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"({items})"


def one(value: str) -> str:
    """``'value'`` for a single-valued parameter."""
    return "'" + value.replace("'", "''") + "'"


def adhoc(
    query: StoredQuery | str,
    slots: Sequence[Slot],
    return_type: str | None = "ObjectRef",
    home: str = "",
) -> etree._Element:
    """An AdhocQueryRequest for ``query`` (a catalogue entry or a raw id) with ``slots``."""
    root = etree.Element(ns.qn(ns.QUERY, "AdhocQueryRequest"), nsmap={"query": ns.QUERY})
    option = etree.SubElement(root, ns.qn(ns.QUERY, "ResponseOption"))
    if return_type is not None:
        option.set("returnType", return_type)
    option.set("returnComposedObjects", "true")
    node = etree.SubElement(root, ns.qn(ns.RIM, "AdhocQuery"), nsmap={"rim": ns.RIM})
    node.set("id", query if isinstance(query, str) else query.id)
    if home:
        node.set("home", home)
    for name, values in slots:
        slot = etree.SubElement(node, rim.T_SLOT)
        slot.set("name", name)
        value_list = etree.SubElement(slot, rim.T_VALUE_LIST)
        for text in [values] if isinstance(values, str) else values:
            etree.SubElement(value_list, rim.T_VALUE).text = text
    return root
