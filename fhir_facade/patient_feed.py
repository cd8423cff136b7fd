"""FHIR patient identity feed: a Patient create/update becomes an ITI-8 ADT over MLLP.

The facade is a Patient Identity Source (ITI TF-2a 3.8) towards the Document Registry: a
new Patient, or an update that brings identifiers the registry has not seen from us, is an
``ADT^A01`` (ITI TF-2a 3.8.4.1.2, "admit/register"); any other update is an ``ADT^A08``
(3.8.4.1.2, "update patient information"). The message is HL7 v2.3.1 (ITI TF-2a 3.8.4.1.2,
Table 3.8-1), framed per ITI TF-2x Appendix C.2.1; the change counts only when the registry
answers MSA-1 ``AA`` (HL7 v2.5 2.9.2 original-mode acknowledgement).

Identifiers: FHIR ``Identifier.system`` -> CX assigning authority (PID-3.4 ``&OID&ISO``)
by :func:`fhir_facade.translate.patients.authority_of` (BSN NamingSystem, ``urn:oid:``), the
mapping MHD searches use too. Other systems are kept on the Patient but cannot be sent in
PID-3. BSN values must pass the eleven-check, as the registry requires.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import hl7

from fhir_facade.errors import FhirError, Issue

# The identifier mapping, re-exported for the Patient and ImagingStudy modules:
from fhir_facade.translate.patients import BSN_SYSTEM as BSN_SYSTEM
from fhir_facade.translate.patients import authority_of as authority_of
from fhir_facade.translate.patients import canonical_system as canonical_system
from fhir_facade.translate.values import OID_PREFIX
from profiles.vocabulary import BSN_ASSIGNING_AUTHORITY
from xds_common.datatypes import Cx, bsn_valid
from xds_common.mllp import MllpError, send_mllp

log = logging.getLogger(__name__)

HL7_VERSION: Final = "2.3.1"
#: MSH-3/4 (sending application/facility) and MSH-5/6 (receiving) of the feed.
SENDING_APPLICATION: Final = "BEELDPORTAAL_FHIR"
RECEIVING_APPLICATION: Final = "XDS_REGISTRY"
FACILITY: Final = "BEELDPORTAAL"
#: PV1-2 Patient Class "N" (not applicable, HL7 table 0004): the feed registers no visit.
PATIENT_CLASS: Final = "N"
#: FHIR administrative-gender -> HL7 table 0001 (PID-8).
SEX: Final[dict[str, str]] = {"male": "M", "female": "F", "other": "O", "unknown": "U"}
#: Characters that CX.1 may not hold (XDS CX rules, ITI TF-3 4.2.3.1.7).
_CX_FORBIDDEN: Final = frozenset("^&~\\|")
_ACCEPTED: Final = frozenset({"AA", "CA"})
_TIMEOUT = 10.0


class Trigger(StrEnum):
    """ADT trigger events the feed sends (ITI TF-2a Table 3.8-1)."""

    REGISTER = "A01"
    UPDATE = "A08"


@dataclass(frozen=True)
class FeedTarget:
    """Where the registry's ITI-8 MLLP listener is."""

    host: str
    port: int


def _identifier_issues(index: int, item: dict[str, Any]) -> tuple[list[Issue], Cx | None]:
    where = f"Patient.identifier[{index}]"
    system, value = str(item.get("system") or ""), str(item.get("value") or "")
    if not system:
        return [
            Issue("required", "an identifier needs a system", expression=(f"{where}.system",))
        ], None
    if not value:
        return [
            Issue("required", "an identifier needs a value", expression=(f"{where}.value",))
        ], None
    if system.startswith(OID_PREFIX) and authority_of(system) is None:
        return [
            Issue("value", f"{system} is not urn:oid: plus an OID", expression=(f"{where}.system",))
        ], None
    authority = authority_of(system)
    if authority is None:
        return [], None
    if any(c in _CX_FORBIDDEN for c in value) or len(value) > 64:
        reason = "a patient id has at most 64 characters and none of ^ & ~ \\ |"
        return [Issue("value", reason, expression=(f"{where}.value",))], None
    if authority == BSN_ASSIGNING_AUTHORITY and not bsn_valid(value):
        return [
            Issue("value", f"BSN {value} fails the eleven-check", expression=(f"{where}.value",))
        ], None
    return [], Cx(value, authority)


def feed_identifiers(patient: dict[str, Any], domains: Sequence[str]) -> list[Cx]:
    """The CX ids of a Patient (JSON) that the feed sends in PID-3, in resource order.

    Raises a 422 FhirError listing every identifier at fault (FHIRPath expressions), or when
    none is in the affinity domain (the registry would answer AE 103, ITI TF-2a 3.8.4.1.3).
    """
    issues: list[Issue] = []
    found: list[Cx] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(patient.get("identifier") or []):
        problems, cx = _identifier_issues(index, item)
        issues += problems
        key = (canonical_system(str(item.get("system") or "")), str(item.get("value") or ""))
        if key in seen:
            where = f"Patient.identifier[{index}]"
            issues.append(Issue("duplicate", "identifier given twice", expression=(where,)))
        seen.add(key)
        if cx is not None:
            found.append(cx)
    if not issues and not any(cx.authority in domains for cx in found):
        reason = "no identifier in the affinity domain (" + ", ".join(domains) + ")"
        issues.append(Issue("business-rule", reason, expression=("Patient.identifier",)))
    if issues:
        raise FhirError(422, issues)
    return found


def _name(patient: dict[str, Any]) -> tuple[str, str]:
    """Family and first given name of the official (else first) HumanName."""
    names = patient.get("name") or []
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = chosen.get("given") or []
    return str(chosen.get("family") or ""), str(given[0]) if given else ""


def build_adt(patient: dict[str, Any], ids: Sequence[Cx], trigger: Trigger) -> tuple[str, str]:
    """The ADT message text and its control id (MSH-10), HL7 v2.3.1 (ITI TF-2a 3.8.4.1.2).

    PID-3 carries ``ids`` as CX ``ID^^^&OID&ISO``, PID-5 the name, PID-7 the birth date,
    PID-8 the sex; PV1-2 is required by ITI-8 and says "not applicable".
    """
    control_id = uuid.uuid4().hex[:20]
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    msh = (
        f"MSH|^~\\&|{SENDING_APPLICATION}|{FACILITY}|{RECEIVING_APPLICATION}|{FACILITY}|{now}||"
        f"ADT^{trigger.value}^ADT_A01|{control_id}|P|{HL7_VERSION}"
    )
    escape = hl7.parse(msh).escape
    family, given = _name(patient)
    birth = str(patient.get("birthDate") or "").replace("-", "")
    sex = SEX.get(str(patient.get("gender") or ""), "")
    pid3 = "~".join(str(cx) for cx in ids)
    segments = (
        msh,
        f"EVN|{trigger.value}|{now}",
        f"PID|||{pid3}||{escape(family)}^{escape(given)}||{birth}|{sex}",
        f"PV1||{PATIENT_CLASS}",
    )
    return "\r".join(segments), control_id


def _ack_failure(ack_text: str, control_id: str) -> FhirError | None:
    """None for an AA/CA for ``control_id``; otherwise the FhirError to answer with."""
    try:
        ack = hl7.parse(ack_text.replace("\n", "\r"))
        msa = ack.segment("MSA")
    except Exception:  # python-hl7 raises several types for broken input
        return FhirError.of(502, "exception", "the registry's ITI-8 answer is not an HL7 ACK")
    code = str(msa(1))
    if str(msa(2)) != control_id:
        return FhirError.of(502, "exception", "the registry acknowledged another message")
    if code in _ACCEPTED:
        return None
    try:
        err = ack.segment("ERR")
        detail = f"ERR-3 {err(3)(1)(1)}: {err(8)}" if len(err) > 8 else str(err)
    except KeyError:
        detail = str(msa(3)) if len(msa) > 3 else "no reason given"
    text = f"the registry refused the patient identity feed (ITI-8 MSA-1 {code}, {detail})"
    if code == "AR" and "207" in detail:
        return FhirError.of(503, "transient", text)
    return FhirError.of(422, "business-rule", text, "Patient.identifier")


def send_feed(
    target: FeedTarget, patient: dict[str, Any], ids: Sequence[Cx], trigger: Trigger
) -> None:
    """Send one ADT and return when the registry accepted it (MSA-1 AA).

    A refusal (AE/AR) is a 422 FhirError, an unreachable listener a 503, an unreadable or
    mismatched ACK a 502 (FHIR R4 http.html 2.21.0.17).
    """
    if target.port <= 0:
        raise FhirError.of(503, "transient", "no ITI-8 MLLP listener is configured")
    message, control_id = build_adt(patient, ids, trigger)
    try:
        ack = send_mllp(target.host, target.port, message, timeout=_TIMEOUT)
    except (MllpError, OSError) as exc:
        log.warning("ITI-8 feed to %s:%s failed: %s", target.host, target.port, exc)
        raise FhirError.of(
            503, "transient", "the registry's ITI-8 listener is not reachable"
        ) from exc
    failure = _ack_failure(ack, control_id)
    if failure is not None:
        log.info("ITI-8 %s %s refused: %s", trigger.value, control_id, failure)
        raise failure
    log.info("ITI-8 %s %s accepted", trigger.value, control_id)
