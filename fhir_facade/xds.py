"""The facade's XDS side: ITI-41, ITI-18 and ITI-43 against the configured endpoints.

Mobile Access Gateway pattern (``shared/design/ARCHITECTURE.md``): the facade is an XDS
Document Source and Consumer of ``settings.effective_registry_url`` and
``settings.effective_repository_url`` through :mod:`xds_common.client`, so it works with any
vendor's registry and repository. A registry or repository that cannot be reached (or answers
with a SOAP Fault) becomes a 502 OperationOutcome.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fhir_facade.errors import FhirError
from fhir_facade.translate.search import QueryPlan
from fhir_facade.translate.to_xds import ProvidePlan
from profiles import stored_queries as sq
from profiles.vocabulary import ObjectKind
from xds_common.client import (
    ClientError,
    DocumentPart,
    DocumentRequest,
    QueryResult,
    RegistryClient,
    RegistryResult,
    RepositoryClient,
    RetrieveResult,
    submit_objects_request,
)
from xds_common.ebrim import rim
from xds_common.ebrim.ids import new_uuid
from xds_common.ebrim.writer import association
from xds_common.metadata import Folder, SubmissionSet
from xds_common.settings import Settings


@contextmanager
def _upstream() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        raise FhirError.of(502, "transient", f"XDS endpoint: {exc.message}") from None


class XdsGateway:
    """ITI-41/18/43 for the FHIR facade; one per worker (the clients keep connections)."""

    def __init__(self, settings: Settings, timeout: float = 60.0) -> None:
        self.registry = RegistryClient(settings.effective_registry_url, timeout=timeout)
        self.repository = RepositoryClient(settings.effective_repository_url, timeout=timeout)

    def provide(self, plan: ProvidePlan) -> RegistryResult:
        """ITI-41 Provide and Register for a translated ITI-65 Bundle (ITI TF-2b 3.41).

        The documents go through files (the client streams from files); relationship
        Associations (RPLC/XFRM/APND/signs, ITI TF-3 4.2.2) are added to the request.
        """
        request = submit_objects_request(plan.submission_set, plan.entries)
        object_list = request.find(rim.T_OBJECT_LIST)
        assert object_list is not None
        for kind, source, target in plan.relations:
            object_list.append(association(new_uuid(), kind, source, target))
        with tempfile.TemporaryDirectory(prefix="fhir-iti65-") as staging, _upstream():
            parts = []
            for number, document in enumerate(plan.documents):
                path = Path(staging) / f"document{number}"
                path.write_bytes(document.content)
                parts.append(DocumentPart(document.entry_uuid, path, document.mime_type))
            return self.repository.provide_and_register(request, parts)

    def query(self, plan: QueryPlan) -> QueryResult:
        """ITI-18 Registry Stored Query (LeafClass) for a translated search."""
        with _upstream():
            return self.registry.stored_query(plan.query, plan.params)

    def document(self, entry_uuid: str, associations: bool = False) -> QueryResult:
        """GetDocuments(AndAssociations) for one entryUUID (ITI TF-2a 3.18.4.1.2.3.7)."""
        query = sq.GET_DOCUMENTS_AND_ASSOCIATIONS if associations else sq.GET_DOCUMENTS
        with _upstream():
            return self.registry.stored_query(query, {"$XDSDocumentEntryEntryUUID": [entry_uuid]})

    def submission_set(self, entry_uuid: str) -> QueryResult:
        """GetSubmissionSetAndContents for one entryUUID."""
        query = sq.GET_SUBMISSION_SET_AND_CONTENTS
        with _upstream():
            return self.registry.stored_query(query, {"$XDSSubmissionSetEntryUUID": entry_uuid})

    def folder(self, entry_uuid: str) -> QueryResult:
        """GetFolderAndContents for one entryUUID."""
        with _upstream():
            return self.registry.stored_query(
                sq.GET_FOLDER_AND_CONTENTS, {"$XDSFolderEntryUUID": entry_uuid}
            )

    def retrieve(self, request: DocumentRequest, target_dir: Path) -> RetrieveResult:
        """ITI-43 Retrieve Document Set for one document into ``target_dir`` (streamed)."""
        with _upstream():
            return self.repository.retrieve([request], target_dir)


_GATEWAYS: dict[tuple[str, str], XdsGateway] = {}


def gateway(settings: Settings) -> XdsGateway:
    """The worker's gateway for the configured endpoints (clients load their WSDL once)."""
    key = (settings.effective_registry_url, settings.effective_repository_url)
    if key not in _GATEWAYS:
        _GATEWAYS[key] = XdsGateway(settings)
    return _GATEWAYS[key]


def fhir_base(settings: Settings) -> str:
    """Our FHIR base URL as other systems reach it (``BEELDPORTAAL_PUBLIC_URL`` + ``/fhir``)."""
    return f"{settings.external_base_url}/fhir"


def packages(result: QueryResult, kind: ObjectKind) -> list[SubmissionSet | Folder]:
    """The SubmissionSets or Folders of an ITI-18 answer (ITI TF-2a 3.18.4.1.2.3.7.3/.4).

    A registry returns each RegistryPackage with the Classification that labels it
    SubmissionSet or Folder (ITI TF-3 4.2.3.3, 4.2.3.4); the reader sorts them by that label.
    """
    if kind is ObjectKind.SUBMISSION_SET:
        return [*result.submission_sets]
    return [*result.folders]
