"""SQL conditions built from stored-query parameters (ITI TF-2a 3.18.4.1.2.3.5-7).

Each table maps a parameter to the column or index table it filters, so every query that
declares a parameter filters it the same way. Conditions only narrow the indexed
columns; nothing here reads the stored XML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from profiles.vocabulary import AssociationType, DocumentAvailability, DocumentEntryType, Status
from xds_registry.query import names as n
from xds_registry.query.params import ParsedQuery
from xds_registry.storage.tables import (
    AssociationRow,
    AuthorRow,
    CodeRow,
    DocumentRow,
    FolderRow,
    ReferenceIdRow,
    SubmissionSetRow,
)

Condition = ColumnElement[bool]
Column = InstrumentedAttribute[Any]

D, S, F, A = DocumentRow, SubmissionSetRow, FolderRow, AssociationRow

#: Association types a Metadata-Level-1 consumer does not know (ITI-57 supplement).
_UPDATE_TYPES: Final = (
    AssociationType.UPDATE_AVAILABILITY_STATUS,
    AssociationType.SUBMIT_ASSOCIATION,
)
_LIKE_ESCAPE: Final = "\\"

#: Single-valued coded attributes: parameter → column holding ``code^^scheme``.
_DE_CODES: Final[dict[str, Column]] = {
    n.DE_CLASS_CODE: D.class_code,
    n.DE_TYPE_CODE: D.type_code,
    n.DE_PRACTICE_SETTING_CODE: D.practice_setting_code,
    n.DE_HCFT_CODE: D.hcft_code,
    n.DE_FORMAT_CODE: D.format_code,
}
#: Multi-valued coded attributes with AND/OR semantics: parameter → registry_codes.attribute.
_DE_AND_OR: Final[dict[str, str]] = {
    n.DE_EVENT_CODE: n.EVENT_CODE_ATTRIBUTE,
    n.DE_CONFIDENTIALITY_CODE: n.CONFIDENTIALITY_ATTRIBUTE,
}
#: Time ranges: (From, To, column, exempt On-Demand entries) — ITI TF-2a 3.18.4.1.2.3.6.
_DE_RANGES: Final[tuple[tuple[str, str, Column, bool], ...]] = (
    (n.DE_CREATION_FROM, n.DE_CREATION_TO, D.creation_time, True),
    (n.DE_START_FROM, n.DE_START_TO, D.service_start_time, False),
    (n.DE_STOP_FROM, n.DE_STOP_TO, D.service_stop_time, False),
)


def time_range(column: Column, low: str, high: str, *exempt: Condition) -> Condition | None:
    """``low <= column < high`` on padded DTMs; rows without a value are not excluded."""
    bounds = [column >= low] if low else []
    if high:
        bounds.append(column < high)
    if not bounds:
        return None
    return or_(column.is_(None), *exempt, and_(*bounds))


def and_or_codes(owner: Column, attribute: str, groups: Sequence[Sequence[str]]) -> list[Condition]:
    """One EXISTS per Slot (AND), each matching any of its codes (OR) — 3.18.4.1.2.3.5.1."""
    return [
        exists().where(
            CodeRow.object_uuid == owner,
            CodeRow.attribute == attribute,
            CodeRow.code.in_(list(group)),
        )
        for group in groups
    ]


def _escape_like(pattern: str) -> str:
    return pattern.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)


def like_authors(owner: Column, patterns: Sequence[str]) -> Condition:
    """An authorPerson matches one of the LIKE patterns (``%``, ``_``); SQL pre-filter.

    SQLite's LIKE ignores ASCII case; :func:`like_regex` gives the exact, case-sensitive
    match of ITI TF-2 Appendix F that the finders apply afterwards.
    """
    return exists().where(
        AuthorRow.object_uuid == owner,
        or_(*(AuthorRow.person.like(_escape_like(p), escape=_LIKE_ESCAPE) for p in patterns)),
    )


def like_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """The LIKE patterns as one case-sensitive regular expression (use fullmatch)."""

    def one(pattern: str) -> str:
        return "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)

    return re.compile("|".join(f"(?:{one(p)})" for p in patterns), re.DOTALL)


def latest_version(table: type[DocumentRow] | type[FolderRow]) -> Condition:
    """No newer version with the same lid exists (ITI-57 supplement, ITI TF-2b 3.57.4.1.3.3)."""
    newer = aliased(table)
    return ~exists().where(newer.lid == table.lid, newer.version > table.version)


def document_level(level: int) -> list[Condition]:
    """``$MetadataLevel`` 1 hides non-latest versions and Offline entries."""
    if level >= 2:
        return []
    return [latest_version(D), D.availability != DocumentAvailability.OFFLINE]


def folder_level(level: int) -> list[Condition]:
    """``$MetadataLevel`` 1 hides Folder versions that are not the latest."""
    return [] if level >= 2 else [latest_version(F)]


def association_level(level: int) -> list[Condition]:
    """``$MetadataLevel`` 1 hides Deprecated Associations and the ITI-57 update types."""
    if level >= 2:
        return []
    return [A.status == Status.APPROVED, A.type.not_in(_UPDATE_TYPES)]


def document_type(query: ParsedQuery) -> list[Condition]:
    """``$XDSDocumentEntryType``; Stable only when the query declares it but it is absent."""
    if query.spec.param(n.DE_TYPE) is None:
        return []
    return [D.object_type.in_(query.values(n.DE_TYPE) or (DocumentEntryType.STABLE,))]


def document_conditions(query: ParsedQuery) -> list[Condition]:
    """All DocumentEntry filters the request gives, plus type default and metadata level."""
    conditions: list[Condition] = [
        column.in_(query.values(name)) for name, column in _DE_CODES.items() if query.has(name)
    ]
    for name, attribute in _DE_AND_OR.items():
        conditions += and_or_codes(D.entry_uuid, attribute, query.groups(name))
    on_demand = D.object_type == DocumentEntryType.ON_DEMAND
    for low, high, column, exempt in _DE_RANGES:
        extra = (on_demand,) if exempt else ()
        bound = time_range(column, query.single(low), query.single(high), *extra)
        conditions += [bound] if bound is not None else []
    if query.has(n.DE_AUTHOR):
        conditions.append(like_authors(D.entry_uuid, query.values(n.DE_AUTHOR)))
    if query.has(n.DE_STATUS):
        conditions.append(D.status.in_(query.values(n.DE_STATUS)))
    if query.has(n.DE_REFERENCE_IDS):
        conditions.append(
            exists().where(
                ReferenceIdRow.object_uuid == D.entry_uuid,
                ReferenceIdRow.value.in_(query.values(n.DE_REFERENCE_IDS)),
            )
        )
    return conditions + document_type(query) + document_level(query.metadata_level)


def submission_set_conditions(query: ParsedQuery) -> list[Condition]:
    """FindSubmissionSets / GetAll filters (ITI TF-2a 3.18.4.1.2.3.7.2)."""
    conditions: list[Condition] = []
    if query.has(n.SS_SOURCE_ID):
        conditions.append(S.source_id.in_(query.values(n.SS_SOURCE_ID)))
    if query.has(n.SS_CONTENT_TYPE):
        conditions.append(S.content_type_code.in_(query.values(n.SS_CONTENT_TYPE)))
    if query.has(n.SS_AUTHOR):
        conditions.append(like_authors(S.entry_uuid, query.values(n.SS_AUTHOR)))
    if query.has(n.SS_STATUS):
        conditions.append(S.status.in_(query.values(n.SS_STATUS)))
    low, high = query.single(n.SS_SUBMISSION_FROM), query.single(n.SS_SUBMISSION_TO)
    bound = time_range(S.submission_time, low, high)
    return conditions + ([bound] if bound is not None else [])


def folder_conditions(query: ParsedQuery) -> list[Condition]:
    """FindFolders / GetAll filters (ITI TF-2a 3.18.4.1.2.3.7.3) plus metadata level."""
    conditions = and_or_codes(F.entry_uuid, n.CODE_LIST_ATTRIBUTE, query.groups(n.FD_CODE_LIST))
    if query.has(n.FD_STATUS):
        conditions.append(F.status.in_(query.values(n.FD_STATUS)))
    low, high = query.single(n.FD_UPDATE_FROM), query.single(n.FD_UPDATE_TO)
    bound = time_range(F.last_update_time, low, high)
    conditions += [bound] if bound is not None else []
    return conditions + folder_level(query.metadata_level)
