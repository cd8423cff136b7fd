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


def read_slots(element: etree._Element) -> list[RimSlot]:
    """The direct ``rim:Slot`` children of ``element``."""
    slots = []
    for slot in element.iterchildren(T_SLOT):
        values = [
            (v.text or "").strip()
            for vl in slot.iterchildren(T_VALUE_LIST)
            for v in vl.iterchildren(T_VALUE)
        ]
        slots.append(RimSlot(slot.get("name", ""), values))
    return slots


def read_classification(element: etree._Element) -> RimClassification:
    """Read one ``rim:Classification`` element."""
    names = _localized(element.find(T_NAME))
    return RimClassification(
        id=element.get("id", ""),
        classified_object=element.get("classifiedObject", ""),
        scheme=element.get("classificationScheme", ""),
        node=element.get("classificationNode", ""),
        node_representation=element.get("nodeRepresentation", ""),
        name=names[0] if names else "",
        slots=read_slots(element),
        element=element,
    )


def read_object(element: etree._Element) -> RimObject:
    """Read an ExtrinsicObject / RegistryPackage / Association with all its children."""
    obj = RimObject(
        tag=element.tag if isinstance(element.tag, str) else "",
        element=element,
        attrs={str(k): str(v) for k, v in element.attrib.items()},
        slots=read_slots(element),
        names=_localized(element.find(T_NAME)),
        descriptions=_localized(element.find(T_DESCRIPTION)),
    )
    version = element.find(T_VERSION_INFO)
    if version is not None:
        obj.version_name = version.get("versionName", "")
    for child in element.iterchildren(T_CLASSIFICATION):
        obj.classifications.append(read_classification(child))
    for child in element.iterchildren(T_EXTERNAL_ID):
        names = _localized(child.find(T_NAME))
        obj.external_ids.append(
            RimExternalIdentifier(
                id=child.get("id", ""),
                registry_object=child.get("registryObject", ""),
                scheme=child.get("identificationScheme", ""),
                value=child.get("value", ""),
                name=names[0] if names else "",
            )
        )
    return obj
