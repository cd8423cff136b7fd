"""ImagingStudy read and search, and the Endpoint read, from QIDO-RS and ITI-18.

FHIR R4 http.html read (2.21.0.8) and search (2.21.0.15, GET and POST ``_search``);
imagingstudy.html search parameters (see :mod:`fhir_facade.imaging_study_search`). Studies
come from the DICOMweb service (PS3.18 10.6 QIDO-RS, :mod:`fhir_facade.dicomweb`); the
manifest of each study from the registry by ITI-18 FindDocumentsByReferenceId (ITI TF-2a
3.18.4.1.2.3.7.14) with the Study Instance UID as a referenceIdList CXi of type
``urn:ihe:iti:xds:2016:studyInstanceUID`` (ITI TF-3 Table 4.2.3.1.7-2; RAD TF-3 4.68.4.1.2.3).
A registry that cannot be asked costs the link, not the answer (logged). The Endpoint
the studies point at is served by :mod:`fhir_facade.endpoint`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, TypeVar

from fhir.resources.R4B.imagingstudy import ImagingStudy
from fhir.resources.R4B.patient import Patient
from flask import Blueprint, Response

from fhir_facade import imaging_study_map as mapping
from fhir_facade import imaging_study_search as search
from fhir_facade import search_values as sv
from fhir_facade import searchset, wire
from fhir_facade.capability import ResourceSupport, SearchParam
from fhir_facade.dicomweb import DicomJson, DicomwebError, QidoClient, StudySearch, text
from fhir_facade.errors import FhirError
from fhir_facade.patient_feed import authority_of
from fhir_facade.storage.patients import PatientStore
from fhir_facade.translate.patients import cx_of_resource_id
from fhir_facade.translate.values import JsonDict, resource_id
from fhir_facade.xds import fhir_base
from profiles import stored_queries as sq
from profiles.vocabulary import Status
from profiles.xdsi import ReferenceIdType
from xds_common.client.errors import ClientError
from xds_common.client.registry import RegistryClient
from xds_common.datatypes import parse_cx
from xds_common.db import session_factory
from xds_common.settings import Settings

log = logging.getLogger(__name__)

SUPPORT: Final = ResourceSupport(
    type="ImagingStudy",
    interactions=("read", "search-type"),
    search_params=(
        SearchParam("_id", "token", "Study Instance UID"),
        SearchParam(
            "identifier", "token", "urn:dicom:uid|urn:oid:<StudyInstanceUID>, or accession"
        ),
        SearchParam("patient", "reference", "Patient/<id>"),
        SearchParam("patient.identifier", "token", "system|value of the patient"),
        SearchParam("started", "date", "prefixes eq, ne, gt, lt, ge, le"),
        SearchParam("modality", "token", "http://dicom.nema.org/resources/ontology/DCM|<code>"),
        SearchParam("status", "token", "every study is available"),
    ),
    documentation="Built from QIDO-RS; the KOS manifest's DocumentReference is linked.",
)

#: Most studies one search may collect from QIDO-RS before paging.
MAX_STUDIES: Final = 1000
#: Studies of one page built at the same time (each asks QIDO-RS and the registry).
ENRICH_WORKERS: Final = 8
_UID: Final = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_ID: Final = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
T = TypeVar("T")


@dataclass(frozen=True)
class ImagingService:
    """The ImagingStudy routes' collaborators."""

    qido: QidoClient
    registry: RegistryClient
    patients: PatientStore
    ctx: mapping.StudyContext

    def manifests(self, study: DicomJson) -> list[str]:
        """Resource ids of the study's approved manifest DocumentReferences (ITI-18)."""
        if not text(study, mapping.PATIENT_ID):
            return []  # no patient id: the imaging source cannot have registered a manifest
        params = {
            "$XDSDocumentEntryPatientId": mapping.patient_cx(study, self.ctx.assigning_authority),
            "$XDSDocumentEntryStatus": [Status.APPROVED.value],
            "$XDSDocumentEntryReferenceIdList": [
                f"{text(study, mapping.STUDY_INSTANCE_UID)}^^^^{ReferenceIdType.STUDY_INSTANCE_UID}"
            ],
        }
        try:
            result = self.registry.stored_query(
                sq.FIND_DOCUMENTS_BY_REFERENCE_ID, params, return_type="ObjectRef"
            )
        except (ClientError, ValueError) as exc:
            log.warning("ITI-18 for the manifest of a study failed: %s", exc)
            return []
        if not result.success:
            log.warning(
                "ITI-18 for the manifest of a study: %s", "; ".join(map(str, result.errors))
            )
            return []
        return [resource_id(ref) for ref in result.object_refs]

    def resource(self, study: DicomJson) -> ImagingStudy:
        """The full ImagingStudy of one QIDO-RS study dataset."""
        uid = text(study, mapping.STUDY_INSTANCE_UID)
        series = _qido(lambda: self.qido.series(uid))
        return mapping.imaging_study(study, series, self.manifests(study), self.ctx)

    def read(self, uid: str) -> ImagingStudy:
        """ImagingStudy ``uid`` or a 404 FhirError."""
        if not _UID.match(uid) or len(uid) > 64:
            raise FhirError.of(404, "not-found", f"ImagingStudy/{uid} is not known")
        found = _qido(lambda: self.qido.studies({"StudyInstanceUID": uid}, 2)).studies
        if not found:
            raise FhirError.of(404, "not-found", f"ImagingStudy/{uid} is not known")
        return self.resource(found[0])

    def patient_keys(self, param: str, value: str) -> list[search.PatientKey]:
        """Resolve a ``patient`` reference or ``patient.identifier`` token to patient keys."""
        if param == "patient.identifier":
            token = sv.parse_token(param, value)
            if token.system is None:  # any system (search.html 2.21.1.3)
                return [search.PatientKey(token.code, frozenset())]
            authority = authority_of(token.system)
            return [search.PatientKey(token.code, frozenset({authority}))] if authority else []
        reference = value.removeprefix(self.ctx.fhir_base + "/").removeprefix("Patient/")
        row = self.patients.get(reference) if _ID.match(reference) else None
        if row is not None:
            stored = Patient.model_validate_json(row.resource).identifier or []
            pairs = [(authority_of(i.system or ""), i.value or "") for i in stored]
            return [search.PatientKey(v, frozenset({a})) for a, v in pairs if a and v]
        cx = parse_cx(cx_of_resource_id(reference) or "")
        return [search.PatientKey(cx.id, frozenset({cx.authority}))] if cx else []

    def _studies(self, match: Mapping[str, str]) -> StudySearch:
        return _qido(lambda: self.qido.studies(match, MAX_STUDIES))

    def find(self, args: dict[str, list[str]]) -> list[DicomJson]:
        """Every matching study dataset, newest first."""
        plan = search.plan(args, self.patient_keys, self.ctx.assigning_authority)
        window = search.study_date_range(plan.dates)
        found: dict[str, DicomJson] = {}
        for alternative in plan.searches:
            match = dict(alternative.match)
            if window:
                match["StudyDate"] = window
            answer = self._studies(match)
            if answer.truncated:
                search.raise_too_costly()
            for study in answer.studies:
                if search.keep(study, alternative, plan.dates):
                    found.setdefault(text(study, mapping.STUDY_INSTANCE_UID), study)
        if len(found) > MAX_STUDIES:
            search.raise_too_costly()
        return sorted(found.values(), key=search.sort_key, reverse=True)


def _qido(call: Callable[[], T]) -> T:
    """Run a QIDO-RS call; a failing DICOMweb service is a 502 OperationOutcome."""
    try:
        return call()
    except DicomwebError as exc:
        log.warning("QIDO-RS failed: %s", exc)
        raise FhirError.of(
            502, "exception", "the DICOMweb service did not answer the search"
        ) from None


def _search(service: ImagingService) -> Response:
    """Search, then build the page's resources concurrently (QIDO-RS series + ITI-18 each)."""
    params = searchset.search_params()
    wire.check_params(params, search.PARAMS)
    studies = service.find(params)
    offset, count = searchset.page(params)
    page = studies[offset : offset + count]
    with ThreadPoolExecutor(max_workers=min(ENRICH_WORKERS, len(page) or 1)) as pool:
        built = dict(zip(map(id, page), pool.map(service.resource, page), strict=True))

    def to_resource(study: DicomJson) -> JsonDict:
        found: JsonDict = built[id(study)].model_dump(mode="json", exclude_none=True)
        return found

    base = f"{service.ctx.fhir_base}/ImagingStudy"
    return wire.respond(searchset.searchset(studies, to_resource, base, params))


def register(bp: Blueprint, settings: Settings) -> None:
    """Add the ImagingStudy routes to the ``/fhir`` blueprint."""
    ctx = mapping.StudyContext(
        fhir_base(settings),
        settings.effective_dicomweb_url,
        settings.effective_imaging_assigning_authority,
    )
    service = ImagingService(
        QidoClient(settings.effective_dicomweb_url),
        RegistryClient(settings.effective_registry_url, timeout=30.0),
        PatientStore(
            session_factory(settings.database_url),
            session_factory(settings.database_url, write=True),
        ),
        ctx,
    )

    @bp.get("/ImagingStudy/<uid>")
    def read_imaging_study(uid: str) -> Response:
        return wire.respond(service.read(uid).model_dump(mode="json", exclude_none=True))

    @bp.route("/ImagingStudy", methods=["GET"])
    @bp.route("/ImagingStudy/_search", methods=["POST"])
    def search_imaging_studies() -> Response:
        return _search(service)
