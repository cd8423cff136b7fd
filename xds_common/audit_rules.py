"""Validate a DICOM audit message (PS3.15 A.5) against the tables of ``profiles.audit``.

``check_audit_message(root)`` checks the schema rules every ``AuditMessage`` follows
(PS3.15 A.5.1: cardinality, required attributes, coded values, base64 payloads, dateTime)
and, when the EventTypeCode names an IHE transaction with declared audit content, the
event rule of that transaction (ITI TF-2a/2b x.5.1): EventID, EventActionCode, the
Source/Destination participants and the required ParticipantObjects. Findings carry an
XPath location and the rule (spec section) they come from; audit messages have no
protocol error code, so ``code`` is empty.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from lxml import etree

from profiles import audit
from profiles.audit import ElementRule, EventRule, ObjectRule
from xds_common.findings import Finding, Severity

ROOT = "AuditMessage"
SCHEMA_RULE = "DICOM PS3.15 A.5.1"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str) and _local(c) == name]


def _select(root: etree._Element, path: str) -> list[tuple[str, etree._Element]]:
    """Elements at a ``/``-separated path of local names, with their XPath locations."""
    found = [(f"/{ROOT}", root)]
    for step in path.split("/"):
        nxt: list[tuple[str, etree._Element]] = []
        for where, element in found:
            for index, child in enumerate(_children(element, step), start=1):
                nxt.append((f"{where}/{step}[{index}]", child))
        found = nxt
    return found


def _error(message: str, location: str, rule: str = SCHEMA_RULE) -> Finding:
    return Finding(Severity.ERROR, message, location, rule)


def _check_element(root: etree._Element, rule: ElementRule) -> list[Finding]:
    """Cardinality (counted per parent), required attributes and allowed values."""
    out: list[Finding] = []
    parent_path, _, name = rule.path.rpartition("/")
    parents = _select(root, parent_path) if parent_path else [(f"/{ROOT}", root)]
    for where, parent in parents:
        count = len(_children(parent, name))
        if count < rule.min or (rule.max is not None and count > rule.max):
            bounds = f"{rule.min}..{'*' if rule.max is None else rule.max}"
            out.append(_error(f"{name} occurs {count} times, allowed {bounds}", where))
    for where, element in _select(root, rule.path):
        for attr in rule.attributes:
            if not element.get(attr):
                out.append(_error(f"{name} lacks the {attr} attribute", f"{where}/@{attr}"))
        for attr, allowed in rule.values:
            value = element.get(attr)
            if value is not None and value not in allowed:
                text = f"{name}/@{attr} {value!r} is not one of {', '.join(sorted(allowed))}"
                out.append(_error(text, f"{where}/@{attr}"))
    return out


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _check_payloads(root: etree._Element) -> list[Finding]:
    """base64 query and detail values (PS3.15 A.5.1 xs:base64Binary), xs:dateTime time."""
    out: list[Finding] = []
    for path in audit.BASE64_TEXT:
        for where, element in _select(root, path):
            if not _is_base64(element.text or ""):
                out.append(_error(f"{_local(element)} is not base64", where))
    for path in audit.BASE64_VALUE:
        for where, element in _select(root, path):
            if not _is_base64(element.get("value", "")):
                out.append(_error(f"{_local(element)}/@value is not base64", f"{where}/@value"))
    for where, element in _select(root, "EventIdentification"):
        stamp = element.get("EventDateTime", "")
        try:
            datetime.fromisoformat(stamp)
        except ValueError:
            if stamp:
                out.append(_error(f"EventDateTime {stamp!r} is not an xs:dateTime",
                                  f"{where}/@EventDateTime"))  # fmt: skip
    return out


def _codes(root: etree._Element, path: str) -> list[str]:
    return [e.get("csd-code", "") for _, e in _select(root, path)]


def _transactions(root: etree._Element) -> list[str]:
    return [
        e.get("csd-code", "")
        for _, e in _select(root, "EventIdentification/EventTypeCode")
        if e.get("codeSystemName") == audit.TRANSACTION_CODE_SYSTEM
    ]


def _matches(element: etree._Element, rule: ObjectRule) -> bool:
    if element.get("ParticipantObjectTypeCode") != rule.type_code:
        return False
    if rule.role and element.get("ParticipantObjectTypeCodeRole") != rule.role:
        return False
    id_types = [c.get("csd-code") for c in _children(element, "ParticipantObjectIDTypeCode")]
    return not rule.id_type or rule.id_type in id_types


def _check_event(root: etree._Element, event: EventRule) -> list[Finding]:
    """The transaction's participants and objects (ITI TF-2a/2b x.5.1)."""
    out: list[Finding] = []
    roles = _codes(root, "ActiveParticipant/RoleIDCode")
    for role in event.roles:
        if role.value not in roles:
            text = f"{event.transaction}: no ActiveParticipant with RoleIDCode {role.value}"
            out.append(_error(text, f"/{ROOT}/ActiveParticipant", event.rule))
    objects = [e for _, e in _select(root, "ParticipantObjectIdentification")]
    for rule in event.objects:
        count = sum(1 for e in objects if _matches(e, rule))
        if count < rule.min or (rule.max is not None and count > rule.max):
            bounds = f"{rule.min}..{'*' if rule.max is None else rule.max}"
            text = (f"{event.transaction}: {count} {rule.name} ParticipantObjects (type "
                    f"{rule.type_code}, role {rule.role or 'any'}, IDTypeCode "
                    f"{rule.id_type or 'any'}), allowed {bounds}")  # fmt: skip
            out.append(_error(text, f"/{ROOT}/ParticipantObjectIdentification", event.rule))
    return out


def _event_rule(root: etree._Element, transaction: str) -> tuple[EventRule | None, Finding | None]:
    """The rule for this transaction, EventID and action; a finding when none fits."""
    candidates = audit.events_for(transaction)
    if not candidates:
        return None, Finding(Severity.INFO, f"no audit rule table for {transaction}",
                             f"/{ROOT}/EventIdentification/EventTypeCode")  # fmt: skip
    event_ids = _codes(root, "EventIdentification/EventID")
    actions = [e.get("EventActionCode", "") for _, e in _select(root, "EventIdentification")]
    for rule in candidates:
        if rule.event_id.value in event_ids and rule.action in actions:
            return rule, None
    allowed = "; ".join(f"EventID {r.event_id.value} with action {r.action}" for r in candidates)
    text = f"{transaction}: EventID {event_ids} / EventActionCode {actions} fit none of: {allowed}"
    return None, _error(text, f"/{ROOT}/EventIdentification", candidates[0].rule)


def check_audit_message(root: etree._Element) -> list[Finding]:
    """All findings for one ``AuditMessage`` element (PS3.15 A.5.1 plus the IHE event rule)."""
    if _local(root) != ROOT:
        return [_error(f"root element is {_local(root)}, not {ROOT}", f"/{_local(root)}")]
    out: list[Finding] = []
    for rule in audit.SCHEMA:
        out += _check_element(root, rule)
    out += _check_payloads(root)
    for transaction in _transactions(root):
        event, problem = _event_rule(root, transaction)
        if problem is not None:
            out.append(problem)
        if event is not None:
            out += _check_event(root, event)
    return out
