"""The patient-based stored queries and the query-id → finder table (ITI TF-2a 3.18.4.1.2.3.7).

FindDocuments stays an index lookup: one SELECT on ``registry_documents`` driven by the
``(patient_id, status, class_code)`` index, then at most one batched SELECT per side
table (codes, authors, reference ids) for the candidates, keyed on ``object_uuid``.
"""

from __future__ import annotations

from typing import Final

from profiles import stored_queries as sq
from profiles.vocabulary import ObjectKind
from xds_common.query import names as n
from xds_registry.query import getters
from xds_registry.query.filters import (
    D,
    F,
    S,
    association_conditions,
    document_conditions,
    folder_conditions,
    submission_set_conditions,
)
from xds_registry.query.lookups import associations_touching, fetch, patient_scope
from xds_registry.query.model import Finder, Found, Hit, QueryContext
from xds_registry.query.refine import refine

DE, SS, FD = ObjectKind.DOCUMENT_ENTRY, ObjectKind.SUBMISSION_SET, ObjectKind.FOLDER


def _scope(ctx: QueryContext, patient_param: str) -> list[str]:
    return patient_scope(ctx, ctx.query.single(patient_param))


#: Each patient-scoped kind: its patient column and the conditions its parameters give.
_SCOPED = {
    DE: (D.patient_id, document_conditions),
    SS: (S.patient_id, submission_set_conditions),
    FD: (F.patient_id, folder_conditions),
}


def _in_scope(ctx: QueryContext, kind: ObjectKind, scope: list[str]) -> list[Hit]:
    """Objects of ``kind`` of the patients in ``scope`` matching the query's parameters."""
    if not scope:
        return []
    patient_column, conditions = _SCOPED[kind]
    hits = fetch(ctx.session, kind, patient_column.in_(scope), *conditions(ctx.query))
    return refine(ctx.session, ctx.query, kind, hits)


def _documents(ctx: QueryContext, scope: list[str]) -> list[Hit]:
    return _in_scope(ctx, DE, scope)


def _submission_sets(ctx: QueryContext, scope: list[str]) -> list[Hit]:
    return _in_scope(ctx, SS, scope)


def _folders(ctx: QueryContext, scope: list[str]) -> list[Hit]:
    return _in_scope(ctx, FD, scope)


def find_documents(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.1 FindDocuments (also FindDocumentsByReferenceId, 7.14)."""
    return Found().add(_documents(ctx, _scope(ctx, n.DE_PATIENT_ID)))


def find_submission_sets(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.2 FindSubmissionSets."""
    return Found().add(_submission_sets(ctx, _scope(ctx, n.SS_PATIENT_ID)))


def find_folders(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.3 FindFolders."""
    return Found().add(_folders(ctx, _scope(ctx, n.FD_PATIENT_ID)))


def get_all(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.4 GetAll.

    The patient's SubmissionSets, DocumentEntries and Folders (each with its status
    filter) plus every Association touching one of them; an Association may point at
    an object outside the result (e.g. a DocumentEntry filtered out by status).
    """
    scope = _scope(ctx, n.PATIENT_ID)
    if not scope:
        return Found()
    found = Found().add(_documents(ctx, scope))
    found.add(_submission_sets(ctx, scope)).add(_folders(ctx, scope))
    allowed = association_conditions(ctx.query)
    return found.add(associations_touching(ctx.session, found.ids(), *allowed))


#: Query id → finder (ARCHITECTURE.md habit 4: dispatch through tables).
FINDERS: Final[dict[str, Finder]] = {
    sq.FIND_DOCUMENTS.id: find_documents,
    sq.FIND_DOCUMENTS_BY_REFERENCE_ID.id: find_documents,
    sq.FIND_SUBMISSION_SETS.id: find_submission_sets,
    sq.FIND_FOLDERS.id: find_folders,
    sq.GET_ALL.id: get_all,
    sq.GET_DOCUMENTS.id: getters.get_documents,
    sq.GET_FOLDERS.id: getters.get_folders,
    sq.GET_ASSOCIATIONS.id: getters.get_associations,
    sq.GET_DOCUMENTS_AND_ASSOCIATIONS.id: getters.get_documents_and_associations,
    sq.GET_SUBMISSION_SETS.id: getters.get_submission_sets,
    sq.GET_SUBMISSION_SET_AND_CONTENTS.id: getters.get_submission_set_and_contents,
    sq.GET_FOLDER_AND_CONTENTS.id: getters.get_folder_and_contents,
    sq.GET_FOLDERS_FOR_DOCUMENT.id: getters.get_folders_for_document,
    sq.GET_RELATED_DOCUMENTS.id: getters.get_related_documents,
}
assert set(FINDERS) == set(sq.BY_ID), "every catalogued stored query needs a finder"
