"""ITI-42 Register Document Set-b (ITI TF-2b 3.42.4.1.3): validate, assign ids, commit atomically.

Nothing becomes visible before the one database transaction commits; any error rolls the
whole submission back and answers Failure with every error found.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, Status
from xds_common import soap
from xds_common.ebrim import writer as ebrim_writer
from xds_common.ebrim.reader import ReadResult
from xds_common.errors import ErrorCollector
from xds_common.metadata import Submission
from xds_common.submission_checks import check_register, read_submission
from xds_registry import relations
from xds_registry.context import RegistryContext, now_dtm
from xds_registry.storage import objects, versions
from xds_registry.storage import patients as patient_store
from xds_registry.storage.tables import DocumentRow
from xds_registry.stored import member_links, stored_xml

E = ErrorCode


def check_new_uuids(
    session: Session, result: ReadResult, mapping: dict[str, str], out: ErrorCollector
) -> None:
    """entryUUIDs sent as UUIDs must not be registered already (ITI TF-3 4.2.3.1.5)."""
    assigned = set(mapping.values())
    sent = [uuid for uuid in result.raw if uuid not in assigned]
    for uuid, kind in sorted(versions.kinds(session, sent).items()):
        out.add(E.REGISTRY_METADATA_ERROR, f"entryUUID {uuid} is already used by a {kind}", uuid)


def check_patient(session: Session, patient_id: str, out: ErrorCollector) -> None:
    """The patient id must be known from the identity feed and not merged away (TF-2b 3.42)."""
    if patient_id and not patient_store.is_active(session, patient_id):
        out.add(E.UNKNOWN_PATIENT_ID, patient_id)


def check_unique_ids(session: Session, sub: Submission, out: ErrorCollector) -> None:
    """SS/FD uniqueIds are new; a reused DE uniqueId needs the same hash and size."""
    packages = [o.unique_id for o in sub.submission_sets] + [o.unique_id for o in sub.folders]
    taken = objects.unique_ids_in_use(session, packages)
    for unique_id in sorted(taken):
        out.add(E.DUPLICATE_UNIQUE_ID_IN_REGISTRY, f"uniqueId {unique_id} is already registered")
    stored = objects.documents_by_unique_id(session, [d.unique_id for d in sub.documents])
    for de in sub.documents:
        latest: dict[str, DocumentRow] = {}
        for row in stored:
            if row.unique_id == de.unique_id and row.version >= latest.get(row.lid, row).version:
                latest[row.lid] = row
        rows = list(latest.values())
        hashes = {(r.hash or "").lower() for r in rows} - {de.hash.lower()}
        sizes = {str(r.size) for r in rows} - {de.size}
        if hashes:
            out.add(E.NON_IDENTICAL_HASH, f"uniqueId {de.unique_id} is registered with hash "
                    f"{hashes.pop()}, this submission has {de.hash}", de.entry_uuid)  # fmt: skip
        elif sizes:
            out.add(E.NON_IDENTICAL_SIZE, f"uniqueId {de.unique_id} is registered with size "
                    f"{sizes.pop()}, this submission has {de.size}", de.entry_uuid)  # fmt: skip


def store(session: Session, result: ReadResult, fx: relations.Effects, when: str) -> list[str]:
    """Insert the submission's objects and apply its side effects; return new UUIDs."""
    sub = result.submission
    rows: objects.Rows = []
    for ss in sub.submission_sets:
        rows += objects.submission_set_rows(ss, stored_xml(result, ss.entry_uuid))
    for de in sub.documents:
        de.availability_status = Status.APPROVED
        rows += objects.document_rows(de, stored_xml(result, de.entry_uuid, 1))
    for fd in sub.folders:
        fd.availability_status = Status.APPROVED
        rows += objects.folder_rows(fd, stored_xml(result, fd.entry_uuid, 1), when)
    for assoc in sub.associations:
        assoc.availability_status = Status.APPROVED
        rows += objects.association_rows(assoc, stored_xml(result, assoc.entry_uuid))
    ss_uuid = sub.submission_sets[0].entry_uuid
    inherited = ((AssociationType.HAS_MEMBER, folder, doc) for folder, doc in fx.inherited)
    link_rows, created = member_links(ss_uuid, inherited)
    rows += link_rows
    objects.insert_rows(session, rows)
    objects.set_document_status(session, sorted(fx.deprecate), Status.DEPRECATED)
    objects.touch_folders(session, sorted(fx.touched_folders), when)
    return created


def register(ctx: RegistryContext, request: soap.SoapRequest) -> etree._Element:
    """Handle one ITI-42 request and return its RegistryResponse."""
    result, mapping = read_submission(request.body)
    out = ErrorCollector()
    patient_id = check_register(result, out)
    out.raise_if_errors()
    with ctx.write() as session, session.begin():
        check_new_uuids(session, result, mapping, out)
        check_patient(session, patient_id, out)
        check_unique_ids(session, result.submission, out)
        ends = relations.resolve_ends(session, result.submission)
        fx = relations.check_associations(result.submission, ends, out)
        out.raise_if_errors()
        relations.replacement_effects(session, result.submission, fx)
        store(session, result, fx, now_dtm())
    return ebrim_writer.registry_response(out.warnings)
