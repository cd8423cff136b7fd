"""SQL conditions on the object tables built from stored-query parameters (3.18.4.1.2.3.5-7).

Each table maps a parameter to the column it filters, so every query that declares a
parameter filters it the same way. Only columns of the object's own row are used here,
so the planner drives each query by the object table's index (FindDocuments:
``patient_id, status, class_code``); multi-valued codes, authors and reference ids are
checked afterwards on the candidates (``refine``).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from profiles.vocabulary import AssociationType, DocumentAvailability, DocumentEntryType, Status
from xds_common.query import names as n
from xds_common.query.params import ParsedQuery
from xds_registry.storage.tables import AssociationRow, DocumentRow, FolderRow, SubmissionSetRow

Condition = ColumnElement[bool]
Column = InstrumentedAttribute[Any]

D, S, F, A = DocumentRow, SubmissionSetRow, FolderRow, AssociationRow

#: Association types a Metadata-Level-1 consumer does not know (ITI-57 supplement).
_UPDATE_TYPES: Final = (
    AssociationType.UPDATE_AVAILABILITY_STATUS,
    AssociationType.SUBMIT_ASSOCIATION,
)

#: Parameters matched with IN on one column of the object's own row (3.18.4.1.2.3.7).
_DE_IN: Final[dict[str, Column]] = {
    n.DE_CLASS_CODE: D.class_code,
    n.DE_TYPE_CODE: D.type_code,
    n.DE_PRACTICE_SETTING_CODE: D.practice_setting_code,
    n.DE_HCFT_CODE: D.hcft_code,
    n.DE_FORMAT_CODE: D.format_code,
    n.DE_STATUS: D.status,
}
_SS_IN: Final[dict[str, Column]] = {
    n.SS_SOURCE_ID: S.source_id,
    n.SS_CONTENT_TYPE: S.content_type_code,
    n.SS_STATUS: S.status,
}
_FD_IN: Final[dict[str, Column]] = {n.FD_STATUS: F.status}

#: Time ranges: (From, To, column, rows the bounds do not apply to) — 3.18.4.1.2.3.6.
Range = tuple[str, str, Column, Condition | None]
_DE_RANGES: Final[tuple[Range, ...]] = (
    # On-Demand entries have no creationTime; its bounds do not apply to them.
    (
        n.DE_CREATION_FROM,
        n.DE_CREATION_TO,
        D.creation_time,
        D.object_type == DocumentEntryType.ON_DEMAND,
    ),
    (n.DE_START_FROM, n.DE_START_TO, D.service_start_time, None),
    (n.DE_STOP_FROM, n.DE_STOP_TO, D.service_stop_time, None),
)
_SS_RANGES: Final[tuple[Range, ...]] = (
    (n.SS_SUBMISSION_FROM, n.SS_SUBMISSION_TO, S.submission_time, None),
)
_FD_RANGES: Final[tuple[Range, ...]] = (
    (n.FD_UPDATE_FROM, n.FD_UPDATE_TO, F.last_update_time, None),
)


def time_range(column: Column, low: str, high: str, *exempt: Condition) -> Condition | None:
    """``low <= column < high`` on padded DTMs; rows without a value are not excluded."""
    bounds = [column >= low] if low else []
    if high:
        bounds.append(column < high)
    if not bounds:
        return None
    return or_(column.is_(None), *exempt, and_(*bounds))


#: The "newer version" side of the latest-version test, built once (aliasing is costly).
_NEWER_DOCUMENT: Final = aliased(DocumentRow)
_NEWER_FOLDER: Final = aliased(FolderRow)


def latest_version(table: type[DocumentRow] | type[FolderRow]) -> Condition:
    """No newer version with the same lid exists (ITI-57 supplement, ITI TF-2b 3.57.4.1.3.3)."""
    newer = _NEWER_DOCUMENT if table is DocumentRow else _NEWER_FOLDER
    return ~exists().where(newer.lid == table.lid, newer.version > table.version)


def document_level(level: int) -> list[Condition]:
    """``$MetadataLevel`` 1 hides non-latest versions and Offline entries."""
    if level >= 2:
        return []
    return [latest_version(D), D.availability != DocumentAvailability.OFFLINE]


def folder_level(level: int) -> list[Condition]:
    """``$MetadataLevel`` 1 hides Folder versions that are not the latest."""
    return [] if level >= 2 else [latest_version(F)]


def association_conditions(query: ParsedQuery) -> list[Condition]:
    """Which Associations a query may return (ITI-57 supplement 3.18.4.1.2.3.5.1).

    ``$XDSAssociationStatus`` (default Approved) where the catalogue declares it;
    otherwise Approved only at ``$MetadataLevel`` 1 and any status at 2. Level 1 also
    hides the ITI-57 UpdateAvailabilityStatus and SubmitAssociation links.
    """
    conditions: list[Condition] = []
    level = query.metadata_level
    status = n.ASSOCIATION_STATUS
    if status is not None and query.spec.param(status) is not None:
        conditions.append(A.status.in_(query.values(status) or (Status.APPROVED,)))
    elif level < 2:
        conditions.append(A.status == Status.APPROVED)
    if level < 2:
        conditions.append(A.type.not_in(_UPDATE_TYPES))
    return conditions


def document_type(query: ParsedQuery) -> list[Condition]:
    """``$XDSDocumentEntryType``; Stable only when the query declares it but it is absent."""
    if query.spec.param(n.DE_TYPE) is None:
        return []
    return [D.object_type.in_(query.values(n.DE_TYPE) or (DocumentEntryType.STABLE,))]


def _matching(
    query: ParsedQuery, columns: dict[str, Column], ranges: tuple[Range, ...]
) -> list[Condition]:
    """IN and time-range conditions for the parameters the request gives."""
    conditions: list[Condition] = [
        column.in_(query.values(p)) for p, column in columns.items() if query.has(p)
    ]
    for low, high, column, exempt in ranges:
        extra = [exempt] if exempt is not None else []
        bound = time_range(column, query.single(low), query.single(high), *extra)
        conditions += [bound] if bound is not None else []
    return conditions


def document_conditions(query: ParsedQuery) -> list[Condition]:
    """DocumentEntry column filters of the request, plus type default and metadata level."""
    conditions = _matching(query, _DE_IN, _DE_RANGES)
    return conditions + document_type(query) + document_level(query.metadata_level)


def submission_set_conditions(query: ParsedQuery) -> list[Condition]:
    """FindSubmissionSets / GetAll filters (ITI TF-2a 3.18.4.1.2.3.7.2)."""
    return _matching(query, _SS_IN, _SS_RANGES)


def folder_conditions(query: ParsedQuery) -> list[Condition]:
    """FindFolders / GetAll filters (ITI TF-2a 3.18.4.1.2.3.7.3) plus metadata level."""
    return _matching(query, _FD_IN, _FD_RANGES) + folder_level(query.metadata_level)
