"""Find the entryUUIDs a registry gave to symbolic ids, with plain ITI-18 queries.

When a submission is sent without ``<AssignUuids/>`` the registry replaces ``Document01``,
``SubmissionSet01``, ``Folder`` ... by UUIDs (ITI TF-2b 3.42.4.1.3.1) and does not say which.
NIST reads them from its own simulator; against any registry we ask: GetSubmissionSetAndContents
(ITI TF-2a 3.18.4.1.2.3.7.8) by the SubmissionSet uniqueId we sent returns the SubmissionSet,
its DocumentEntries and Folders (matched back by uniqueId) and the associations among them
(matched by source, target and type).
"""

from __future__ import annotations

from lxml import etree

from conformance.query_view import QueryView, short
from conformance.soap import SoapClient
from conformance.substitute import UNIQUE_ID_SCHEMES, Assigned
from profiles import namespaces as ns
from profiles.stored_queries import GET_SUBMISSION_SET_AND_CONTENTS
from profiles.transactions import ITI_18
from profiles.vocabulary import Scheme


def adhoc_query(query_id: str, params: dict[str, str], return_type: str) -> etree._Element:
    """A ``query:AdhocQueryRequest`` for a stored query (values already quoted)."""
    request = etree.Element(ns.qn(ns.QUERY, "AdhocQueryRequest"), nsmap={"query": ns.QUERY})
    option = etree.SubElement(request, ns.qn(ns.QUERY, "ResponseOption"))
    option.set("returnType", return_type)
    option.set("returnComposedObjects", "true")
    query = etree.SubElement(request, ns.qn(ns.RIM, "AdhocQuery"), nsmap={"rim": ns.RIM})
    query.set("id", query_id)
    for name, value in params.items():
        slot = etree.SubElement(query, ns.qn(ns.RIM, "Slot"))
        slot.set("name", name)
        values = etree.SubElement(slot, ns.qn(ns.RIM, "ValueList"))
        etree.SubElement(values, ns.qn(ns.RIM, "Value")).text = value
    return request


def _submission_set_id(sent: etree._Element, assigned: Assigned) -> str | None:
    """Symbolic id of the SubmissionSet (the owner of the SS uniqueId)."""
    for owner, _uid in assigned.uids.items():
        for el in sent.iter(ns.qn(ns.RIM, "RegistryPackage")):
            if el.get("id") == owner and _has_scheme(el, Scheme.SS_UNIQUE_ID):
                return owner
    return None


def _has_scheme(el: etree._Element, scheme: str) -> bool:
    return any(
        ei.get("identificationScheme") == scheme
        for ei in el.iter(ns.qn(ns.RIM, "ExternalIdentifier"))
    )


def _unique_id(el: etree._Element) -> str | None:
    for ei in el.iter(ns.qn(ns.RIM, "ExternalIdentifier")):
        if ei.get("identificationScheme") in UNIQUE_ID_SCHEMES:
            return ei.get("value")
    return None


def discover(
    client: SoapClient, registry: str, sent: etree._Element, assigned: Assigned
) -> list[str]:
    """Add the registry-assigned UUIDs of ``assigned.symbolic`` to ``assigned.uuids``."""
    ss = _submission_set_id(sent, assigned)
    if ss is None:
        return ["cannot discover registry-assigned UUIDs: no SubmissionSet uniqueId"]
    request = adhoc_query(
        GET_SUBMISSION_SET_AND_CONTENTS.id,
        {"$XDSSubmissionSetUniqueId": f"'{assigned.uids[ss]}'"},
        "LeafClass",
    )
    result = client.call(registry, ITI_18, request)
    if result.body is None or result.status_name != "Success":
        why = result.problem or result.fault or result.status_name
        return [f"UUID discovery (GetSubmissionSetAndContents) failed: {why}"]
    view = QueryView(result.body)
    by_uid = {uid: owner for owner, uid in assigned.uids.items()}
    for obj in (*view.submission_sets, *view.documents, *view.folders):
        owner = by_uid.get(_unique_id(obj) or "")
        if owner and owner in assigned.symbolic and obj.get("id"):
            assigned.uuids[owner] = str(obj.get("id"))
    _match_associations(sent, view, assigned)
    associations = {a.get("id") for a in sent.iter(ns.qn(ns.RIM, "Association"))}
    missing = [s for s in assigned.symbolic if s not in assigned.uuids and s not in associations]
    return [f"UUID discovery found no entryUUID for {', '.join(missing)}"] if missing else []


def _match_associations(sent: etree._Element, view: QueryView, assigned: Assigned) -> None:
    """Map symbolic Association ids by their (mapped) source, target and type."""
    pending = [
        a for a in sent.iter(ns.qn(ns.RIM, "Association")) if a.get("id") in assigned.symbolic
    ]
    for _round in range(3):  # associations may point at associations
        for assoc in pending:
            source = assigned.uuids.get(assoc.get("sourceObject", ""), assoc.get("sourceObject"))
            target = assigned.uuids.get(assoc.get("targetObject", ""), assoc.get("targetObject"))
            kind = short(assoc.get("associationType"))
            for found in view.associations:
                if (
                    found.get("sourceObject") == source
                    and found.get("targetObject") == target
                    and short(found.get("associationType")) == kind
                ):
                    assigned.uuids[str(assoc.get("id"))] = str(found.get("id"))
