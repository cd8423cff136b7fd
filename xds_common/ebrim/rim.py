"""A generic, lossless view of ebRIM 3.0 registry objects (ebRIM 3.0 section 2).

``RimObject`` keeps every Slot, Classification and ExternalIdentifier as sent, with
counts intact, so validators can check cardinalities before anything is interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from profiles import namespaces as ns

RIM = ns.RIM
T_EXTRINSIC = ns.qn(RIM, "ExtrinsicObject")
T_PACKAGE = ns.qn(RIM, "RegistryPackage")
T_ASSOCIATION = ns.qn(RIM, "Association")
T_CLASSIFICATION = ns.qn(RIM, "Classification")
T_EXTERNAL_ID = ns.qn(RIM, "ExternalIdentifier")
T_OBJECT_REF = ns.qn(RIM, "ObjectRef")
T_SLOT = ns.qn(RIM, "Slot")
T_VALUE_LIST = ns.qn(RIM, "ValueList")
T_VALUE = ns.qn(RIM, "Value")
T_NAME = ns.qn(RIM, "Name")
T_DESCRIPTION = ns.qn(RIM, "Description")
T_LOCALIZED = ns.qn(RIM, "LocalizedString")
T_VERSION_INFO = ns.qn(RIM, "VersionInfo")
T_OBJECT_LIST = ns.qn(RIM, "RegistryObjectList")


@dataclass
class RimSlot:
    """``rim:Slot`` with its values in order."""

    name: str
    values: list[str]


@dataclass
class RimClassification:
    """``rim:Classification``: external (scheme + nodeRepresentation) or internal (node)."""

    id: str
    classified_object: str
    scheme: str
    node: str
    node_representation: str
    name: str
    slots: list[RimSlot]
    element: etree._Element

    def slot_values(self, name: str) -> list[str]:
        """All values of the slots called ``name`` (concatenated)."""
        return [v for s in self.slots if s.name == name for v in s.values]


@dataclass
class RimExternalIdentifier:
    """``rim:ExternalIdentifier``."""

    id: str
    registry_object: str
    scheme: str
    value: str
    name: str


@dataclass
class RimObject:
    """One ExtrinsicObject, RegistryPackage or Association as sent."""

    tag: str
    element: etree._Element
    attrs: dict[str, str]
    slots: list[RimSlot] = field(default_factory=list)
    classifications: list[RimClassification] = field(default_factory=list)
    external_ids: list[RimExternalIdentifier] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    version_name: str = ""

    @property
    def id(self) -> str:
        """The object's ``@id`` (entryUUID or symbolic id)."""
        return self.attrs.get("id", "")

    def slot(self, name: str) -> list[RimSlot]:
        """All slots called ``name`` (more than one is a cardinality error)."""
        return [s for s in self.slots if s.name == name]

    def classified(self, scheme: str) -> list[RimClassification]:
        """External classifications with ``classificationScheme`` = ``scheme``."""
        return [c for c in self.classifications if c.scheme == scheme]

    def identified(self, scheme: str) -> list[RimExternalIdentifier]:
        """External identifiers with ``identificationScheme`` = ``scheme``."""
        return [e for e in self.external_ids if e.scheme == scheme]


def _localized(element: etree._Element | None) -> list[str]:
    if element is None:
        return []
    return [ls.get("value", "") for ls in element.iterchildren(T_LOCALIZED)]


def _slot(slot: etree._Element) -> RimSlot:
    """One ``rim:Slot``: its name and the ``ValueList/Value`` texts, stripped, in order."""
    values = [
        (value.text or "").strip()
        for value_list in slot
        if value_list.tag == T_VALUE_LIST
        for value in value_list
        if value.tag == T_VALUE
    ]
    return RimSlot(slot.get("name", ""), values)


def read_slots(element: etree._Element) -> list[RimSlot]:
    """The direct ``rim:Slot`` children of ``element``."""
    return [_slot(slot) for slot in element.iterchildren(T_SLOT)]


def read_classification(element: etree._Element) -> RimClassification:
    """Read one ``rim:Classification`` element (one pass over its children)."""
    slots: list[RimSlot] = []
    name: str | None = None
    for child in element:
        tag = child.tag
        if tag == T_SLOT:
            slots.append(_slot(child))
        elif tag == T_NAME and name is None:
            names = _localized(child)
            name = names[0] if names else ""
    get = element.get
    return RimClassification(
        id=get("id", ""),
        classified_object=get("classifiedObject", ""),
        scheme=get("classificationScheme", ""),
        node=get("classificationNode", ""),
        node_representation=get("nodeRepresentation", ""),
        name=name or "",
        slots=slots,
        element=element,
    )


def _external_identifier(element: etree._Element) -> RimExternalIdentifier:
    names = _localized(element.find(T_NAME))
    get = element.get
    return RimExternalIdentifier(
        id=get("id", ""),
        registry_object=get("registryObject", ""),
        scheme=get("identificationScheme", ""),
        value=get("value", ""),
        name=names[0] if names else "",
    )


def read_object(element: etree._Element) -> RimObject:
    """Read an ExtrinsicObject / RegistryPackage / Association with all its children.

    One pass over the children (ebRIM 3.0 2.5-2.8): Slots, Classifications and
    ExternalIdentifiers in document order; the first Name, Description and VersionInfo.
    """
    obj = RimObject(
        tag=element.tag if isinstance(element.tag, str) else "",
        element=element,
        attrs=dict(element.attrib),  # type: ignore[arg-type]
    )
    names: list[str] | None = None
    descriptions: list[str] | None = None
    version: str | None = None
    for child in element:
        tag = child.tag
        if tag == T_SLOT:
            obj.slots.append(_slot(child))
        elif tag == T_CLASSIFICATION:
            obj.classifications.append(read_classification(child))
        elif tag == T_EXTERNAL_ID:
            obj.external_ids.append(_external_identifier(child))
        elif tag == T_NAME and names is None:
            names = _localized(child)
        elif tag == T_DESCRIPTION and descriptions is None:
            descriptions = _localized(child)
        elif tag == T_VERSION_INFO and version is None:
            version = child.get("versionName", "")
    obj.names = names or []
    obj.descriptions = descriptions or []
    obj.version_name = version or ""
    return obj
