"""profiles.xdsi: the XDS-I.b manifest facts (RAD TF-3 4.68.4.1.2, PS3.16 CID 29/7010)."""

from __future__ import annotations

from pydicom.sr.codedict import codes
from pydicom.uid import KeyObjectSelectionDocumentStorage

from profiles import xdsi


def test_format_code_is_the_kos_sop_class_in_the_dicom_uid_registry() -> None:
    assert xdsi.FORMAT_CODE.code == KeyObjectSelectionDocumentStorage == xdsi.KOS_SOP_CLASS_UID
    assert xdsi.FORMAT_CODE.scheme == "1.2.840.10008.2.6.1"
    assert xdsi.MANIFEST_MIME_TYPE == "application/dicom"


def test_manifest_title_is_dcm_113030() -> None:
    title = codes.DCM.Manifest
    assert (xdsi.MANIFEST_TITLE.code, xdsi.MANIFEST_TITLE.display) == (title.value, title.meaning)
    assert xdsi.MANIFEST_TITLE.scheme == title.scheme_designator == "DCM"


def test_modality_meanings_match_the_dicom_dictionary() -> None:
    """Every CID 29 meaning in the table equals pydicom's DCM concept for that code."""
    by_value: dict[str, str] = {}
    for name in dir(codes.DCM):
        try:
            code = getattr(codes.DCM, name)
        except AttributeError:
            continue
        if hasattr(code, "value"):
            by_value.setdefault(code.value, code.meaning)
    checked = [m for m in xdsi.ACQUISITION_MODALITIES if m in by_value]
    assert len(checked) == len(xdsi.ACQUISITION_MODALITIES)
    for modality in checked:
        assert xdsi.ACQUISITION_MODALITIES[modality] == by_value[modality], modality


def test_modality_codes_are_distinct_sorted_and_acquisition_only() -> None:
    found = xdsi.modality_codes(["MR", "CT", "KO", "CT", "SR", "PR", ""])
    assert [(c.code, c.scheme) for c in found] == [("CT", xdsi.DCM), ("MR", xdsi.DCM)]
    assert found[0].display == "Computed Tomography"
    assert xdsi.DCM == "1.2.840.10008.2.16.4"


def test_reference_id_types() -> None:
    assert xdsi.ReferenceIdType.ACCESSION == "urn:ihe:iti:xds:2013:accession"
    assert xdsi.ReferenceIdType.STUDY_INSTANCE_UID == "urn:ihe:iti:xds:2016:studyInstanceUID"
