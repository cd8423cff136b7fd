"""ITI-8 Patient Identity Feed: apply one HL7 v2 ADT message, answer an original-mode ACK.

Pure logic without sockets (``mllp`` carries the bytes). ITI TF-2a 3.8.4.1 (A01, A04, A05
register PID-3 ids of the affinity domain; A08 is ignored), 3.8.4.2 (A40 merges MRG-1 into
PID-3), ITI TF-2x Appendix C.2.3 and HL7 v2.5 2.9.2 (original-mode ACK). Trigger events,
required segments (PV1 is enforced as the TF requires it) and MSH-9.3 are in
``MESSAGE_TYPES``; HL7 table 0357 codes and their MSA-1 in ``ERRORS``. ERR carries ERR-1
(v2.3.1 ELD, kept for backward compatibility in v2.5), ERR-2 location, ERR-3 code, ERR-4
severity and ERR-8 the reason.

Local choices where the TF is silent: MSH-9 problems (type, trigger, structure) are AR, as
HL7 2.9.2 rejects on MSH-9; an A01/A04/A05 without any domain id is AE 103; a refused merge
(for any reason) is AE 204; an A40 carries exactly one pair of ids in one domain authority;
an unparseable message is AR 100; an internal failure (e.g. the database is down) is AR 207
so that the sender retries. Namespace-only PID-3.4 values are completed only when one
domain is configured, and ids with an explicit domain OID win over them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import hl7

from xds_common.datatypes import Cx
from xds_registry.patients import PatientIdentity, PatientIdRejected

log = logging.getLogger(__name__)

#: A message header used when the request cannot be parsed (ITI-8 is HL7 v2.3.1).
_FALLBACK_REQUEST = "MSH|^~\\&|||||||^||P|2.3.1"


class AckCode(StrEnum):
    """HL7 table 0008, original mode (MSA-1)."""

    ACCEPT = "AA"
    ERROR = "AE"
    REJECT = "AR"


class ErrorCode(IntEnum):
    """HL7 table 0357 message error condition codes (ERR-3)."""

    SEGMENT_SEQUENCE_ERROR = 100
    REQUIRED_FIELD_MISSING = 101
    TABLE_VALUE_NOT_FOUND = 103
    UNSUPPORTED_MESSAGE_TYPE = 200
    UNSUPPORTED_TRIGGER_EVENT = 201
    UNKNOWN_KEY_IDENTIFIER = 204
    APPLICATION_INTERNAL_ERROR = 207


#: Code -> (ERR-3.2 text, MSA-1). Message-level problems are AR (HL7 v2.5 2.9.2), so that a
#: sender may retry after a fix on either side; content errors are AE ("do not resend").
ERRORS: dict[ErrorCode, tuple[str, AckCode]] = {
    ErrorCode.SEGMENT_SEQUENCE_ERROR: ("Segment sequence error", AckCode.REJECT),
    ErrorCode.REQUIRED_FIELD_MISSING: ("Required field missing", AckCode.ERROR),
    ErrorCode.TABLE_VALUE_NOT_FOUND: ("Table value not found", AckCode.ERROR),
    ErrorCode.UNSUPPORTED_MESSAGE_TYPE: ("Unsupported message type", AckCode.REJECT),
    ErrorCode.UNSUPPORTED_TRIGGER_EVENT: ("Unsupported trigger event", AckCode.REJECT),
    ErrorCode.UNKNOWN_KEY_IDENTIFIER: ("Unknown key identifier", AckCode.ERROR),
    ErrorCode.APPLICATION_INTERNAL_ERROR: ("Application internal error", AckCode.REJECT),
}

#: ERR-2 locations (segment, sequence, field, repetition, component).
MSH_TYPE = ("MSH", "1", "9", "1", "1")
MSH_TRIGGER = ("MSH", "1", "9", "1", "2")
MSH_STRUCTURE = ("MSH", "1", "9", "1", "3")
PID_3 = ("PID", "1", "3")
MRG_1 = ("MRG", "1", "1")


class FeedError(Exception):
    """The message is not applied; rendered as MSA-1 AE/AR plus an ERR segment."""

    def __init__(self, code: ErrorCode, location: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.location = location
        self.reason = reason

    @property
    def ack(self) -> AckCode:
        """MSA-1 for this error (table ``ERRORS``)."""
        return ERRORS[self.code][1]


Action = Callable[[hl7.Message, PatientIdentity], str]


@dataclass(frozen=True)
class TriggerRule:
    """What one trigger event requires and does (ITI TF-2a 3.8.4)."""

    structure: str
    segments: tuple[str, ...]
    action: Action


def _segment(message: hl7.Message, name: str) -> hl7.Segment | None:
    """The first segment called ``name`` (also finds segments without any field)."""
    return next((seg for seg in message if str(seg[0]) == name), None)


def _value(segment: hl7.Segment, field: int, rep: int = 1, comp: int = 1, sub: int = 1) -> str:
    """One unescaped leaf value; empty when absent."""
    try:
        return str(segment.extract_field(1, field, rep, comp, sub))
    except (IndexError, TypeError, AttributeError):
        return ""


def _repetitions(segment: hl7.Segment, field: int) -> int:
    return len(segment(field)) if len(segment) > field else 0


def _field_text(segment: hl7.Segment, field: int) -> str:
    return str(segment(field)) if len(segment) > field else ""


def _lines(raw: str) -> list[str]:
    """Segments of ``raw``, accepting LF or CRLF segment ends and dropping blank lines."""
    text = raw.replace("\r\n", "\r").replace("\n", "\r")
    return [line for line in text.split("\r") if line.strip()]


def _parse(raw: str) -> hl7.Message:
    """Parse with python-hl7 after checking MSH-1/MSH-2 (HL7 v2.5 2.5.4: 4 or 5 delimiters)."""
    lines = _lines(raw)
    header = lines[0] if lines else ""
    end = header.find(header[3:4], 4) if header.startswith("MSH") and len(header) > 3 else -1
    delimiters = header[3:end] if end > 0 else ""
    if len(delimiters) not in (5, 6):
        raise ValueError("no MSH segment with its delimiters at the start")
    if len(set(delimiters)) != len(delimiters) or any(
        c.isalnum() or c.isspace() for c in delimiters
    ):
        raise ValueError("MSH-1/MSH-2 do not hold distinct delimiters")
    return hl7.parse("\r".join(lines))


def _domain_ids(segment: hl7.Segment, field: int, domains: tuple[str, ...]) -> list[Cx]:
    """The CX repetitions of ``field`` in the affinity domain (ITI TF-2a 3.8.4.1.2.3)."""
    explicit: list[Cx] = []
    implied: list[Cx] = []
    for rep in range(1, _repetitions(segment, field) + 1):
        ident = _value(segment, field, rep, 1)
        namespace, oid, kind = (_value(segment, field, rep, 4, sub) for sub in (1, 2, 3))
        if not ident:
            continue
        if oid in domains and kind in ("ISO", ""):
            explicit.append(Cx(ident, oid))
        elif namespace and not oid and len(domains) == 1:
            implied.append(Cx(ident, domains[0]))
    return explicit or implied


def _register(message: hl7.Message, identity: PatientIdentity) -> str:
    """A01/A04/A05: register every domain id of PID-3, or none (ITI TF-2a 3.8.4.1.3)."""
    pid = _segment(message, "PID")
    if not _field_text(pid, 3):
        raise FeedError(ErrorCode.REQUIRED_FIELD_MISSING, PID_3, "PID-3 is empty")
    ids = _domain_ids(pid, 3, identity.domains)
    if not ids:
        reason = "PID-3 has no identifier of this affinity domain's assigning authority"
        raise FeedError(ErrorCode.TABLE_VALUE_NOT_FOUND, PID_3, reason)
    try:
        for cx in ids:
            identity.validate(str(cx))
    except PatientIdRejected as exc:
        reason = f"{exc.reason}: {exc.patient_id}"
        raise FeedError(ErrorCode.TABLE_VALUE_NOT_FOUND, PID_3, reason) from exc
    return ", ".join(identity.add(str(cx)).value for cx in ids)


def _ignore(_message: hl7.Message, _identity: PatientIdentity) -> str:
    """A08: the Registry shall ignore demographics updates (ITI TF-2a 3.8.4.1.3)."""
    return "ignored"


def _merge_pair(message: hl7.Message, identity: PatientIdentity) -> tuple[Cx, Cx]:
    """The (subsumed, surviving) pair of an A40 (ITI TF-2a 3.8.4.2.2: one pair per message)."""
    pid, mrg = _segment(message, "PID"), _segment(message, "MRG")
    for segment, number, location in ((pid, 3, PID_3), (mrg, 1, MRG_1)):
        if not _field_text(segment, number):
            reason = f"{location[0]}-{number} is empty"
            raise FeedError(ErrorCode.REQUIRED_FIELD_MISSING, location, reason)
    surviving = _domain_ids(pid, 3, identity.domains)
    subsumed = _domain_ids(mrg, 1, identity.domains)
    pairs = [(old, new) for old in subsumed for new in surviving if old.authority == new.authority]
    if len(pairs) != 1:
        reason = (
            "MRG-1 and PID-3 carry no ids of one affinity-domain assigning authority"
            if not pairs
            else "an A40 carries exactly one merge pair; send one message per pair"
        )
        raise FeedError(ErrorCode.UNKNOWN_KEY_IDENTIFIER, MRG_1, reason)
    return pairs[0]


def _merge(message: hl7.Message, identity: PatientIdentity) -> str:
    """A40: merge MRG-1 into PID-3; a refusal changes nothing (ITI TF-2a 3.8.4.2.3)."""
    old, new = _merge_pair(message, identity)
    try:
        identity.merge(str(old), str(new))
    except PatientIdRejected as exc:
        location = PID_3 if exc.patient_id == str(new) else MRG_1
        reason = f"merge refused, {exc.reason}: {exc.patient_id}"
        raise FeedError(ErrorCode.UNKNOWN_KEY_IDENTIFIER, location, reason) from exc
    return "merged"


_ADMIT = ("MSH", "EVN", "PID", "PV1")
_MERGE = ("MSH", "EVN", "PID", "MRG")

#: Message type -> trigger event -> rule (ITI TF-2a Table 3.8-1, 3.8.4.1.2, 3.8.4.2.2).
MESSAGE_TYPES: dict[str, dict[str, TriggerRule]] = {
    "ADT": {
        "A01": TriggerRule("ADT_A01", _ADMIT, _register),
        "A04": TriggerRule("ADT_A01", _ADMIT, _register),
        "A05": TriggerRule("ADT_A01", _ADMIT, _register),
        "A08": TriggerRule("ADT_A01", _ADMIT, _ignore),
        "A40": TriggerRule("ADT_A39", _MERGE, _merge),
    },
}


def _rule(message: hl7.Message) -> TriggerRule:
    """Look up MSH-9; AR with 200/201 when unsupported (ITI TF-2x C.2.3)."""
    msh = _segment(message, "MSH")
    kind, trigger, structure = (_value(msh, 9, 1, comp) for comp in (1, 2, 3))
    triggers = MESSAGE_TYPES.get(kind)
    if triggers is None:
        reason = f"message type {kind!r} is not supported"
        raise FeedError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, MSH_TYPE, reason)
    rule = triggers.get(trigger)
    if rule is None:
        reason = f"trigger event {kind}^{trigger} is not supported"
        raise FeedError(ErrorCode.UNSUPPORTED_TRIGGER_EVENT, MSH_TRIGGER, reason)
    if structure and structure != rule.structure:
        reason = f"message structure {structure} must be {rule.structure} for {kind}^{trigger}"
        raise FeedError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, MSH_STRUCTURE, reason)
    return rule


def _apply(message: hl7.Message, identity: PatientIdentity) -> str:
    rule = _rule(message)
    for name in rule.segments:
        if _segment(message, name) is None:
            reason = f"required segment {name} is missing"
            raise FeedError(ErrorCode.REQUIRED_FIELD_MISSING, (name, "1"), reason)
    return rule.action(message, identity)


def _complete_header(msh: hl7.Segment) -> None:
    """Pad MSH so that python-hl7's ``create_ack`` finds MSH-3..12 and MSH-9.1/9.2."""
    while len(msh) <= 12:
        msh.append(msh.create_field([""]))
    field9 = msh(9)
    first = field9[0] if len(field9) else ""
    rep = first if isinstance(first, hl7.Repetition) else msh.create_repetition([str(first)])
    while len(rep) < 2:
        rep.append("")
    field9[:1] = [rep]


def _err_segment(ack: hl7.Message, refusal: FeedError) -> hl7.Segment:
    """ERR with ERR-1 (v2.3.1), ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 reason."""
    err = ack.create_segment([ack.create_field(["ERR"])])
    code = (str(int(refusal.code)), ERRORS[refusal.code][0], "HL70357")
    for comp, part in enumerate(refusal.location[:3], 1):
        err.assign_field(part, 1, 1, comp)
    for sub, part in enumerate(code, 1):
        err.assign_field(part, 1, 1, 4, sub)
    for comp, part in enumerate(refusal.location, 1):
        err.assign_field(part, 2, 1, comp)
    for comp, part in enumerate(code, 1):
        err.assign_field(part, 3, 1, comp)
    err.assign_field("E", 4)
    err.assign_field(ack.escape(refusal.reason), 8)
    return err


def _create_ack(request: hl7.Message, refusal: FeedError | None) -> str:
    _complete_header(_segment(request, "MSH"))
    ack = request.create_ack((refusal.ack if refusal else AckCode.ACCEPT).value)
    if refusal is not None:
        ack.append(_err_segment(ack, refusal))
    return str(ack)


def _acknowledge(request: hl7.Message | None, refusal: FeedError | None) -> str:
    """MSH (sender/receiver swapped, ``ACK^<trigger>^ACK``, version copied) + MSA (+ ERR).

    MSA-1 is AA without ``refusal``, else the AE/AR of its code (ITI TF-2x C.2.3).
    """
    if request is not None:
        try:
            return _create_ack(request, refusal)
        except Exception:
            log.exception("cannot build an ACK from the request header; using a bare header")
    return _create_ack(hl7.parse(_FALLBACK_REQUEST), refusal)


def handle_message(raw: str, identity: PatientIdentity) -> str:
    """Apply one ITI-8 message (ITI TF-2a 3.8.4) and return its ACK text; never raises."""
    try:
        message = _parse(raw)
    except Exception as exc:
        return reject(raw, f"not an HL7 v2 message: {exc}")
    control_id = _value(_segment(message, "MSH"), 10)
    try:
        summary = _apply(message, identity)
    except FeedError as refusal:
        log.info("ITI-8 %s: %s %d", control_id, refusal.ack.value, refusal.code)
        log.debug("ITI-8 %s: %s", control_id, refusal.reason)  # may hold patient ids
        return _acknowledge(message, refusal)
    except Exception:
        log.exception("ITI-8 %s failed", control_id)
        reason = "internal error; the message may be sent again"
        failure = FeedError(ErrorCode.APPLICATION_INTERNAL_ERROR, ("MSH", "1"), reason)
        return _acknowledge(message, failure)
    log.info("ITI-8 %s: AA %s", control_id, summary)
    return _acknowledge(message, None)


def reject(raw: str, reason: str, code: ErrorCode = ErrorCode.SEGMENT_SEQUENCE_ERROR) -> str:
    """An ACK refusing a message that is not processed (unparseable, too large); never raises.

    MSA-1 follows ``code`` (AR for the default 100 and for 207). Only the first segment of
    ``raw`` is used, so that MSA-2 can still echo MSH-10 when the header is intact.
    """
    refusal = FeedError(code, ("MSH", "1"), reason)
    try:
        header: hl7.Message | None = _parse(_lines(raw)[0])
    except Exception:
        header = None
    return _acknowledge(header, refusal)
