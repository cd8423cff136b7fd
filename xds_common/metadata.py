"""The domain model: plain dataclasses named with XDS attribute names (ITI TF-3 4.1).

The wire model (ebRIM XML) is translated to and from these by ``xds_common.ebrim``;
storage rows are built from them by each component's ``storage`` package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from profiles.vocabulary import AssociationType, ObjectKind


@dataclass(frozen=True)
class Code:
    """A coded value: code, coding scheme, display name (ITI TF-3 4.2.3.1.2)."""

    code: str
    scheme: str
    display: str = ""

    @property
    def key(self) -> str:
        """The ``code^^scheme`` form used in stored-query parameters and indexes."""
        return f"{self.code}^^{self.scheme}"


@dataclass(frozen=True)
class Author:
    """One author (ITI TF-3 4.2.3.1.4)."""

    person: str = ""
    institutions: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    telecoms: tuple[str, ...] = ()


@dataclass
class RegistryObject:
    """What every registry object has: entryUUID, status, home, lid/version, extra slots."""

    entry_uuid: str
    availability_status: str = ""
    home_community_id: str = ""
    lid: str = ""
    version: str = ""
    title: str = ""
    comments: str = ""
    slots: dict[str, list[str]] = field(default_factory=dict)

    @property
    def kind(self) -> ObjectKind:
        """The Document Sharing kind of this object."""
        raise NotImplementedError


@dataclass
class DocumentEntry(RegistryObject):
    """XDS DocumentEntry (ITI TF-3 4.2.3.2)."""

    object_type: str = ""
    mime_type: str = ""
    patient_id: str = ""
    unique_id: str = ""
    class_code: Code | None = None
    type_code: Code | None = None
    format_code: Code | None = None
    healthcare_facility_type_code: Code | None = None
    practice_setting_code: Code | None = None
    confidentiality_codes: list[Code] = field(default_factory=list)
    event_codes: list[Code] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    creation_time: str = ""
    service_start_time: str = ""
    service_stop_time: str = ""
    hash: str = ""
    size: str = ""
    repository_unique_id: str = ""
    language_code: str = ""
    legal_authenticator: str = ""
    source_patient_id: str = ""
    source_patient_info: list[str] = field(default_factory=list)
    reference_ids: list[str] = field(default_factory=list)
    uri: str = ""
    document_availability: str = ""

    @property
    def kind(self) -> ObjectKind:
        return ObjectKind.DOCUMENT_ENTRY


@dataclass
class SubmissionSet(RegistryObject):
    """XDS SubmissionSet (ITI TF-3 4.2.3.3)."""

    patient_id: str = ""
    unique_id: str = ""
    source_id: str = ""
    submission_time: str = ""
    content_type_code: Code | None = None
    authors: list[Author] = field(default_factory=list)
    intended_recipients: list[str] = field(default_factory=list)

    @property
    def kind(self) -> ObjectKind:
        return ObjectKind.SUBMISSION_SET


@dataclass
class Folder(RegistryObject):
    """XDS Folder (ITI TF-3 4.2.3.4)."""

    patient_id: str = ""
    unique_id: str = ""
    codes: list[Code] = field(default_factory=list)
    last_update_time: str = ""

    @property
    def kind(self) -> ObjectKind:
        return ObjectKind.FOLDER


@dataclass
class Association(RegistryObject):
    """ebRIM Association (ITI TF-3 4.2.2)."""

    association_type: str = ""
    source: str = ""
    target: str = ""

    @property
    def kind(self) -> ObjectKind:
        return ObjectKind.ASSOCIATION

    @property
    def type(self) -> AssociationType | None:
        """The association type, or None for a type XDS does not define."""
        try:
            return AssociationType(self.association_type)
        except ValueError:
            return None

    def slot(self, name: str) -> list[str] | None:
        """The values of slot ``name``, or None when absent."""
        return self.slots.get(name)


@dataclass
class Submission:
    """The objects of one SubmitObjectsRequest, in document order."""

    submission_sets: list[SubmissionSet] = field(default_factory=list)
    documents: list[DocumentEntry] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)

    def by_id(self) -> dict[str, RegistryObject]:
        """Every object by its entryUUID (or symbolic id)."""
        found: dict[str, RegistryObject] = {}
        for group in (self.submission_sets, self.documents, self.folders, self.associations):
            for obj in group:
                found[obj.entry_uuid] = obj
        return found
