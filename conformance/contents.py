"""NIST ``<ExpectedContents>`` checks on an ITI-18 ``query:AdhocQueryResponse``.

Semantics follow the NIST XDS Toolkit test engine (``testengine.engine.Validator``,
``run_test_assertion``): counts are over the objects directly in ``rim:RegistryObjectList``;
statuses compare the last component of ``@status``; association types compare the last
component of ``@associationType``. Each check returns human-readable problems; an empty list
means the check holds.

Implemented: ``Documents``/``SubmissionSets``/``Folders``/``Associations``/``ObjectRefs``
``count=``, ``None``, ``NoSubmissionSet``, ``NoDocument``, ``SSApproved``, ``DocApp``,
``DocDep``, ``OneDocApp``, ``OneDocDep``, ``FolApp``, ``FolDep``, ``HasRPLC``,
``HasXFRM_RPLC``, ``HasAPND``, ``DocRplcDoc``, ``SSwithOneDoc``, ``SSwithOneDocOnly``,
``SSwithTwoDoc``, ``SSwithTwoDocOnly``, ``SSwithOneFol``, ``SSwithOneDocOneFol``,
``SSwithTwoDocOneFol``, ``SSwithTwoDocOneFolOneDocInFol``, ``HasSnapshotPattern`` and
``DocumentEntries`` (``MustOnlyInclude``/``Include``/``Exclude``/``DocumentEntryType``).
Left out: ``RegistryResponseIsValid`` (NIST's own schema/code-table validator; not used by
any corpus plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from conformance.contents_entries import IdResolver, document_entries
from conformance.query_view import QueryView, short
from conformance.testplan import ContentCheck


@dataclass(frozen=True)
class _Context:
    view: QueryView
    resolve: IdResolver


def evaluate(
    checks: tuple[ContentCheck, ...], body: etree._Element | None, resolve: IdResolver
) -> list[str]:
    """Run every check on the response ``body``; return the problems found."""
    if body is None:
        return ["no query response to check ExpectedContents against"]
    ctx = _Context(QueryView(body), resolve)
    problems: list[str] = []
    for check in checks:
        handler = _HANDLERS.get(check.name)
        if handler is None:
            problems.append(f"ExpectedContents <{check.name}/> is not implemented")
        else:
            problems.extend(f"<{check.name}/>: {p}" for p in handler(ctx, check))
    return problems


def _count(kind: str, found: int, expected: int) -> list[str]:
    return [] if found == expected else [f"found {found} {kind} instead of {expected}"]


def _counted(kind: str) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, c: ContentCheck) -> list[str]:
        return _count(kind, len(ctx.view.objects(kind)), c.count or 0)

    return check


def _none(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    problems = _no_ss(v) + _count("Documents", len(v.documents), 0)
    problems += _count("Folders", len(v.folders), 0)
    return problems or _count("Associations", len(v.associations), 0)


def _object_refs(ctx: _Context, c: ContentCheck) -> list[str]:
    v = ctx.view
    return (
        _count("ObjectRefs", len(v.object_refs), c.count or 0)
        + _no_ss(v)
        + _count("Documents", len(v.documents), 0)
        + _count("Folders", len(v.folders), 0)
        + _count("Associations", len(v.associations), 0)
    )


def _no_ss(v: QueryView) -> list[str]:
    return ["Submission Set found"] if v.submission_sets else []


def _has_ss(v: QueryView) -> list[str]:
    return [] if v.submission_sets else ["no Submission Set found"]


def _all_status(elements: list[etree._Element], status: str, kind: str) -> list[str]:
    return [
        f"{kind} {e.get('id')} has status {short(e.get('status'))} instead of {status!r}"
        for e in elements
        if short(e.get("status")) != status
    ]


def _ss_approved(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    return _has_ss(v) or _all_status(v.submission_sets[:1], "Approved", "SubmissionSet")


def _docs_status(status: str) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        return _all_status(ctx.view.documents, status, "ExtrinsicObject")

    return check


def _fols_status(status: str) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        return _all_status(ctx.view.folders, status, "Folder")

    return check


def _one_doc(status: str) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        n = sum(short(d.get("status")) == status for d in ctx.view.documents)
        return [] if n == 1 else [f"found {n} {status} ExtrinsicObjects instead of one"]

    return check


def _has_relationship(kind: str) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        found = [a for a in ctx.view.associations if short(a.get("associationType")) == kind]
        targets = [a.get("targetObject") for a in found]
        if not found:
            return [f"{kind} association not found"]
        if len(set(targets)) != len(targets):
            return [f"multiple {kind} associations found for the same document"]
        return []

    return check


def _doc_rplc_doc(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    problems = _count("Documents", len(v.documents), 2) + _count(
        "Associations", len(v.associations), 1
    )
    if problems:
        return problems
    new, old = v.documents
    if short(new.get("status")) != "Approved":
        new, old = old, new
    problems += v.missing_association(new, old, "RPLC")
    return problems + _all_status([old], "Deprecated", "ExtrinsicObject")


def _ss_with(docs: int, approved: bool) -> Callable[[_Context, ContentCheck], list[str]]:
    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        v = ctx.view
        problems = _has_ss(v) + _count("Documents", len(v.documents), docs)
        problems += _count("Associations", len(v.associations), docs)
        if problems:
            return problems
        ss = v.submission_sets[0]
        for doc in v.documents:
            problems += v.missing_association(ss, doc, "HasMember")
        if approved:
            problems += _all_status([ss], "Approved", "SubmissionSet")
        return problems

    return check


def _ss_with_one_fol(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    problems = _has_ss(v) + _count("Documents", len(v.documents), 0)
    problems += _count("Folders", len(v.folders), 1)
    if problems:
        return problems
    problems = _count("Associations", len(v.associations), 1)
    return problems + v.missing_association(v.submission_sets[0], v.folders[0], "HasMember")


def _ss_with_docs_in_folder(docs: int) -> Callable[[_Context, ContentCheck], list[str]]:
    """SSwithOneDocOneFol / SSwithTwoDocOneFol: every document is in the folder."""

    def check(ctx: _Context, _: ContentCheck) -> list[str]:
        v = ctx.view
        problems = _has_ss(v) + _count("Documents", len(v.documents), docs)
        problems += _count("Folders", len(v.folders), 1)
        if problems:
            return problems
        ss, folder = v.submission_sets[0], v.folders[0]
        problems = _count("Associations", len(v.associations), 1 + 3 * docs)
        problems += v.missing_association(ss, folder, "HasMember")
        for doc in v.documents:
            problems += v.missing_association(ss, doc, "HasMember")
            problems += v.missing_association(folder, doc, "HasMember")
            link = v.find_association(folder, doc, "HasMember")
            if link is not None:
                problems += v.missing_association(ss, link, "HasMember")
        return problems

    return check


def _ss_two_doc_one_in_fol(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    problems = _has_ss(v) + _count("Documents", len(v.documents), 2)
    problems += _count("Folders", len(v.folders), 1)
    if problems:
        return problems
    ss, folder = v.submission_sets[0], v.folders[0]
    problems = _count("Associations", len(v.associations), 5)
    for target in (*v.documents, folder):
        problems += v.missing_association(ss, target, "HasMember")
    links = [v.find_association(folder, d, "HasMember") for d in v.documents]
    present = [link for link in links if link is not None]
    if not present:
        return [*problems, "no Folder HasMember association to one of the DocumentEntries"]
    return problems + v.missing_association(ss, present[0], "HasMember")


def _snapshot(ctx: _Context, _: ContentCheck) -> list[str]:
    v = ctx.view
    found = [a for a in v.associations if short(a.get("associationType")) == "IsSnapshotOf"]
    if len(found) != 1:
        return [f"found {len(found)} IsSnapshotOf associations instead of 1"]
    source = v.document(found[0].get("sourceObject"))
    target = v.document(found[0].get("targetObject"))
    if source is None or target is None:
        return ["snapshot or On-Demand DocumentEntry is not in the query results"]
    return _all_status([source, target], "Approved", "ExtrinsicObject")


def _document_entries(ctx: _Context, c: ContentCheck) -> list[str]:
    return document_entries(ctx.view, c, ctx.resolve)


_HANDLERS: dict[str, Callable[[_Context, ContentCheck], list[str]]] = {
    "Documents": _counted("Documents"),
    "SubmissionSets": _counted("SubmissionSets"),
    "Folders": _counted("Folders"),
    "Associations": _counted("Associations"),
    "ObjectRefs": _object_refs,
    "None": _none,
    "NoSubmissionSet": lambda ctx, _: _no_ss(ctx.view),
    "NoDocument": lambda ctx, _: _count("Documents", len(ctx.view.documents), 0),
    "SSApproved": _ss_approved,
    "DocApp": _docs_status("Approved"),
    "DocDep": _docs_status("Deprecated"),
    "OneDocApp": _one_doc("Approved"),
    "OneDocDep": _one_doc("Deprecated"),
    "FolApp": _fols_status("Approved"),
    "FolDep": _fols_status("Deprecated"),
    "HasRPLC": _has_relationship("RPLC"),
    "HasXFRM_RPLC": _has_relationship("XFRM_RPLC"),
    "HasAPND": _has_relationship("APND"),
    "DocRplcDoc": _doc_rplc_doc,
    "SSwithOneDoc": _ss_with(1, approved=True),
    "SSwithOneDocOnly": _ss_with(1, approved=False),
    "SSwithTwoDoc": _ss_with(2, approved=True),
    "SSwithTwoDocOnly": _ss_with(2, approved=False),
    "SSwithOneFol": _ss_with_one_fol,
    "SSwithOneDocOneFol": _ss_with_docs_in_folder(1),
    "SSwithTwoDocOneFol": _ss_with_docs_in_folder(2),
    "SSwithTwoDocOneFolOneDocInFol": _ss_two_doc_one_in_fol,
    "HasSnapshotPattern": _snapshot,
    "DocumentEntries": _document_entries,
}

#: The ExpectedContents names this module evaluates.
SUPPORTED = frozenset(_HANDLERS)
