"""The FHIR facade's tables (the only module that knows them).

``fhir_patients`` keeps each Patient resource as its JSON plus the columns that searches
filter on (FHIR R4 patient.html search parameters ``birthdate``, ``gender``);
``fhir_patient_identifiers`` holds each identifier once, so an identifier names one Patient;
``fhir_patient_names`` holds the normalised family and given names (string search,
search.html 2.21.1.6). Birth dates are kept as the ISO range they stand for, so date prefixes
compare strings. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xds_common.db import Base

#: FHIR id: ``[A-Za-z0-9\-\.]{1,64}`` (R4 datatypes.html#id).
ID = 64
#: Identifier.system (uri) and Identifier.value.
SYSTEM = 255
VALUE = 255
#: An ISO date time ``YYYY-MM-DDThh:mm:ss``.
ISO = 19


class FhirPatient(Base):
    """One Patient resource and its version (R4 resource.html#Meta)."""

    __tablename__ = "fhir_patients"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    last_updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gender: Mapped[str | None] = mapped_column(String(16), index=True)
    #: Start and (exclusive) end of the birthDate range, ``YYYY-MM-DDThh:mm:ss``.
    birth_start: Mapped[str | None] = mapped_column(String(ISO), index=True)
    birth_end: Mapped[str | None] = mapped_column(String(ISO))
    resource: Mapped[str] = mapped_column(Text)


class FhirPatientIdentifier(Base):
    """One Patient.identifier (system and value), unique over all Patients."""

    __tablename__ = "fhir_patient_identifiers"
    __table_args__ = (UniqueConstraint("system", "value"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("fhir_patients.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(SYSTEM))
    value: Mapped[str] = mapped_column(String(VALUE), index=True)


class FhirPatientName(Base):
    """One normalised name part (``family`` or ``given``) of a Patient, for string search."""

    __tablename__ = "fhir_patient_names"
    __table_args__ = (Index("ix_fhir_patient_names_part_value", "part", "value"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("fhir_patients.id", ondelete="CASCADE"), index=True
    )
    part: Mapped[str] = mapped_column(String(8))
    #: accent- and case-folded, for the default and ``:contains`` matches
    value: Mapped[str] = mapped_column(String(VALUE))
    #: as written, for ``:exact``
    text: Mapped[str] = mapped_column(String(VALUE))
