"""ITI-66 Find Document Lists and List read (MHD 4.2.3 Document Responder).

``GET /fhir/List?code=submissionset|folder&patient=…`` (or ``POST …/_search``) -> ITI-18
FindSubmissionSets / FindFolders (ITI TF-2 3.66.4.1.2) -> searchset Bundle.
``GET /fhir/List/<id>`` -> GetSubmissionSetAndContents, else GetFolderAndContents, by
entryUUID; ``List.entry`` lists the member DocumentReferences (HasMember associations).
"""

from __future__ import annotations

from flask import Blueprint, Response

from fhir_facade import wire
from fhir_facade.capability import ResourceSupport, SearchParam
from fhir_facade.document_reference import checked
from fhir_facade.errors import FhirError
from fhir_facade.searchset import search_params, searchset
from fhir_facade.translate import canon
from fhir_facade.translate.search import LIST_PARAMS, list_query
from fhir_facade.translate.to_fhir import folder_list, submission_set_list
from fhir_facade.translate.values import JsonDict, entry_uuid_of
from fhir_facade.xds import fhir_base, gateway, packages
from profiles.stored_queries import FIND_FOLDERS
from profiles.vocabulary import AssociationType, ObjectKind
from xds_common.client import QueryResult
from xds_common.datatypes import is_uuid_urn
from xds_common.metadata import Folder, SubmissionSet
from xds_common.settings import Settings

_TYPES = {
    "patient": "reference", "patient.identifier": "token", "status": "token", "code": "token",
    "date": "date", "designationType": "token", "source.given": "string",
    "source.family": "string", "sourceId": "token", "identifier": "token", "_id": "token",
}  # fmt: skip

SUPPORT = ResourceSupport(
    type="List",
    interactions=("read", "search-type"),
    search_params=tuple(SearchParam(name, _TYPES[name]) for name in LIST_PARAMS),
    profiles=(canon.SUBMISSION_SET_PROFILE, canon.FOLDER_PROFILE),
    documentation="ITI-66 Find Document Lists (-> ITI-18 FindSubmissionSets/FindFolders), read.",
)


def _to_list(obj: SubmissionSet | Folder, base: str, members: list[str]) -> JsonDict:
    if isinstance(obj, SubmissionSet):
        return submission_set_list(obj, members, base)
    return folder_list(obj, members, base)


def search(settings: Settings) -> Response:
    """ITI-66 (ITI TF-2 3.66.4.1.2)."""
    params = search_params()
    wire.check_params(params, LIST_PARAMS)
    base = fhir_base(settings)
    plan = list_query(params, base)
    result = checked(gateway(settings).query(plan))
    kind = ObjectKind.FOLDER if plan.query is FIND_FOLDERS else ObjectKind.SUBMISSION_SET
    found = packages(result, kind)
    matches = [obj for obj in found if all(f(obj) for f in plan.filters)]
    return wire.respond(
        searchset(matches, lambda obj: _to_list(obj, base, []), f"{base}/List", params)
    )


def _members(result: QueryResult, entry_uuid: str) -> list[str]:
    documents = {d.entry_uuid for d in result.documents}
    return [a.target for a in result.associations
            if a.association_type == AssociationType.HAS_MEMBER and a.source == entry_uuid
            and a.target in documents]  # fmt: skip


def read(settings: Settings, resource_id: str) -> Response:
    """List read (FHIR R4 http.html#read): a SubmissionSet or a Folder by entryUUID."""
    entry_uuid = entry_uuid_of(resource_id)
    missing = FhirError.of(404, "not-found", f"List/{resource_id} is not known")
    if not is_uuid_urn(entry_uuid):
        raise missing
    xds = gateway(settings)
    base = fhir_base(settings)
    result = checked(xds.submission_set(entry_uuid))
    sets = packages(result, ObjectKind.SUBMISSION_SET)
    ss = next((s for s in sets if s.entry_uuid == entry_uuid), None)
    if isinstance(ss, SubmissionSet):
        return wire.respond(submission_set_list(ss, _members(result, entry_uuid), base))
    result = checked(xds.folder(entry_uuid))
    folders = packages(result, ObjectKind.FOLDER)
    folder = next((f for f in folders if f.entry_uuid == entry_uuid), None)
    if not isinstance(folder, Folder):
        raise missing
    return wire.respond(folder_list(folder, _members(result, entry_uuid), base))


def register(bp: Blueprint, settings: Settings) -> None:
    """Routes: search (GET, POST ``_search``) and read."""
    bp.add_url_rule("/List", "list_search", lambda: search(settings))
    bp.add_url_rule("/List/_search", "list_search_post", lambda: search(settings),
                    methods=["POST"])  # fmt: skip
    bp.add_url_rule("/List/<resource_id>", "list_read",
                    lambda resource_id: read(settings, resource_id))  # fmt: skip
