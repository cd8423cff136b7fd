"""ITI-57 checks against stored data, and what a commit must change (XDS MU 3.57.4.1.3).

The planner resolves every object the operations name, in the request or in the registry,
checks versions, statuses, patients and association rules, and returns a :class:`Plan`
that ``xds_registry.update`` applies in the same database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from profiles.errors import ErrorCode
from profiles.vocabulary import RELATIONSHIP_TYPES, AssociationType, ObjectKind, Status
from xds_common.errors import ErrorCollector
from xds_common.metadata import DocumentEntry
from xds_common.update_ops import Operations, SubmittedAssociation
from xds_registry.storage import objects, versions
from xds_registry.storage.tables import DocumentRow

E = ErrorCode
K = ObjectKind
UPDATE_ERROR = E.METADATA_UPDATE_ERROR
HAS_MEMBER = AssociationType.HAS_MEMBER


@dataclass(frozen=True)
class Known:
    """An object an operation names: kind, patient, status, version, and whether it is new."""

    kind: ObjectKind
    patient_id: str
    status: str
    lid: str = ""
    version: int = 0
    new: bool = False
    association_type: str = ""
    association_source: str = ""


@dataclass
class Plan:
    """What committing the update changes beyond inserting the request's objects."""

    previous: dict[str, tuple[str, int]] = field(default_factory=dict)  # new -> (old, version)
    folder_times: dict[str, str] = field(default_factory=dict)  # new Folder -> lastUpdateTime
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (type, source, target)
    touched_folders: set[str] = field(default_factory=set)
    status: list[tuple[ObjectKind, str, Status]] = field(default_factory=list)


class Planner:
    """Checks one decoded request against the registry (inside the write transaction)."""

    def __init__(self, session: Session, ops: Operations, out: ErrorCollector) -> None:
        self.session = session
        self.ops = ops
        self.out = out
        self.plan = Plan()
        ss = ops.submission_set
        self.known = {ss.entry_uuid: Known(K.SUBMISSION_SET, ss.patient_id, Status.APPROVED)}
        self.latest: dict[str, str] = {}  # lid -> entryUUID of its latest version after commit
        self.propagating = {v.obj.entry_uuid for v in ops.versions if v.propagate}

    def error(self, code: ErrorCode, ident: str, text: str) -> None:
        self.out.add(code, f"{self.ops.label(ident)}: {text}", ident)

    def run(self) -> Plan:
        """Check every operation; the plan is meaningful only when ``out`` has no errors."""
        self._versions()
        for item in self.ops.submitted:
            a = item.association
            self.known[a.entry_uuid] = Known(
                K.ASSOCIATION, "", Status.APPROVED, new=True,
                association_type=a.association_type, association_source=a.source,
            )  # fmt: skip
        ends = [x for s in self.ops.submitted for x in (s.association.source, s.association.target)]
        self._resolve([*ends, *(c.target for c in self.ops.status_changes)])
        self._submitted()
        self._status_changes()
        self._propagate()
        return self.plan

    def _resolve(self, wanted: list[str]) -> None:
        """Add stored objects to ``known``; association sources too (to tell FD HasMember)."""
        ids = sorted(set(wanted) - self.known.keys())
        for uuid, d in objects.documents(self.session, ids).items():
            self.known[uuid] = Known(K.DOCUMENT_ENTRY, d.patient_id, d.status, d.lid, d.version)
        for uuid, f in objects.folders(self.session, ids).items():
            self.known[uuid] = Known(K.FOLDER, f.patient_id, f.status, f.lid, f.version)
        for uuid, s in objects.submission_sets(self.session, ids).items():
            self.known[uuid] = Known(K.SUBMISSION_SET, s.patient_id, s.status)
        stored = objects.associations(self.session, ids)
        for uuid, a in stored.items():
            self.known[uuid] = Known(K.ASSOCIATION, "", a.status, association_type=a.type,
                                     association_source=a.source_uuid)  # fmt: skip
        sources = {a.source_uuid for a in stored.values()} - self.known.keys()
        if sources:
            self._resolve(sorted(sources))

    def _versions(self) -> None:
        """PreviousVersion is the latest version, which is Approved; uniqueId/objectType kept."""
        ops = self.ops.versions
        docs = versions.latest_documents(
            self.session, [v.obj.lid for v in ops if v.kind is K.DOCUMENT_ENTRY]
        )
        fds = versions.latest_folders(self.session, [v.obj.lid for v in ops if v.kind is K.FOLDER])
        for v in ops:
            obj, ident, lid = v.obj, v.obj.entry_uuid, v.obj.lid
            row = docs.get(lid) if isinstance(obj, DocumentEntry) else fds.get(lid)
            number = row.version + 1 if row is not None else 0
            self.known[ident] = Known(v.kind, obj.patient_id, Status.APPROVED, lid, number, True)
            self.latest[lid] = ident
            if row is None:
                self.error(E.METADATA_VERSION_ERROR, ident, f"no {v.kind} has logicalID {lid}")
                continue
            if row.version != v.previous_version:
                text = f"PreviousVersion {v.previous_version}; {lid} is at version {row.version}"
                self.error(E.METADATA_VERSION_ERROR, ident, text)
            elif row.status != Status.APPROVED:
                self.error(UPDATE_ERROR, ident, f"version {row.version} of {lid} is not Approved")
            if row.unique_id != obj.unique_id:
                self.error(UPDATE_ERROR, ident, f"uniqueId {obj.unique_id} differs from "
                           f"{row.unique_id} of the previous version")  # fmt: skip
            if isinstance(row, DocumentRow) and isinstance(obj, DocumentEntry) \
                    and row.object_type != obj.object_type:  # fmt: skip
                self.error(UPDATE_ERROR, ident, f"objectType {obj.object_type} differs from "
                           f"{row.object_type} of the previous version")  # fmt: skip
            self.plan.previous[ident] = (row.entry_uuid, number)
            if not isinstance(row, DocumentRow) and row.last_update_time:
                self.plan.folder_times[ident] = row.last_update_time
            self.known[row.entry_uuid] = Known(
                v.kind, row.patient_id, Status.DEPRECATED, lid, row.version
            )

    def _is_latest(self, uuid: str, known: Known) -> bool:
        if known.lid in self.latest:
            return self.latest[known.lid] == uuid
        latest = versions.latest_documents if known.kind is K.DOCUMENT_ENTRY else \
            versions.latest_folders  # fmt: skip
        row = latest(self.session, [known.lid]).get(known.lid)
        return row is None or row.entry_uuid == uuid

    def _status_changes(self) -> None:
        """UpdateAvailabilityStatus of the latest DE/FD version or an FD/DE Association."""
        ss_patient = self.ops.submission_set.patient_id
        for change in self.ops.status_changes:
            ident, target = change.trigger.entry_uuid, change.target
            known = self.known.get(target)
            if known is None:
                self.error(UPDATE_ERROR, ident, f"{target} is not registered")
                continue
            if known.kind is K.SUBMISSION_SET:
                self.error(UPDATE_ERROR, ident, "a SubmissionSet's status cannot change")
                continue
            if known.kind is K.ASSOCIATION:
                source = self.known.get(known.association_source)
                folder_member = known.association_type == HAS_MEMBER and source is not None \
                    and source.kind is K.FOLDER  # fmt: skip
                if not (folder_member or known.association_type in RELATIONSHIP_TYPES):
                    self.error(UPDATE_ERROR, ident, f"the status of {target} cannot change: only "
                               "Folder memberships and document relationships can")  # fmt: skip
                    continue
            elif not self._is_latest(target, known):
                self.error(UPDATE_ERROR, ident, f"{target} (version {known.version}) is not the "
                           f"latest version of {known.lid}")  # fmt: skip
                continue
            elif known.patient_id != ss_patient:
                self.error(E.PATIENT_ID_DOES_NOT_MATCH, ident, f"{target} has patient id "
                           f"{known.patient_id}, the SubmissionSet {ss_patient}")  # fmt: skip
            if known.status != change.original:
                self.error(UPDATE_ERROR, ident, f"OriginalStatus {change.original} is not the "
                           f"status {known.status} of {target}")  # fmt: skip
                continue
            self.plan.status.append((known.kind, target, change.new))

    def _ends(self, item: SubmittedAssociation) -> tuple[Known, Known] | None:
        """Both ends of a submitted Association: registered or new versions, DE or FD."""
        assoc = item.association
        found = []
        for end in (assoc.source, assoc.target):
            known = self.known.get(end)
            if known is None:
                text = f"{end} is neither registered nor a new version in this request"
                self.error(UPDATE_ERROR, assoc.entry_uuid, text)
            elif known.kind in (K.SUBMISSION_SET, K.ASSOCIATION):
                text = f"a submitted Association cannot link the {known.kind} {end}"
                self.error(UPDATE_ERROR, assoc.entry_uuid, text)
            elif end in self.propagating:  # NIST 20006 (CP-ITI-1029)
                text = (f"{end} is updated with AssociationPropagation in this request; a "
                        "manual link to it needs AssociationPropagation=no")  # fmt: skip
                self.error(E.METADATA_UPDATE_OPERATION_ERROR, assoc.entry_uuid, text)
            else:
                found.append(known)
        return (found[0], found[1]) if len(found) == 2 else None

    def _submitted(self) -> None:
        """SubmitAssociation: FD -> DE HasMember or a DE -> DE relationship, live objects."""
        triples: dict[tuple[str, str, str], list[str]] = {}
        for item in self.ops.submitted:
            assoc, ident = item.association, item.association.entry_uuid
            ends = self._ends(item)
            if ends is None:
                continue
            source, target = ends
            first = K.FOLDER if assoc.type is HAS_MEMBER else K.DOCUMENT_ENTRY
            expected = (first, K.DOCUMENT_ENTRY)
            if (source.kind, target.kind) != expected:
                self.error(UPDATE_ERROR, ident, f"{assoc.association_type} must link a "
                           f"{expected[0]} to a {expected[1]}")  # fmt: skip
                continue
            for end, known in ((assoc.source, source), (assoc.target, target)):
                if known.status != Status.APPROVED:
                    code = E.REGISTRY_DEPRECATED_DOCUMENT_ERROR \
                        if known.kind is K.DOCUMENT_ENTRY else UPDATE_ERROR  # fmt: skip
                    self.error(code, ident, f"{known.kind} {end} is not Approved")
            if source.patient_id != target.patient_id:
                self.error(E.PATIENT_ID_DOES_NOT_MATCH, ident, f"links patients "
                           f"{source.patient_id} and {target.patient_id}")  # fmt: skip
            if assoc.type is HAS_MEMBER and not source.new:
                self.plan.touched_folders.add(assoc.source)
            triple = (assoc.association_type, assoc.source, assoc.target)
            triples.setdefault(triple, []).append(ident)
        for same in triples.values():
            for ident in same[1:]:
                self.error(UPDATE_ERROR, ident, f"repeats Association {same[0]}")
        for triple in versions.approved_links(self.session, list(triples), Status.APPROVED):
            for ident in triples[triple]:
                self.error(UPDATE_ERROR, ident, "an Approved Association of this type between "
                           "these objects is already registered")  # fmt: skip

    def _propagate(self) -> None:
        """AssociationPropagation: copy Folder memberships and relationships to new versions."""
        old_to_new = {old: new for new, (old, _) in self.plan.previous.items()
                      if new in self.propagating}  # fmt: skip
        copied = (HAS_MEMBER, *RELATIONSHIP_TYPES)
        rows = [r for r in objects.associations_touching(self.session, sorted(old_to_new))
                if r.status == Status.APPROVED and r.type in copied]  # fmt: skip
        self._resolve([x for r in rows for x in (r.source_uuid, r.target_uuid)])
        for row in rows:
            source = self.known.get(row.source_uuid)
            if source is None or (row.type == HAS_MEMBER and source.kind is not K.FOLDER):
                continue  # SubmissionSet memberships stay with their submission
            new_source = old_to_new.get(row.source_uuid, row.source_uuid)
            new_target = old_to_new.get(row.target_uuid, row.target_uuid)
            a, b = self.known.get(new_source), self.known.get(new_target)
            if a is None or b is None or Status.DEPRECATED in (a.status, b.status):
                continue  # only links between live objects move to the new version
            if a.patient_id != b.patient_id:
                moved = new_source if new_source != row.source_uuid else new_target
                self.error(E.PATIENT_ID_DOES_NOT_MATCH, moved, f"AssociationPropagation would "
                           f"link patients {a.patient_id} and {b.patient_id} through a copy of "
                           f"{row.entry_uuid}; send AssociationPropagation=no")  # fmt: skip
                continue
            self.plan.links.append((row.type, new_source, new_target))
            if row.type == HAS_MEMBER and new_source == row.source_uuid:
                self.plan.touched_folders.add(new_source)


def plan(session: Session, ops: Operations, out: ErrorCollector) -> Plan:
    """Check ``ops`` against the registry and work out the commit's side effects."""
    return Planner(session, ops, out).run()
