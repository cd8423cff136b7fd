"""Client of an XDS.b Document Repository: ITI-41 Provide and Register, ITI-43 Retrieve.

Both transactions are MTOM/XOP in both directions (ITI TF-2x Appendix V.8). Documents are
streamed from their files into the request and from the answer into files: neither side
holds a document in memory, so 1 GB documents are fine. Works with any vendor's repository.
"""

from __future__ import annotations

import copy
import mimetypes
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from lxml import etree
from requests import Session

from profiles import namespaces as ns
from profiles import transactions as tx
from xds_common.client.envelopes import REPOSITORY, SKIP, Envelopes
from xds_common.client.errors import ClientError, ClientErrorKind
from xds_common.client.results import (
    DocumentPart,
    DocumentRequest,
    RegistryResult,
    RetrievedDocument,
    RetrieveResult,
    response_errors,
)
from xds_common.client.transport import (
    DEFAULT_MAX_ENVELOPE_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    Progress,
    SoapTransport,
    scratch_dir,
)
from xds_common.mtom import MtomError, MtomMessage, ResponsePart, new_cid, xop_include
from xds_common.soap import T_BODY

T_SUBMIT = ns.qn(ns.LCM, "SubmitObjectsRequest")
T_DOCUMENT = ns.qn(ns.XDSB, "Document")
T_DOCUMENT_RESPONSE = ns.qn(ns.XDSB, "DocumentResponse")
T_REGISTRY_RESPONSE = ns.qn(ns.RS, "RegistryResponse")
OCTET_STREAM: Final = "application/octet-stream"

#: File name extensions of the media types XDS documents usually have; others come from
#: the ``mimetypes`` table, and ``.bin`` when nothing is known.
EXTENSIONS: Final[dict[str, str]] = {
    "application/pdf": ".pdf",
    "application/dicom": ".dcm",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "application/hl7-v3+xml": ".xml",
    "text/plain": ".txt",
    "text/html": ".html",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "application/fhir+json": ".json",
    "application/json": ".json",
    "application/zip": ".zip",
    OCTET_STREAM: ".bin",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def extension_for(mime_type: str) -> str:
    """A file name extension (with the dot) for a document's mimeType."""
    media = mime_type.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(media) or mimetypes.guess_extension(media, strict=False) or ".bin"


def safe_name(text: str, limit: int = 100) -> str:
    """``text`` as a portable file name: letters, digits, ``._-``, never hidden or empty."""
    name = _UNSAFE.sub("_", text).strip("._")[:limit]
    return name or "document"


def _unique_path(directory: Path, stem: str, extension: str, taken: set[Path]) -> Path:
    path = directory / f"{stem}{extension}"
    number = 1
    while path in taken:
        number += 1
        path = directory / f"{stem}-{number}{extension}"
    taken.add(path)
    return path


def _file_size(part: DocumentPart) -> int:
    try:
        if not part.path.is_file():
            raise ClientError(ClientErrorKind.LOCAL, f"{part.path} is not a file")
        return part.path.stat().st_size
    except OSError as exc:
        raise ClientError(ClientErrorKind.LOCAL, f"cannot read {part.path}: {exc}") from None


def _child_text(node: etree._Element, local: str) -> str:
    found = node.find(ns.qn(ns.XDSB, local))
    return (found.text or "").strip() if found is not None else ""


class RepositoryClient:
    """Calls one Document Repository endpoint (SOAP 1.2 + MTOM; ITI TF-2x Appendix V.8).

    ``timeout`` bounds each wait for the network (seconds), not a whole transfer.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        session: Session | None = None,
        max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.url = url
        self._envelopes = Envelopes(REPOSITORY, url)
        self._transport = SoapTransport(
            timeout=timeout,
            session=session,
            max_envelope_bytes=max_envelope_bytes,
            max_response_bytes=max_response_bytes,
        )

    def provide_and_register(
        self,
        submit_objects_request: etree._Element,
        documents: Sequence[DocumentPart],
        progress: Progress | None = None,
    ) -> RegistryResult:
        """ITI-41 Provide and Register Document Set-b (ITI TF-2b 3.41).

        ``submit_objects_request`` is sent as it is; each document becomes an
        ``xds:Document`` whose ``@id`` is :attr:`DocumentPart.id` (the ExtrinsicObject's id)
        and whose content is an ``xop:Include`` of a MIME part streamed from its file.
        ``progress`` is called with the bytes sent so far and the request's length.
        """
        if submit_objects_request.tag != T_SUBMIT:
            raise ValueError(f"expected lcm:SubmitObjectsRequest, not {submit_objects_request.tag}")
        sizes = [_file_size(part) for part in documents]
        request = self._envelopes.build(
            tx.ITI_41,
            SubmitObjectsRequest=SKIP,
            Document=[{"_value_1": b"", "id": part.id} for part in documents],
        )
        request.body.insert(0, copy.deepcopy(submit_objects_request))
        parts = []
        elements = list(request.body.iterchildren(T_DOCUMENT))
        for element, part, size in zip(elements, documents, sizes, strict=True):
            cid = new_cid()
            xop_include(element, cid)
            parts.append(ResponsePart(cid, part.mime_type or OCTET_STREAM, part.path, size))
        with self._transport.call(
            self.url, request, scratch_dir(), mtom=True, parts=parts, upload=progress
        ) as message:
            return RegistryResult.read(_payload(message))

    def retrieve(
        self,
        requests: Sequence[DocumentRequest | tuple[str, str] | tuple[str, str, str | None]],
        target_dir: Path,
        progress: Progress | None = None,
    ) -> RetrieveResult:
        """ITI-43 Retrieve Document Set (ITI TF-2b 3.43): documents into ``target_dir``.

        Each document is written to ``<uniqueId><extension from mimeType>`` (made safe for
        file systems; ``-2``, ``-3`` ... when two answers would share a name; an existing
        file of that name is replaced), readable by the owner only (medical documents; mode 0600
        as staged). PartialSuccess and Failure come back as the result's
        status and errors. ``progress`` is called with the bytes received so far and the
        answer's Content-Length.
        """
        wanted = [r if isinstance(r, DocumentRequest) else DocumentRequest(*r) for r in requests]
        if not wanted:
            raise ValueError("no documents to retrieve")
        target_dir.mkdir(parents=True, exist_ok=True)
        request = self._envelopes.build(
            tx.ITI_43,
            DocumentRequest=[
                {
                    "HomeCommunityId": r.home_community_id or None,
                    "RepositoryUniqueId": r.repository_unique_id,
                    "DocumentUniqueId": r.document_unique_id,
                }
                for r in wanted
            ],
        )
        # Staged parts go to target_dir itself, so keeping one is a rename.
        with self._transport.call(
            self.url, request, target_dir, mtom=True, download=progress
        ) as message:
            answer = _payload(message)
            registry_response = answer.find(T_REGISTRY_RESPONSE)
            if registry_response is None:
                raise ClientError(
                    ClientErrorKind.INVALID_RESPONSE,
                    f"{self.url}: RetrieveDocumentSetResponse without rs:RegistryResponse",
                    url=self.url,
                )
            documents = self._keep_all(message, answer, target_dir)
        return RetrieveResult(
            registry_response.get("status", ""), response_errors(registry_response), documents
        )

    def _keep_all(
        self, message: MtomMessage, answer: etree._Element, target_dir: Path
    ) -> list[RetrievedDocument]:
        """Move each DocumentResponse's bytes to its file; on failure remove them again."""
        documents: list[RetrievedDocument] = []
        taken: set[Path] = set()
        try:
            for node in answer.iterchildren(T_DOCUMENT_RESPONSE):
                documents.append(self._keep(message, node, target_dir, taken))
        except BaseException:
            for document in documents:
                document.path.unlink(missing_ok=True)
            raise
        return documents

    def _keep(
        self, message: MtomMessage, node: etree._Element, target_dir: Path, taken: set[Path]
    ) -> RetrievedDocument:
        unique_id = _child_text(node, "DocumentUniqueId")
        mime_type = _child_text(node, "mimeType")
        content = node.find(T_DOCUMENT)
        if content is None:
            raise ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"{self.url}: DocumentResponse for {unique_id!r} has no Document",
                url=self.url,
            )
        try:
            staged = message.content(content)
        except MtomError as exc:
            raise ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"{self.url}: the content of document {unique_id!r} is unreadable: {exc}",
                url=self.url,
            ) from None
        path = _unique_path(target_dir, safe_name(unique_id), extension_for(mime_type), taken)
        message.keep(staged, path)
        return RetrievedDocument(
            repository_unique_id=_child_text(node, "RepositoryUniqueId"),
            document_unique_id=unique_id,
            mime_type=mime_type,
            path=path,
            size=staged.size,
            sha1=staged.sha1,
            home_community_id=_child_text(node, "HomeCommunityId"),
            new_repository_unique_id=_child_text(node, "NewRepositoryUniqueId"),
            new_document_unique_id=_child_text(node, "NewDocumentUniqueId"),
        )


def _payload(message: MtomMessage) -> etree._Element:
    body = message.envelope.find(T_BODY)
    assert body is not None
    return body[0]
