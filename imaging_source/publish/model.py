"""What a manifest is built from: one study's index rows as plain, frozen values.

Read from the index by :mod:`imaging_source.publish.source`; consumed by the pure builders
:mod:`.kos` (PS3.3 A.35.4 Key Object Selection Document) and :mod:`.metadata` (RAD TF-3
4.68.4.1.2 DocumentEntry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from imaging_source.index.records import PatientAttrs, StudyAttrs


class ManifestError(ValueError):
    """The input cannot make one valid manifest (empty, mixed studies or patients)."""


@dataclass(frozen=True)
class ManifestInstance:
    """One instance a manifest references, with the series and owner it was indexed under."""

    study_instance_uid: str
    series_instance_uid: str
    sop_class_uid: str
    sop_instance_uid: str
    modality: str
    series_number: int | None = None
    instance_number: int | None = None
    #: True for image instances (Rows and Columns present): IMAGE content items, else COMPOSITE.
    is_image: bool = True
    patient_id: str = ""
    issuer_of_patient_id: str = ""


@dataclass(frozen=True)
class StudyManifestInput:
    """A study, its patient and every stored instance of it."""

    patient: PatientAttrs
    study: StudyAttrs
    instances: tuple[ManifestInstance, ...]


@dataclass(frozen=True)
class RetrieveInfo:
    """How consumers reach the instances (PS3.3 Table 10-4 Hierarchical Series Reference)."""

    ae_title: str
    #: Retrieve Location UID (0040,E011): the Imaging Document Source's repositoryUniqueId.
    location_uid: str
    #: DICOMweb base URL; the series' WADO-RS URL below it becomes Retrieve URL (0008,1190).
    dicomweb_url: str


@dataclass(frozen=True)
class ManifestIdentity:
    """The manifest's own identifiers and creation time (the only non-input values)."""

    series_instance_uid: str
    sop_instance_uid: str
    created: datetime
    series_number: int = 9999
    instance_number: int = 1
