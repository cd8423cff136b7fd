"""Symbolic ids to UUIDs, and the normal form we store (ITI TF-2b 3.42.4.1.3.7, TF-3 4.2.3.1.5).

Every ``@id`` that does not start with ``urn:uuid:`` is symbolic and gets a fresh UUID;
every reference to it (classifiedObject, registryObject, sourceObject, targetObject)
follows. Nested Classifications and ExternalIdentifiers without an id get one too, and
their ebRIM objectType, so stored objects are complete ebRIM 3.0.
"""

from __future__ import annotations

import uuid

from lxml import etree

from profiles.vocabulary import RimObjectType
from xds_common.ebrim import rim

_REFERENCE_ATTRS = ("classifiedObject", "registryObject", "sourceObject", "targetObject")
_OBJECT_TYPES = {
    rim.T_CLASSIFICATION: RimObjectType.CLASSIFICATION,
    rim.T_EXTERNAL_ID: RimObjectType.EXTERNAL_IDENTIFIER,
    rim.T_ASSOCIATION: RimObjectType.ASSOCIATION,
    rim.T_PACKAGE: RimObjectType.REGISTRY_PACKAGE,
}
_IDENTIFIED = (
    rim.T_EXTRINSIC,
    rim.T_PACKAGE,
    rim.T_ASSOCIATION,
    rim.T_CLASSIFICATION,
    rim.T_EXTERNAL_ID,
)


def new_uuid() -> str:
    """A fresh ``urn:uuid:`` in lower case."""
    return f"urn:uuid:{uuid.uuid4()}"


def is_symbolic(value: str) -> bool:
    """True for an id that is not in ``urn:uuid:`` form (ITI TF-3 4.2.3.1.5)."""
    return not value.startswith("urn:uuid:")


def assign_uuids(object_list: etree._Element) -> dict[str, str]:
    """Replace symbolic ids below ``object_list`` with UUIDs; return symbolic -> UUID."""
    mapping: dict[str, str] = {}
    for element in object_list.iter(*_IDENTIFIED):
        current = element.get("id", "")
        if not current:
            element.set("id", new_uuid())
        elif is_symbolic(current):
            mapping.setdefault(current, new_uuid())
    for element in object_list.iter():
        for attr in ("id", "lid", *_REFERENCE_ATTRS):
            value = element.get(attr)
            if value is not None and value in mapping:
                element.set(attr, mapping[value])
    return mapping


def normalise(element: etree._Element) -> None:
    """Complete a top-level object for storage: owner references and ebRIM objectTypes."""
    owner = element.get("id", "")
    for child in element.iter(rim.T_CLASSIFICATION, rim.T_EXTERNAL_ID):
        attr = "classifiedObject" if child.tag == rim.T_CLASSIFICATION else "registryObject"
        if not child.get(attr) and child.getparent() is element:
            child.set(attr, owner)
    for child in element.iter(*_OBJECT_TYPES):
        if child.tag != rim.T_EXTRINSIC and not child.get("objectType"):
            child.set("objectType", _OBJECT_TYPES[child.tag])
    if "status" in element.attrib:
        del element.attrib["status"]
