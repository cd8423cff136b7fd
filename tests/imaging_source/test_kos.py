"""The KOS manifest builder and the RAD-68 metadata builder: pure functions, values in and out.

Golden input (a two-series CT + one MR series of one patient and study) plus one change per
test: each change either shows up in the output or is refused with ManifestError.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from datetime import UTC, datetime

import pydicom
import pytest
from highdicom.ko import KeyObjectSelectionDocument
from lxml import etree
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO

from imaging_source.index.records import PatientAttrs, StudyAttrs
from imaging_source.publish import kos, metadata
from imaging_source.publish.model import (
    ManifestError,
    ManifestIdentity,
    ManifestInstance,
    RetrieveInfo,
    StudyManifestInput,
)
from profiles import xdsi
from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType
from xds_common.ebrim import rim
from xds_common.ebrim.reader import read_object_list
from xds_common.errors import ErrorCollector
from xds_common.validation import check_objects

STUDY = "1.2.826.0.1.3680043.8.498.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SR = "1.2.840.10008.5.1.4.1.1.88.22"
RETRIEVE = RetrieveInfo("BEELDPORTAAL", "2.25.1234", "https://pacs.example/dicomweb/")
CREATED = datetime(2024, 3, 15, 12, 0, 0, tzinfo=UTC)
AUTHORITY = "2.16.840.1.113883.2.4.6.3"


def _instance(series: int, number: int, modality: str = "CT", sop: str = CT) -> ManifestInstance:
    return ManifestInstance(
        study_instance_uid=STUDY,
        series_instance_uid=f"{STUDY}.{series}",
        sop_class_uid=sop,
        sop_instance_uid=f"{STUDY}.{series}.{number}",
        modality=modality,
        series_number=series,
        instance_number=number,
    )


def golden() -> StudyManifestInput:
    """CT series 1 and 2 (3 instances each), MR series 3 (2), sent in a scrambled order."""
    instances = [_instance(s, n) for s in (2, 1) for n in (3, 1, 2)]
    instances += [_instance(3, n, "MR", MR) for n in (2, 1)]
    return StudyManifestInput(
        patient=PatientAttrs("123456782", "", "Jansen^Zoë", "19700101", "F"),
        study=StudyAttrs(STUDY, "20240315", "101500", "ACC-1001", "de Vries^Anna", "S1", "CT"),
        instances=tuple(instances),
    )


def identity(n: int = 1) -> ManifestIdentity:
    """The manifest's own UIDs: series 2.25.<n>0001, instance 2.25.<n>0002."""
    return ManifestIdentity(f"2.25.{n}0001", f"2.25.{n}0002", CREATED)


def build(data: StudyManifestInput | None = None) -> Dataset:
    return kos.build_manifest(data or golden(), RETRIEVE, identity())


def test_manifest_is_a_kos_with_the_manifest_title_and_template() -> None:
    ds = build()
    assert ds.SOPClassUID == xdsi.KOS_SOP_CLASS_UID
    assert ds.Modality == "KO"
    assert ds.SOPInstanceUID == "2.25.10002" and ds.SeriesInstanceUID == "2.25.10001"
    assert ds.StudyInstanceUID == STUDY
    title = ds.ConceptNameCodeSequence[0]
    assert (title.CodeValue, title.CodingSchemeDesignator, title.CodeMeaning) == (
        "113030",
        "DCM",
        "Manifest",
    )
    template = ds.ContentTemplateSequence[0]
    assert (template.MappingResource, template.TemplateIdentifier) == ("DCMR", "2010")
    assert (ds.ValueType, ds.ContinuityOfContent) == ("CONTAINER", "SEPARATE")
    assert ds.PatientID == "123456782" and ds.AccessionNumber == "ACC-1001"
    assert str(ds.PatientName) == "Jansen^Zoë"
    assert "ReferencedPerformedProcedureStepSequence" in ds


def test_evidence_lists_every_instance_per_series_with_retrieve_locations() -> None:
    ds = build()
    (study,) = ds.CurrentRequestedProcedureEvidenceSequence
    assert study.StudyInstanceUID == STUDY
    series = study.ReferencedSeriesSequence
    assert [s.SeriesInstanceUID for s in series] == [f"{STUDY}.1", f"{STUDY}.2", f"{STUDY}.3"]
    for item in series:
        assert item.RetrieveAETitle == "BEELDPORTAAL"
        assert item.RetrieveLocationUID == "2.25.1234"
        assert item.RetrieveURL == "https://pacs.example/dicomweb"
    listed = [i[2] for i in kos.referenced_instances(ds)]
    assert listed == [f"{STUDY}.{s}.{n}" for s in (1, 2) for n in (1, 2, 3)] + [
        f"{STUDY}.3.1",
        f"{STUDY}.3.2",
    ]


def test_content_sequence_and_evidence_list_the_same_instances() -> None:
    ds = build()
    content = {
        (item.ReferencedSOPSequence[0].ReferencedSOPClassUID,
         item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
        for item in ds.ContentSequence
        if "ReferencedSOPSequence" in item
    }  # fmt: skip
    evidence = {(cls, uid) for _, cls, uid in kos.referenced_instances(ds)}
    assert content == evidence
    assert len(content) == 8
    assert {item.ValueType for item in ds.ContentSequence} == {"IMAGE"}


def test_non_image_instances_become_composite_items() -> None:
    sr = dataclasses.replace(_instance(4, 1, "SR", SR), is_image=False)
    data = dataclasses.replace(golden(), instances=(*golden().instances, sr))
    types = {
        item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID: item.ValueType
        for item in build(data).ContentSequence
    }
    assert types[sr.sop_instance_uid] == "COMPOSITE"


def test_bytes_are_deterministic_except_the_own_uids() -> None:
    first = kos.encode(kos.build_manifest(golden(), RETRIEVE, identity(1)))
    shuffled = dataclasses.replace(golden(), instances=tuple(reversed(golden().instances)))
    second = kos.encode(kos.build_manifest(shuffled, RETRIEVE, identity(3)))
    assert first != second
    assert (
        first.replace(b"2.25.10001", b"2.25.30001").replace(b"2.25.10002", b"2.25.30002") == second
    )


def test_encoded_manifest_reads_back_as_a_kos_document() -> None:
    data = kos.encode(build())
    assert data[128:132] == b"DICM"
    read = pydicom.dcmread(DicomBytesIO(data))
    assert read.file_meta.MediaStorageSOPClassUID == xdsi.KOS_SOP_CLASS_UID
    doc = KeyObjectSelectionDocument.from_dataset(read)
    assert doc.resolve_reference(f"{STUDY}.3.2") == (STUDY, f"{STUDY}.3", f"{STUDY}.3.2")
    assert read.InstanceCreationDate == "20240315" and read.ContentTime == "120000"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: dataclasses.replace(d, instances=()), "no instances"),
        (
            lambda d: dataclasses.replace(
                d,
                instances=(
                    *d.instances,
                    dataclasses.replace(_instance(9, 1), study_instance_uid="1.2.3.999"),
                ),
            ),
            "one study per manifest",
        ),
        (
            lambda d: dataclasses.replace(
                d,
                instances=(
                    *d.instances,
                    dataclasses.replace(
                        _instance(9, 1), patient_id="OTHER", issuer_of_patient_id=""
                    ),
                ),
            ),
            "one patient per manifest",
        ),
        (
            lambda d: dataclasses.replace(d, instances=(*d.instances, d.instances[0])),
            "listed twice",
        ),
    ],
)
def test_refuses_input_that_is_not_one_study_of_one_patient(change: object, message: str) -> None:
    assert callable(change)
    with pytest.raises(ManifestError, match=message):
        build(change(golden()))


def _publication(replaces: str = "") -> metadata.Publication:
    return metadata.Publication(
        assigning_authority=AUTHORITY,
        source_id="2.25.1234",
        submission_set_unique_id="2.25.99",
        entry_uuid="urn:uuid:5b8f3c16-7f47-4e0e-9a39-8b1f6b0d2a11",
        document_unique_id="2.25.12",
        created=CREATED,
        replaces=replaces,
    )


def _problems(request: etree._Element) -> list[str]:
    """What the project's ITI-41 metadata validator finds (ITI TF-3 4.3.1, column DS)."""
    found = ErrorCollector()
    code = ErrorCode.REPOSITORY_METADATA_ERROR
    check_objects(read_object_list(request[0]), "ITI-41", found, code)
    return [e.context for e in found.errors]


def test_document_entry_has_the_xdsi_values() -> None:
    entry = metadata.document_entry(golden(), _publication())
    assert entry.mime_type == "application/dicom"
    assert entry.format_code is not None
    assert (entry.format_code.code, entry.format_code.scheme) == (
        "1.2.840.10008.5.1.4.1.1.88.59",
        "1.2.840.10008.2.6.1",
    )
    assert entry.unique_id == "2.25.12"
    assert entry.patient_id == f"123456782^^^&{AUTHORITY}&ISO"
    assert [(c.code, c.scheme) for c in entry.event_codes] == [
        ("CT", "1.2.840.10008.2.16.4"),
        ("MR", "1.2.840.10008.2.16.4"),
    ]
    assert entry.reference_ids == [
        f"{STUDY}^^^^urn:ihe:iti:xds:2016:studyInstanceUID",
        "ACC-1001^^^^urn:ihe:iti:xds:2013:accession",
    ]
    assert entry.source_patient_info == [
        f"PID-3|123456782^^^&{AUTHORITY}&ISO",
        "PID-5|Jansen^Zoë",
        "PID-7|19700101",
        "PID-8|F",
    ]
    assert entry.creation_time == "20240315120000"
    assert entry.service_start_time.startswith("202403")


def test_submission_passes_the_iti41_metadata_validator() -> None:
    request = metadata.submission(golden(), _publication())
    found = ErrorCollector()
    check_objects(
        read_object_list(request[0]), "ITI-41", found, ErrorCode.REPOSITORY_METADATA_ERROR
    )
    assert [e.context for e in found.errors] == []


def test_replacement_adds_one_rplc_association_to_the_previous_entry() -> None:
    old = "urn:uuid:0d5e0b52-1111-4c4c-8f0e-000000000001"
    request = metadata.submission(golden(), _publication(replaces=old))
    replaced = [
        a
        for a in request.iter(rim.T_ASSOCIATION)
        if a.get("associationType") == AssociationType.RPLC
    ]
    assert len(replaced) == 1
    assert replaced[0].get("sourceObject") == _publication().entry_uuid
    assert replaced[0].get("targetObject") == old
    found = ErrorCollector()
    check_objects(
        read_object_list(request[0]), "ITI-41", found, ErrorCode.REPOSITORY_METADATA_ERROR
    )
    assert [e.context for e in found.errors] == []


def test_source_patient_id_uses_the_dicom_issuer_when_it_is_an_oid() -> None:
    data = golden()
    with_oid = dataclasses.replace(
        data, patient=dataclasses.replace(data.patient, issuer_of_patient_id="1.2.3.4.5.1000")
    )
    assert metadata.source_patient(with_oid, _publication())[0] == "123456782^^^&1.2.3.4.5.1000&ISO"
    local = dataclasses.replace(
        data, patient=dataclasses.replace(data.patient, issuer_of_patient_id="HOSP-A")
    )
    assert metadata.source_patient(local, _publication())[0] == f"123456782^^^&{AUTHORITY}&ISO"


@pytest.mark.skipif(
    importlib.util.find_spec("imaging_source.kos_rules") is None,
    reason="imaging_source.kos_rules (the XDS-I.b KOS validator) is not there yet",
)
def test_manifest_passes_the_xdsi_kos_rules() -> None:
    from imaging_source import kos_rules

    assert kos_rules.check_kos(build()) == []  # no errors, no warnings
    encoded = pydicom.dcmread(DicomBytesIO(kos.encode(build())))
    assert kos_rules.check_kos(encoded) == []
