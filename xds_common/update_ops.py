"""Decode an ITI-57 request into its operations (XDS Metadata Update, ITI TF-2b 3.57.4.1.3).

Pure: needs no stored data. An Update Document Set request is one SubmissionSet plus
operations, each recognised by its trigger:

* new version of a DocumentEntry or Folder: ``@lid`` != ``@id`` and an SS -> object
  HasMember with a ``PreviousVersion`` slot (3.57.4.1.3.3.1, 3.57.4.1.3.3.3);
* availabilityStatus change: an SS -> object ``UpdateAvailabilityStatus`` Association with
  ``OriginalStatus`` and ``NewStatus`` (3.57.4.1.3.3.2, .4, .5);
* new Associations: SS -> Association ``SubmitAssociation`` (3.57.4.1.3.3.6).

Anything that cannot be read as one of these is ``XDSMetadataUpdateOperationError``;
a request without SubmissionSet, an initial version or an object outside every operation
is ``XDSMetadataUpdateError`` (MU error table, NIST test kit 20000b, 20002, 20002b).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, ObjectKind, SlotName, Status
from xds_common.datatypes import is_uuid_urn
from xds_common.errors import ErrorCollector
from xds_common.metadata import Association, DocumentEntry, Folder, Submission, SubmissionSet

E = ErrorCode
MU_TYPES = frozenset(
    {AssociationType.UPDATE_AVAILABILITY_STATUS, AssociationType.SUBMIT_ASSOCIATION}
)
STATUS_VALUES = frozenset({Status.APPROVED, Status.DEPRECATED})
_STATUS_SLOTS = (SlotName.ORIGINAL_STATUS, SlotName.NEW_STATUS)
_VERSION_SLOTS = (
    SlotName.PREVIOUS_VERSION,
    SlotName.SUBMISSION_SET_STATUS,
    SlotName.ASSOCIATION_PROPAGATION,
)
_PROPAGATION = {"yes": True, "no": False}
_VERSION = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True)
class NewVersion:
    """A new version of a DocumentEntry or Folder and its SS HasMember."""

    obj: DocumentEntry | Folder
    member: Association
    previous_version: int
    propagate: bool

    @property
    def kind(self) -> ObjectKind:
        """DocumentEntry or Folder."""
        return self.obj.kind


@dataclass(frozen=True)
class StatusChange:
    """An UpdateAvailabilityStatus operation."""

    trigger: Association
    original: Status
    new: Status

    @property
    def target(self) -> str:
        """The entryUUID whose status changes."""
        return self.trigger.target


@dataclass(frozen=True)
class SubmittedAssociation:
    """A SubmitAssociation operation: the trigger and the Association it submits."""

    trigger: Association
    association: Association


@dataclass
class Operations:
    """Everything one ITI-57 request asks for."""

    submission_set: SubmissionSet
    versions: list[NewVersion] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    submitted: list[SubmittedAssociation] = field(default_factory=list)
    label: Callable[[str], str] = str

    @property
    def new_versions(self) -> dict[str, NewVersion]:
        """New versions by their entryUUID."""
        return {v.obj.entry_uuid: v for v in self.versions}


def _labeller(mapping: dict[str, str]) -> Callable[[str], str]:
    """Name an object by its UUID and, when it had one, the symbolic id it was sent with."""
    symbolic = {uuid: name for name, uuid in mapping.items()}

    def label(uuid: str) -> str:
        name = symbolic.get(uuid)
        return f"{uuid} ({name})" if name else uuid

    return label


def _single(assoc: Association, name: str) -> str | None:
    """The one value of slot ``name``; None when absent or not exactly one value."""
    values = assoc.slot(name)
    return values[0] if values is not None and len(values) == 1 else None


class _Decoder:
    def __init__(self, sub: Submission, out: ErrorCollector, label: Callable[[str], str]) -> None:
        self.sub = sub
        self.out = out
        self.label = label
        self.ss = sub.submission_sets[0]
        self.members: dict[str, list[Association]] = {}
        self.submits: dict[str, list[Association]] = {}
        self.others: list[Association] = []
        self.new_objects = {o.entry_uuid for o in (*sub.documents, *sub.folders)}

    def operation_error(self, text: str, ident: str) -> None:
        self.out.add(E.METADATA_UPDATE_OPERATION_ERROR, f"{self.label(ident)}: {text}", ident)

    def update_error(self, text: str, ident: str) -> None:
        self.out.add(E.METADATA_UPDATE_ERROR, f"{self.label(ident)}: {text}", ident)

    def decode(self) -> Operations:
        ops = Operations(self.ss, label=self.label)
        for assoc in self.sub.associations:
            self._sort(assoc, ops)
        candidates: list[DocumentEntry | Folder] = [*self.sub.documents, *self.sub.folders]
        ops.versions = [v for o in candidates if (v := self._version(o)) is not None]
        ops.submitted = self._submitted()
        self._once_each(ops)
        if not (ops.versions or ops.status_changes or ops.submitted) and not self.out.errors:
            self.operation_error(
                "the request contains no metadata update operation", self.ss.entry_uuid
            )
        return ops

    def _sort(self, assoc: Association, ops: Operations) -> None:
        kind = assoc.type
        if kind is None:
            return  # an unknown associationType is reported by the metadata validator
        if assoc.source != self.ss.entry_uuid:
            if kind in MU_TYPES:
                self.update_error(
                    f"the sourceObject of {kind.name} must be the SubmissionSet", assoc.entry_uuid
                )
            else:
                self.others.append(assoc)
        elif kind is AssociationType.HAS_MEMBER and assoc.target in self.new_objects:
            self.members.setdefault(assoc.target, []).append(assoc)
        elif kind is AssociationType.HAS_MEMBER:
            self.operation_error(
                f"HasMember to {assoc.target} is no update operation: its target is no new "
                "version of a DocumentEntry or Folder in this request",
                assoc.entry_uuid,
            )
        elif kind is AssociationType.UPDATE_AVAILABILITY_STATUS:
            change = self._status_change(assoc)
            if change is not None:
                ops.status_changes.append(change)
        elif kind is AssociationType.SUBMIT_ASSOCIATION:
            self.submits.setdefault(assoc.target, []).append(assoc)
        else:
            self.out.add(
                E.REGISTRY_METADATA_ERROR,
                f"{self.label(assoc.entry_uuid)}: a SubmissionSet cannot be the source of "
                f"{kind.name}",
                assoc.entry_uuid,
            )

    def _status_change(self, assoc: Association) -> StatusChange | None:
        """UpdateAvailabilityStatus: both status slots, full URNs, different (3.57.4.1.3.2)."""
        ident = assoc.entry_uuid
        before = self.out.errors
        for name in _VERSION_SLOTS:
            if assoc.slot(name) is not None:
                self.operation_error(
                    f"slot {name} is not allowed on UpdateAvailabilityStatus", ident
                )
        values = {}
        for name in _STATUS_SLOTS:
            value = _single(assoc, name)
            if value is None:
                self.operation_error(f"UpdateAvailabilityStatus needs one {name} value", ident)
            elif value not in STATUS_VALUES:
                self.operation_error(f"{name} {value!r} is not Approved or Deprecated", ident)
            else:
                values[name] = Status(value)
        if len(values) == 2 and values[SlotName.ORIGINAL_STATUS] == values[SlotName.NEW_STATUS]:
            self.operation_error("OriginalStatus and NewStatus are equal", ident)
        if assoc.target == self.ss.entry_uuid:
            self.update_error("the status of the SubmissionSet cannot be changed", ident)
        if len(self.out.errors) != len(before):
            return None
        return StatusChange(assoc, values[SlotName.ORIGINAL_STATUS], values[SlotName.NEW_STATUS])

    def _version(self, obj: DocumentEntry | Folder) -> NewVersion | None:
        """New version: SS HasMember with PreviousVersion, lid a UUID != id (3.57.4.1.3.3.1)."""
        ident = obj.entry_uuid
        members = self.members.get(ident, [])
        if len(members) != 1:
            self.update_error(
                f"{obj.kind} needs exactly one HasMember from the SubmissionSet, "
                f"found {len(members)}",
                ident,
            )
            return None
        if not obj.lid or obj.lid == ident:
            self.update_error(
                f"{obj.kind} is an initial version (logicalID missing or equal to "
                "its id); initial versions are registered with ITI-42",
                ident,
            )
            return None
        if not is_uuid_urn(obj.lid):
            self.update_error(f"logicalID {obj.lid!r} is not a UUID", ident)
            return None
        member = members[0]
        before = self.out.errors
        for name in _STATUS_SLOTS:
            if member.slot(name) is not None:
                self.operation_error(
                    f"slot {name} is not allowed on a metadata update HasMember", member.entry_uuid
                )
        previous = _single(member, SlotName.PREVIOUS_VERSION)
        if previous is None or not _VERSION.fullmatch(previous):
            self.operation_error("PreviousVersion must hold one version number", member.entry_uuid)
        status = _single(member, SlotName.SUBMISSION_SET_STATUS)
        if status != "Original" and (
            obj.kind is ObjectKind.DOCUMENT_ENTRY
            or member.slot(SlotName.SUBMISSION_SET_STATUS) is not None
        ):
            self.operation_error(
                "SubmissionSetStatus must be Original on a metadata update", member.entry_uuid
            )
        propagation = member.slot(SlotName.ASSOCIATION_PROPAGATION)
        propagate = _single(member, SlotName.ASSOCIATION_PROPAGATION)
        if propagation is not None and (propagate or "").lower() not in _PROPAGATION:
            self.operation_error("AssociationPropagation must be yes or no", member.entry_uuid)
        if len(self.out.errors) != len(before) or previous is None:
            return None
        flag = _PROPAGATION.get((propagate or "yes").lower(), True)
        return NewVersion(obj, member, int(previous), flag)

    def _submitted(self) -> list[SubmittedAssociation]:
        """Each non-SS Association is submitted by exactly one SubmitAssociation."""
        by_id = {a.entry_uuid: a for a in self.others}
        found = []
        for target, triggers in self.submits.items():
            if len(triggers) > 1:
                self.update_error("submitted by more than one SubmitAssociation", target)
            if target not in by_id:
                self.update_error(
                    "SubmitAssociation names no Association of this request "
                    "(SubmissionSet and MU Associations cannot be submitted)",
                    triggers[0].entry_uuid,
                )
                continue
            found.append(SubmittedAssociation(triggers[0], by_id[target]))
        for assoc in self.others:
            if assoc.entry_uuid not in self.submits:
                self.update_error(
                    "Association is not part of any update operation (it needs a "
                    "SubmitAssociation from the SubmissionSet)",
                    assoc.entry_uuid,
                )
        return found

    def _once_each(self, ops: Operations) -> None:
        """One update operation per logical object and request (MU 3.57.4.1.3.1)."""
        lids = Counter(v.obj.lid for v in ops.versions)
        for version in ops.versions:
            if lids[version.obj.lid] > 1:
                self.update_error(
                    f"one of {lids[version.obj.lid]} new versions of "
                    f"{version.obj.lid} in one request",
                    version.obj.entry_uuid,
                )
        for target, count in Counter(c.target for c in ops.status_changes).items():
            if count > 1:
                self.update_error(f"{count} status changes of one object in one request", target)


def decode(sub: Submission, mapping: dict[str, str], out: ErrorCollector) -> Operations | None:
    """Read the operations of an ITI-57 request; errors go to ``out``."""
    if len(sub.submission_sets) != 1:
        out.add(
            E.METADATA_UPDATE_ERROR,
            f"an update needs exactly one SubmissionSet, found {len(sub.submission_sets)}",
        )
        return None
    return _Decoder(sub, out, _labeller(mapping)).decode()
