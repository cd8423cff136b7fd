"""The stored queries by id (ITI TF-2a 3.18.4.1.2.3.7.5-13): Get* queries.

Get* queries do not filter DocumentEntries, SubmissionSets or Folders on
availabilityStatus; ``$MetadataLevel`` 1 (the default) hides non-latest versions and
Offline entries, and Associations follow ``filters.association_conditions`` (ITI-57
supplement 3.18.4.1.2.3.5.1.1). In the "...AndContents" queries an Association is
returned only when both its ends are in the result.
"""

from __future__ import annotations

from typing import Final

from profiles.vocabulary import ObjectKind
from xds_common.query import names as n
from xds_registry.query.filters import (
    A,
    Column,
    D,
    F,
    S,
    association_conditions,
    document_conditions,
    document_level,
    document_type,
    folder_level,
)
from xds_registry.query.lookups import (
    associations_touching,
    fetch_in,
    has_member_from,
    has_member_to,
)
from xds_registry.query.model import Found, Hit, QueryContext
from xds_registry.query.refine import refine

DE, SS, FD = ObjectKind.DOCUMENT_ENTRY, ObjectKind.SUBMISSION_SET, ObjectKind.FOLDER


def _keys(*pairs: tuple[str | None, Column]) -> dict[str, Column]:
    return {name: column for name, column in pairs if name is not None}


#: Identifying parameters (one of each group is given) → the column they select on.
_DE_KEYS: Final = _keys(
    (n.DE_ENTRY_UUID, D.entry_uuid), (n.DE_UNIQUE_ID, D.unique_id), (n.DE_LOGICAL_ID, D.lid)
)
_FD_KEYS: Final = _keys(
    (n.FD_ENTRY_UUID, F.entry_uuid), (n.FD_UNIQUE_ID, F.unique_id), (n.FD_LOGICAL_ID, F.lid)
)
_SS_KEYS: Final = _keys((n.SS_ENTRY_UUID, S.entry_uuid), (n.SS_UNIQUE_ID, S.unique_id))


def _by_key(ctx: QueryContext, kind: ObjectKind, keys: dict[str, Column]) -> list[Hit]:
    """Objects selected by whichever identifying parameter the request gives."""
    query = ctx.query
    name = next((k for k in keys if query.has(k)), None)
    if name is None:
        return []
    level = query.metadata_level
    extra = {DE: document_level(level), FD: folder_level(level)}.get(kind, [])
    return fetch_in(ctx.session, kind, keys[name], query.values(name), *extra)


def get_documents(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.5 GetDocuments: DocumentEntries by entryUUID or uniqueId."""
    return Found().add(_by_key(ctx, DE, _DE_KEYS))


def get_folders(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.6 GetFolders: Folders by entryUUID or uniqueId."""
    return Found().add(_by_key(ctx, FD, _FD_KEYS))


def get_associations(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.7 GetAssociations: Associations touching any ``$uuid``."""
    allowed = association_conditions(ctx.query)
    return Found().add(associations_touching(ctx.session, ctx.query.values(n.UUID), *allowed))


def get_documents_and_associations(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.8: the DocumentEntries and the Associations touching them."""
    documents = _by_key(ctx, DE, _DE_KEYS)
    allowed = association_conditions(ctx.query)
    uuids = [d.entry_uuid for d in documents]
    return Found().add(documents).add(associations_touching(ctx.session, uuids, *allowed))


def get_submission_sets(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.9: SubmissionSets holding the ``$uuid`` objects + HasMember."""
    allowed = association_conditions(ctx.query)
    members = has_member_to(ctx.session, ctx.query.values(n.UUID), *allowed)
    sets = fetch_in(ctx.session, SS, S.entry_uuid, [m.source for m in members])
    found = {s.entry_uuid for s in sets}
    return Found().add(sets).add(m for m in members if m.source in found)


def get_submission_set_and_contents(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.10 GetSubmissionSetAndContents.

    The SubmissionSet, its DocumentEntries (after the format, confidentiality and type
    filters) and Folders, and the SubmissionSet's member Associations whose two ends are
    both in the result (with the SS HasMember pointing at each of them).
    """
    session, query = ctx.session, ctx.query
    allowed = association_conditions(query)
    sets = _by_key(ctx, SS, _SS_KEYS)
    members = has_member_from(session, [s.entry_uuid for s in sets], *allowed)
    targets = [m.target for m in members]
    documents = fetch_in(session, DE, D.entry_uuid, targets, *document_conditions(query))
    documents = refine(session, query, DE, documents)
    folders = fetch_in(session, FD, F.entry_uuid, targets, *folder_level(query.metadata_level))
    found = Found().add(sets).add(documents).add(folders)
    objects = found.ids()
    inner = fetch_in(session, ObjectKind.ASSOCIATION, A.entry_uuid, targets, *allowed)
    inner = [a for a in inner if a.source in objects and a.target in objects]
    inside = objects | {a.entry_uuid for a in inner}
    return found.add(m for m in members if m.target in inside).add(inner)


def get_folder_and_contents(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.11: the Folder, its (filtered) DocumentEntries, FD→DE links."""
    session, query = ctx.session, ctx.query
    folders = _by_key(ctx, FD, _FD_KEYS)
    allowed = association_conditions(query)
    members = has_member_from(session, [f.entry_uuid for f in folders], *allowed)
    targets = [m.target for m in members]
    documents = fetch_in(session, DE, D.entry_uuid, targets, *document_conditions(query))
    documents = refine(session, query, DE, documents)
    inside = {d.entry_uuid for d in documents}
    return Found().add(folders).add(documents).add(m for m in members if m.target in inside)


def get_folders_for_document(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.12 GetFoldersForDocument: Folders holding the DocumentEntry."""
    documents = _by_key(ctx, DE, _DE_KEYS)
    allowed = association_conditions(ctx.query)
    members = has_member_to(ctx.session, [d.entry_uuid for d in documents], *allowed)
    folder_filter = folder_level(ctx.query.metadata_level)
    sources = [m.source for m in members]
    return Found().add(fetch_in(ctx.session, FD, F.entry_uuid, sources, *folder_filter))


def get_related_documents(ctx: QueryContext) -> Found:
    """ITI TF-2a 3.18.4.1.2.3.7.13 GetRelatedDocuments.

    DE↔DE Associations of ``$AssociationTypes`` touching the DocumentEntry, the
    DocumentEntries at their other ends (``$XDSDocumentEntryType`` applies to those) and
    the DocumentEntry itself; nothing at all when there is no such Association.
    """
    session, query = ctx.session, ctx.query
    origin = _by_key(ctx, DE, _DE_KEYS)
    origin_ids = {d.entry_uuid for d in origin}
    types = A.type.in_(query.values(n.ASSOCIATION_TYPES))
    allowed = association_conditions(query)
    links = associations_touching(session, origin_ids, types, *allowed)
    others = {end for a in links for end in (a.source, a.target)} - origin_ids
    doc_filter = document_type(query) + document_level(query.metadata_level)
    related = fetch_in(session, DE, D.entry_uuid, others, *doc_filter)
    ends = origin_ids | {d.entry_uuid for d in related}
    links = [a for a in links if a.source in ends and a.target in ends]
    linked = {end for a in links for end in (a.source, a.target)}
    origin = [d for d in origin if d.entry_uuid in linked]
    return Found().add(origin).add(related).add(links) if links else Found()
