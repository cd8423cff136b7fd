"""Filters on the side tables, applied to candidates already found through their own index.

Multi-valued codes (AND of ORs, ITI TF-2a 3.18.4.1.2.3.5.1), authorPerson LIKE patterns
and referenceIdList values are checked here: one batched SELECT per side table keyed only
on ``object_uuid``, so no database can pick the ``(attribute, code)`` index and scan every
row carrying a common code (e.g. confidentiality N) for each candidate.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.vocabulary import ObjectKind
from xds_common.query import names as n
from xds_common.query.params import Groups, ParsedQuery
from xds_registry.query.lookups import chunks
from xds_registry.query.model import Hit
from xds_registry.storage.tables import AuthorRow, CodeRow, ReferenceIdRow

#: AND/OR code parameters → ``registry_codes.attribute`` (ITI TF-2a 3.18.4.1.2.3.5.1).
CODE_PARAMS: Final[dict[str, str]] = {
    n.DE_EVENT_CODE: n.EVENT_CODE_ATTRIBUTE,
    n.DE_CONFIDENTIALITY_CODE: n.CONFIDENTIALITY_ATTRIBUTE,
    n.FD_CODE_LIST: n.CODE_LIST_ATTRIBUTE,
}
#: LIKE parameters on authorPerson (DocumentEntry, SubmissionSet).
AUTHOR_PARAMS: Final = (n.DE_AUTHOR, n.SS_AUTHOR)
#: Which side-table parameters apply to which kind of object.
PARAMS_BY_KIND: Final[dict[ObjectKind, tuple[str, ...]]] = {
    ObjectKind.DOCUMENT_ENTRY: (
        n.DE_EVENT_CODE,
        n.DE_CONFIDENTIALITY_CODE,
        n.DE_AUTHOR,
        n.DE_REFERENCE_IDS,
    ),
    ObjectKind.SUBMISSION_SET: (n.SS_AUTHOR,),
    ObjectKind.FOLDER: (n.FD_CODE_LIST,),
}


def like_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """LIKE patterns (``%`` any string, ``_`` one character) as one regex for fullmatch.

    Matching is case-sensitive, as ITI TF-2 Appendix F requires.
    """

    def one(pattern: str) -> str:
        return "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)

    return re.compile("|".join(f"(?:{one(p)})" for p in patterns), re.DOTALL)


def matches_groups(have: set[str], groups: Groups) -> bool:
    """Every group (Slot) shares at least one code with ``have``."""
    return all(have.intersection(group) for group in groups)


@dataclass
class _Side:
    """Side-table values of the candidates, fetched once per table."""

    codes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    authors: dict[str, list[str]] = field(default_factory=dict)
    references: dict[str, set[str]] = field(default_factory=dict)


def _fetch_codes(session: Session, uuids: list[str]) -> dict[str, dict[str, set[str]]]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk in chunks(uuids):
        query = select(CodeRow.object_uuid, CodeRow.attribute, CodeRow.code)
        for uuid, attribute, code in session.execute(query.where(CodeRow.object_uuid.in_(chunk))):
            found[uuid][attribute].add(code)
    return found


def _fetch_authors(session: Session, uuids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(uuids):
        query = select(AuthorRow.object_uuid, AuthorRow.person)
        for uuid, person in session.execute(query.where(AuthorRow.object_uuid.in_(chunk))):
            found[uuid].append(person)
    return found


def _fetch_references(session: Session, uuids: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(uuids):
        query = select(ReferenceIdRow.object_uuid, ReferenceIdRow.value)
        for uuid, value in session.execute(query.where(ReferenceIdRow.object_uuid.in_(chunk))):
            found[uuid].add(value)
    return found


def _side(session: Session, given: set[str], uuids: list[str]) -> _Side:
    side = _Side()
    if given.intersection(CODE_PARAMS):
        side.codes = _fetch_codes(session, uuids)
    if given.intersection(AUTHOR_PARAMS):
        side.authors = _fetch_authors(session, uuids)
    if n.DE_REFERENCE_IDS in given:
        side.references = _fetch_references(session, uuids)
    return side


@dataclass(frozen=True)
class _Criteria:
    """The side-table parameters of one request that apply to one kind of object."""

    codes: dict[str, Groups]
    authors: re.Pattern[str] | None
    references: frozenset[str]

    def passes(self, uuid: str, side: _Side) -> bool:
        codes = side.codes.get(uuid, {})
        if not all(matches_groups(codes.get(a, set()), g) for a, g in self.codes.items()):
            return False
        persons = side.authors.get(uuid, [])
        if self.authors is not None and not any(self.authors.fullmatch(p) for p in persons):
            return False
        return not self.references or bool(self.references & side.references.get(uuid, set()))


def refine(session: Session, query: ParsedQuery, kind: ObjectKind, hits: list[Hit]) -> list[Hit]:
    """The ``hits`` (all of ``kind``) that pass the request's side-table parameters."""
    given = {p for p in PARAMS_BY_KIND.get(kind, ()) if query.has(p)}
    if not hits or not given:
        return hits
    patterns = [v for p in AUTHOR_PARAMS if p in given for v in query.values(p)]
    references = query.values(n.DE_REFERENCE_IDS) if n.DE_REFERENCE_IDS in given else ()
    criteria = _Criteria(
        codes={CODE_PARAMS[p]: query.groups(p) for p in given if p in CODE_PARAMS},
        authors=like_regex(patterns) if patterns else None,
        references=frozenset(references),
    )
    side = _side(session, given, [h.entry_uuid for h in hits])
    return [h for h in hits if h.kind is kind and criteria.passes(h.entry_uuid, side)]
