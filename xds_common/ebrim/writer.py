"""Write ebRS 3.0 responses and render stored registry objects (ITI TF-3 4.2.4, TF-2a 3.18.4.1.3).

Stored objects are rendered by patching their stored XML with what the registry owns:
availabilityStatus, lid/version, the patient id after merges, Folder.lastUpdateTime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus, RimObjectType, Scheme, Severity, SlotName
from xds_common.ebrim import rim
from xds_common.errors import RegistryError
from xds_common.xml import parse_trusted

NSMAP_RS = {"rs": ns.RS}
NSMAP_QUERY = {"query": ns.QUERY, "rim": ns.RIM, "rs": ns.RS}
_PATIENT_SCHEMES = frozenset({Scheme.DE_PATIENT_ID, Scheme.SS_PATIENT_ID, Scheme.FD_PATIENT_ID})


def response_status(errors: Iterable[RegistryError], partial: bool = False) -> ResponseStatus:
    """Success when there is no Error-severity item, else Failure or PartialSuccess."""
    if not any(e.is_error for e in errors):
        return ResponseStatus.SUCCESS
    return ResponseStatus.PARTIAL_SUCCESS if partial else ResponseStatus.FAILURE


def error_list(errors: list[RegistryError]) -> etree._Element:
    """``rs:RegistryErrorList`` with highestSeverity (ITI TF-3 Table 4.2.4.1-1)."""
    highest = Severity.ERROR if any(e.is_error for e in errors) else Severity.WARNING
    node = etree.Element(ns.qn(ns.RS, "RegistryErrorList"), nsmap=NSMAP_RS)
    node.set("highestSeverity", highest)
    for error in errors:
        item = etree.SubElement(node, ns.qn(ns.RS, "RegistryError"))
        item.set("errorCode", error.code)
        item.set("codeContext", error.context)
        item.set("severity", error.severity)
        if error.location:
            item.set("location", error.location)
    return node


def registry_response(
    errors: list[RegistryError], status: ResponseStatus | None = None
) -> etree._Element:
    """``rs:RegistryResponse`` for ITI-41/42/57/62."""
    node = etree.Element(ns.qn(ns.RS, "RegistryResponse"), nsmap=NSMAP_RS)
    node.set("status", status or response_status(errors))
    if errors:
        node.append(error_list(errors))
    return node


def query_response(
    objects: Iterable[etree._Element],
    errors: list[RegistryError],
    status: ResponseStatus | None = None,
) -> etree._Element:
    """``query:AdhocQueryResponse`` with its RegistryObjectList (ITI TF-2a 3.18.4.1.3)."""
    node = etree.Element(ns.qn(ns.QUERY, "AdhocQueryResponse"), nsmap=NSMAP_QUERY)
    node.set("status", status or response_status(errors))
    if errors:
        node.append(error_list(errors))
    object_list = etree.SubElement(node, rim.T_OBJECT_LIST)
    object_list.extend(objects)
    return node


def object_ref_response(entry_uuids: Iterable[str], home: str = "") -> etree._Element:
    """A Success AdhocQueryResponse listing ``rim:ObjectRef``s (ObjectRef answers, 3.18.4.1.3)."""
    node = query_response([], [])
    object_list = node[0]
    for entry_uuid in entry_uuids:
        ref = etree.SubElement(object_list, rim.T_OBJECT_REF)
        ref.set("id", entry_uuid)
        if home:
            ref.set("home", home)
    return node


def object_ref(entry_uuid: str, home: str = "") -> etree._Element:
    """``rim:ObjectRef`` for an ObjectRef answer."""
    node = etree.Element(rim.T_OBJECT_REF, nsmap={"rim": ns.RIM})
    node.set("id", entry_uuid)
    if home:
        node.set("home", home)
    return node


@dataclass(frozen=True)
class Overlay:
    """Registry-owned values written over a stored object when it is returned."""

    status: str
    home: str = ""
    lid: str = ""
    version: int | None = None
    patient_id: str = ""
    last_update_time: str = ""


def _set_slot(element: etree._Element, name: str, value: str) -> None:
    slot = next((s for s in element.iterchildren(rim.T_SLOT) if s.get("name") == name), None)
    if slot is None:
        slot = etree.Element(rim.T_SLOT)
        slot.set("name", name)
        element.insert(0, slot)
    for child in list(slot):
        slot.remove(child)
    value_list = etree.SubElement(slot, rim.T_VALUE_LIST)
    etree.SubElement(value_list, rim.T_VALUE).text = value


def set_version(element: etree._Element, version: int) -> None:
    """Set ``rim:VersionInfo`` where ebRIM 3.0 puts it: after Slot, Name, Description."""
    info = element.find(rim.T_VERSION_INFO)
    if info is None:
        info = etree.Element(rim.T_VERSION_INFO)
        leading = (rim.T_SLOT, rim.T_NAME, rim.T_DESCRIPTION)
        position = sum(1 for child in element if child.tag in leading)
        element.insert(position, info)
    info.set("versionName", str(version))


def _root_tag_end(text: str) -> int:
    """Index just after the root element's name in serialised XML."""
    start = text.index("<") + 1
    end = start
    while end < len(text) and text[end] not in " />\t\n":
        end += 1
    return end


def render_text(stored_xml: str, overlay: Overlay) -> str | None:
    """Fast path of :func:`render` without parsing: only status and home are added.

    Returns None when the overlay needs more (a version or lid not yet in the stored
    text, a patient id after a merge, a Folder's lastUpdateTime); use :func:`render`.
    """
    head = stored_xml[: stored_xml.index(">")]
    if overlay.patient_id or overlay.last_update_time or " status=" in head:
        return None
    if overlay.lid and f' lid="{overlay.lid}"' not in head:
        return None
    if overlay.version is not None and f'versionName="{overlay.version}"' not in stored_xml:
        return None
    extra = f' status="{overlay.status}"'
    if overlay.home and " home=" not in head:
        extra += f' home="{overlay.home}"'
    cut = _root_tag_end(stored_xml)
    return stored_xml[:cut] + extra + stored_xml[cut:]


def query_response_text(fragments: Iterable[str], status: ResponseStatus) -> bytes:
    """A serialised AdhocQueryResponse around already serialised objects (LeafClass path)."""
    head = (
        f'<query:AdhocQueryResponse xmlns:query="{ns.QUERY}" xmlns:rim="{ns.RIM}" '
        f'xmlns:rs="{ns.RS}" status="{status}"><rim:RegistryObjectList>'
    )
    body = "".join(fragments)
    return (head + body + "</rim:RegistryObjectList></query:AdhocQueryResponse>").encode()


def render(stored_xml: str, overlay: Overlay) -> etree._Element:
    """Parse a stored object and apply the registry-owned values in ``overlay``."""
    element = parse_trusted(stored_xml)
    element.set("status", overlay.status)
    if overlay.home:
        element.set("home", overlay.home)
    if overlay.lid:
        element.set("lid", overlay.lid)
    if overlay.version is not None:
        set_version(element, overlay.version)
    if overlay.patient_id:
        for ext in element.iterchildren(rim.T_EXTERNAL_ID):
            if ext.get("identificationScheme") in _PATIENT_SCHEMES:
                ext.set("value", overlay.patient_id)
    if overlay.last_update_time:
        _set_slot(element, SlotName.LAST_UPDATE_TIME, overlay.last_update_time)
    return element


def association(
    entry_uuid: str,
    association_type: str,
    source: str,
    target: str,
    slots: dict[str, str] | None = None,
) -> etree._Element:
    """A new ``rim:Association`` element (ITI TF-3 4.2.2)."""
    node = etree.Element(rim.T_ASSOCIATION, nsmap={"rim": ns.RIM})
    node.set("id", entry_uuid)
    node.set("objectType", RimObjectType.ASSOCIATION)
    node.set("associationType", association_type)
    node.set("sourceObject", source)
    node.set("targetObject", target)
    for name, value in (slots or {}).items():
        _set_slot(node, name, value)
    return node
