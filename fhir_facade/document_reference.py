"""ITI-67 Find Document References and DocumentReference read (MHD 4.2.3 Document Responder).

``GET /fhir/DocumentReference?…`` (or ``POST …/_search``) -> ITI-18 FindDocuments /
FindDocumentsByReferenceId (ITI TF-2 3.67.4.1.2; parameters in
:mod:`fhir_facade.translate.search`) -> searchset Bundle with paging (3.67.4.2).
``GET /fhir/DocumentReference/<id>`` -> GetDocumentsAndAssociations by entryUUID, with
``relatesTo`` from its outgoing relationship associations; 404 when unknown.
"""

from __future__ import annotations

from flask import Blueprint, Response

from fhir_facade import wire
from fhir_facade.capability import ResourceSupport, SearchParam
from fhir_facade.errors import FhirError, from_xds
from fhir_facade.searchset import search_params, searchset
from fhir_facade.translate import canon
from fhir_facade.translate.search import DOCUMENT_PARAMS, document_query
from fhir_facade.translate.to_fhir import document_reference
from fhir_facade.translate.values import entry_uuid_of
from fhir_facade.xds import fhir_base, gateway
from xds_common.client import QueryResult
from xds_common.datatypes import is_uuid_urn
from xds_common.metadata import DocumentEntry
from xds_common.settings import Settings

_TYPES = {
    "patient": "reference", "patient.identifier": "token", "status": "token",
    "identifier": "token", "_id": "token", "author.given": "string", "author.family": "string",
    "related": "token", "category": "token", "type": "token", "setting": "token",
    "facility": "token", "event": "token", "security-label": "token", "format": "token",
    "creation": "date", "date": "date", "period": "date",
}  # fmt: skip

SUPPORT = ResourceSupport(
    type="DocumentReference",
    interactions=("read", "search-type"),
    search_params=tuple(SearchParam(name, _TYPES[name]) for name in DOCUMENT_PARAMS),
    profiles=(canon.DOCUMENT_REFERENCE_PROFILE,),
    documentation="ITI-67 Find Document References (-> ITI-18 FindDocuments) and read.",
)


def checked(result: QueryResult) -> QueryResult:
    """The query result, or the OperationOutcome of an ITI-18 Failure."""
    if not result.success:
        raise from_xds([(e.code, e.context, e.is_error) for e in result.errors])
    return result


def search(settings: Settings) -> Response:
    """ITI-67 (ITI TF-2 3.67.4.1.2)."""
    params = search_params()
    wire.check_params(params, DOCUMENT_PARAMS)
    base = fhir_base(settings)
    plan = document_query(params, base)
    found = checked(gateway(settings).query(plan)).documents
    matches = [d for d in found if all(f(d) for f in plan.filters)]

    def convert(entry: DocumentEntry) -> dict[str, object]:
        return document_reference(entry, base)

    return wire.respond(searchset(matches, convert, f"{base}/DocumentReference", params))


def read(settings: Settings, resource_id: str) -> Response:
    """DocumentReference read (FHIR R4 http.html#read) by entryUUID."""
    entry_uuid = entry_uuid_of(resource_id)
    if not is_uuid_urn(entry_uuid):
        raise FhirError.of(404, "not-found", f"DocumentReference/{resource_id} is not known")
    result = checked(gateway(settings).document(entry_uuid, associations=True))
    entry = next((d for d in result.documents if d.entry_uuid == entry_uuid), None)
    if entry is None:
        raise FhirError.of(404, "not-found", f"DocumentReference/{resource_id} is not known")
    relations = [a for a in result.associations if a.source == entry_uuid]
    return wire.respond(document_reference(entry, fhir_base(settings), relations))


def register(bp: Blueprint, settings: Settings) -> None:
    """Routes: search (GET, POST ``_search``) and read."""
    bp.add_url_rule("/DocumentReference", "docref_search", lambda: search(settings))
    bp.add_url_rule("/DocumentReference/_search", "docref_search_post",
                    lambda: search(settings), methods=["POST"])  # fmt: skip
    bp.add_url_rule("/DocumentReference/<resource_id>", "docref_read",
                    lambda resource_id: read(settings, resource_id))  # fmt: skip
