"""Write a Document Source's submission as ebRIM 3.0: the ``lcm:SubmitObjectsRequest``.

The counterpart of :mod:`xds_common.ebrim.reader`, driven by the same attribute table
(:data:`profiles.metadata.ATTRIBUTES`: each attribute's coding, slot name or scheme UUID):
one SubmissionSet (RegistryPackage + its classification), its DocumentEntries
(ExtrinsicObjects), and one SS -> DE HasMember association per entry with
``SubmissionSetStatus`` = Original (ITI TF-3 4.2.1-4.2.3, TF-2b 3.41.4.1.2). Element order
follows ebRIM 3.0: Slot*, Name, Description, Classification*, ExternalIdentifier*.
Empty values are left out; extra slots of the model (``slots``) are written after the
attributes' own slots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lxml import etree

from profiles import namespaces as ns
from profiles.metadata import ATTRIBUTES, Attribute, Coding
from profiles.vocabulary import (
    AUTHOR_SLOTS,
    AssociationType,
    ClassificationNode,
    ObjectKind,
    SlotName,
)
from xds_common.ebrim import rim
from xds_common.metadata import Author, Code, DocumentEntry, RegistryObject, SubmissionSet

T_SUBMIT = ns.qn(ns.LCM, "SubmitObjectsRequest")
NSMAP = {"lcm": ns.LCM, "rim": ns.RIM}
#: Attribute names whose model field is not the snake_case of the name.
_FIELDS = {
    "entryUUID": "entry_uuid",
    "author": "authors",
    "confidentialityCode": "confidentiality_codes",
    "eventCodeList": "event_codes",
    "referenceIdList": "reference_ids",
    "homeCommunityId": "home_community_id",
    "URI": "uri",
    "codeList": "codes",
    "intendedRecipient": "intended_recipients",
}
#: Written by the Registry, never by a Document Source.
_NOT_SENT = frozenset({"availabilityStatus", "entryUUID"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def field_name(attribute: str) -> str:
    """The model field holding attribute ``attribute`` (``classCode`` -> ``class_code``)."""
    return _FIELDS.get(attribute) or _CAMEL.sub("_", attribute).lower()


def _values(obj: RegistryObject, attr: Attribute) -> list[object]:
    value = getattr(obj, field_name(attr.name), None)
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    return [value]


class _Writer:
    """Writes one object's children in ebRIM order; numbers the nested objects' ids."""

    def __init__(self, element: etree._Element, owner: str) -> None:
        self.element = element
        self.owner = owner
        self._count = 0

    def _id(self, kind: str) -> str:
        self._count += 1
        return f"{self.owner}.{kind}{self._count}"

    def slot(self, name: str, values: Iterable[str], parent: etree._Element | None = None) -> None:
        node = etree.SubElement(self.element if parent is None else parent, rim.T_SLOT)
        node.set("name", name)
        value_list = etree.SubElement(node, rim.T_VALUE_LIST)
        for value in values:
            etree.SubElement(value_list, rim.T_VALUE).text = value

    def text(self, tag: str, value: str, parent: etree._Element | None = None) -> None:
        node = etree.SubElement(self.element if parent is None else parent, tag)
        etree.SubElement(node, rim.T_LOCALIZED).set("value", value)

    def code(self, scheme: str, code: Code) -> None:
        """A coded value (ITI TF-3 4.2.3.1.2): nodeRepresentation, codingScheme, display."""
        node = self._classification(scheme, code.code)
        self.slot(SlotName.CODING_SCHEME, [code.scheme], node)
        if code.display:
            self.text(rim.T_NAME, code.display, node)

    def author(self, scheme: str, author: Author) -> None:
        """One author Classification with its sub-attribute slots (ITI TF-3 4.2.3.1.4)."""
        node = self._classification(scheme, "")
        person = (author.person,) if author.person else ()
        groups = (person, author.institutions, author.roles, author.specialties, author.telecoms)
        for name, values in zip(AUTHOR_SLOTS, groups, strict=True):
            if values:
                self.slot(name, values, node)

    def _classification(self, scheme: str, representation: str) -> etree._Element:
        node = etree.SubElement(self.element, rim.T_CLASSIFICATION)
        node.set("id", self._id("cl"))
        node.set("classificationScheme", scheme)
        node.set("classifiedObject", self.owner)
        node.set("nodeRepresentation", representation)
        return node

    def identifier(self, attr: Attribute, value: str) -> None:
        """An ExternalIdentifier (ITI TF-3 4.2.3.1.3) named as the TF names it."""
        node = etree.SubElement(self.element, rim.T_EXTERNAL_ID)
        node.set("id", self._id("ei"))
        node.set("registryObject", self.owner)
        node.set("identificationScheme", attr.key)
        node.set("value", value)
        self.text(rim.T_NAME, attr.id_name, node)


#: Coding -> pass in which it is written, so children come out in ebRIM order.
_ORDER = {
    Coding.SLOT: 0,
    Coding.NAME: 1,
    Coding.DESCRIPTION: 2,
    Coding.CLASSIFICATION: 3,
    Coding.AUTHOR: 3,
    Coding.EXTERNAL_IDENTIFIER: 4,
}


def registry_object(tag: str, kind: ObjectKind, obj: RegistryObject) -> etree._Element:
    """One ExtrinsicObject or RegistryPackage with every attribute of ``obj`` that has a value."""
    element = etree.Element(tag, nsmap={"rim": ns.RIM})
    element.set("id", obj.entry_uuid)
    writer = _Writer(element, obj.entry_uuid)
    attributes = [a for a in ATTRIBUTES[kind] if a.name not in _NOT_SENT]
    written_slots = {a.key for a in attributes if a.coding is Coding.SLOT}
    for attr in attributes:
        if attr.coding is Coding.XML_ATTRIBUTE and (found := _values(obj, attr)):
            element.set(attr.key, str(found[0]))
    for step in range(5):
        for attr in (a for a in attributes if _ORDER.get(a.coding) == step):
            found = _values(obj, attr)
            if not found:
                continue
            match attr.coding:
                case Coding.SLOT:
                    writer.slot(attr.key, [str(v) for v in found])
                case Coding.NAME | Coding.DESCRIPTION:
                    writer.text(rim.T_NAME if attr.coding is Coding.NAME else rim.T_DESCRIPTION,
                                str(found[0]))  # fmt: skip
                case Coding.CLASSIFICATION:
                    for code in found:
                        assert isinstance(code, Code)
                        writer.code(attr.key, code)
                case Coding.AUTHOR:
                    for author in found:
                        assert isinstance(author, Author)
                        writer.author(attr.key, author)
                case Coding.EXTERNAL_IDENTIFIER:
                    writer.identifier(attr, str(found[0]))
        if step == 0:
            for name, values in obj.slots.items():
                if name not in written_slots:
                    writer.slot(name, values)
    return element


def submit_objects_request(
    submission_set: SubmissionSet, documents: Sequence[DocumentEntry]
) -> etree._Element:
    """``lcm:SubmitObjectsRequest``: the SubmissionSet, its entries and their HasMembers.

    Ids are taken from ``entry_uuid`` (symbolic ids such as ``Document01`` are fine; the
    Registry replaces them, ITI TF-3 4.2.3.1.5); nested objects get ``<owner>.clN`` /
    ``<owner>.eiN``.
    """
    request = etree.Element(T_SUBMIT, nsmap=NSMAP)
    object_list = etree.SubElement(request, rim.T_OBJECT_LIST)
    ss = submission_set.entry_uuid
    object_list.append(registry_object(rim.T_PACKAGE, ObjectKind.SUBMISSION_SET, submission_set))
    for entry in documents:
        object_list.append(registry_object(rim.T_EXTRINSIC, ObjectKind.DOCUMENT_ENTRY, entry))
    label = etree.SubElement(object_list, rim.T_CLASSIFICATION)
    label.set("id", f"{ss}.label")
    label.set("classifiedObject", ss)
    label.set("classificationNode", ClassificationNode.SUBMISSION_SET)
    for number, entry in enumerate(documents, 1):
        member = etree.SubElement(object_list, rim.T_ASSOCIATION)
        member.set("id", f"{ss}.member{number}")
        member.set("associationType", AssociationType.HAS_MEMBER)
        member.set("sourceObject", ss)
        member.set("targetObject", entry.entry_uuid)
        _Writer(member, member.get("id", "")).slot(SlotName.SUBMISSION_SET_STATUS, ["Original"])
    return request
