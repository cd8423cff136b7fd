"""The NIST harness substitutions applied to a message before it is sent.

Corpus README §5.1 "What the engine does to a submission (ITI-41/42/57, RAD-68)":

1. text placeholders (``$patientid$``, ``$now$`` ... and the ``UseId``/``UseReport``
   bindings) are replaced in every attribute value and text node;
2. every ``XDSDocumentEntry``/``XDSSubmissionSet``/``XDSFolder.patientId``
   ExternalIdentifier is overwritten with the test patient unless ``<NoPatientId/>``;
3. DocumentEntry/SubmissionSet/Folder ``uniqueId``s get fresh OIDs (``2.25.<uuid int>``,
   ITU-T X.667) unless ``<NoAssignUids/>`` (with ``id=``: except that object);
4. the SubmissionSet ``sourceId`` becomes the tool's source OID;
5. with ``<AssignUuids/>`` symbolic ids become ``urn:uuid:`` values, consistently in every
   reference (``<Exclude value=.../>`` keeps one symbolic).

What was assigned is returned per symbolic id so later ``UseId`` (AssignedUids,
AssignedUuids, AssignedPatientId) and ``UseReport`` (``<symbol>_uid``) can find it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree

from profiles.vocabulary import Scheme

PLACEHOLDER = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*\$")
PATIENT_SCHEMES = frozenset({Scheme.DE_PATIENT_ID, Scheme.SS_PATIENT_ID, Scheme.FD_PATIENT_ID})
UNIQUE_ID_SCHEMES = frozenset({Scheme.DE_UNIQUE_ID, Scheme.SS_UNIQUE_ID, Scheme.FD_UNIQUE_ID})
_REFERENCES = ("sourceObject", "targetObject", "classifiedObject", "registryObject", "lid")
_UUID_PREFIX = "urn:uuid:"


def new_oid() -> str:
    """A fresh OID under the UUID arc ``2.25`` (ITU-T X.667 / ISO 9834-8)."""
    return f"2.25.{uuid.uuid4().int}"


def new_uuid() -> str:
    """A fresh ``urn:uuid:`` (RFC 4122 version 4), lower case as ITI TF-3 4.2.3.1.5 asks."""
    return f"{_UUID_PREFIX}{uuid.uuid4()}"


def builtin_placeholders(now: datetime, home_community_id: str = "") -> dict[str, str]:
    """The placeholders NIST fills in itself: ``$now$``, ``$lastyear$``, ``$DATE$`` ..."""
    last_year = now - timedelta(days=365)
    values = {
        "$now$": now.strftime("%Y%m%d%H%M%S"),
        "$lastyear$": last_year.strftime("%Y%m%d%H%M%S"),
        "$DATE$": now.strftime("%Y%m%d"),
    }
    if home_community_id:
        values["$homeCommunityId$"] = home_community_id
    return values


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    return (el for el in root.iter() if isinstance(el.tag, str))


def substitute_text(root: etree._Element, values: Mapping[str, str]) -> None:
    """Replace each key of ``values`` by its value in all attribute values and texts."""
    if not values:
        return
    keys = sorted(values, key=len, reverse=True)

    def replace(text: str) -> str:
        for key in keys:
            if key in text:
                text = text.replace(key, values[key])
        return text

    for el in _elements(root):
        for name, value in el.attrib.items():
            el.set(name, replace(str(value)))
        if el.text:
            el.text = replace(el.text)


def placeholders_in(root: etree._Element) -> set[str]:
    """The ``$name$`` placeholders still present in ``root``."""
    found: set[str] = set()
    for el in _elements(root):
        for value in el.attrib.values():
            found.update(PLACEHOLDER.findall(str(value)))
        found.update(PLACEHOLDER.findall(el.text or ""))
    return found


@dataclass(frozen=True)
class SubmissionRules:
    """Which of the README §5.1 rules apply to one step, with their values."""

    patient_id: str | None
    assign_uids: bool = True
    keep_uid_of: frozenset[str] = frozenset()
    source_id: str | None = None
    assign_uuids: bool = False
    keep_uuid_of: frozenset[str] = frozenset()


@dataclass
class Assigned:
    """What one submission used, keyed by the object's symbolic id from the file."""

    uids: dict[str, str] = field(default_factory=dict)
    uuids: dict[str, str] = field(default_factory=dict)
    patient_ids: dict[str, str] = field(default_factory=dict)
    #: symbolic ids that were sent as-is (the registry assigns their entryUUIDs)
    symbolic: list[str] = field(default_factory=list)

    def reports(self) -> dict[str, str]:
        """The automatic NIST reports ``<symbol>_uid`` and ``<symbol>_uuid``."""
        values = {f"{k}_uid": v for k, v in self.uids.items()}
        values.update({f"{k}_uuid": v for k, v in self.uuids.items()})
        return values


def _owner(ei: etree._Element) -> str:
    parent = ei.getparent()
    parent_id = parent.get("id", "") if parent is not None else ""
    return ei.get("registryObject") or parent_id


def _external_identifiers(root: etree._Element) -> Iterator[etree._Element]:
    return (el for el in _elements(root) if etree.QName(el).localname == "ExternalIdentifier")


def apply_rules(
    root: etree._Element,
    rules: SubmissionRules,
    new_uid: Callable[[], str] = new_oid,
    new_id: Callable[[], str] = new_uuid,
) -> Assigned:
    """Apply patient id, uniqueId, sourceId and UUID rules to a SubmitObjectsRequest."""
    assigned = Assigned()
    for ei in _external_identifiers(root):
        scheme, owner = ei.get("identificationScheme", ""), _owner(ei)
        if scheme in PATIENT_SCHEMES:
            if rules.patient_id is not None:
                ei.set("value", rules.patient_id)
            assigned.patient_ids[owner] = ei.get("value", "")
        elif scheme in UNIQUE_ID_SCHEMES:
            if rules.assign_uids and owner not in rules.keep_uid_of:
                ei.set("value", new_uid())
            assigned.uids[owner] = ei.get("value", "")
        elif scheme == Scheme.SS_SOURCE_ID and rules.source_id:
            ei.set("value", rules.source_id)
    mapping = _uuid_mapping(root, rules, new_id)
    objects = {el.get("id", "") for el in _top_level(root)}
    _rename_ids(root, mapping)
    assigned.uuids.update({k: v for k, v in mapping.items() if k in objects})
    assigned.symbolic.extend(
        i for el in _top_level(root) if not (i := el.get("id", "")).startswith(_UUID_PREFIX)
    )
    return assigned


def _identifiable(root: etree._Element) -> Iterator[etree._Element]:
    """Elements whose ``id`` the submission defines (not ObjectRefs, not the request)."""
    for el in _elements(root):
        local = etree.QName(el).localname
        if el.get("id") and local not in ("ObjectRef", "AdhocQuery", "Document"):
            yield el


def _uuid_mapping(
    root: etree._Element, rules: SubmissionRules, new_id: Callable[[], str]
) -> dict[str, str]:
    if not rules.assign_uuids:
        return {}
    mapping: dict[str, str] = {}
    for el in _identifiable(root):
        old = el.get("id", "")
        if not old.startswith(_UUID_PREFIX) and old not in rules.keep_uuid_of:
            mapping.setdefault(old, new_id())
    return mapping


def _rename_ids(root: etree._Element, mapping: Mapping[str, str]) -> None:
    if not mapping:
        return
    for el in _elements(root):
        for attr in ("id", *_REFERENCES):
            value = el.get(attr)
            if value is not None and value in mapping:
                el.set(attr, mapping[value])


def _top_level(root: etree._Element) -> list[etree._Element]:
    """DocumentEntries, SubmissionSets/Folders and Associations of the submission."""
    top = ("ExtrinsicObject", "RegistryPackage", "Association")
    return [el for el in _identifiable(root) if etree.QName(el).localname in top]
