"""ITI-68 Retrieve Document: ``GET /fhir/Binary/<id>`` (MHD 4.2.3 ITI TF-2 3.68).

``<id>`` is the DocumentEntry's entryUUID (the ``content.attachment.url`` of our
DocumentReferences). The facade asks the registry for the entry (GetDocuments: repository,
uniqueId, mimeType), retrieves it with ITI-43 into a private temporary folder and streams the
file to the client with the entry's mimeType; the folder is removed when the answer is done.
Unknown id: 404; an ``Accept`` that excludes the document's type: 406 (3.68.4.2). A client
that asks for ``application/fhir+json`` / ``+xml`` explicitly gets a Binary resource instead
(FHIR R4 binary.html#rest).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from flask import Blueprint, Response, request

from fhir_facade import wire
from fhir_facade.capability import ResourceSupport
from fhir_facade.document_reference import checked
from fhir_facade.errors import FhirError, from_xds
from fhir_facade.translate.values import entry_uuid_of, resource_id
from fhir_facade.xds import gateway
from profiles.errors import ErrorCode
from xds_common.client import DocumentRequest, RetrievedDocument
from xds_common.datatypes import is_uuid_urn
from xds_common.metadata import DocumentEntry
from xds_common.settings import Settings

SUPPORT = ResourceSupport(
    type="Binary",
    interactions=("read",),
    documentation="ITI-68 Retrieve Document (-> ITI-43), the document's own bytes and type.",
)
CHUNK: Final = 256 * 1024


def _entry(settings: Settings, rid: str) -> DocumentEntry:
    entry_uuid = entry_uuid_of(rid)
    missing = FhirError.of(404, "not-found", f"Binary/{rid} is not known")
    if not is_uuid_urn(entry_uuid):
        raise missing
    result = checked(gateway(settings).document(entry_uuid))
    entry = next((d for d in result.documents if d.entry_uuid == entry_uuid), None)
    if entry is None or not entry.repository_unique_id:
        raise missing
    return entry


def _wants_resource() -> bool:
    asked = request.args.get("_format", "") or request.headers.get("Accept", "")
    return "fhir+json" in asked or "fhir+xml" in asked or asked in ("json", "xml")


def _stream(path: Path, folder: str) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fetch(settings: Settings, entry: DocumentEntry, folder: str) -> RetrievedDocument:
    wanted = DocumentRequest(entry.repository_unique_id, entry.unique_id, None)
    result = gateway(settings).retrieve(wanted, Path(folder))
    if not result.success or not result.documents:
        gone = (ErrorCode.DOCUMENT_UNIQUE_ID_ERROR, ErrorCode.MISSING_DOCUMENT)
        if any(e.code in gone for e in result.errors):
            raise FhirError.of(404, "not-found", f"document {entry.unique_id} is not available")
        raise from_xds([(e.code, e.context, e.is_error) for e in result.errors])
    return result.documents[0]


def read(settings: Settings, rid: str) -> Response:
    """ITI-68 (ITI TF-2 3.68.4.1.3): the document bytes, streamed."""
    entry = _entry(settings, rid)
    as_resource = _wants_resource()
    accept = request.accept_mimetypes
    if (
        not as_resource
        and request.headers.get("Accept")
        and not accept.best_match([entry.mime_type])
    ):
        raise FhirError.of(406, "not-supported", f"the document is {entry.mime_type}")
    folder = tempfile.mkdtemp(prefix="fhir-iti68-")
    try:
        document = _fetch(settings, entry, folder)
        if as_resource:
            data = base64.b64encode(document.path.read_bytes()).decode()
            binary = {"resourceType": "Binary", "id": resource_id(entry.entry_uuid),
                      "contentType": entry.mime_type, "data": data}  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
            return wire.respond(binary)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Response(
        _stream(document.path, folder),
        content_type=entry.mime_type or document.mime_type,
        headers={"Content-Length": str(document.size)},
        direct_passthrough=True,
    )


def register(bp: Blueprint, settings: Settings) -> None:
    """Route: ``GET /fhir/Binary/<id>``."""
    bp.add_url_rule("/Binary/<rid>", "binary_read", lambda rid: read(settings, rid))
