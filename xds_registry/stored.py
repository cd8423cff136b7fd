"""The stored form of registry objects, shared by ITI-42 and ITI-57.

Stored XML carries everything the registry owns except availabilityStatus (and merges
and Folder times, which change later), so most LeafClass answers can return it as text.
Classifications the submitter sent beside their object (ITI TF-3 4.2.1.2) are stored
inside it, so an object is returned with all of its Classifications (TF-3 4.2.3.3).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import AssociationType, RimObjectType, SlotName
from xds_common.ebrim import ids, rim
from xds_common.ebrim import writer as ebrim_writer
from xds_common.ebrim.reader import ReadResult, to_association
from xds_common.xml import to_bytes
from xds_registry.storage import objects

#: ebRIM 3.0 RegistryObjectType children that precede ``rim:Classification`` (ebRIM 3.0 2.5).
_BEFORE_CLASSIFICATION = (
    rim.T_SLOT,
    rim.T_NAME,
    rim.T_DESCRIPTION,
    rim.T_VERSION_INFO,
    rim.T_CLASSIFICATION,
)


def nest_classification(element: etree._Element, classification: etree._Element) -> None:
    """Insert ``classification`` where ebRIM 3.0 puts it: before any ExternalIdentifier."""
    position = sum(1 for child in element if child.tag in _BEFORE_CLASSIFICATION)
    element.insert(position, classification)


def adopt_classifications(obj: rim.RimObject) -> None:
    """Nest the object's top-level Classifications in its element (ITI TF-3 4.2.1.2).

    The reader attaches a ``rim:Classification`` sent at the top level of the
    RegistryObjectList (classifiedObject = this object, e.g. the SubmissionSet or Folder
    label, ITI TF-3 4.2.1.2.1) to ``obj``; a copy of it is nested in the object's element.
    """
    element = obj.element
    nested = {c.get("id") for c in element.iterchildren(rim.T_CLASSIFICATION)}
    for classification in obj.classifications:
        if classification.element.getparent() is element or classification.id in nested:
            continue
        nest_classification(element, copy.deepcopy(classification.element))


def label(entry_uuid: str, node: str) -> etree._Element:
    """A new Classification labelling the RegistryPackage ``entry_uuid`` (ITI TF-3 4.2.1.2.1)."""
    element = etree.Element(rim.T_CLASSIFICATION, nsmap={"rim": ns.RIM})
    element.set("id", ids.new_uuid())
    element.set("objectType", RimObjectType.CLASSIFICATION)
    element.set("classifiedObject", entry_uuid)
    element.set("classificationNode", node)
    return element


def stored_xml(result: ReadResult, uuid: str, version: int | None = None) -> str:
    """The object's XML as stored (normalised, all Classifications nested).

    Versioned kinds (DocumentEntry, Folder) also get lid and VersionInfo.
    """
    obj = result.raw[uuid]
    adopt_classifications(obj)
    element = obj.element
    ids.normalise(element)
    if version is not None:
        if not element.get("lid"):
            element.set("lid", uuid)
        ebrim_writer.set_version(element, version)
    return to_bytes(element).decode()


def member_links(
    ss_uuid: str, links: Iterable[tuple[str, str, str]]
) -> tuple[objects.Rows, list[str]]:
    """New Associations (type, source, target), each a HasMember of the SubmissionSet.

    Used for Folder memberships a replacement inherits (ITI TF-2b 3.42.4.1.3.5) and for
    propagated associations of a new version (XDS MU 3.57.4.1.3.3).
    """
    rows: objects.Rows = []
    created: list[str] = []
    for kind, source, target in links:
        link_id, member_id = ids.new_uuid(), ids.new_uuid()
        link = ebrim_writer.association(link_id, kind, source, target)
        member = ebrim_writer.association(
            member_id,
            AssociationType.HAS_MEMBER,
            ss_uuid,
            link_id,
            {SlotName.SUBMISSION_SET_STATUS: "Original"},
        )
        for element in (link, member):
            model = to_association(rim.read_object(element))
            rows += objects.association_rows(model, to_bytes(element).decode())
        created += [link_id, member_id]
    return rows, created
