"""Association checks against stored data and their side effects (ITI TF-2b 3.42.4.1.3.5).

Resolves each association end in the submission or the registry, checks patient ids and
status, and works out what a commit must change: deprecations (RPLC, XFRM_RPLC), Folder
memberships inherited by replacements, Folders whose lastUpdateTime moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import (
    DEPENDENT_TYPES,
    RELATIONSHIP_TYPES,
    REPLACING_TYPES,
    AssociationType,
    ObjectKind,
    Status,
)
from xds_common.errors import ErrorCollector
from xds_common.metadata import Association, Submission
from xds_registry.storage import objects

E = ErrorCode


@dataclass(frozen=True)
class End:
    """One association end: what it is, whose it is, its status, and whether it is new."""

    kind: ObjectKind
    patient_id: str
    status: str
    new: bool


@dataclass
class Effects:
    """What committing the submission changes beyond inserting its objects."""

    deprecate: set[str] = field(default_factory=set)
    touched_folders: set[str] = field(default_factory=set)
    inherited: list[tuple[str, str]] = field(default_factory=list)  # (folder, new document)


def resolve_ends(session: Session, sub: Submission) -> dict[str, End]:
    """Every id an association names, found in the submission or in the registry."""
    ends: dict[str, End] = {}
    for ss in sub.submission_sets:
        ends[ss.entry_uuid] = End(ObjectKind.SUBMISSION_SET, ss.patient_id, Status.APPROVED, True)
    for de in sub.documents:
        ends[de.entry_uuid] = End(ObjectKind.DOCUMENT_ENTRY, de.patient_id, Status.APPROVED, True)
    for fd in sub.folders:
        ends[fd.entry_uuid] = End(ObjectKind.FOLDER, fd.patient_id, Status.APPROVED, True)
    for assoc in sub.associations:
        ends[assoc.entry_uuid] = End(ObjectKind.ASSOCIATION, "", Status.APPROVED, True)
    wanted = sorted({x for a in sub.associations for x in (a.source, a.target)} - ends.keys())
    for uuid, d in objects.documents(session, wanted).items():
        ends[uuid] = End(ObjectKind.DOCUMENT_ENTRY, d.patient_id, d.status, False)
    for uuid, f in objects.folders(session, wanted).items():
        ends[uuid] = End(ObjectKind.FOLDER, f.patient_id, f.status, False)
    for uuid, s in objects.submission_sets(session, wanted).items():
        ends[uuid] = End(ObjectKind.SUBMISSION_SET, s.patient_id, s.status, False)
    for uuid, a in objects.associations(session, wanted).items():
        ends[uuid] = End(ObjectKind.ASSOCIATION, "", a.status, False)
    return ends


def _same_patient(a: End, b: End, assoc: Association, out: ErrorCollector) -> None:
    if a.patient_id and b.patient_id and a.patient_id != b.patient_id:
        out.add(
            E.PATIENT_ID_DOES_NOT_MATCH,
            f"Association {assoc.entry_uuid} links objects of patients {a.patient_id} "
            f"and {b.patient_id}",
            assoc.entry_uuid,
        )


def _check_has_member(
    assoc: Association, source: End, target: End, out: ErrorCollector, fx: Effects
) -> None:
    """HasMember: SS -> DE/FD/Association, or FD -> DE (ITI TF-3 4.2.2.1)."""
    if source.kind is ObjectKind.SUBMISSION_SET:
        if not source.new:
            out.add(E.REGISTRY_METADATA_ERROR,
                    f"HasMember {assoc.entry_uuid}: source is a SubmissionSet of another "
                    "submission", assoc.entry_uuid)  # fmt: skip
        if target.kind is ObjectKind.SUBMISSION_SET:
            out.add(E.REGISTRY_METADATA_ERROR,
                    f"HasMember {assoc.entry_uuid}: a SubmissionSet cannot contain a "
                    "SubmissionSet", assoc.entry_uuid)  # fmt: skip
        elif target.kind is not ObjectKind.ASSOCIATION:
            _same_patient(source, target, assoc, out)
        return
    if source.kind is ObjectKind.FOLDER and target.kind is ObjectKind.DOCUMENT_ENTRY:
        _same_patient(source, target, assoc, out)
        if source.status != Status.APPROVED or target.status != Status.APPROVED:
            out.add(E.REGISTRY_METADATA_ERROR,
                    f"HasMember {assoc.entry_uuid}: Folder and DocumentEntry must be Approved",
                    assoc.entry_uuid)  # fmt: skip
        fx.touched_folders.add(assoc.source)
        return
    out.add(E.REGISTRY_METADATA_ERROR,
            f"HasMember {assoc.entry_uuid} links a {source.kind} to a {target.kind}",
            assoc.entry_uuid)  # fmt: skip


def _check_relationship(
    assoc: Association, source: End, target: End, out: ErrorCollector, fx: Effects
) -> None:
    """DE -> DE relationships (ITI TF-2b 3.42.4.1.3.5)."""
    kind = AssociationType(assoc.association_type)
    if not (source.new and source.kind is ObjectKind.DOCUMENT_ENTRY):
        out.add(E.UNRESOLVED_REFERENCE,
                f"{kind.name} {assoc.entry_uuid}: source must be a DocumentEntry of this "
                "submission", assoc.entry_uuid)  # fmt: skip
        return
    if target.kind is not ObjectKind.DOCUMENT_ENTRY or (kind in REPLACING_TYPES and target.new):
        out.add(E.UNRESOLVED_REFERENCE,
                f"{kind.name} {assoc.entry_uuid}: target {assoc.target} is not a registered "
                "DocumentEntry", assoc.entry_uuid)  # fmt: skip
        return
    if not target.new and target.status != Status.APPROVED:
        out.add(E.REGISTRY_DEPRECATED_DOCUMENT_ERROR,
                f"{kind.name} {assoc.entry_uuid}: target {assoc.target} is Deprecated",
                assoc.entry_uuid)  # fmt: skip
    _same_patient(source, target, assoc, out)
    if kind in REPLACING_TYPES:
        fx.deprecate.add(assoc.target)


_MU_ONLY = {AssociationType.UPDATE_AVAILABILITY_STATUS, AssociationType.SUBMIT_ASSOCIATION}


def check_associations(
    sub: Submission, ends: dict[str, End], out: ErrorCollector, *, allow_mu: bool = False
) -> Effects:
    """Check every association of the submission; collect the commit's side effects."""
    fx = Effects()
    for assoc in sub.associations:
        kind = assoc.type
        if kind is None:
            continue  # reported by the structural validator
        if kind in _MU_ONLY and not allow_mu:
            out.add(E.REGISTRY_METADATA_ERROR,
                    f"{kind.name} is an ITI-57 operation, not allowed in ITI-42",
                    assoc.entry_uuid)  # fmt: skip
            continue
        source, target = ends.get(assoc.source), ends.get(assoc.target)
        if source is None or target is None:
            missing = assoc.source if source is None else assoc.target
            out.add(E.UNRESOLVED_REFERENCE,
                    f"Association {assoc.entry_uuid}: {missing} is neither in the submission "
                    "nor in the registry", assoc.entry_uuid)  # fmt: skip
            continue
        if kind is AssociationType.HAS_MEMBER:
            _check_has_member(assoc, source, target, out, fx)
        elif kind in RELATIONSHIP_TYPES:
            _check_relationship(assoc, source, target, out, fx)
    return fx


def replacement_effects(session: Session, sub: Submission, fx: Effects) -> None:
    """Deprecate XFRM/APND children of replaced entries; inherit Folder memberships."""
    replaced = sorted(fx.deprecate)
    if not replaced:
        return
    touching = objects.associations_touching(session, replaced)
    for row in touching:
        if row.type in DEPENDENT_TYPES and row.target_uuid in fx.deprecate:
            fx.deprecate.add(row.source_uuid)
    folder_links = [
        r for r in touching
        if r.type == AssociationType.HAS_MEMBER and r.target_uuid in replaced
        and r.status == Status.APPROVED
    ]  # fmt: skip
    folders = objects.folders(session, [r.source_uuid for r in folder_links])
    for assoc in sub.associations:
        if assoc.type in REPLACING_TYPES and assoc.target in replaced:
            for link in folder_links:
                folder = folders.get(link.source_uuid)
                if folder is not None and link.target_uuid == assoc.target \
                        and folder.status == Status.APPROVED:  # fmt: skip
                    fx.inherited.append((folder.entry_uuid, assoc.source))
                    fx.touched_folders.add(folder.entry_uuid)
