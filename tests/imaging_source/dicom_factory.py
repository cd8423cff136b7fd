"""Realistic test DICOM made with pydicom in the tests themselves (no downloaded data).

A small CT study (2 series x 5 instances, 64x64, 16-bit, Explicit or Implicit VR Little
Endian) and an MR series with RLE Lossless pixel data (PS3.5 Annex G), with the attributes a
modality really sends: patient, study, series, equipment, image plane and pixel modules
(PS3.3 A.3 CT Image IOD, A.4 MR Image IOD), a nested Icon Image Sequence and a private block.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    CTImageStorage,
    ImplicitVRLittleEndian,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

from conformance.equivalents import part10 as part10  # re-exported for the tests

ROWS = COLUMNS = 64


@dataclass
class Patient:
    """Patient Module values (PS3.3 C.7.1.1); a Dutch name with diacritics in ISO_IR 192."""

    patient_id: str = "PAT-001"
    issuer: str = "HOSP-A"
    name: str = "Jansen^Zoë^^^"
    birth_date: str = "19700101"
    sex: str = "F"


@dataclass
class StudyPlan:
    """What to generate: one study with ``series`` series of ``instances`` instances."""

    patient: Patient = field(default_factory=Patient)
    study_uid: str = field(default_factory=lambda: generate_uid())
    accession: str = "ACC-1001"
    modality: str = "CT"
    series: int = 2
    instances: int = 5


def _pixels(seed: int, bits: int = 16) -> bytes:
    """Deterministic 64x64 pixel values (a gradient with a seed offset)."""
    if bits == 8:
        return bytes((r * 4 + c + seed) % 256 for r in range(ROWS) for c in range(COLUMNS))
    return b"".join(
        struct.pack("<H", (r * 64 + c * 3 + seed * 7) % 4096)
        for r in range(ROWS)
        for c in range(COLUMNS)
    )


def _icon() -> Sequence:
    """An Icon Image Sequence (0088,0200) item: 8-bit 64x64 pixel data, nested bulk data."""
    icon = Dataset()
    icon.SamplesPerPixel = 1
    icon.PhotometricInterpretation = "MONOCHROME2"
    icon.Rows = ROWS
    icon.Columns = COLUMNS
    icon.BitsAllocated = 8
    icon.BitsStored = 8
    icon.HighBit = 7
    icon.PixelRepresentation = 0
    icon.PixelData = _pixels(3, bits=8)
    return Sequence([icon])


def _patient_study(ds: Dataset, plan: StudyPlan) -> None:
    """Patient and General Study modules (PS3.3 C.7.1.1, C.7.2.1)."""
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = plan.patient.name
    ds.PatientID = plan.patient.patient_id
    ds.IssuerOfPatientID = plan.patient.issuer
    ds.PatientBirthDate = plan.patient.birth_date
    ds.PatientSex = plan.patient.sex
    ds.StudyInstanceUID = plan.study_uid
    ds.StudyDate = "20240315"
    ds.StudyTime = "101500"
    ds.AccessionNumber = plan.accession
    ds.ReferringPhysicianName = "de Vries^Anna^^Dr."
    ds.StudyID = "S1"
    ds.StudyDescription = "CT thorax"


def _series_image(ds: Dataset, plan: StudyPlan, series_uid: str, s: int, i: int) -> None:
    """General Series, Equipment, General Image and Image Plane modules (PS3.3 C.7.3.1 ...)."""
    ds.Modality = plan.modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = s + 1
    ds.SeriesDescription = f"series {s + 1}"
    ds.PerformedProcedureStepStartDate = "20240315"
    ds.PerformedProcedureStepStartTime = "101600"
    ds.Manufacturer = "Beeldportaal Test"
    ds.InstanceNumber = i + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.ImagePositionPatient = [-160.0, -160.0, float(-i * 2.5)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = "2.5"
    ds.IconImageSequence = _icon()
    ds.add_new(0x00091010, "LO", "BEELDPORTAAL TEST")
    ds.add_new(0x00091011, "OB", bytes(range(256)) * 8)  # a 2 KiB private blob


def _pixel_module(ds: Dataset, seed: int) -> None:
    """Image Pixel module (PS3.3 C.7.6.3), 16-bit monochrome."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ROWS
    ds.Columns = COLUMNS
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.PixelData = _pixels(seed)


def make_instance(
    plan: StudyPlan, series_uid: str, s: int, i: int, sop_class: str = CTImageStorage
) -> Dataset:
    """One image instance of ``plan`` in series ``s`` (0-based) at position ``i``."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    _patient_study(ds, plan)
    _series_image(ds, plan, series_uid, s, i)
    _pixel_module(ds, seed=s * 100 + i)
    return ds


def make_study(plan: StudyPlan | None = None) -> list[Dataset]:
    """All instances of a study: ``plan.series`` x ``plan.instances`` (default a 2x5 CT)."""
    plan = plan or StudyPlan()
    out: list[Dataset] = []
    for s in range(plan.series):
        series_uid = generate_uid()
        out.extend(make_instance(plan, series_uid, s, i) for i in range(plan.instances))
    return out


def implicit(ds: Dataset) -> bytes:
    """``ds`` as a Part 10 file in Implicit VR Little Endian."""
    return part10(ds, ImplicitVRLittleEndian)


def rle_segment(data: bytes) -> bytes:
    """PackBits-style RLE of one byte plane using literal runs only (PS3.5 G.3.1)."""
    out = bytearray()
    for start in range(0, len(data), 128):
        run = data[start : start + 128]
        out.append(len(run) - 1)
        out += run
    if len(out) % 2:
        out.append(0x80)  # a no-op byte pads the segment to even length
    return bytes(out)


def rle_frame(pixels: bytes, bytes_per_sample: int) -> bytes:
    """One RLE Lossless frame (PS3.5 G.4/G.5): header of 16 offsets, most significant first."""
    planes = [pixels[b::bytes_per_sample] for b in reversed(range(bytes_per_sample))]
    segments = [rle_segment(p) for p in planes]
    offsets, pos = [], 64
    for seg in segments:
        offsets.append(pos)
        pos += len(seg)
    header = struct.pack("<16L", len(segments), *offsets, *([0] * (15 - len(offsets))))
    return header + b"".join(segments)


def encapsulate(frames: list[bytes]) -> bytes:
    """Encapsulated Pixel Data items (PS3.5 A.4): empty Basic Offset Table, a fragment per frame."""
    out = bytearray(struct.pack("<HHL", 0xFFFE, 0xE000, 0))
    for frame in frames:
        padded = frame + (b"\x00" if len(frame) % 2 else b"")
        out += struct.pack("<HHL", 0xFFFE, 0xE000, len(padded)) + padded
    return bytes(out)  # pydicom writes the Sequence Delimitation Item


def make_mr_rle(plan: StudyPlan | None = None, count: int = 3) -> list[bytes]:
    """MR images (PS3.3 A.4) with RLE Lossless pixel data, as Part 10 files."""
    plan = plan or StudyPlan(modality="MR", accession="ACC-2002", series=1, instances=count)
    series_uid = generate_uid()
    files: list[bytes] = []
    for i in range(count):
        ds = make_instance(plan, series_uid, 0, i, sop_class=MRImageStorage)
        ds.PixelData = encapsulate([rle_frame(_pixels(i), 2)])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        files.append(part10(ds, RLELossless))
    return files


def ct_files(plan: StudyPlan | None = None) -> Iterator[tuple[Dataset, bytes]]:
    """Each CT instance with its Explicit VR Little Endian Part 10 encoding."""
    for ds in make_study(plan):
        yield ds, part10(ds)
