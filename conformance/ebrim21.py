"""Convert NIST's ebRIM 2.1 SubmitObjectsRequests (and their lenient hybrids) to ebRS 3.0.

What the NIST XDS Toolkit does before sending an XDS.b submission
(``Metadata.getV3SubmitObjectsRequest``; corpus README §5.1 item 1):

* ``rs:SubmitObjectsRequest`` (2.1) becomes ``lcm:SubmitObjectsRequest``, and
  ``rim:LeafRegistryObjectList`` becomes ``rim:RegistryObjectList``; every other element of
  the rim 2.1 namespace moves to the rim 3.0 namespace unchanged (Slot/ValueList/Name/
  Description/LocalizedString have the same shape in 3.0, ebRIM 3.0 §2).
* Children are put in ebRIM 3.0 schema order: Slot*, Name?, Description?, VersionInfo?,
  Classification*, ExternalIdentifier*, then the rest (2.1 put Name/Description first).
* Short association types (``HasMember``, ``RPLC`` ...) become their URNs
  (``profiles.vocabulary.SHORT_ASSOCIATION_TYPES``, ITI TF-3 4.2.2) and short ``status``
  values become ``urn:oasis:names:tc:ebxml-regrep:StatusType:*``.
* The 2.1 list of ``ObjectRef``s naming the classification schemes is dropped; ObjectRefs
  that an Association or Classification actually references are kept.
* ``ExternalIdentifier`` gets ``registryObject``/``id``/``objectType`` and ``Classification``
  gets ``classifiedObject``/``id``/``objectType`` where missing (ebRIM 3.0 makes ``id``
  required); Associations without ``id`` get one. Ids are symbolic like NIST's (``id_1``,
  ``ID_<n>``); the registry or ``AssignUuids`` turns them into UUIDs.
* Everything else (``lid``, ``VersionInfo``, Slots on Associations, comments) is kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import SHORT_ASSOCIATION_TYPES, RimObjectType, Status

_RENAME: dict[str, tuple[str, str]] = {
    ns.qn(ns.RS21, "SubmitObjectsRequest"): (ns.LCM, "SubmitObjectsRequest"),
    ns.qn(ns.RIM21, "LeafRegistryObjectList"): (ns.RIM, "RegistryObjectList"),
}
_OLD_NAMESPACES = {ns.RIM21, ns.RS21}
#: ebRIM 3.0 RegistryObjectType content order (ebRIM 3.0 schema rim.xsd).
_ORDER = ("Slot", "Name", "Description", "VersionInfo", "Classification", "ExternalIdentifier")
#: Elements whose children are a list of objects (their order is kept as written).
_CONTAINERS = ("SubmitObjectsRequest", "LeafRegistryObjectList", "RegistryObjectList")
_STATUS_BY_SHORT = {s.value.rsplit(":", 1)[1]: s.value for s in Status}
_REFERENCE_ATTRIBUTES = ("sourceObject", "targetObject", "classifiedObject", "registryObject")


def is_ebrim21(root: etree._Element) -> bool:
    """True if ``root`` is a 2.1 ``rs:SubmitObjectsRequest`` or holds any rim 2.1 element."""
    return any(etree.QName(el).namespace in _OLD_NAMESPACES for el in _elements(root))


def convert(root: etree._Element) -> etree._Element:
    """Return a new ebRS 3.0 ``lcm:SubmitObjectsRequest`` equivalent to the 2.1 ``root``."""
    referenced = _referenced_ids(root)
    counter = itertools.count(1)
    new_root = _copy(root, referenced, counter)
    new_root = _clean_namespaces(new_root)
    _add_missing_ids(new_root, counter)
    return new_root


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    return (el for el in root.iter() if isinstance(el.tag, str))


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _referenced_ids(root: etree._Element) -> set[str]:
    """Ids that some Association, Classification or ExternalIdentifier points at."""
    found: set[str] = set()
    for el in _elements(root):
        found.update(el.get(attr, "") for attr in _REFERENCE_ATTRIBUTES)
    found.discard("")
    return found


def _new_tag(el: etree._Element) -> str:
    if el.tag in _RENAME:
        namespace, local = _RENAME[el.tag]
        return ns.qn(namespace, local)
    qname = etree.QName(el)
    if qname.namespace in _OLD_NAMESPACES:
        return ns.qn(ns.RIM, qname.localname)
    return str(el.tag)


def _copy(el: etree._Element, referenced: set[str], counter: Iterator[int]) -> etree._Element:
    """Deep-copy ``el`` into the 3.0 vocabulary (element names, attribute values, order)."""
    new = etree.Element(_new_tag(el), nsmap={"lcm": ns.LCM, "rim": ns.RIM})
    for name, value in el.attrib.items():
        new.set(name, _convert_attribute(_local(el), str(name), str(value)))
    new.text = el.text if len(el) == 0 else None
    children = [c for c in el if _keep_child(c, referenced)]
    if _local(el) not in _CONTAINERS:
        children.sort(key=_order_key)
    for child in children:
        if isinstance(child.tag, str):
            new.append(_copy(child, referenced, counter))
        else:
            new.append(_copy_comment(child))
    return new


def _copy_comment(node: etree._Element) -> etree._Element:
    return etree.Comment(node.text or "")


def _keep_child(child: etree._Element, referenced: set[str]) -> bool:
    """Drop processing instructions and the 2.1 ObjectRef list of scheme UUIDs."""
    if not isinstance(child.tag, str):
        return isinstance(child, etree._Comment)
    if _local(child) == "ObjectRef" and child.getparent() is not None:
        parent = _local(child.getparent())  # type: ignore[arg-type]
        if parent in ("LeafRegistryObjectList", "RegistryObjectList"):
            return child.get("id", "") in referenced
    return True


def _order_key(child: etree._Element) -> int:
    """Stable sort key putting children in ebRIM 3.0 schema order (others keep their place)."""
    if not isinstance(child.tag, str):
        return len(_ORDER)
    local = _local(child)
    return _ORDER.index(local) if local in _ORDER else len(_ORDER)


def _convert_attribute(element: str, name: str, value: str) -> str:
    """Map 2.1 short values to 3.0 URNs (association types, status)."""
    if element == "Association" and name == "associationType":
        mapped = SHORT_ASSOCIATION_TYPES.get(value)
        return mapped.value if mapped is not None else value
    if name == "status":
        return _STATUS_BY_SHORT.get(value, value)
    return value


def _clean_namespaces(root: etree._Element) -> etree._Element:
    """Declare lcm/rim once on the root (deep copies would repeat them)."""
    etree.cleanup_namespaces(root, top_nsmap={"lcm": ns.LCM, "rim": ns.RIM})
    return root


def _add_missing_ids(root: etree._Element, counter: Iterator[int]) -> None:
    """Give ExternalIdentifier/Classification/Association the ids ebRIM 3.0 requires."""
    for el in list(_elements(root)):
        local = _local(el)
        parent = el.getparent()
        parent_id = parent.get("id") if parent is not None else None
        if local == "ExternalIdentifier":
            _set_default(el, "registryObject", parent_id)
            _set_default(el, "objectType", RimObjectType.EXTERNAL_IDENTIFIER.value)
            _set_default(el, "id", f"id_{next(counter)}")
        elif local == "Classification":
            _set_default(el, "classifiedObject", parent_id)
            _set_default(el, "objectType", RimObjectType.CLASSIFICATION.value)
            _set_default(el, "id", f"id_{next(counter)}")
        elif local == "Association":
            _set_default(el, "objectType", RimObjectType.ASSOCIATION.value)
            _set_default(el, "id", f"ID_{next(counter)}")


def _set_default(el: etree._Element, name: str, value: str | None) -> None:
    if value and not el.get(name):
        el.set(name, value)
