"""Patient identity source for the registry: the rules shared by ITI-8, FHIR and the CLI.

ITI TF-2a 3.8.4.1.3: the Registry keeps only identifiers of the affinity domain's
assigning authority. Identifiers in the BSN authority must pass the eleven-check.
A40 merges follow ITI TF-2a 3.8.4.2.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from profiles.vocabulary import BSN_ASSIGNING_AUTHORITY
from xds_common.datatypes import Cx, bsn_valid, parse_cx
from xds_common.db import transaction
from xds_registry.storage import patients as store


class FeedOutcome(StrEnum):
    """What a feed message did."""

    CREATED = "created"
    ALREADY_KNOWN = "already-known"
    MERGED = "merged"


class PatientIdRejected(ValueError):
    """The identifier cannot be accepted; ``reason`` says why (for ACK ERR / CLI output)."""

    def __init__(self, reason: str, patient_id: str) -> None:
        super().__init__(f"{reason}: {patient_id}")
        self.reason = reason
        self.patient_id = patient_id


@dataclass(frozen=True)
class PatientIdentity:
    """Accepts patient ids and merges for one affinity domain."""

    sessions: sessionmaker[Session]
    domains: tuple[str, ...]

    def validate(self, patient_id: str) -> Cx:
        """Check the CX form, the assigning authority and, for BSN, the eleven-check."""
        cx = parse_cx(patient_id)
        if cx is None:
            raise PatientIdRejected("not a CX of the form ID^^^&OID&ISO", patient_id)
        if cx.authority not in self.domains:
            raise PatientIdRejected(
                "assigning authority is not one of this affinity domain's", patient_id
            )
        if cx.authority == BSN_ASSIGNING_AUTHORITY and not bsn_valid(cx.id):
            raise PatientIdRejected("BSN fails the eleven-check", patient_id)
        return cx

    def add(self, patient_id: str) -> FeedOutcome:
        """Register a patient id (ITI-8 A01/A04/A05, FHIR Patient create, CLI)."""
        cx = self.validate(patient_id)
        with transaction(self.sessions) as session:
            created = store.add(session, str(cx))
        return FeedOutcome.CREATED if created else FeedOutcome.ALREADY_KNOWN

    def merge(self, subsumed: str, surviving: str) -> FeedOutcome:
        """Merge ``subsumed`` into ``surviving`` (ITI-8 A40); state is unchanged on refusal."""
        old = str(self.validate(subsumed))
        new = str(self.validate(surviving))
        if old == new:
            raise PatientIdRejected("the two ids of a merge are equal", subsumed)
        with transaction(self.sessions) as session:
            for pid in sorted((old, new)):
                if not store.is_active(session, pid, lock=True):
                    raise PatientIdRejected("not a known active patient id", pid)
            store.merge(session, old, new)
        return FeedOutcome.MERGED

    def is_known(self, patient_id: str) -> bool:
        """True when the id is registered and not subsumed."""
        with transaction(self.sessions) as session:
            return store.is_active(session, patient_id)
