"""A read-only view of the objects in an ITI-18 ``query:AdhocQueryResponse``.

Objects are the direct children of ``rim:RegistryObjectList`` (ITI TF-2a 3.18.4.1.3).
A RegistryPackage is a SubmissionSet or Folder by its classificationNode (nested, or a
top-level Classification pointing at it; ITI TF-3 4.2.5), else by its uniqueId scheme.
"""

from __future__ import annotations

from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ClassificationNode, Scheme


def short(value: str | None) -> str:
    """Last ``:``-separated component (``...StatusType:Approved`` -> ``Approved``)."""
    return (value or "").rsplit(":", 1)[-1]


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


class QueryView:
    """Documents, SubmissionSets, Folders, Associations and ObjectRefs of a response."""

    def __init__(self, body: etree._Element) -> None:
        found = body.find(ns.qn(ns.RIM, "RegistryObjectList"))
        top = [c for c in (found if found is not None else []) if isinstance(c.tag, str)]
        self.documents = [e for e in top if _local(e) == "ExtrinsicObject"]
        self.associations = [e for e in top if _local(e) == "Association"]
        self.object_refs = [e for e in top if _local(e) == "ObjectRef"]
        nodes = _classification_nodes(top)
        packages = [e for e in top if _local(e) == "RegistryPackage"]
        self.submission_sets = [
            p for p in packages if _kind(p, nodes) == ClassificationNode.SUBMISSION_SET
        ]
        self.folders = [p for p in packages if _kind(p, nodes) == ClassificationNode.FOLDER]

    def objects(self, kind: str) -> list[etree._Element]:
        """Objects by NIST count name: Documents, SubmissionSets, Folders, Associations."""
        return {
            "Documents": self.documents,
            "SubmissionSets": self.submission_sets,
            "Folders": self.folders,
            "Associations": self.associations,
            "ObjectRefs": self.object_refs,
        }[kind]

    def document(self, entry_id: str | None) -> etree._Element | None:
        """The ExtrinsicObject with ``@id`` = ``entry_id``."""
        return next((d for d in self.documents if d.get("id") == entry_id), None)

    def find_association(
        self, source: etree._Element, target: etree._Element, kind: str
    ) -> etree._Element | None:
        """The association ``source`` -> ``target`` of type ``kind`` (short name)."""
        for a in self.associations:
            if (
                a.get("sourceObject") == source.get("id")
                and a.get("targetObject") == target.get("id")
                and short(a.get("associationType")) == kind
            ):
                return a
        return None

    def missing_association(
        self, source: etree._Element, target: etree._Element, kind: str
    ) -> list[str]:
        """A problem message if :meth:`find_association` finds nothing."""
        if self.find_association(source, target, kind) is not None:
            return []
        return [
            f"{kind} association missing between sourceObject {source.get('id')} "
            f"and targetObject {target.get('id')}"
        ]


def _classification_nodes(top: list[etree._Element]) -> dict[str, str]:
    """classifiedObject -> classificationNode for top-level Classifications."""
    return {
        str(c.get("classifiedObject")): str(c.get("classificationNode"))
        for c in top
        if _local(c) == "Classification" and c.get("classificationNode")
    }


def _kind(package: etree._Element, nodes: dict[str, str]) -> str | None:
    candidates = [nodes.get(package.get("id", ""))] + [
        child.get("classificationNode")
        for child in package
        if isinstance(child.tag, str) and _local(child) == "Classification"
    ]
    for node in candidates:
        if node in (ClassificationNode.SUBMISSION_SET, ClassificationNode.FOLDER):
            return node
    for child in package:
        if isinstance(child.tag, str) and _local(child) == "ExternalIdentifier":
            scheme = child.get("identificationScheme")
            if scheme == Scheme.SS_UNIQUE_ID:
                return ClassificationNode.SUBMISSION_SET.value
            if scheme == Scheme.FD_UNIQUE_ID:
                return ClassificationNode.FOLDER.value
    return None
