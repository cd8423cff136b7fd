"""The facade's Patient store: save a Patient with its search columns, read, search.

Search semantics (FHIR R4 search.html): parameters AND, comma-separated values OR (2.21.1.1);
token ``[system]|[code]`` (2.21.1.3); date prefixes over implicit ranges (2.21.1.4-5); string
starts-with on accent- and case-folded text, ``:exact`` and ``:contains`` (2.21.1.6). Results
are ordered by id so that pages are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from fhir_facade.search_values import DateParam, Prefix, Token
from fhir_facade.storage.tables import FhirPatient, FhirPatientIdentifier, FhirPatientName
from xds_common.db import transaction


class VersionConflict(Exception):
    """The Patient changed since the version the update was based on."""


@dataclass(frozen=True)
class PatientRow:
    """What the store keeps of one Patient version."""

    id: str
    version_id: int
    last_updated: datetime
    resource: str  # the resource JSON, with id and meta


@dataclass(frozen=True)
class PatientIndex:
    """The search columns of a Patient, derived from its resource."""

    gender: str | None
    birth_start: str | None
    birth_end: str | None
    identifiers: tuple[tuple[str, str], ...]  # (canonical system, value)
    names: tuple[tuple[str, str, str], ...]  # ("family" | "given", normalised, as written)


@dataclass(frozen=True)
class NameMatch:
    """One string search value: ``mode`` is "", "exact" or "contains".

    ``value`` is normalised (:func:`~fhir_facade.search_values.normalize`) except for
    ``exact``, which compares the text as written.
    """

    value: str
    mode: str = ""


@dataclass
class PatientQuery:
    """Patient search criteria: each list entry is ANDed, each inner list ORed."""

    ids: list[list[str]] = field(default_factory=list)
    identifiers: list[list[Token]] = field(default_factory=list)
    family: list[list[NameMatch]] = field(default_factory=list)
    given: list[list[NameMatch]] = field(default_factory=list)
    genders: list[list[str]] = field(default_factory=list)
    birthdates: list[list[DateParam]] = field(default_factory=list)


def _identifier(token: Token) -> ColumnElement[bool]:
    i = FhirPatientIdentifier
    parts: list[ColumnElement[bool]] = [i.patient_id == FhirPatient.id]
    if token.system is not None:
        parts.append(i.system == token.system)
    if token.code:
        parts.append(i.value == token.code)
    return exists().where(and_(*parts))


def _name(part: str, match: NameMatch) -> ColumnElement[bool]:
    n = FhirPatientName
    if match.mode == "exact":
        test = n.text == match.value
    elif match.mode == "contains":
        test = n.value.contains(match.value, autoescape=True)
    else:
        test = n.value.startswith(match.value, autoescape=True)
    return exists().where(and_(n.patient_id == FhirPatient.id, n.part == part, test))


def _birthdate(param: DateParam) -> ColumnElement[bool]:
    p = FhirPatient
    ps = param.range.start.isoformat(timespec="seconds")
    pe = param.range.end.isoformat(timespec="seconds")
    equal = and_(p.birth_start >= ps, p.birth_end <= pe)
    tests: dict[Prefix, ColumnElement[bool]] = {
        Prefix.EQ: equal,
        Prefix.NE: not_(equal),
        Prefix.GT: p.birth_end > pe,
        Prefix.LT: p.birth_start < ps,
        Prefix.GE: or_(p.birth_end > pe, equal),
        Prefix.LE: or_(p.birth_start < ps, equal),
    }
    return and_(p.birth_start.is_not(None), tests[param.prefix])


def _where(query: PatientQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    found += [FhirPatient.id.in_(ids) for ids in query.ids]
    found += [or_(*(_identifier(t) for t in ts)) for ts in query.identifiers]
    found += [or_(*(_name("family", m) for m in ms)) for ms in query.family]
    found += [or_(*(_name("given", m) for m in ms)) for ms in query.given]
    found += [FhirPatient.gender.in_(gs) for gs in query.genders]
    found += [or_(*(_birthdate(d) for d in ds)) for ds in query.birthdates]
    return found


def _row(p: FhirPatient) -> PatientRow:
    return PatientRow(p.id, p.version_id, p.last_updated, p.resource)


@dataclass(frozen=True)
class PatientStore:
    """Patients in the facade's tables (``reads`` deferred, ``writes`` immediate on SQLite)."""

    reads: sessionmaker[Session]
    writes: sessionmaker[Session]

    def get(self, patient_id: str) -> PatientRow | None:
        """The current version of a Patient, or None."""
        with transaction(self.reads) as session:
            found = session.get(FhirPatient, patient_id)
            return _row(found) if found else None

    def owners(self, identifiers: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which Patient holds each of ``identifiers`` (canonical system, value) now."""
        if not identifiers:
            return {}
        i = FhirPatientIdentifier
        keys = [and_(i.system == s, i.value == v) for s, v in identifiers]
        with transaction(self.reads) as session:
            rows = session.execute(select(i.system, i.value, i.patient_id).where(or_(*keys)))
            return {(s, v): pid for s, v, pid in rows}

    def save(self, row: PatientRow, index: PatientIndex) -> None:
        """Insert version 1, or replace version ``row.version_id - 1`` (else VersionConflict).

        Identifier uniqueness is the database's: a concurrent claim raises IntegrityError.
        """
        with transaction(self.writes) as session:
            current = session.get(FhirPatient, row.id)
            if (current.version_id if current else 0) != row.version_id - 1:
                raise VersionConflict(row.id)
            if current is None:
                current = FhirPatient(id=row.id)
                session.add(current)
            current.version_id, current.last_updated = row.version_id, row.last_updated
            current.resource = row.resource
            current.gender = index.gender
            current.birth_start, current.birth_end = index.birth_start, index.birth_end
            for table in (FhirPatientIdentifier, FhirPatientName):
                session.execute(delete(table).where(table.patient_id == row.id))
            session.flush()
            session.add_all(
                FhirPatientIdentifier(patient_id=row.id, system=s, value=v)
                for s, v in index.identifiers
            )
            session.add_all(
                FhirPatientName(patient_id=row.id, part=part, value=value, text=text)
                for part, value, text in index.names
            )

    def search(self, query: PatientQuery, count: int, offset: int) -> tuple[int, list[PatientRow]]:
        """Total number of matches and the page ``[offset, offset + count)``, by id."""
        where = _where(query)
        page: Select[FhirPatient] = (
            select(FhirPatient).where(*where).order_by(FhirPatient.id).offset(offset).limit(count)
        )
        with transaction(self.reads) as session:
            total = session.scalar(select(func.count()).select_from(FhirPatient).where(*where))
            rows = [_row(p) for p in session.scalars(page)]
        return int(total or 0), rows
