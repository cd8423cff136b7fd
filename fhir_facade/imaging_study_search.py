"""Pure: ImagingStudy search parameters -> QIDO-RS study searches plus exact filters.

FHIR R4 imagingstudy.html#search: ``_id``, ``identifier`` (token), ``patient`` (reference),
``patient.identifier`` (chained token), ``started`` (date), ``modality`` (token, DCM),
``status`` (token). Each OR-ed value becomes its own QIDO-RS search (PS3.18 10.6.1; one value
per match key keeps us interoperable with any DICOMweb service), occurrences of parameters
are ANDed by combining those searches, and what QIDO-RS cannot express exactly (the patient's
assigning authority, FHIR date range semantics, status) is checked on the answers.

Identifier tokens: ``urn:dicom:uid|urn:oid:<uid>`` (or a bare UID) is the Study Instance
UID; a token without system, or with an empty one, is an Accession Number (a value starting
with ``urn:oid:`` and no system is also tried as a Study Instance UID); other systems match
nothing, because the facade never writes an accession identifier with a system.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, NoReturn

from fhir_facade import search_values as sv
from fhir_facade.dicomweb import DicomJson, text
from fhir_facade.errors import FhirError
from fhir_facade.imaging_study_map import (
    DCM,
    DICOM_UID,
    ISSUER_OF_PATIENT_ID,
    started,
)
from fhir_facade.translate.values import OID_PREFIX
from xds_common.datatypes import is_oid

#: The parameters this module understands (others: 400 unless lenient, wire.check_params).
PARAMS: Final = (
    "_id",
    "identifier",
    "patient",
    "patient.identifier",
    "started",
    "modality",
    "status",
)
STATUSES: Final = frozenset({"registered", "available", "cancelled", "entered-in-error", "unknown"})
#: Most QIDO-RS searches one FHIR search may cause.
MAX_SEARCHES: Final = 20
_UID: Final = re.compile(r"^[0-9]+(\.[0-9]+)*$")

Check = Callable[[DicomJson], bool]


@dataclass(frozen=True)
class Alternative:
    """One QIDO-RS match (keyword -> value) and what its answers must also satisfy."""

    match: Mapping[str, str] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class PatientKey:
    """A patient as the images name it: a Patient ID and the authorities it may be under.

    No authorities means any (a ``patient.identifier`` token without a system).
    """

    patient_id: str
    authorities: frozenset[str]


@dataclass
class StudyPlan:
    """The QIDO-RS searches of one FHIR search and the date filters to apply afterwards."""

    searches: list[Alternative]
    dates: list[list[sv.DateParam]]


def _uid_of(value: str) -> str | None:
    uid = value.removeprefix(OID_PREFIX)
    return uid if _UID.match(uid) and len(uid) <= 64 else None


def _identifier(token: sv.Token) -> list[Alternative]:
    if token.system == DICOM_UID:
        uid = _uid_of(token.code)
        if uid is None:
            raise sv.bad_param("identifier", f"{token.code!r} is not urn:oid: plus a UID")
        return [Alternative({"StudyInstanceUID": uid})]
    if token.system:
        return []
    found = [Alternative({"AccessionNumber": token.code})]
    if token.system is None and token.code.startswith(OID_PREFIX) and (uid := _uid_of(token.code)):
        found.append(Alternative({"StudyInstanceUID": uid}))
    return found


def _patient_check(authorities: frozenset[str], imaging_authority: str) -> Check:
    """A study belongs to the patient when its authority is one of ``authorities``.

    A study's Patient ID counts in the imaging assigning authority (the imaging source
    registers its manifests there) and, when its Issuer of Patient ID is an OID, in that one.
    """

    def check(study: DicomJson) -> bool:
        if not authorities:  # the patient's identifier was given without a system
            return True
        issuer = text(study, ISSUER_OF_PATIENT_ID)
        own = {imaging_authority, issuer} if is_oid(issuer) else {imaging_authority}
        return bool(own & authorities)

    return check


def patient_alternatives(keys: Sequence[PatientKey], imaging_authority: str) -> list[Alternative]:
    """QIDO-RS matches for the studies of the given patient keys."""
    return [
        Alternative(
            {"PatientID": k.patient_id}, (_patient_check(k.authorities, imaging_authority),)
        )
        for k in keys
        if k.patient_id
    ]


def _modality(token: sv.Token) -> list[Alternative]:
    if token.system not in (None, DCM) or not token.code:
        return []
    return [Alternative({"ModalitiesInStudy": token.code})]


def _status(token: sv.Token) -> bool:
    if token.code not in STATUSES:
        raise sv.bad_param("status", f"{token.code!r} is not an ImagingStudy status")
    return token.code == "available"  # every study the DICOMweb service has is available


def _merge(parts: Sequence[Alternative]) -> Alternative | None:
    """One QIDO-RS search satisfying all ``parts``; None when two need different values."""
    match: dict[str, str] = {}
    checks: tuple[Check, ...] = ()
    for part in parts:
        for key, value in part.match.items():
            if match.setdefault(key, value) != value:
                return None
        checks += part.checks
    return Alternative(match, checks)


def plan(
    args: Mapping[str, list[str]],
    patients: Callable[[str, str], list[PatientKey]],
    imaging_authority: str,
) -> StudyPlan:
    """The QIDO-RS searches for ``args``; ``patients(param, value)`` resolves patient values."""
    groups: list[list[Alternative]] = []
    dates: list[list[sv.DateParam]] = []
    for key, texts in args.items():
        if key not in PARAMS:
            continue
        for raw in texts:
            options = sv.split_or(raw)
            if key == "started":
                dates.append([sv.parse_date(key, v) for v in options])
            elif key == "status":
                groups.append(
                    [Alternative()] if any(_status(sv.parse_token(key, v)) for v in options) else []
                )
            elif key == "modality":
                groups.append([a for v in options for a in _modality(sv.parse_token(key, v))])
            elif key in ("identifier", "_id"):
                tokens = [
                    sv.parse_token(key, v) if key == "identifier" else sv.Token(DICOM_UID, v)
                    for v in options
                ]
                groups.append([a for t in tokens for a in _identifier(t)])
            else:
                groups.append(
                    patient_alternatives(
                        [k for v in options for k in patients(key, v)], imaging_authority
                    )
                )
    combos = [_merge(c) for c in itertools.product(*groups)] if groups else [Alternative()]
    searches = [c for c in combos if c is not None]
    if len(searches) > MAX_SEARCHES:
        raise_too_costly()
    return StudyPlan(searches, dates)


def raise_too_costly() -> NoReturn:
    """Refuse a search too large to answer (R4 IssueType ``too-costly``)."""
    text = "the search matches too many studies or needs too many QIDO-RS searches; narrow it"
    raise FhirError.of(400, "too-costly", text)


def study_date_range(dates: Sequence[Sequence[sv.DateParam]]) -> str | None:
    """A QIDO-RS StudyDate range (PS3.4 C.2.2.2.5) that every match lies in, or None."""
    single = [d[0] for d in dates if len(d) == 1]
    low, high = sv.day_window(single)
    if low is None and high is None:
        return None
    fmt = "%Y%m%d"
    return f"{low.strftime(fmt) if low else ''}-{high.strftime(fmt) if high else ''}"


def keep(
    study: DicomJson, alternative: Alternative, dates: Sequence[Sequence[sv.DateParam]]
) -> bool:
    """True when a QIDO-RS answer satisfies the checks QIDO-RS could not make."""
    if not all(check(study) for check in alternative.checks):
        return False
    if not dates:
        return True
    _, target = started(study)
    if target is None:
        return False
    return all(any(sv.date_matches(d, target) for d in group) for group in dates)


def sort_key(study: DicomJson) -> tuple[datetime, str]:
    """Start time, then UID: sorted in reverse, newest first and pages stable."""
    _, target = started(study)
    return (target.start if target else datetime.min, text(study, "0020000D"))
