"""What the registry's handlers need: sessions and the registry-level settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from xds_registry.patients import PatientIdentity


@dataclass(frozen=True)
class RegistryContext:
    """Shared by every registry transaction handler of one process."""

    write: sessionmaker[Session]
    read: sessionmaker[Session]
    patients: PatientIdentity
    home_community_id: str
    query_result_limit: int
    unknown_patient_query_error: bool


def now_dtm() -> str:
    """The current UTC time as a 14-digit DTM (ITI TF-3 Table 4.2.3.1.7-2)."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")
