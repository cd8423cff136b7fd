"""ITI-62 Remove Metadata, historically Delete Document Set (RMD supplement, ITI TF-2b 3.62).

The request is an ``lcm:RemoveObjectsRequest`` whose ``rim:ObjectRefList`` names the
entryUUIDs to remove (SubmissionSets, DocumentEntries, Folders, Associations in any mix).
Removal is all or nothing and must leave the metadata model intact:

* every named object exists (``UnresolvedReferenceException``);
* no Association that stays still references a removed object (``ReferencesExistException``);
* removing Associations leaves no SubmissionSet, DocumentEntry or Folder without any
  Association (``XDSUnreferencedObjectException``).

Queries (``AdhocQuery``) and anything but object references are refused (``XDSRegistryError``).
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.orm import Session

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from profiles.vocabulary import ObjectKind
from xds_common import soap
from xds_common.ebrim import rim
from xds_common.ebrim import writer as ebrim_writer
from xds_common.errors import ErrorCollector, XdsError
from xds_registry.context import RegistryContext
from xds_registry.storage import objects, versions

E = ErrorCode
T_OBJECT_REF_LIST = ns.qn(ns.RIM, "ObjectRefList")
T_REQUEST_SLOT_LIST = ns.qn(ns.RS, "RequestSlotList")
DELETE_ALL = "urn:oasis:names:tc:ebxml-regrep:DeletionScopeType:DeleteAll"
#: Objects that must stay referenced by some Association (RMD, XDSUnreferencedObjectException).
_MUST_BE_REFERENCED = frozenset(
    {ObjectKind.SUBMISSION_SET, ObjectKind.DOCUMENT_ENTRY, ObjectKind.FOLDER}
)


def read_object_refs(body: etree._Element) -> list[str]:
    """The entryUUIDs of a RemoveObjectsRequest, in order, without repeats."""
    scope = body.get("deletionScope")
    if scope not in (None, DELETE_ALL):
        raise XdsError(E.REGISTRY_ERROR, f"deletionScope {scope} is not supported")
    ref_lists = []
    for child in body.iterchildren("*"):
        local = etree.QName(child).localname
        if local == "AdhocQuery":
            raise XdsError(E.REGISTRY_ERROR, "Remove Metadata takes ObjectRefs, not an AdhocQuery")
        if child.tag == T_OBJECT_REF_LIST:
            ref_lists.append(child)
        elif child.tag != T_REQUEST_SLOT_LIST:
            raise XdsError(E.REGISTRY_ERROR, f"unexpected element {local} in RemoveObjectsRequest")
    found: list[str] = []
    for ref_list in ref_lists:
        for ref in ref_list.iterchildren("*"):
            ident = ref.get("id", "")
            if ref.tag != rim.T_OBJECT_REF or not ident:
                raise XdsError(
                    E.REGISTRY_ERROR, "an ObjectRefList holds only ObjectRefs with an id"
                )
            if ident not in found:
                found.append(ident)
    if not found:
        raise XdsError(E.REGISTRY_ERROR, "RemoveObjectsRequest names no object (no ObjectRefList)")
    return found


def check_removal(session: Session, uuids: list[str], out: ErrorCollector) -> None:
    """The three Remove Metadata rules; errors go to ``out``."""
    stored = versions.kinds(session, uuids)
    for uuid in uuids:
        if uuid not in stored:
            out.add(E.UNRESOLVED_REFERENCE, f"{uuid} is not registered", uuid)
    if out.errors:
        return
    removing = set(uuids)
    touching = objects.associations_touching(session, uuids)
    for row in touching:
        if row.entry_uuid in removing:
            continue
        for end in (row.source_uuid, row.target_uuid):
            if end in removing:
                out.add(
                    E.REFERENCES_EXIST,
                    f"{stored[end]} {end} is still referenced by "
                    f"Association {row.entry_uuid}, which is not removed",
                    end,
                )
    removed = objects.associations(session, uuids).values()
    ends = sorted({e for r in removed for e in (r.source_uuid, r.target_uuid)} - removing)
    kinds = versions.kinds(session, ends)
    remaining = objects.associations_touching(session, ends)
    referenced = {
        e for r in remaining if r.entry_uuid not in removing for e in (r.source_uuid, r.target_uuid)
    }
    for end in ends:
        if kinds.get(end) in _MUST_BE_REFERENCED and end not in referenced:
            out.add(
                E.UNREFERENCED_OBJECT,
                f"{kinds[end]} {end} would be left without any Association; remove it too",
                end,
            )


def delete(ctx: RegistryContext, request: soap.SoapRequest) -> etree._Element:
    """Handle one ITI-62 request and return its RegistryResponse (Success; errors raise)."""
    uuids = read_object_refs(request.body)
    out = ErrorCollector()
    with ctx.write() as session, session.begin():
        check_removal(session, uuids, out)
        out.raise_if_errors()
        versions.remove(session, uuids)
    return ebrim_writer.registry_response(out.warnings)
