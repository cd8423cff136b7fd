"""DICOM audit messages (PS3.15 A.5, the RFC 3881-derived schema) as rule tables.

Two tables: the element/attribute rules every ``AuditMessage`` follows (PS3.15 A.5.1,
Table A.5-1 and the schema in A.5.1), and what each IHE transaction's audit event must
carry (ITI TF-2a 3.18.5.1, TF-2b 3.41.5.1, 3.42.5.1, 3.43.5.1, 3.57.5.1, 3.62.5.1,
RAD TF-3 4.69.5; RAD-68 has no event type of its own here, its audit code is
unverified): EventID, EventActionCode, the ``IHE Transactions`` EventTypeCode, the
ActiveParticipant roles and the ParticipantObjects. ``xds_common.audit_rules`` applies
them. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from profiles.vocabulary import ClassificationNode

#: ``EventTypeCode/@codeSystemName`` of the transaction codes (ITI TF-2a 3.18.5.1.1).
TRANSACTION_CODE_SYSTEM: Final = "IHE Transactions"


class EventId(StrEnum):
    """DCM codes of ``EventIdentification/EventID`` (PS3.16 CID 400 Audit Event ID)."""

    DICOM_INSTANCES_TRANSFERRED = "110104"
    EXPORT = "110106"
    IMPORT = "110107"
    PATIENT_RECORD = "110110"
    QUERY = "110112"
    SECURITY_ALERT = "110113"


class RoleId(StrEnum):
    """DCM codes of ``ActiveParticipant/RoleIDCode`` (PS3.16 CID 402)."""

    DESTINATION = "110152"
    SOURCE = "110153"


#: ``EventIdentification/@EventActionCode`` values (PS3.15 A.5.1: Create, Read, Update,
#: Delete, Execute).
ACTION_CODES: Final = frozenset({"C", "R", "U", "D", "E"})
#: ``EventIdentification/@EventOutcomeIndicator`` values (PS3.15 A.5.1: success, minor,
#: serious, major failure).
OUTCOME_INDICATORS: Final = frozenset({"0", "4", "8", "12"})
#: ``AuditSourceTypeCode`` values 1-9 (PS3.15 A.5.1, RFC 3881 5.4.3).
AUDIT_SOURCE_TYPES: Final = frozenset(str(n) for n in range(1, 10))
#: ``ParticipantObjectTypeCode`` values (1 person, 2 system object, 3 organization, 4 other).
OBJECT_TYPES: Final = frozenset({"1", "2", "3", "4"})
#: ``NetworkAccessPointTypeCode`` values (1 machine name, 2 IP address, 3 telephone, 5 URI).
NETWORK_ACCESS_POINT_TYPES: Final = frozenset({"1", "2", "3", "5"})


@dataclass(frozen=True)
class ElementRule:
    """One element of the AuditMessage schema: where, how often, required attributes."""

    path: str  #: relative to ``AuditMessage``, ``/``-separated local names
    min: int
    max: int | None  #: None = unbounded
    attributes: tuple[str, ...] = ()
    #: attribute -> allowed values
    values: tuple[tuple[str, frozenset[str]], ...] = ()


#: PS3.15 A.5.1 (the DICOM audit message schema): cardinality and required attributes.
SCHEMA: Final[tuple[ElementRule, ...]] = (
    ElementRule(
        "EventIdentification",
        1,
        1,
        ("EventActionCode", "EventDateTime", "EventOutcomeIndicator"),
        (("EventActionCode", ACTION_CODES), ("EventOutcomeIndicator", OUTCOME_INDICATORS)),
    ),
    ElementRule("EventIdentification/EventID", 1, 1, ("csd-code", "codeSystemName")),
    ElementRule("EventIdentification/EventTypeCode", 0, None, ("csd-code", "codeSystemName")),
    ElementRule(
        "ActiveParticipant",
        1,
        None,
        ("UserID", "UserIsRequestor"),
        (
            ("UserIsRequestor", frozenset({"true", "false"})),
            ("NetworkAccessPointTypeCode", NETWORK_ACCESS_POINT_TYPES),
        ),
    ),
    ElementRule("ActiveParticipant/RoleIDCode", 0, None, ("csd-code", "codeSystemName")),
    ElementRule("AuditSourceIdentification", 1, None, ("AuditSourceID",)),
    ElementRule(
        "AuditSourceIdentification/AuditSourceTypeCode",
        0,
        None,
        (),
        (("csd-code", AUDIT_SOURCE_TYPES),),
    ),
    ElementRule(
        "ParticipantObjectIdentification",
        0,
        None,
        ("ParticipantObjectID", "ParticipantObjectTypeCode"),
        (("ParticipantObjectTypeCode", OBJECT_TYPES),),
    ),
    ElementRule(
        "ParticipantObjectIdentification/ParticipantObjectIDTypeCode",
        0,
        1,
        ("csd-code", "codeSystemName"),
    ),
    ElementRule(
        "ParticipantObjectIdentification/ParticipantObjectDetail", 0, None, ("type", "value")
    ),
)

#: Elements whose text, or whose ``value`` attribute, is base64 (PS3.15 A.5.1: xs:base64Binary).
BASE64_TEXT: Final = ("ParticipantObjectIdentification/ParticipantObjectQuery",)
BASE64_VALUE: Final = ("ParticipantObjectIdentification/ParticipantObjectDetail",)


@dataclass(frozen=True)
class ObjectRule:
    """A ParticipantObject an event must (or may) carry."""

    name: str
    type_code: str  #: ParticipantObjectTypeCode
    role: str  #: ParticipantObjectTypeCodeRole ('' = not checked)
    id_type: str  #: ParticipantObjectIDTypeCode/@csd-code ('' = not checked)
    min: int
    max: int | None


@dataclass(frozen=True)
class EventRule:
    """What the audit event of one transaction, recorded by one side, carries."""

    transaction: str  #: EventTypeCode/@csd-code
    event_id: EventId
    action: str  #: EventActionCode
    rule: str  #: where it is specified
    objects: tuple[ObjectRule, ...]
    roles: tuple[RoleId, ...] = (RoleId.SOURCE, RoleId.DESTINATION)


PATIENT: Final = ObjectRule("Patient", "1", "1", "2", 1, 1)
PATIENT_IF_KNOWN: Final = ObjectRule("Patient", "1", "1", "2", 0, 1)
SUBMISSION_SET: Final = ObjectRule(
    "SubmissionSet", "2", "20", ClassificationNode.SUBMISSION_SET.value, 1, 1
)
QUERY: Final = ObjectRule("Query", "2", "24", "ITI-18", 1, 1)
DOCUMENT: Final = ObjectRule("Document", "2", "3", "9", 1, None)
REGISTRY_OBJECT: Final = ObjectRule(
    "Registry object", "2", "", "urn:ihe:iti:2017:ObjectRef", 1, None
)
STUDY: Final = ObjectRule("Study", "2", "3", "110180", 1, None)


def _both(
    tx: str, rule: str, objects: tuple[ObjectRule, ...], export: str, import_: str
) -> tuple[EventRule, EventRule]:
    """The sender's Export and the receiver's Import event of one transaction."""
    return (
        EventRule(tx, EventId.EXPORT, export, rule, objects),
        EventRule(tx, EventId.IMPORT, import_, rule, objects),
    )


#: Per transaction and recording side (ITI TF-2a/2b section x.5.1 of each transaction).
EVENTS: Final[tuple[EventRule, ...]] = (
    EventRule("ITI-18", EventId.QUERY, "E", "ITI TF-2a 3.18.5.1", (PATIENT_IF_KNOWN, QUERY)),
    *_both("ITI-41", "ITI TF-2b 3.41.5.1", (PATIENT, SUBMISSION_SET), "R", "C"),
    *_both("ITI-42", "ITI TF-2b 3.42.5.1", (PATIENT, SUBMISSION_SET), "R", "C"),
    *_both("ITI-43", "ITI TF-2b 3.43.5.1", (PATIENT_IF_KNOWN, DOCUMENT), "R", "C"),
    *_both("ITI-57", "ITI TF-2b 3.57.5.1", (PATIENT, SUBMISSION_SET), "U", "U"),
    EventRule(
        "ITI-62",
        EventId.PATIENT_RECORD,
        "D",
        "ITI TF-2b 3.62.5.1",
        (ObjectRule("Patient", "1", "1", "2", 1, None), REGISTRY_OBJECT),
    ),
    EventRule(
        "RAD-69", EventId.DICOM_INSTANCES_TRANSFERRED, "R", "RAD TF-3 4.69.5", (PATIENT, STUDY)
    ),
    EventRule(
        "RAD-69", EventId.DICOM_INSTANCES_TRANSFERRED, "C", "RAD TF-3 4.69.5", (PATIENT, STUDY)
    ),
)


def events_for(transaction: str) -> tuple[EventRule, ...]:
    """The event rules declared for a transaction code (``ITI-41``), maybe none."""
    return tuple(e for e in EVENTS if e.transaction == transaction)
