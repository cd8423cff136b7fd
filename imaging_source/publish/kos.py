"""Pure: the XDS-I.b manifest of one study as a DICOM Key Object Selection Document.

Built with highdicom's :class:`~highdicom.ko.KeyObjectSelectionDocument` (PS3.3 A.35.4, root
content TID 2010) from index values only, never from the stored files:

* document title (113030, DCM, "Manifest") (CID 7010; RAD TF-3 4.68.4.1.2.1);
* one CONTAINS content item per instance (IMAGE for images, COMPOSITE otherwise) and the
  Current Requested Procedure Evidence Sequence (0040,A375) listing the same instances
  (PS3.3 C.17.6.2.1), one Referenced Series item per series with Retrieve AE Title
  (0008,0054), Retrieve Location UID (0040,E011) = the Imaging Document Source's
  repositoryUniqueId, and Retrieve URL (0008,1190) = the series' WADO-RS URL (PS3.18 10.4.1.1.2);
* one patient and one study per manifest, checked (:class:`ManifestError` otherwise).

Same input, same bytes: instances are ordered by series and instance number, and every date
and time comes from :class:`ManifestIdentity` (``created``), so two manifests of one study
differ only in their own UIDs and creation time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC

from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument
from highdicom.sr import CodedConcept
from pydicom import dcmwrite
from pydicom.dataset import Dataset

from imaging_source.publish.model import (
    ManifestError,
    ManifestIdentity,
    ManifestInstance,
    RetrieveInfo,
    StudyManifestInput,
)
from profiles import xdsi

#: UTF-8, so any patient name in the index can be written (PS3.3 C.12.1.1.2).
CHARACTER_SET = "ISO_IR 192"
MANUFACTURER = "Beeldportaal"


def _order(instance: ManifestInstance) -> tuple[int, str, int, str]:
    """Series number, series UID, instance number, SOP Instance UID (missing numbers last)."""
    big = 2**31
    series = instance.series_number if instance.series_number is not None else big
    number = instance.instance_number if instance.instance_number is not None else big
    return series, instance.series_instance_uid, number, instance.sop_instance_uid


def check_single_study(data: StudyManifestInput) -> list[ManifestInstance]:
    """The instances in manifest order; refuses an empty, multi-study or multi-patient input.

    MADO and RAD TF-3 4.68 publish one manifest per study; a KOS spanning studies would need
    the Identical Documents Sequence (PS3.3 C.17.6.2.1), which this source never makes.
    """
    if not data.instances:
        raise ManifestError(f"study {data.study.study_instance_uid} has no instances")
    study_uid = data.study.study_instance_uid
    owner = (data.patient.patient_id, data.patient.issuer_of_patient_id)
    seen: set[str] = set()
    for instance in data.instances:
        if instance.study_instance_uid != study_uid:
            raise ManifestError(
                f"instance {instance.sop_instance_uid} belongs to study "
                f"{instance.study_instance_uid}, not {study_uid}: one study per manifest"
            )
        if instance.patient_id and (instance.patient_id, instance.issuer_of_patient_id) != owner:
            raise ManifestError(
                f"instance {instance.sop_instance_uid} belongs to patient "
                f"{instance.patient_id}, not {owner[0]}: one patient per manifest"
            )
        if instance.sop_instance_uid in seen:
            raise ManifestError(f"instance {instance.sop_instance_uid} is listed twice")
        seen.add(instance.sop_instance_uid)
    return sorted(data.instances, key=_order)


def _evidence(data: StudyManifestInput, instance: ManifestInstance) -> Dataset:
    """The attributes highdicom reads from a referenced instance (PS3.3 C.7.1.1, C.7.2.1)."""
    ds = Dataset()
    ds.SpecificCharacterSet = CHARACTER_SET
    ds.PatientID = data.patient.patient_id
    ds.PatientName = data.patient.patient_name
    ds.PatientBirthDate = data.patient.patient_birth_date
    ds.PatientSex = data.patient.patient_sex
    ds.StudyInstanceUID = data.study.study_instance_uid
    ds.StudyID = data.study.study_id
    ds.StudyDate = data.study.study_date
    ds.StudyTime = data.study.study_time
    ds.AccessionNumber = data.study.accession_number
    ds.ReferringPhysicianName = data.study.referring_physician_name
    ds.SeriesInstanceUID = instance.series_instance_uid
    ds.SOPClassUID = instance.sop_class_uid
    ds.SOPInstanceUID = instance.sop_instance_uid
    if instance.is_image:  # highdicom makes IMAGE items for datasets with Rows and Columns
        ds.Rows = ds.Columns = 1
    return ds


def retrieve_url(retrieve: RetrieveInfo) -> str:
    """Retrieve URL (0008,1190) of a series: the WADO-RS *base* URL (RAD TF-3 4.68.4.1.2.3
    WADO-RS option, MADO); consumers append ``/studies/{study}/series/{series}``."""
    return retrieve.dicomweb_url.rstrip("/")


def _add_retrieve_locations(kos: Dataset, retrieve: RetrieveInfo) -> None:
    """Retrieve AE Title, Location UID and URL on every Referenced Series item."""
    for study in kos.CurrentRequestedProcedureEvidenceSequence:
        for series in study.ReferencedSeriesSequence:
            series.RetrieveAETitle = retrieve.ae_title
            series.RetrieveLocationUID = retrieve.location_uid
            series.RetrieveURL = retrieve_url(retrieve)


def _set_times(kos: Dataset, identity: ManifestIdentity) -> None:
    """Every date and time of the document from ``identity.created`` (UTC)."""
    created = identity.created.astimezone(UTC)
    day, time = created.strftime("%Y%m%d"), created.strftime("%H%M%S")
    kos.InstanceCreationDate = kos.ContentDate = kos.SeriesDate = day
    kos.InstanceCreationTime = kos.ContentTime = kos.SeriesTime = time
    kos.TimezoneOffsetFromUTC = "+0000"
    for item in kos.get("ContributingEquipmentSequence", []):  # highdicom stamps "now"
        item.ContributionDateTime = day + time


def build_manifest(
    data: StudyManifestInput, retrieve: RetrieveInfo, identity: ManifestIdentity
) -> Dataset:
    """The KOS manifest of the study in ``data`` (RAD TF-3 4.68.4.1.2.1, PS3.3 A.35.4)."""
    instances = check_single_study(data)
    evidence = [_evidence(data, instance) for instance in instances]
    title = xdsi.MANIFEST_TITLE
    content = KeyObjectSelection(
        document_title=CodedConcept(title.code, title.scheme, title.display),
        referenced_objects=evidence,
    )
    kos = KeyObjectSelectionDocument(
        evidence=evidence,
        content=content,
        series_instance_uid=identity.series_instance_uid,
        series_number=identity.series_number,
        sop_instance_uid=identity.sop_instance_uid,
        instance_number=identity.instance_number,
        manufacturer=MANUFACTURER,
    )
    kos.ContinuityOfContent = "SEPARATE"  # the items are independent references (TID 2010)
    if data.patient.issuer_of_patient_id:
        kos.IssuerOfPatientID = data.patient.issuer_of_patient_id
    if data.study.study_description:
        kos.StudyDescription = data.study.study_description
    _add_retrieve_locations(kos, retrieve)
    _set_times(kos, identity)
    return kos


def referenced_instances(kos: Dataset) -> Sequence[tuple[str, str, str]]:
    """(series UID, SOP Class UID, SOP Instance UID) of every instance in the Evidence."""
    found = []
    for study in kos.get("CurrentRequestedProcedureEvidenceSequence", []):
        for series in study.get("ReferencedSeriesSequence", []):
            for item in series.get("ReferencedSOPSequence", []):
                found.append(
                    (
                        str(series.SeriesInstanceUID),
                        str(item.ReferencedSOPClassUID),
                        str(item.ReferencedSOPInstanceUID),
                    )
                )
    return found


def encode(kos: Dataset) -> bytes:
    """The manifest as a DICOM Part 10 file (PS3.10 7.1) in its own transfer syntax."""
    buffer = io.BytesIO()
    dcmwrite(buffer, kos, enforce_file_format=True)
    return buffer.getvalue()
