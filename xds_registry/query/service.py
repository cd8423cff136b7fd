"""ITI-18 Registry Stored Query: request in, ``query:AdhocQueryResponse`` out (ITI TF-2a 3.18).

Parse and validate the request, run the finder registered for the query id, apply the
result rules (ITI TF-2a 3.18.4.1.3: XDSTooManyResults, XDSResultNotSinglePatient), then
answer with ObjectRefs (ids only) or LeafClass objects rendered from their stored XML
with the registry-owned values (status, version, surviving patient id, lastUpdateTime).
Protocol errors are raised as ``XdsError``; the dispatcher renders them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import ObjectKind, ResponseStatus
from xds_common.ebrim.writer import (
    Overlay,
    object_ref_response,
    query_response,
    query_response_text,
    render,
    render_text,
)
from xds_common.errors import RegistryError, XdsError
from xds_common.query.params import ParsedQuery, parse_request
from xds_common.xml import to_bytes
from xds_registry.query.filters import Column
from xds_registry.query.finders import FINDERS
from xds_registry.query.lookups import chunks
from xds_registry.query.model import Found, Hit, QueryConfig, QueryContext
from xds_registry.storage import patients
from xds_registry.storage.tables import (
    AssociationRow,
    DocumentRow,
    FolderRow,
    SubmissionSetRow,
)

__all__ = ["QueryConfig", "error_response", "execute", "run_stored_query"]

log = logging.getLogger(__name__)

#: Where each kind keeps its stored XML: (entryUUID column, XML column).
_XML: Final[dict[ObjectKind, tuple[Column, Column]]] = {
    ObjectKind.DOCUMENT_ENTRY: (DocumentRow.entry_uuid, DocumentRow.xml),
    ObjectKind.SUBMISSION_SET: (SubmissionSetRow.entry_uuid, SubmissionSetRow.xml),
    ObjectKind.FOLDER: (FolderRow.entry_uuid, FolderRow.xml),
    ObjectKind.ASSOCIATION: (AssociationRow.entry_uuid, AssociationRow.xml),
}


def execute(session: Session, query: ParsedQuery, config: QueryConfig) -> Found:
    """Run the finder of ``query`` and enforce the result limit (ITI TF-2a 3.18.4.1.3)."""
    found = FINDERS[query.spec.id](QueryContext(session, query, config))
    if len(found) > config.result_limit:
        raise XdsError(
            ErrorCode.TOO_MANY_RESULTS,
            f"{query.spec.name} found {len(found)} objects, more than the limit of "
            f"{config.result_limit}; narrow the query or ask for ObjectRefs in parts",
        )
    return found


def _surviving(session: Session, found: Found) -> dict[str, str]:
    """Each patient id in the result → the id that survives its merges (ITI TF-2a 3.18.4.1.3)."""
    ids = {hit.patient_id for hit in found if hit.patient_id}
    return {pid: patients.surviving_id(session, pid) for pid in ids}


def _check_single_patient(query: ParsedQuery, surviving: dict[str, str]) -> None:
    """XDSResultNotSinglePatient for a LeafClass answer spanning patients (3.18.4.1.2.3.7)."""
    distinct = sorted(set(surviving.values()))
    if query.spec.single_patient and len(distinct) > 1:
        raise XdsError(
            ErrorCode.RESULT_NOT_SINGLE_PATIENT,
            f"{query.spec.name} result spans patients {', '.join(distinct)}",
        )


def _stored_xml(session: Session, kind: ObjectKind, uuids: Iterable[str]) -> dict[str, str]:
    id_column, xml_column = _XML[kind]
    xml: dict[str, str] = {}
    for chunk in chunks(uuids):
        rows = session.execute(select(id_column, xml_column).where(id_column.in_(chunk)))
        xml.update((uuid, text) for uuid, text in rows)
    return xml


def _overlay(hit: Hit, home: str, surviving: dict[str, str]) -> Overlay:
    current = surviving.get(hit.patient_id, hit.patient_id)
    return Overlay(
        status=hit.status,
        home=home,
        lid=hit.lid,
        version=hit.version,
        patient_id=current if current != hit.patient_id else "",
        last_update_time=hit.last_update_time,
    )


def _render(stored_xml: str, overlay: Overlay) -> str:
    fast = render_text(stored_xml, overlay)
    return fast if fast is not None else to_bytes(render(stored_xml, overlay)).decode()


def _leaf_objects(
    session: Session, found: Found, home: str, surviving: dict[str, str]
) -> list[str]:
    """Render every hit from its stored XML (batch-loaded per table), serialised."""
    xml: dict[str, str] = {}
    for kind in _XML:
        xml.update(_stored_xml(session, kind, (h.entry_uuid for h in found if h.kind is kind)))
    return [_render(xml[h.entry_uuid], _overlay(h, home, surviving)) for h in found]


def run_stored_query(
    session: Session, request: etree._Element, config: QueryConfig
) -> etree._Element | bytes:
    """ITI TF-2a 3.18.4.1 Registry Stored Query: the AdhocQueryResponse for ``request``."""
    query = parse_request(request)
    if query.ignored:
        log.info("%s: ignored unknown parameters %s", query.spec.name, ", ".join(query.ignored))
    found = execute(session, query, config)
    home = config.home_community_id
    if not query.leaf_class:
        return object_ref_response((hit.entry_uuid for hit in found), home)
    surviving = _surviving(session, found)
    _check_single_patient(query, surviving)
    objects = _leaf_objects(session, found, home, surviving)
    return query_response_text(objects, ResponseStatus.SUCCESS)


def error_response(errors: list[RegistryError]) -> etree._Element:
    """The AdhocQueryResponse for a failed query: status Failure, no objects (3.18.4.1.3)."""
    return query_response([], errors)
