"""ITI-41 Provide and Register Document Set-b (ITI TF-2b 3.41.4.1.3).

Stage, register, then commit or discard: the attachments were staged and hashed while the
request streamed in; here the documents are paired with their DocumentEntries and checked,
``repositoryUniqueId``/``hash``/``size`` are set, the bytes are stored under a *pending*
index row, ITI-42 goes to the registry, and the rows become visible only when it answers
Success. Registry errors come back to the caller unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus, SlotName
from xds_common import soap
from xds_common.ebrim import rim
from xds_common.ebrim import writer as ebrim_writer
from xds_common.ebrim.reader import read_object_list
from xds_common.errors import ErrorCollector, XdsError
from xds_common.metadata import DocumentEntry
from xds_common.mtom import MtomError, StagedPart
from xds_repository.context import RepositoryContext
from xds_repository.store import document_key
from xds_repository.tables import DocumentState, StoredDocument

E = ErrorCode
T_SUBMIT = ns.qn(ns.LCM, "SubmitObjectsRequest")
T_DOCUMENT = ns.qn(ns.XDSB, "Document")


@dataclass(frozen=True)
class Incoming:
    """A DocumentEntry, its ExtrinsicObject element and its staged bytes."""

    entry: DocumentEntry
    element: etree._Element
    part: StagedPart


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def _pair(request: soap.SoapRequest, out: ErrorCollector) -> tuple[etree._Element, list[Incoming]]:
    """Pair each xds:Document with its DocumentEntry by id (ITI TF-2b 3.41.4.1.3 step 1)."""
    submit = request.body.find(T_SUBMIT)
    if submit is None or request.message is None:
        raise XdsError(E.REPOSITORY_METADATA_ERROR, "no lcm:SubmitObjectsRequest in the request")
    result = read_object_list(submit.find(rim.T_OBJECT_LIST))
    documents = {d.get("id", ""): d for d in request.body.iterchildren(T_DOCUMENT)}
    incoming = []
    for de in result.submission.documents:
        content = documents.pop(de.entry_uuid, None)
        if content is None:
            out.add(
                E.MISSING_DOCUMENT, f"DocumentEntry {de.entry_uuid} has no document", de.entry_uuid
            )
            continue
        try:
            part = request.message.content(content)
        except MtomError as exc:
            out.add(E.MISSING_DOCUMENT, f"document {de.entry_uuid}: {exc.reason}", de.entry_uuid)
            continue
        incoming.append(Incoming(de, result.raw[de.entry_uuid].element, part))
    for ident in documents:
        out.add(E.MISSING_DOCUMENT_METADATA, f"document {ident} has no DocumentEntry", ident)
    return submit, incoming


def _check(incoming: list[Incoming], out: ErrorCollector) -> None:
    """Supplied hash and size must match the bytes; uniqueIds unique in the message."""
    for doc in incoming:
        de, part = doc.entry, doc.part
        if de.hash and de.hash.lower() != part.sha1:
            out.add(E.REPOSITORY_METADATA_ERROR, f"DocumentEntry {de.entry_uuid}: hash {de.hash} "
                    f"does not match the document ({part.sha1})", de.entry_uuid)  # fmt: skip
        if de.size and de.size != str(part.size):
            out.add(E.REPOSITORY_METADATA_ERROR, f"DocumentEntry {de.entry_uuid}: size {de.size} "
                    f"does not match the document ({part.size})", de.entry_uuid)  # fmt: skip
    counts = Counter(d.entry.unique_id for d in incoming)
    for unique_id, n in counts.items():
        if n > 1:
            out.add(E.REPOSITORY_DUPLICATE_UNIQUE_ID_IN_MESSAGE,
                    f"uniqueId {unique_id} appears {n} times in the submission")  # fmt: skip


def _existing(session: Session, incoming: list[Incoming], out: ErrorCollector) -> set[str]:
    """uniqueIds already stored: identical bytes are accepted (not stored twice)."""
    same = set()
    for doc in incoming:
        row = session.get(StoredDocument, doc.entry.unique_id)
        if row is None:
            continue
        if row.hash != doc.part.sha1:
            out.add(E.NON_IDENTICAL_HASH, f"uniqueId {doc.entry.unique_id} is stored with "
                    f"other content", doc.entry.entry_uuid)  # fmt: skip
        elif row.size != doc.part.size:
            out.add(E.NON_IDENTICAL_SIZE, f"uniqueId {doc.entry.unique_id} is stored with "
                    "another size", doc.entry.entry_uuid)  # fmt: skip
        else:
            same.add(doc.entry.unique_id)
    return same


def _set_slot(element: etree._Element, name: str, value: str) -> None:
    """Set a single-valued slot, replacing what the sender put (step 7)."""
    for slot in element.findall(rim.T_SLOT):
        if slot.get("name") == name:
            element.remove(slot)
    slot = etree.Element(rim.T_SLOT, name=name)
    etree.SubElement(etree.SubElement(slot, rim.T_VALUE_LIST), rim.T_VALUE).text = value
    element.insert(0, slot)


def _annotate(ctx: RepositoryContext, incoming: list[Incoming]) -> None:
    for doc in incoming:
        _set_slot(doc.element, SlotName.REPOSITORY_UNIQUE_ID, ctx.repository_unique_id)
        _set_slot(doc.element, SlotName.HASH, doc.part.sha1)
        _set_slot(doc.element, SlotName.SIZE, str(doc.part.size))


def _store(ctx: RepositoryContext, incoming: list[Incoming], reuse: set[str]) -> list[str]:
    """Store bytes, then the pending index rows (step 8: stored before the registry call)."""
    stored = []
    with ctx.write() as session, session.begin():
        for doc in incoming:
            unique_id = doc.entry.unique_id
            if unique_id in reuse:
                continue
            key = document_key(unique_id)
            ctx.store.put(key, doc.part.path, doc.part.sha1, doc.part.size, doc.entry.mime_type)
            stored.append(unique_id)
            session.add(StoredDocument(
                unique_id=unique_id, key=key, mime_type=doc.entry.mime_type,
                hash=doc.part.sha1, size=doc.part.size, state=DocumentState.PENDING,
                created=_now(),
            ))  # fmt: skip
    return stored


def discard(ctx: RepositoryContext, unique_ids: list[str]) -> None:
    """Remove pending documents: bytes and rows (registration failed or never happened)."""
    for unique_id in unique_ids:
        ctx.store.delete(document_key(unique_id))
    with ctx.write() as session, session.begin():
        session.execute(delete(StoredDocument).where(StoredDocument.unique_id.in_(unique_ids)))


def publish(ctx: RepositoryContext, unique_ids: list[str]) -> None:
    """Make pending documents retrievable (the registry answered Success)."""
    with ctx.write() as session, session.begin():
        session.execute(
            update(StoredDocument)
            .where(StoredDocument.unique_id.in_(unique_ids))
            .values(state=DocumentState.VISIBLE)
        )


def provide(ctx: RepositoryContext, request: soap.SoapRequest) -> etree._Element:
    """Handle one ITI-41 request; answer the registry's RegistryResponse (or our errors)."""
    out = ErrorCollector()
    submit, incoming = _pair(request, out)
    _check(incoming, out)
    with ctx.read() as session:
        reuse = _existing(session, incoming, out)
    out.raise_if_errors()
    _annotate(ctx, incoming)
    stored = _store(ctx, incoming, reuse)
    try:
        status, errors = ctx.register(submit)
    except Exception:
        discard(ctx, stored)
        raise
    if status == ResponseStatus.SUCCESS:
        publish(ctx, stored)
    else:
        discard(ctx, stored)
    return ebrim_writer.registry_response(errors, ResponseStatus(status))
