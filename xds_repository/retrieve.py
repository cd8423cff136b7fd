"""ITI-43 Retrieve Document Set (ITI TF-2b 3.43.4.1.3): MTOM response streamed from storage.

Each DocumentRequest is answered from the index of *visible* documents; the bytes are not
read here but streamed by the MTOM writer as the response is sent. Missing documents give
one RegistryError each and PartialSuccess when others are returned (ITI TF-2b 3.43.4.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus
from xds_common import soap
from xds_common.dispatch import Attached
from xds_common.ebrim import writer as ebrim_writer
from xds_common.errors import RegistryError, XdsError
from xds_common.mtom import ResponsePart, new_cid, xop_include
from xds_repository.context import RepositoryContext
from xds_repository.tables import DocumentState, StoredDocument

E = ErrorCode
T_REQUEST = ns.qn(ns.XDSB, "DocumentRequest")
T_RESPONSE = ns.qn(ns.XDSB, "RetrieveDocumentSetResponse")
_FIELDS = ("HomeCommunityId", "RepositoryUniqueId", "DocumentUniqueId")


@dataclass(frozen=True)
class DocumentRequest:
    """One xds:DocumentRequest, echoed exactly as sent."""

    home: str
    repository: str
    document: str


def read_requests(body: etree._Element) -> list[DocumentRequest]:
    """The DocumentRequests of a RetrieveDocumentSetRequest (ITI TF-2b 3.43.4.1.2)."""
    found = []
    for node in body.iterchildren(T_REQUEST):
        home, repo, doc = ((node.findtext(ns.qn(ns.XDSB, f)) or "").strip() for f in _FIELDS)
        found.append(DocumentRequest(home, repo, doc))
    if not found:
        raise XdsError(E.REPOSITORY_ERROR, "RetrieveDocumentSetRequest has no DocumentRequest")
    return found


def _document_response(
    parent: etree._Element, request: DocumentRequest, row: StoredDocument, cid: str
) -> None:
    """xds:DocumentResponse in schema order (ITI TF-2b 3.43.4.2.2)."""
    node = etree.SubElement(parent, ns.qn(ns.XDSB, "DocumentResponse"))
    if request.home:
        etree.SubElement(node, ns.qn(ns.XDSB, "HomeCommunityId")).text = request.home
    etree.SubElement(node, ns.qn(ns.XDSB, "RepositoryUniqueId")).text = request.repository
    etree.SubElement(node, ns.qn(ns.XDSB, "DocumentUniqueId")).text = request.document
    etree.SubElement(node, ns.qn(ns.XDSB, "mimeType")).text = row.mime_type
    xop_include(etree.SubElement(node, ns.qn(ns.XDSB, "Document")), cid)


def _lookup(ctx: RepositoryContext, requests: list[DocumentRequest]) -> dict[str, StoredDocument]:
    wanted = [r.document for r in requests if r.repository == ctx.repository_unique_id]
    if not wanted:
        return {}
    with ctx.read() as session:
        rows = session.scalars(
            select(StoredDocument).where(
                StoredDocument.unique_id.in_(wanted),
                StoredDocument.state == DocumentState.VISIBLE,
            )
        )
        return {row.unique_id: row for row in rows}


def _error(ctx: RepositoryContext, request: DocumentRequest) -> RegistryError:
    if request.repository != ctx.repository_unique_id:
        return RegistryError(E.UNKNOWN_REPOSITORY_ID, f"repositoryUniqueId {request.repository} "
                             "is not this repository", request.document)  # fmt: skip
    return RegistryError(E.DOCUMENT_UNIQUE_ID_ERROR, request.document, request.document)


def retrieve(ctx: RepositoryContext, request: soap.SoapRequest) -> Attached:
    """Handle one ITI-43 request: the response envelope plus one MTOM part per document."""
    requests = read_requests(request.body)
    rows = _lookup(ctx, requests)
    response = etree.Element(T_RESPONSE, nsmap={"xdsb": ns.XDSB, "rs": ns.RS})
    errors: list[RegistryError] = []
    parts: list[ResponsePart] = []
    for item in requests:
        row = rows.get(item.document) if item.repository == ctx.repository_unique_id else None
        if row is None:
            errors.append(_error(ctx, item))
            continue
        cid = new_cid()
        _document_response(response, item, row, cid)
        chunks = ctx.store.iter_chunks(row.key)
        parts.append(ResponsePart(cid, row.mime_type, chunks, row.size))
    status = ResponseStatus.SUCCESS
    if errors:
        status = ResponseStatus.PARTIAL_SUCCESS if parts else ResponseStatus.FAILURE
    response.insert(0, ebrim_writer.registry_response(errors, status))
    return Attached(response, parts)


def retrieve_errors(errors: list[RegistryError]) -> etree._Element:
    """The RetrieveDocumentSetResponse for a request that failed as a whole."""
    response = etree.Element(T_RESPONSE, nsmap={"xdsb": ns.XDSB, "rs": ns.RS})
    response.append(ebrim_writer.registry_response(errors))
    return response
