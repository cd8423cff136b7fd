"""Metadata validation as rule tables plus tiny value checkers (the IPF habit).

``check_objects`` applies the optionality tables of ``profiles.metadata`` for one
transaction role and the datatype checkers of ``xds_common.datatypes``. Registry-only
checks (patients, uniqueness, references into stored data) live in the registry.
Sources: ITI TF-3 4.2.3 and 4.3.1; ITI TF-2b 3.42.4.1.3.
"""

from __future__ import annotations

from profiles.errors import ErrorCode
from profiles.metadata import ATTRIBUTES, ON_DEMAND_PROHIBITED, OPTIONALITY, Attribute, Coding, Opt
from profiles.vocabulary import (
    AUTHOR_SLOTS,
    AssociationType,
    DocumentEntryType,
    ObjectKind,
    SlotName,
)
from xds_common.datatypes import CHECKERS, check_dtm, is_uuid_urn
from xds_common.ebrim import rim
from xds_common.ebrim.reader import ReadResult, occurrences, values
from xds_common.errors import ErrorCollector

_AUTHOR_SUB = {
    SlotName.AUTHOR_PERSON: "xcn",
    SlotName.AUTHOR_INSTITUTION: "xon",
    SlotName.AUTHOR_TELECOMMUNICATION: "xtn",
}


def _check_cardinality(
    obj: rim.RimObject, kind: ObjectKind, role: str, out: ErrorCollector, code: ErrorCode
) -> None:
    table = OPTIONALITY[kind][role]
    on_demand = obj.attrs.get("objectType") == DocumentEntryType.ON_DEMAND
    for attr in ATTRIBUTES[kind]:
        count = occurrences(obj, attr)
        opt = table.get(attr.name, Opt.O)
        if on_demand and attr.name in ON_DEMAND_PROHIBITED:
            opt = Opt.X if count else Opt.O
        if opt is Opt.R and count == 0:
            out.add(code, f"{kind} {obj.id}: required attribute {attr.name} is missing", obj.id)
        elif opt is Opt.X and count:
            out.add(code, f"{kind} {obj.id}: attribute {attr.name} is not allowed", obj.id)
        if count > 1 and not attr.multiple:
            out.add(code, f"{kind} {obj.id}: {attr.name} may have only one value", obj.id)
        if attr.coding is Coding.SLOT and len(obj.slot(attr.key)) > 1:
            out.add(code, f"{kind} {obj.id}: slot {attr.key} appears more than once", obj.id)


def _check_values(
    obj: rim.RimObject, kind: ObjectKind, out: ErrorCollector, code: ErrorCode
) -> None:
    for attr in ATTRIBUTES[kind]:
        if attr.coding is Coding.CLASSIFICATION:
            _check_codes(obj, attr, out, code)
        elif attr.coding is Coding.AUTHOR:
            _check_authors(obj, attr, out, code)
        elif attr.datatype:
            checker = CHECKERS[attr.datatype]
            for value in values(obj, attr):
                reason = checker(value)
                if reason:
                    out.add(code, f"{kind} {obj.id}: {attr.name} {value!r}: {reason}", obj.id)


def _check_codes(obj: rim.RimObject, attr: Attribute, out: ErrorCollector, code: ErrorCode) -> None:
    for cls in obj.classified(attr.key):
        schemes = cls.slot_values(SlotName.CODING_SCHEME)
        if not cls.node_representation:
            out.add(code, f"{obj.id}: {attr.name} has an empty code", obj.id)
        if len(schemes) != 1 or not schemes[0]:
            out.add(code, f"{obj.id}: {attr.name} needs exactly one codingScheme value", obj.id)


def _check_authors(
    obj: rim.RimObject, attr: Attribute, out: ErrorCollector, code: ErrorCode
) -> None:
    for cls in obj.classified(attr.key):
        persons = cls.slot_values(SlotName.AUTHOR_PERSON)
        if len(persons) > 1:
            out.add(code, f"{obj.id}: authorPerson may have only one value", obj.id)
        present = [n for n in (AUTHOR_SLOTS[0], AUTHOR_SLOTS[1], AUTHOR_SLOTS[4])
                   if cls.slot_values(n)]  # fmt: skip
        if not present:
            out.add(
                code,
                f"{obj.id}: an author needs authorPerson, authorInstitution or "
                "authorTelecommunication",
                obj.id,
            )
        for slot, datatype in _AUTHOR_SUB.items():
            for value in cls.slot_values(slot):
                reason = CHECKERS[datatype](value)
                if reason:
                    out.add(code, f"{obj.id}: {slot} {value!r}: {reason}", obj.id)


def _check_service_times(obj: rim.RimObject, out: ErrorCollector, code: ErrorCode) -> None:
    start = [v for s in obj.slot(SlotName.SERVICE_START_TIME) for v in s.values]
    stop = [v for s in obj.slot(SlotName.SERVICE_STOP_TIME) for v in s.values]
    if start and stop and not check_dtm(start[0]) and not check_dtm(stop[0]):
        width = min(len(start[0]), len(stop[0]))
        if start[0][:width] > stop[0][:width]:
            out.add(code, f"{obj.id}: serviceStartTime is after serviceStopTime", obj.id)


def _check_association(obj: rim.RimObject, out: ErrorCollector, code: ErrorCode) -> None:
    assoc_type = obj.attrs.get("associationType", "")
    if assoc_type not in AssociationType._value2member_map_:
        out.add(code, f"Association {obj.id}: unknown associationType {assoc_type!r}", obj.id)
    for attr in ("sourceObject", "targetObject"):
        if not obj.attrs.get(attr):
            out.add(code, f"Association {obj.id}: {attr} is missing", obj.id)


def check_objects(result: ReadResult, role: str, out: ErrorCollector, code: ErrorCode) -> None:
    """Validate every object of ``result`` against the tables for ``role`` (ITI-41/ITI-42)."""
    for ident, problem in result.problems:
        out.add(code, problem, ident)
    for ident, obj in result.raw.items():
        kind = result.kinds.get(ident)
        if kind is None:
            continue
        if kind is ObjectKind.ASSOCIATION:
            _check_association(obj, out, code)
            continue
        _check_cardinality(obj, kind, role, out, code)
        _check_values(obj, kind, out, code)
        if kind is ObjectKind.DOCUMENT_ENTRY:
            _check_service_times(obj, out, code)
            object_type = obj.attrs.get("objectType", "")
            if object_type and object_type not in DocumentEntryType._value2member_map_:
                out.add(code, f"DocumentEntry {ident}: unknown objectType {object_type}", ident)
        lid = obj.attrs.get("lid")
        if lid and not is_uuid_urn(lid) and lid != ident:
            out.add(code, f"{kind} {ident}: lid {lid!r} is not a UUID", ident)
