"""The stored form of registry objects, shared by ITI-42 and ITI-57.

Stored XML carries everything the registry owns except availabilityStatus (and merges
and Folder times, which change later), so most LeafClass answers can return it as text.
"""

from __future__ import annotations

from collections.abc import Iterable

from profiles.vocabulary import AssociationType, SlotName
from xds_common.ebrim import ids, rim
from xds_common.ebrim import writer as ebrim_writer
from xds_common.ebrim.reader import ReadResult, to_association
from xds_common.xml import to_bytes
from xds_registry.storage import objects


def stored_xml(result: ReadResult, uuid: str, version: int | None = None) -> str:
    """The object's XML as stored: normalised; versioned kinds get lid and VersionInfo."""
    element = result.raw[uuid].element
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
