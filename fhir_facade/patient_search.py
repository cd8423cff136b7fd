"""Pure: Patient search parameters -> store query, and a Patient's search columns.

FHIR R4 patient.html#search: ``_id`` (token), ``identifier`` (token), ``family`` and
``given`` (string), ``birthdate`` (date), ``gender`` (token, administrative-gender); the
value syntax is in :mod:`fhir_facade.search_values`. Identifier systems are compared in
their canonical form, so the BSN NamingSystem and ``urn:oid:2.16.840.1.113883.2.4.6.3``
find the same Patients. Unknown parameters are refused unless the client prefers lenient
handling, ``wire.check_params``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir_facade import search_values as sv
from fhir_facade.patient_feed import SEX, canonical_system
from fhir_facade.storage.patients import NameMatch, PatientIndex, PatientQuery
from fhir_facade.storage.tables import VALUE

GENDER_SYSTEM: Final = "http://hl7.org/fhir/administrative-gender"
#: The parameters this module understands.
PARAMS: Final = ("_id", "identifier", "family", "given", "birthdate", "gender")
_STRING_MODIFIERS: Final = ("", "exact", "contains")
#: Parameter names with the modifiers they may carry (others: 400, wire.check_params).
ALLOWED: Final = (
    *PARAMS,
    *(f"{n}:{m}" for n in ("family", "given") for m in ("exact", "contains")),
)


def _names(name: str, mode: str, text: str) -> list[NameMatch]:
    values = sv.split_or(text)
    if any(not v for v in values):
        raise sv.bad_param(name, "empty value")
    return [NameMatch(v if mode == "exact" else sv.normalize(v), mode) for v in values]


def _genders(text: str) -> list[str]:
    found = []
    for token in (sv.parse_token("gender", v) for v in sv.split_or(text)):
        if token.system not in (None, GENDER_SYSTEM) or token.code not in SEX:
            raise sv.bad_param("gender", f"{token.code!r} is not an administrative-gender code")
        found.append(token.code)
    return found


def _identifiers(text: str) -> list[sv.Token]:
    tokens = [sv.parse_token("identifier", v) for v in sv.split_or(text)]
    return [sv.Token(canonical_system(t.system), t.code) if t.system else t for t in tokens]


def _add(query: PatientQuery, key: str, text: str) -> None:
    name, _, modifier = key.partition(":")
    if name in ("family", "given"):
        if modifier not in _STRING_MODIFIERS:
            raise sv.bad_param(key, f"modifier :{modifier} is not supported")
        getattr(query, name).append(_names(key, modifier, text))
        return
    if modifier:
        raise sv.bad_param(key, f"modifier :{modifier} is not supported")
    if name == "_id":
        query.ids.append(sv.split_or(text))
    elif name == "identifier":
        query.identifiers.append(_identifiers(text))
    elif name == "gender":
        query.genders.append(_genders(text))
    elif name == "birthdate":
        query.birthdates.append([sv.parse_date(name, v) for v in sv.split_or(text)])


def patient_query(args: Mapping[str, list[str]]) -> PatientQuery:
    """The store query for the search parameters (others are left to the caller)."""
    query = PatientQuery()
    for key, values in args.items():
        if key.partition(":")[0] not in PARAMS:
            continue
        for text in values:
            _add(query, key, text)
    return query


def _birth_columns(patient: dict[str, Any]) -> tuple[str | None, str | None]:
    text = patient.get("birthDate")
    found = sv.date_range(str(text)) if text else None
    if found is None:
        return None, None
    return found.start.isoformat(timespec="seconds"), found.end.isoformat(timespec="seconds")


def _name_columns(patient: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    found: list[tuple[str, str, str]] = []
    for name in patient.get("name") or []:
        parts = [("family", name.get("family"))] + [("given", g) for g in name.get("given") or []]
        found += [(part, sv.normalize(str(v))[:VALUE], str(v)[:VALUE]) for part, v in parts if v]
    return tuple(dict.fromkeys(found))


def patient_index(patient: dict[str, Any]) -> PatientIndex:
    """The search columns of a validated Patient (JSON)."""
    start, end = _birth_columns(patient)
    identifiers = tuple(
        dict.fromkeys(
            (canonical_system(str(i.get("system") or "")), str(i.get("value") or ""))
            for i in patient.get("identifier") or []
        )
    )
    return PatientIndex(
        gender=patient.get("gender"),
        birth_start=start,
        birth_end=end,
        identifiers=identifiers,
        names=_name_columns(patient),
    )
