"""Patient read, search, create and update: the facade's FHIR patient identity feed.

FHIR R4 http.html: read (2.21.0.8), search (2.21.0.15, GET and POST ``_search``), create
(2.21.0.13: the server assigns the id; 201 with Location and ETag), update (2.21.0.10: the
body's id must equal the URL's; update-as-create; ``If-Match`` for version-aware updates,
412 on mismatch) and conditional update by one identifier (2.21.0.10.2, the form ITI-104
Patient Identity Feed FHIR uses). A create, or an update that brings new affinity-domain
identifiers, is sent to the registry as ITI-8 ``ADT^A01``, any other update as ``ADT^A08``
(:mod:`fhir_facade.patient_feed`); the Patient is stored only after the registry's ``AA``.

The id of a created Patient is that of its first affinity-domain identifier as the MHD
translation names Patients (``OID-ID``, :mod:`fhir_facade.translate.patients`), so that
``DocumentReference.subject`` and ``ImagingStudy.subject`` resolve here; an update may not
give a Patient an ``OID-ID`` id of an identifier it does not carry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from fhir.resources.R4B.patient import Patient
from flask import Blueprint, Response, request
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from fhir_facade import patient_search, searchset, wire
from fhir_facade import search_values as sv
from fhir_facade.capability import ResourceSupport, SearchParam
from fhir_facade.errors import FhirError, Issue
from fhir_facade.patient_feed import (
    SEX,
    FeedTarget,
    Trigger,
    canonical_system,
    feed_identifiers,
    send_feed,
)
from fhir_facade.storage.patients import PatientQuery, PatientRow, PatientStore, VersionConflict
from fhir_facade.storage.tables import SYSTEM, VALUE
from fhir_facade.translate.patients import cx_of_resource_id, patient_resource_id
from fhir_facade.translate.values import OID_PREFIX, JsonDict
from fhir_facade.xds import fhir_base
from xds_common.datatypes import Cx
from xds_common.db import session_factory
from xds_common.settings import Settings

SUPPORT: Final = ResourceSupport(
    type="Patient",
    interactions=("read", "search-type", "create", "update"),
    search_params=(
        SearchParam("_id", "token", "logical id"),
        SearchParam("identifier", "token", "system|value; BSN and urn:oid: systems"),
        SearchParam("family", "string", "starts-with; :exact, :contains"),
        SearchParam("given", "string", "starts-with; :exact, :contains"),
        SearchParam("birthdate", "date", "prefixes eq, ne, gt, lt, ge, le"),
        SearchParam("gender", "token", "administrative-gender"),
    ),
    documentation=(
        "Patient identity feed: create, update and conditional update (PUT "
        "Patient?identifier=system|value, as ITI-104) are forwarded to the XDS registry as "
        "ITI-8 ADT^A01/ADT^A08 and succeed only on its AA acknowledgement."
    ),
)

_ID: Final = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class PatientService:
    """What the Patient routes need: the store, the feed target and our FHIR base."""

    store: PatientStore
    target: FeedTarget
    domains: tuple[str, ...]
    fhir_base: str

    def read(self, patient_id: str) -> PatientRow:
        """The current Patient ``patient_id``, or a 404 FhirError."""
        if not _ID.match(patient_id):
            raise FhirError.of(400, "value", f"{patient_id!r} is not a FHIR id")
        row = self.store.get(patient_id)
        if row is None:
            raise FhirError.of(404, "not-found", f"Patient/{patient_id} is not known")
        return row

    def write(
        self, data: dict[str, Any], patient_id: str | None, if_match: str | None
    ) -> tuple[PatientRow, bool]:
        """Feed and store a Patient; returns the stored row and whether it is new."""
        _check_content(data)
        ids = feed_identifiers(data, self.domains)
        domain = [cx for cx in ids if cx.authority in self.domains]
        creating = patient_id is None
        if patient_id is None:
            patient_id = patient_resource_id(str(domain[0])) or str(uuid.uuid4())
        else:
            _check_update_id(data, patient_id, ids)
        index = patient_search.patient_index(data)
        self._check_owners(None if creating else patient_id, index.identifiers)
        current = None if creating else self.store.get(patient_id)
        _check_if_match(current, if_match)
        send_feed(self.target, data, ids, self._trigger(current, domain))
        version = current.version_id + 1 if current else 1
        now = datetime.now(UTC)
        data["id"] = patient_id
        data["meta"] = {**(data.get("meta") or {}), "versionId": str(version)}
        data["meta"]["lastUpdated"] = now.isoformat(timespec="milliseconds")
        row = PatientRow(patient_id, version, now, Patient.model_validate(data).model_dump_json())
        try:
            self.store.save(row, index)
        except (IntegrityError, VersionConflict):
            raise FhirError.of(
                409, "conflict", "the Patient or its identifiers changed meanwhile"
            ) from None
        return row, current is None

    def _check_owners(self, patient_id: str | None, identifiers: Sequence[tuple[str, str]]) -> None:
        """422 for identifiers that another Patient (any Patient, on create) holds."""
        owners = self.store.owners(identifiers)
        issues = [
            Issue(
                "duplicate",
                f"identifier already belongs to Patient/{owner}",
                expression=(f"Patient.identifier[{i}]",),
            )
            for i, key in enumerate(identifiers)
            if (owner := owners.get(key)) and owner != patient_id
        ]
        if issues:
            raise FhirError(422, issues)

    def _trigger(self, current: PatientRow | None, domain: list[Cx]) -> Trigger:
        """A01 for a new Patient or new domain ids (the registry ignores A08), else A08."""
        if current is None:
            return Trigger.REGISTER
        old = Patient.model_validate_json(current.resource).model_dump(mode="json")
        known = {(str(i.get("system")), str(i.get("value"))) for i in old.get("identifier") or []}
        known = {(canonical_system(s), v) for s, v in known}
        fresh = any((OID_PREFIX + cx.authority, cx.id) not in known for cx in domain)
        return Trigger.REGISTER if fresh else Trigger.UPDATE


def _check_content(data: dict[str, Any]) -> None:
    """Rules the FHIR model does not check: gender codes and column sizes."""
    issues: list[Issue] = []
    gender = data.get("gender")
    if gender is not None and gender not in SEX:
        issues.append(
            Issue(
                "code-invalid",
                f"{gender!r} is not an administrative-gender code",
                expression=("Patient.gender",),
            )
        )
    for i, item in enumerate(data.get("identifier") or []):
        for key, size in (("system", SYSTEM), ("value", VALUE)):
            if len(str(item.get(key) or "")) > size:
                issues.append(
                    Issue(
                        "too-long",
                        f"longer than {size} characters",
                        expression=(f"Patient.identifier[{i}].{key}",),
                    )
                )
    if issues:
        raise FhirError(400, issues)


def _check_update_id(data: dict[str, Any], patient_id: str, ids: list[Cx]) -> None:
    """FHIR R4 http.html 2.21.0.10: the body's id equals the URL's; OID-ID ids are ours."""
    if not _ID.match(patient_id):
        raise FhirError.of(400, "value", f"{patient_id!r} is not a FHIR id")
    if data.get("id") != patient_id:
        raise FhirError.of(
            400, "invalid", "the resource id must equal the id in the URL", "Patient.id"
        )
    named = cx_of_resource_id(patient_id)
    if named is not None and named not in {str(cx) for cx in ids}:
        text = f"id {patient_id} names the patient id {named}, which this Patient does not carry"
        raise FhirError.of(422, "business-rule", text, "Patient.id")


def _check_if_match(current: PatientRow | None, if_match: str | None) -> None:
    """Version-aware update (http.html 2.21.0.10.1): 412 when ``If-Match`` is stale."""
    if if_match is None:
        return
    expected = if_match.strip().removeprefix("W/").strip('"')
    if current is None or str(current.version_id) != expected:
        raise FhirError.of(412, "conflict", f"If-Match {if_match} is not the current version")


def _conditional_target(service: PatientService) -> str | None:
    """The Patient a conditional update addresses (http.html 2.21.0.10.2; ITI-104).

    The criteria must be one ``identifier=system|value``; since an identifier names at most
    one Patient, the answer is that Patient, or None (the update becomes a create).
    """
    params = {k: v for k, v in request.args.lists() if k != "_format"}
    values = params.get("identifier", [])
    token = sv.parse_token("identifier", values[0]) if len(params) == 1 == len(values) else None
    if token is None or not token.system or not token.code:
        text = "a conditional update takes exactly one identifier=system|value"
        raise FhirError.of(400, "invalid", text)
    owners = service.store.owners([(canonical_system(token.system), token.code)])
    return next(iter(owners.values()), None)


def _headers(service: PatientService, row: PatientRow) -> dict[str, str]:
    return {
        "ETag": f'W/"{row.version_id}"',
        "Last-Modified": row.last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Location": f"{service.fhir_base}/Patient/{row.id}/_history/{row.version_id}",
    }


def _json(row: PatientRow) -> JsonDict:
    data: JsonDict = Patient.model_validate_json(row.resource).model_dump(
        mode="json", exclude_none=True
    )
    return data


def fhirpath(loc: Sequence[int | str]) -> str:
    """FHIRPath of a pydantic error location: ``("name", 0)`` -> ``Patient.name[0]``."""
    return "Patient" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def read_patient_body() -> JsonDict:
    """The request's Patient, validated as FHIR R4 (400 with FHIRPath per problem)."""
    data = wire.read_resource()
    if data.get("resourceType") != "Patient":
        raise FhirError.of(400, "invalid", "the body is not a Patient", "resourceType")
    try:
        model = Patient.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue("structure", str(e["msg"]), expression=(fhirpath(e["loc"]),))
            for e in exc.errors()
        ]
        raise FhirError(400, issues) from None
    checked: JsonDict = model.model_dump(mode="json", exclude_none=True)
    return checked


@dataclass(frozen=True)
class _Matches(Sequence[PatientRow]):
    """The matches of a Patient search, fetched one page at a time by :mod:`searchset`."""

    store: PatientStore
    query: PatientQuery
    total: int

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("only contiguous slices of a search are fetched")
        start = index.start or 0
        stop = self.total if index.stop is None else min(index.stop, self.total)
        return self.store.search(self.query, max(stop - start, 0), start)[1]

    def __iter__(self) -> Iterator[PatientRow]:
        return iter(self[0 : self.total])


def _search(service: PatientService) -> Response:
    params = searchset.search_params()
    wire.check_params(params, patient_search.ALLOWED)
    query = patient_search.patient_query(params)
    total, _ = service.store.search(query, 0, 0)
    bundle = searchset.searchset(
        _Matches(service.store, query, total), _json, f"{service.fhir_base}/Patient", params
    )
    return wire.respond(bundle)


def register(bp: Blueprint, settings: Settings) -> None:
    """Add the Patient routes to the ``/fhir`` blueprint."""
    store = PatientStore(
        session_factory(settings.database_url),
        session_factory(settings.database_url, write=True),
    )
    service = PatientService(
        store,
        FeedTarget(settings.mllp_host, settings.mllp_port),
        settings.patient_id_domains,
        fhir_base(settings),
    )

    @bp.get("/Patient/<patient_id>")
    def read_patient(patient_id: str) -> Response:
        row = service.read(patient_id)
        headers = _headers(service, row)
        del headers["Location"]
        return wire.respond(_json(row), headers=headers)

    @bp.route("/Patient", methods=["GET"])
    @bp.route("/Patient/_search", methods=["POST"])
    def search_patients() -> Response:
        return _search(service)

    @bp.post("/Patient")
    def create_patient() -> Response:
        row, _ = service.write(read_patient_body(), None, None)
        return wire.respond(_json(row), 201, _headers(service, row))

    @bp.put("/Patient")
    def conditional_update_patient() -> Response:
        found = _conditional_target(service)
        data = read_patient_body()
        if found is not None:
            data.setdefault("id", found)
        row, created = service.write(data, found, request.headers.get("If-Match"))
        return wire.respond(_json(row), 201 if created else 200, _headers(service, row))

    @bp.put("/Patient/<patient_id>")
    def update_patient(patient_id: str) -> Response:
        data = read_patient_body()
        row, created = service.write(data, patient_id, request.headers.get("If-Match"))
        return wire.respond(_json(row), 201 if created else 200, _headers(service, row))
