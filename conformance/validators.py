"""Offline validators for XDS messages and audit records, on the servers' own rule tables.

Each validator takes the bytes of one file and returns :class:`Finding` objects:

* ITI-42 / ITI-41 / ITI-57 submissions: ``xds_common.submission_checks`` (the checks the
  registry runs before it looks at stored data: ``profiles.metadata`` tables, one
  SubmissionSet, membership, one patient, uniqueIds, first versions, MU operations);
  ITI-41 also pairs DocumentEntries with ``xdsb:Document`` parts (ITI TF-2b 3.41.4.1.3).
* ITI-18 stored queries: ``xds_common.query.params.parse_request`` (ITI TF-2a 3.18.4.1.2.3).
* Audit messages: ``xds_common.audit_rules`` (DICOM PS3.15 A.5, ITI TF-2 x.5.1).

A SOAP 1.2 envelope is unwrapped first; ebRIM 2.1 submissions are converted to 3.0 as the
NIST toolkit does before sending (an info finding says so). Locations are XPaths.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Final

from lxml import etree

from conformance import ebrim21
from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from xds_common import soap
from xds_common.audit_rules import check_audit_message
from xds_common.ebrim import rim
from xds_common.errors import ErrorCollector, RegistryError, XdsError
from xds_common.findings import Finding, Severity
from xds_common.query.params import parse_request
from xds_common.submission_checks import check_register, check_update, read_submission
from xds_common.xml import XmlRejected, parse


class Kind(StrEnum):
    """What a file is, as ``beeldportaal validate --kind`` names it."""

    ITI_41 = "iti-41"
    ITI_42 = "iti-42"
    ITI_57 = "iti-57"
    ITI_18 = "iti-18"
    KOS = "kos"
    MHD = "mhd"
    AUDIT = "audit"


class NotValidatable(ValueError):
    """The file is not a message any validator understands (or not well-formed)."""


Validator = Callable[[bytes], list[Finding]]

_SOR: Final = ns.qn(ns.LCM, "SubmitObjectsRequest")
_PNR: Final = tx.ITI_41.request_element
_DOCUMENT: Final = ns.qn(ns.XDSB, "Document")
_FHIR_NS: Final = "http://hl7.org/fhir"
_BY_ACTION: Final = {
    tx.ITI_41.request_action: Kind.ITI_41,
    tx.ITI_42.request_action: Kind.ITI_42,
    tx.ITI_57.request_action: Kind.ITI_57,
    tx.ITI_18.request_action: Kind.ITI_18,
}
_SECTION: Final = {
    Kind.ITI_41: "ITI TF-2b 3.41.4.1.3",
    Kind.ITI_42: "ITI TF-2b 3.42.4.1.3",
    Kind.ITI_57: "ITI TF-2b 3.57.4.1.3",
    Kind.ITI_18: "ITI TF-2a 3.18.4.1.2.3",
}
#: ITI-57 triggers without stored data: a new version (lid != id) or an MU association type.
_MU_ASSOCIATIONS: Final = ("UpdateAvailabilityStatus", "SubmitAssociation")


def parse_xml(data: bytes) -> etree._Element:
    """Parse with the one safe parser; NotValidatable when the bytes are not XML."""
    try:
        return parse(data.lstrip())
    except XmlRejected as exc:
        raise NotValidatable(str(exc)) from None


def unwrap(root: etree._Element) -> tuple[etree._Element, str]:
    """The SOAP Body's payload and the ``wsa:Action`` (``root`` itself, '' if no envelope)."""
    if root.tag != soap.T_ENVELOPE:
        return root, ""
    body = root.find(soap.T_BODY)
    payload = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if payload is None:
        raise NotValidatable("SOAP envelope without a Body payload")
    action = root.findtext(f"{soap.T_HEADER}/{soap.T_ACTION}") or ""
    return payload, action.strip()


def _looks_like_update(request: etree._Element) -> bool:
    """An ITI-57 marker: a versioned object or an MU association type (MU 3.57.4.1.3.3)."""
    for element in request.iter():
        lid = element.get("lid")
        if lid and lid != element.get("id"):
            return True
        if element.get("associationType", "").endswith(_MU_ASSOCIATIONS):
            return True
    return False


def detect_xml(root: etree._Element) -> Kind:
    """The kind of an XML message (SOAP action first, then the root element)."""
    payload, action = unwrap(root)
    if action in _BY_ACTION:
        return _BY_ACTION[action]
    local, namespace = etree.QName(payload).localname, etree.QName(payload).namespace
    if payload.tag == _PNR:
        return Kind.ITI_41
    if local == "SubmitObjectsRequest":
        return Kind.ITI_57 if _looks_like_update(payload) else Kind.ITI_42
    if payload.tag == tx.ITI_18.request_element:
        return Kind.ITI_18
    if local == "AuditMessage":
        return Kind.AUDIT
    if namespace == _FHIR_NS:
        return Kind.MHD
    raise NotValidatable(f"no validator for a {local} message")


def _location(error: RegistryError, names: dict[str, str]) -> str:
    """An XPath for the object a RegistryError names (by its id as written in the file)."""
    if not error.location:
        return ""
    ident = names.get(error.location, error.location)
    return f"//*[@id='{ident}']"


def _findings(items: list[RegistryError], rule: str, names: dict[str, str]) -> list[Finding]:
    return [
        Finding(
            Severity.ERROR if e.is_error else Severity.WARNING,
            e.context,
            _location(e, names),
            rule,
            e.code,
        )
        for e in items
    ]


def _submission(payload: etree._Element) -> tuple[etree._Element, list[Finding]]:
    """The ebRS 3.0 SubmitObjectsRequest, converting ebRIM 2.1 as the NIST toolkit does."""
    request = payload.find(_SOR) if payload.tag == _PNR else payload
    if request is None:
        request = next((c for c in payload if etree.QName(c).localname == "SubmitObjectsRequest"),
                       None)  # fmt: skip
    if request is None:
        raise NotValidatable("no SubmitObjectsRequest in the message")
    if not ebrim21.is_ebrim21(request):
        return request, []
    note = Finding(Severity.INFO, "ebRIM 2.1 metadata, converted to ebRS 3.0 before checking",
                   "/", "ITI TF-3 4.1 (ebRIM 3.0 for XDS.b)")  # fmt: skip
    return ebrim21.convert(request), [note]


def _documents(payload: etree._Element, request: etree._Element) -> list[RegistryError]:
    """Every DocumentEntry has one ``xdsb:Document`` and vice versa (ITI TF-2b 3.41.4.1.3)."""
    out = ErrorCollector()
    entries = [e.get("id", "") for e in request.iter(rim.T_EXTRINSIC)]
    parts = [d.get("id", "") for d in payload.iter(_DOCUMENT)]
    for ident in entries:
        if ident not in parts:
            out.add(ErrorCode.MISSING_DOCUMENT, f"DocumentEntry {ident} has no document", ident)
    for ident in parts:
        if ident not in entries:
            out.add(ErrorCode.MISSING_DOCUMENT_METADATA, f"document {ident} has no DocumentEntry",
                    ident)  # fmt: skip
    return out.items


def check_submission(payload: etree._Element, kind: Kind) -> list[Finding]:
    """ITI-41/42/57 checks without stored data, as the registry and repository run them."""
    request, notes = _submission(payload)
    try:
        result, mapping = read_submission(request)
    except XdsError as exc:
        return [*notes, *_findings(exc.errors, _SECTION[kind], {})]
    names = {uuid: symbol for symbol, uuid in mapping.items()}
    out = ErrorCollector()
    if kind is Kind.ITI_57:
        check_update(result, mapping, out)
    else:
        check_register(result, out)
    items = out.items
    if kind is Kind.ITI_41 and payload.tag == _PNR:
        items = _documents(payload, request) + items
    return [*notes, *_findings(items, _SECTION[kind], names)]


def check_query(payload: etree._Element) -> list[Finding]:
    """ITI-18 parameter checks (``xds_common.query``, ITI TF-2a 3.18.4.1.2.3)."""
    try:
        parsed = parse_request(payload)
    except XdsError as exc:
        return _findings(exc.errors, _SECTION[Kind.ITI_18], {})
    return [
        Finding(Severity.WARNING, f"parameter {name} is not declared by {parsed.spec.name}; "
                "a registry ignores it", f"//*[@name='{name}']", _SECTION[Kind.ITI_18])
        for name in parsed.ignored
    ]  # fmt: skip


def validate_xml(data: bytes, kind: Kind | None = None) -> tuple[Kind, list[Finding]]:
    """Detect (unless ``kind`` is given) and validate one XML message."""
    root = parse_xml(data)
    found = kind or detect_xml(root)
    payload, _ = unwrap(root)
    if found in _SECTION and found is not Kind.ITI_18:
        return found, check_submission(payload, found)
    if found is Kind.ITI_18:
        return found, check_query(payload)
    if found is Kind.AUDIT:
        return found, check_audit_message(payload)
    if found is Kind.MHD:
        raise NotValidatable("FHIR XML: the MHD validator reads JSON; give the Bundle as JSON")
    raise NotValidatable(f"{found} is not an XML kind")
