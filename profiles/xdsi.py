"""XDS-I.b imaging manifest facts: the KOS document and its RAD-68 DocumentEntry, as data.

Sources: RAD TF-3 4.68.4.1.2 (RAD-68 metadata: mimeType, formatCode, eventCodeList,
referenceIdList; quoted by Gazelle assertions RAD68-019/-021), ITI TF-3 Table 4.2.3.1.7-2 (CXi
identifier types), DICOM PS3.3 A.35.4 (Key Object Selection Document IOD), PS3.16 TID 2010,
CID 7010 (document titles) and CID 29 (acquisition modality), PS3.16 Annex D (DCM codes).
See also ``../shared/reference/xds-i.md`` sections 2.1 and 3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

#: Key Object Selection Document Storage SOP Class (PS3.4 B.5); the manifest's SOP Class.
KOS_SOP_CLASS_UID: Final = "1.2.840.10008.5.1.4.1.1.88.59"
#: The manifest's Modality (0008,0060) (PS3.3 C.17.6.1 Key Object Document Series Module).
KOS_MODALITY: Final = "KO"
#: DocumentEntry.mimeType of a manifest (RAD TF-3 4.68.4.1.2.3.1).
MANIFEST_MIME_TYPE: Final = "application/dicom"

#: Coding scheme OIDs used by XDS-I.b metadata.
DICOM_UID_REGISTRY: Final = "1.2.840.10008.2.6.1"  # DICOM UIDs used as codes (formatCode)
DCM: Final = "1.2.840.10008.2.16.4"  # DICOM Controlled Terminology (PS3.16 Annex D)
LOINC: Final = "2.16.840.1.113883.6.1"
SNOMED_CT: Final = "2.16.840.1.113883.6.96"
HL7_CONFIDENTIALITY: Final = "2.16.840.1.113883.5.25"


@dataclass(frozen=True)
class CodedValue:
    """A code, its coding scheme and its display name (ITI TF-3 4.2.3.1.2)."""

    code: str
    scheme: str
    display: str


#: DocumentEntry.formatCode of every XDS-I.b manifest (RAD TF-3 4.68.4.1.2.3.1).
FORMAT_CODE: Final = CodedValue(KOS_SOP_CLASS_UID, DICOM_UID_REGISTRY, "Key Object Selection")

#: KOS document title (Concept Name of the root CONTAINER), CID 7010: (113030, DCM, "Manifest").
MANIFEST_TITLE: Final = CodedValue("113030", "DCM", "Manifest")

#: Affinity-domain defaults of a manifest DocumentEntry (the radiology defaults the
#: command line uses too; dcm4chee's XDS-I exporter uses the same LOINC code).
CLASS_CODE: Final = CodedValue("18748-4", LOINC, "Diagnostic imaging study")
TYPE_CODE: Final = CodedValue("18748-4", LOINC, "Diagnostic imaging study")
CONTENT_TYPE_CODE: Final = CodedValue("18748-4", LOINC, "Diagnostic imaging study")
CONFIDENTIALITY_CODE: Final = CodedValue("N", HL7_CONFIDENTIALITY, "normal")
HEALTHCARE_FACILITY_TYPE_CODE: Final = CodedValue("22232009", SNOMED_CT, "Hospital")
PRACTICE_SETTING_CODE: Final = CodedValue("394914008", SNOMED_CT, "Radiology")
LANGUAGE_CODE: Final = "nl-NL"


class ReferenceIdType:
    """CXi identifier types of referenceIdList (ITI TF-3 Table 4.2.3.1.7-2)."""

    ACCESSION: Final = "urn:ihe:iti:xds:2013:accession"
    STUDY_INSTANCE_UID: Final = "urn:ihe:iti:xds:2016:studyInstanceUID"
    ORDER: Final = "urn:ihe:iti:xds:2013:order"


#: CID 29 Acquisition Modality: Code Value -> Code Meaning (scheme DCM). Only these go into
#: eventCodeList; non-acquisition modalities (KO, PR, SR, SEG, REG, DOC ...) are left out.
ACQUISITION_MODALITIES: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "AR": "Autorefraction",
        "BDUS": "Ultrasound Bone Densitometry",
        "BI": "Biomagnetic Imaging",
        "BMD": "Bone Mineral Densitometry",
        "CR": "Computed Radiography",
        "CT": "Computed Tomography",
        "DG": "Diaphanography",
        "DMS": "Dermoscopy",
        "DX": "Digital Radiography",
        "ECG": "Electrocardiography",
        "EPS": "Cardiac Electrophysiology",
        "ES": "Endoscopy",
        "GM": "General Microscopy",
        "HD": "Hemodynamic Waveform",
        "IO": "Intra-oral Radiography",
        "IVOCT": "Intravascular Optical Coherence Tomography",
        "IVUS": "Intravascular Ultrasound",
        "KER": "Keratometry",
        "LEN": "Lensometry",
        "LS": "Laser Scan",
        "MG": "Mammography",
        "MR": "Magnetic Resonance",
        "NM": "Nuclear Medicine",
        "OAM": "Ophthalmic Axial Measurements",
        "OCT": "Optical Coherence Tomography",
        "OP": "Ophthalmic Photography",
        "OPM": "Ophthalmic Mapping",
        "OPT": "Ophthalmic Tomography",
        "OPV": "Ophthalmic Visual Field",
        "OSS": "Optical Surface Scanner",
        "PT": "Positron emission tomography",
        "PX": "Panoramic X-Ray",
        "RF": "Radiofluoroscopy",
        "RG": "Radiographic imaging",
        "SM": "Slide Microscopy",
        "SRF": "Subjective Refraction",
        "US": "Ultrasound",
        "VA": "Visual Acuity",
        "XA": "X-Ray Angiography",
        "XC": "External-camera Photography",
    }
)


def modality_codes(modalities: Iterable[str]) -> list[CodedValue]:
    """eventCodeList entries: one per distinct CID 29 acquisition modality among
    ``modalities``, sorted, scheme DCM (RAD TF-3 4.68.4.1.2.3.2)."""
    found = sorted({m for m in modalities if m in ACQUISITION_MODALITIES})
    return [CodedValue(m, DCM, ACQUISITION_MODALITIES[m]) for m in found]
