"""ITI-66 / ITI-67 search parameters -> ITI-18 stored queries (MHD 4.2.3 3.66.4.1.2, 3.67.4.1.2).

``document_query`` and ``list_query`` take the FHIR search parameters (name -> values, each
value possibly comma-separated = OR, FHIR R4 search.html 2.21.1.1) and return the stored
query, its parameters and filters applied to the answer for what ITI-18 cannot express.
Token values are ``system|code``; code systems become XDS schemes (``code^^scheme``),
``patient.identifier`` is ``urn:oid:<authority>|<id>``. Dates take the prefixes ``ge``/``gt``
(-> ``…From``) and ``lt``/``le`` (-> ``…To``), as MHD maps them. Values the registry cannot be
asked for raise :class:`~fhir_facade.errors.FhirError` (400, FHIR R4 search.html 2.21.0.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fhir_facade.errors import FhirError
from fhir_facade.translate import canon
from fhir_facade.translate.patients import cx_of_reference, cx_of_token
from fhir_facade.translate.values import dtm_of, scheme_of, unique_id_of
from profiles import stored_queries as sq
from profiles.vocabulary import Status
from xds_common.client import encode_param
from xds_common.metadata import RegistryObject

Params = Mapping[str, Sequence[str]]
ParamValue = str | list[str]

#: FHIR search parameter -> FindDocuments code parameter (MHD 4.2.3 Table 3.67.4.1.2-1).
DOCUMENT_CODES = {
    "category": "$XDSDocumentEntryClassCode",
    "type": "$XDSDocumentEntryTypeCode",
    "setting": "$XDSDocumentEntryPracticeSettingCode",
    "facility": "$XDSDocumentEntryHealthcareFacilityTypeCode",
    "event": "$XDSDocumentEntryEventCodeList",
    "security-label": "$XDSDocumentEntryConfidentialityCode",
    "format": "$XDSDocumentEntryFormatCode",
}
#: date-type parameters -> (From, To) stored-query parameters.
DOCUMENT_DATES = {
    "creation": (("$XDSDocumentEntryCreationTimeFrom",), ("$XDSDocumentEntryCreationTimeTo",)),
    "date": (("$XDSDocumentEntryCreationTimeFrom",), ("$XDSDocumentEntryCreationTimeTo",)),
    "period": (
        ("$XDSDocumentEntryServiceStartTimeFrom", "$XDSDocumentEntryServiceStopTimeFrom"),
        ("$XDSDocumentEntryServiceStartTimeTo", "$XDSDocumentEntryServiceStopTimeTo"),
    ),
}
DOCUMENT_PARAMS = (
    "patient", "patient.identifier", "status", "identifier", "_id", "author.given",
    "author.family", "related", *DOCUMENT_CODES, *DOCUMENT_DATES,
)  # fmt: skip
LIST_PARAMS = (
    "patient", "patient.identifier", "status", "code", "date", "designationType",
    "source.given", "source.family", "sourceId", "identifier", "_id",
)  # fmt: skip


@dataclass
class QueryPlan:
    """A stored query with its parameters, and filters for what ITI-18 cannot select."""

    query: sq.StoredQuery
    params: dict[str, ParamValue] = field(default_factory=dict)
    filters: list[Callable[[RegistryObject], bool]] = field(default_factory=list)

    def set(self, name: str, value: ParamValue) -> None:
        """Add one stored-query parameter, checked against the query table now."""
        try:
            encode_param(self.query, name, value)
        except ValueError as exc:
            raise FhirError.of(400, "invalid", f"cannot search this way: {exc}") from None
        self.params[name] = value


def _values(params: Params, name: str) -> list[str]:
    """Every OR-ed value of ``name`` (repeated parameters AND, commas OR; one level here)."""
    found = [v for value in params.get(name, ()) for v in value.split(",") if v]
    if len(params.get(name, ())) > 1:
        raise FhirError.of(400, "not-supported", f"{name} may be given once (use commas for OR)")
    return found


def _bad(name: str, value: str, why: str) -> FhirError:
    return FhirError.of(400, "invalid", f"{name}={value}: {why}")


def code_value(name: str, token: str) -> str:
    """A token ``system|code`` -> ``code^^scheme`` (ITI TF-2a 3.18.4.1.2.3.7.1)."""
    system, sep, code = token.partition("|")
    if not sep or not system or not code:
        raise _bad(name, token, "a token with system and code (system|code) is required")
    return f"{code}^^{scheme_of(system)}"


def statuses(values: list[str]) -> list[str]:
    """FHIR status codes -> availabilityStatus URNs (ConceptMap FhirStatusVsStatusCode)."""
    if not values:
        return [Status.APPROVED, Status.DEPRECATED]
    unknown = [v for v in values if v not in canon.STATUS_TO_XDS]
    if unknown:
        raise _bad("status", ",".join(unknown), "only current and superseded exist")
    return [canon.STATUS_TO_XDS[v] for v in values]


def patient_of(params: Params, fhir_base: str) -> str | None:
    """The CX of ``patient`` or ``patient.identifier`` (one of them, once), or None."""
    refs, tokens = _values(params, "patient"), _values(params, "patient.identifier")
    if len(refs) + len(tokens) > 1:
        raise FhirError.of(400, "invalid", "give one patient or patient.identifier")
    if refs:
        cx = cx_of_reference({"reference": refs[0]}, fhir_base)
        if cx is None:
            raise _bad("patient", refs[0], "not a Patient of this server")
        return cx
    if tokens:
        cx = cx_of_token(tokens[0])
        if cx is None:
            raise _bad("patient.identifier", tokens[0], "expected urn:oid:<authority>|<id>")
        return cx
    return None


def _dates(
    plan: QueryPlan, params: Params, name: str, targets: tuple[tuple[str, ...], ...]
) -> None:
    for value in params.get(name, ()):
        prefix, moment = value[:2], value[2:]
        if prefix not in ("ge", "gt", "lt", "le"):
            raise _bad(name, value, "use the prefixes ge/gt (from) or lt/le (to)")
        try:
            dtm = dtm_of(moment)
        except ValueError:
            raise _bad(name, value, "not a FHIR date or dateTime") from None
        for target in targets[0 if prefix in ("ge", "gt") else 1]:
            plan.set(target, dtm)


def _person(given: list[str], family: list[str]) -> str:
    """An authorPerson LIKE pattern (XCN ``id^family^given``) from chained name parameters."""
    if family and given:
        return f"%^{family[0]}^{given[0]}%"
    return f"%^{family[0]}^%" if family else f"%^%^{given[0]}%"


def _identifier_filter(values: list[str]) -> Callable[[RegistryObject], bool]:
    """identifier=system|value matches uniqueId (usual) or entryUUID (official)."""
    wanted = set()
    for token in values:
        system, sep, value = token.partition("|")
        if not sep:  # a token without system matches the value in any system (FHIR 3.1.1.4.4)
            value = token
        wanted.add(unique_id_of({"system": system, "value": value}))
        wanted.add(value)
    return lambda obj: obj.entry_uuid in wanted or getattr(obj, "unique_id", "") in wanted


def document_query(params: Params, fhir_base: str) -> QueryPlan:
    """ITI-67 parameters -> FindDocuments (or FindDocumentsByReferenceId for ``related``)."""
    related = _values(params, "related")
    query = sq.FIND_DOCUMENTS_BY_REFERENCE_ID if related else sq.FIND_DOCUMENTS
    plan = QueryPlan(query)
    patient = patient_of(params, fhir_base)
    if patient is None:
        raise FhirError.of(400, "required", "ITI-67 needs patient or patient.identifier")
    plan.set("$XDSDocumentEntryPatientId", patient)
    plan.set("$XDSDocumentEntryStatus", statuses(_values(params, "status")))
    for name, target in DOCUMENT_CODES.items():
        if values := _values(params, name):
            plan.set(target, [code_value(name, v) for v in values])
    for name, targets in DOCUMENT_DATES.items():
        _dates(plan, params, name, targets)
    given, family = _values(params, "author.given"), _values(params, "author.family")
    if given or family:
        plan.set("$XDSDocumentEntryAuthorPerson", [_person(given, family)])
    if related:
        refs = [cx_related(v) for v in related]
        plan.set("$XDSDocumentEntryReferenceIdList", refs)
    ids = _values(params, "identifier") + _values(params, "_id")
    if ids:
        plan.filters.append(_identifier_filter(ids + [f"urn:uuid:{i}" for i in ids]))
    return plan


def cx_related(token: str) -> str:
    """``related`` token ``urn:oid:<authority>|<value>`` -> referenceIdList CXi."""
    system, sep, value = token.partition("|")
    authority = system.removeprefix("urn:oid:")
    if not sep or not value or not authority:
        raise _bad("related", token, "expected urn:oid:<authority>|<id>")
    return f"{value}^^^&{authority}&ISO"


def list_query(params: Params, fhir_base: str) -> QueryPlan:
    """ITI-66 parameters -> FindSubmissionSets (code submissionset) or FindFolders (folder)."""
    codes = [v.rpartition("|")[2] for v in _values(params, "code")]
    if codes not in ([canon.SUBMISSION_SET], [canon.FOLDER]):
        raise FhirError.of(400, "required", "ITI-66 needs code=submissionset or code=folder")
    folder = codes == [canon.FOLDER]
    plan = QueryPlan(sq.FIND_FOLDERS if folder else sq.FIND_SUBMISSION_SETS)
    kind = "Folder" if folder else "SubmissionSet"
    patient = patient_of(params, fhir_base)
    if patient is None:
        raise FhirError.of(400, "required", "ITI-66 needs patient or patient.identifier")
    plan.set(f"$XDS{kind}PatientId", patient)
    plan.set(f"$XDS{kind}Status", statuses(_values(params, "status")))
    times = ("LastUpdateTime" if folder else "SubmissionTime",)
    _dates(plan, params, "date", ((f"$XDS{kind}{times[0]}From",), (f"$XDS{kind}{times[0]}To",)))
    if values := _values(params, "designationType"):
        target = "$XDSFolderCodeList" if folder else "$XDSSubmissionSetContentType"
        plan.set(target, [code_value("designationType", v) for v in values])
    given, family = _values(params, "source.given"), _values(params, "source.family")
    if given or family:
        plan.set("$XDSSubmissionSetAuthorPerson", _person(given, family))
    if values := _values(params, "sourceId"):
        plan.set("$XDSSubmissionSetSourceId", [v.rpartition("|")[2].removeprefix("urn:oid:")
                                               for v in values])  # fmt: skip
    ids = _values(params, "identifier") + _values(params, "_id")
    if ids:
        plan.filters.append(_identifier_filter(ids + [f"urn:uuid:{i}" for i in ids]))
    return plan
