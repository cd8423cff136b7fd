"""RAD-69 Retrieve Imaging Document Set at ``/xds/imaging-source`` (RAD TF-3 4.69).

The Imaging Document Source answers a RetrieveImagingDocumentSetRequest with the ITI-43
``xds:RetrieveDocumentSetResponse`` (RAD TF-3 4.69.4.2.2): one ``DocumentResponse`` per
returned instance, its Part 10 file an MTOM/XOP attachment (``application/dicom``) streamed
from the instance store with a known Content-Length (ITI TF-2x Appendix V.8). Each instance
that cannot be returned gets one RegistryError with its SOP Instance UID as ``location``, and
the status is PartialSuccess when others were returned, Failure when none were (RAD TF-3
4.69.4.2.3, with the ITI-43 semantics of ITI TF-2b 3.43.4.2.3):

=======================================================  ========================
the DocumentRequest's study or series UID is empty       XDSIRequestError
RepositoryUniqueId is not this Imaging Document Source   XDSUnknownRepositoryId
SOP Instance UID unknown, or in another study/series     XDSDocumentUniqueIdError
none of the requested transfer syntaxes can be produced  XDSRepositoryError
=======================================================  ========================

``XDSIRequestError`` is the code NIST's XDS-I test kit (ids_4812, ids_2018-4811) asserts
for an empty study or series UID; the other codes are ITI TF-3 Table 4.2.4.1-2 codes.
HomeCommunityId is optional (it matters to XCA-I gateways) and echoed as sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import cast

from flask import Blueprint, Response, request
from lxml import etree
from sqlalchemy import Table, select

from imaging_source.context import ImagingContext
from imaging_source.index.reader import InstanceFile
from imaging_source.index.tables import ImagingInstance
from imaging_source.rad69_request import ImagingRetrieve, InstanceRequest, read_request
from imaging_source.rad69_syntax import StagedCopy, TranscodeError, choose, transcode
from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus
from profiles.xdsi import MANIFEST_MIME_TYPE
from xds_common import soap
from xds_common.dispatch import Attached, Dispatcher, Reply
from xds_common.ebrim import writer as ebrim_writer
from xds_common.errors import RegistryError
from xds_common.mtom import ResponsePart, new_cid, xop_include
from xds_common.wsdl import serve as wsdl

ENDPOINT = "/xds/imaging-source"
E = ErrorCode
T_RESPONSE = ns.qn(ns.XDSB, "RetrieveDocumentSetResponse")
#: Every returned object is a DICOM Part 10 file (RAD TF-3 4.69.4.2.2).
DICOM_MIME_TYPE = MANIFEST_MIME_TYPE
_INSTANCES = cast(Table, ImagingInstance.__table__)
_IN_BATCH = 500  # bound the IN list (SQLite allows 32766 variables, PostgreSQL 65535)


def lookup(ctx: ImagingContext, uids: Iterable[str]) -> dict[str, InstanceFile]:
    """The stored files of the instances ``uids`` that are in the index, by SOP Instance UID."""
    c = _INSTANCES.c
    wanted = sorted({uid for uid in uids if uid})
    found: dict[str, InstanceFile] = {}
    with ctx.read() as session:
        for start in range(0, len(wanted), _IN_BATCH):
            rows = session.execute(
                select(
                    c.sop_instance_uid,
                    c.study_instance_uid,
                    c.series_instance_uid,
                    c.sop_class_uid,
                    c.transfer_syntax_uid,
                    c.file_key,
                    c.size,
                    c.sha1,
                ).where(c.sop_instance_uid.in_(wanted[start : start + _IN_BATCH]))
            )
            found.update((row[0], InstanceFile(*row)) for row in rows)
    return found


def _checked(
    ctx: ImagingContext, item: InstanceRequest, row: InstanceFile | None
) -> InstanceFile | RegistryError:
    """The stored instance ``item`` asks for, or why it cannot be returned at all."""
    uid = item.document
    if not item.study or not item.series:
        return RegistryError(E.XDSI_REQUEST_ERROR, "StudyRequest/@studyInstanceUID and "
                             "SeriesRequest/@seriesInstanceUID must not be empty", uid)  # fmt: skip
    if item.repository != ctx.settings.imaging_source_unique_id:
        return RegistryError(E.UNKNOWN_REPOSITORY_ID, f"RepositoryUniqueId {item.repository!r} "
                             "is not this Imaging Document Source", uid)  # fmt: skip
    if row is None:
        return RegistryError(E.DOCUMENT_UNIQUE_ID_ERROR, f"SOP Instance {uid!r} is not "
                             "available from this Imaging Document Source", uid)  # fmt: skip
    if (row.study_instance_uid, row.series_instance_uid) != (item.study, item.series):
        return RegistryError(E.DOCUMENT_UNIQUE_ID_ERROR, f"SOP Instance {uid} is not in "
                             f"study {item.study} series {item.series}", uid)  # fmt: skip
    return row


def _intact(path: Path, size: int) -> bool:
    """Whether the stored file is there with the size the index recorded."""
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _part(
    ctx: ImagingContext, row: InstanceFile, syntaxes: tuple[str, ...]
) -> ResponsePart | RegistryError:
    """The attachment of one instance in an acceptable transfer syntax, or the error when
    there is none (RAD TF-3 4.69.4.2.3)."""
    choice = choose(row.transfer_syntax_uid, syntaxes, row.size)
    uid = row.sop_instance_uid
    if choice is None:
        return RegistryError(E.REPOSITORY_ERROR, "cannot encode the instance in any of the "
                             f"requested transfer syntaxes {list(syntaxes)} (stored as "
                             f"{row.transfer_syntax_uid})", uid)  # fmt: skip
    stored = ctx.store.path_of(row.file_key)
    if not _intact(stored, row.size):
        return RegistryError(E.REPOSITORY_ERROR, "the stored file of the instance is missing "
                             "or damaged", uid)  # fmt: skip
    if not choice.transcode:
        return ResponsePart(new_cid(), DICOM_MIME_TYPE, stored, row.size)
    try:
        path, size = transcode(ctx.store, stored, choice.transfer_syntax)
    except TranscodeError as exc:
        return RegistryError(E.REPOSITORY_ERROR, str(exc), uid)
    return ResponsePart(new_cid(), DICOM_MIME_TYPE, StagedCopy(path), size)


def _document_response(parent: etree._Element, item: InstanceRequest, cid: str) -> None:
    """xds:DocumentResponse in schema order, echoing the request (ITI TF-2b 3.43.4.2.2)."""
    node = etree.SubElement(parent, ns.qn(ns.XDSB, "DocumentResponse"))
    if item.home:
        etree.SubElement(node, ns.qn(ns.XDSB, "HomeCommunityId")).text = item.home
    etree.SubElement(node, ns.qn(ns.XDSB, "RepositoryUniqueId")).text = item.repository
    etree.SubElement(node, ns.qn(ns.XDSB, "DocumentUniqueId")).text = item.document
    etree.SubElement(node, ns.qn(ns.XDSB, "mimeType")).text = DICOM_MIME_TYPE
    xop_include(etree.SubElement(node, ns.qn(ns.XDSB, "Document")), cid)


def _status(errors: list[RegistryError], parts: list[ResponsePart]) -> ResponseStatus:
    if not errors:
        return ResponseStatus.SUCCESS
    return ResponseStatus.PARTIAL_SUCCESS if parts else ResponseStatus.FAILURE


def answer(ctx: ImagingContext, wanted: ImagingRetrieve) -> Attached:
    """The RetrieveDocumentSetResponse for a parsed request: parts plus per-instance errors."""
    rows = lookup(ctx, (item.document for item in wanted.instances))
    response = etree.Element(T_RESPONSE, nsmap={"xdsb": ns.XDSB, "rs": ns.RS})
    errors: list[RegistryError] = []
    parts: list[ResponsePart] = []
    for item in wanted.instances:
        found = _checked(ctx, item, rows.get(item.document))
        part = (
            _part(ctx, found, wanted.transfer_syntaxes)
            if isinstance(found, InstanceFile)
            else found
        )
        if isinstance(part, RegistryError):
            errors.append(part)
            continue
        _document_response(response, item, part.cid)
        parts.append(part)
    response.insert(0, ebrim_writer.registry_response(errors, _status(errors, parts)))
    return Attached(response, parts)


def retrieve_imaging(ctx: ImagingContext, request: soap.SoapRequest) -> Attached:
    """Handle one RAD-69 request (RAD TF-3 4.69.4.1.3)."""
    return answer(ctx, read_request(request.body))


def retrieve_errors(errors: list[RegistryError]) -> etree._Element:
    """The RetrieveDocumentSetResponse (Failure) for a request that failed as a whole."""
    response = etree.Element(T_RESPONSE, nsmap={"xdsb": ns.XDSB, "rs": ns.RS})
    response.append(ebrim_writer.registry_response(errors))
    return response


def build_dispatcher(ctx: ImagingContext) -> Dispatcher:
    """The Imaging Document Source's SOAP transaction (RAD-69)."""
    dispatcher = Dispatcher(max_bytes=ctx.settings.max_soap_bytes)
    dispatcher.add(tx.RAD_69, lambda r: retrieve_imaging(ctx, r), retrieve_errors)
    return dispatcher


def handle(ctx: ImagingContext, dispatcher: Dispatcher) -> Reply:
    """Read the (plain SOAP or MTOM) request with bounded memory and dispatch it.

    RAD-69 requests carry no attachments, so the whole package is limited to the SOAP size
    limit; larger ones get HTTP 413 with a SOAP Fault, unread.
    """
    limit = ctx.settings.max_soap_bytes
    return dispatcher.dispatch_stream(
        request.stream,
        request.content_type or "",
        request.content_length,
        ctx.store.root / "staging",
        max_root_bytes=limit,
        max_total_bytes=limit,
    )


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """``POST /xds/imaging-source`` (RAD-69); ``GET ?wsdl`` its WSDL, plain GET describes it."""
    dispatcher = build_dispatcher(ctx)

    @bp.post(ENDPOINT)
    def imaging_source_soap() -> Response:
        reply = handle(ctx, dispatcher)
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        if reply.length is not None:
            response.content_length = reply.length
        return response

    @bp.get(ENDPOINT)
    def imaging_source_describe() -> Response:
        if "wsdl" in {k.lower() for k in request.args}:
            address = request.host_url.rstrip("/") + ENDPOINT
            text = wsdl.wsdl_text("imaging-source.wsdl", address)
            return Response(text, content_type=wsdl.WSDL_CONTENT_TYPE)
        text = "POST SOAP 1.2 / MTOM requests here (RAD-69 Retrieve Imaging Document Set)\n"
        return Response(text, 200, content_type="text/plain")
