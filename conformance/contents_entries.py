"""The NIST ``<DocumentEntries>`` ExpectedContents check (``Validator.verifyDocumentEntries``).

``<MustOnlyInclude>``/``<Include>``/``<Exclude>`` list ``<DocumentEntry>`` elements, each
naming an entryUUID through a ``<UseId>`` and optionally its ``<DocumentEntryType>``
(objectType). ``MustOnlyInclude`` also requires that nothing else is returned. A bare
``<DocumentEntryType>`` requires every returned DocumentEntry to have that objectType.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.query_view import QueryView
from conformance.testplan import ContentCheck, UseId

#: Resolves a ``UseId`` inside ``DocumentEntries`` to a value (an entryUUID).
IdResolver = Callable[[UseId], str | None]


def document_entries(view: QueryView, check: ContentCheck, resolve: IdResolver) -> list[str]:
    """Evaluate a ``DocumentEntries`` check on ``view``."""
    problems: list[str] = []
    for part in check.children:
        if part.name in ("MustOnlyInclude", "Include", "Exclude"):
            problems += _selection(view, part, resolve)
        elif part.name == "DocumentEntryType":
            problems += [
                f"ExtrinsicObject {d.get('id')} has objectType {d.get('objectType')}, "
                f"expected {part.text}"
                for d in view.documents
                if d.get("objectType") != part.text
            ]
        else:
            problems.append(f"<{part.name}/> inside DocumentEntries is not implemented")
    return problems


def _selection(view: QueryView, part: ContentCheck, resolve: IdResolver) -> list[str]:
    problems: list[str] = []
    matched = 0
    for entry in (c for c in part.children if c.name == "DocumentEntry"):
        if not entry.use_ids:
            problems.append("DocumentEntry without UseId")
            continue
        wanted = resolve(entry.use_ids[0])
        if not wanted:
            problems.append(f"cannot resolve UseId {entry.use_ids[0].symbol}")
            continue
        found = view.document(wanted)
        if part.name == "Exclude":
            if found is not None:
                problems.append(f"{wanted} must not be in the response but is")
            continue
        if found is None:
            problems.append(f"{wanted} was not found in the response")
            continue
        matched += 1
        problems += _entry_type(found.get("objectType"), entry)
    if part.name == "MustOnlyInclude" and not problems and matched != len(view.documents):
        problems.append(f"{len(view.documents)} DocumentEntries returned, expected only {matched}")
    return problems


def _entry_type(actual: str | None, entry: ContentCheck) -> list[str]:
    expected = next((c.text for c in entry.children if c.name == "DocumentEntryType"), None)
    if expected and actual != expected:
        return [f"objectType {actual} does not match expected {expected}"]
    return []
