"""Equivalents of NIST's XDS-I.b image sets: what the positive retrieves ask for, generated.

NIST's Imaging Document Source tests (ids_48xx, ids_2018-48xx, corpus README §5.1) start with
"import the test images into your IDS SUT" (ids_4801 readme). The image sets are not in the
corpus, so the runner loads an *equivalent*: for every instance a positive RAD-69 or RAD-55
step requests, a small generated Secondary Capture image (PS3.3 A.8.1) with exactly the
Study, Series and SOP Instance UIDs the step names and the patient the test's readme names.

Where a step names its instances:

* RAD-69 ``ImagingDocSetRetrieveTransaction``: ``StudyRequest/@studyInstanceUID``,
  ``SeriesRequest/@seriesInstanceUID`` and each ``DocumentUniqueId`` of its MetadataFile
  (RAD TF-3 4.69.4.1.2);
* RAD-55 ``WADOTransaction``: the ``studyUID``/``seriesUID``/``objectUID`` parameters
  (PS3.18 Table 9.1.2-1), or the lines ``study:series:object`` of its ``UIDFile`` when a full NIST
  test kit (``--testkit``) provides that file.

Negative steps are not looked at: they run as written.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, SecondaryCaptureImageStorage

from conformance.corpus import Corpus
from conformance.feed import NIST_AUTHORITY
from conformance.testplan import NistTest, Section, Step, load_test
from profiles import namespaces as ns
from xds_common.xml import XmlRejected, parse

#: NIST transaction elements of RAD-69 (README §5.1).
RAD69_ELEMENTS = frozenset({"ImagingDocSetRetrieveTransaction", "RetrieveImagingDocSetTransaction"})
#: The patient of an image set whose test readme names none (NIST's test authority).
DEFAULT_PATIENT = f"IDS-EQUIVALENT^^^&{NIST_AUTHORITY}&ISO"
#: Rows and columns of the generated image.
SIZE = 16
#: Transfer syntax of the generated Part 10 files (what NIST's requests ask for).
TRANSFER_SYNTAX = ExplicitVRLittleEndian

_CX = re.compile(r"[A-Za-z0-9._-]+\^\^\^&[0-9.]+&ISO")
_STUDY = ns.qn(ns.XDSI, "StudyRequest")
_SERIES = ns.qn(ns.XDSI, "SeriesRequest")
_DOCUMENT_UID = ns.qn(ns.XDSB, "DocumentUniqueId")


@dataclass(frozen=True)
class Wanted:
    """One instance a positive step requests, and the patient of its image set."""

    study: str
    series: str
    sop: str
    patient: str
    #: ``test/section/step`` that asks for it first
    asked_by: str


@dataclass(frozen=True)
class Unknown:
    """A positive step whose instances cannot be known (why, for the report)."""

    asked_by: str
    reason: str


#: (test, section, step) of a NIST step.
StepKey = tuple[str, str, str]


@dataclass
class Requests:
    """What the positive retrieves ask for: each instance once (the first asker's patient),
    the SOP Instance UIDs per step, and the positive steps whose instances are not known."""

    instances: list[Wanted] = field(default_factory=list)
    asked: dict[StepKey, list[str]] = field(default_factory=dict)
    unknown: list[Unknown] = field(default_factory=list)


def wanted_instances(corpus: Corpus, tests: Iterable[str]) -> Requests:
    """Every instance the positive RAD-69/RAD-55 steps of ``tests`` request."""
    found: dict[str, Wanted] = {}
    out = Requests()
    for test_id in tests:
        path = corpus.test_dir(test_id)
        if path is None:
            continue
        test = load_test(path)
        patient = readme_patient(path)
        for section in test.sections:
            for step in section.steps:
                if not _positive(corpus, test, section, step):
                    continue
                key = (test.id, section.name, step.id)
                try:
                    triples = requested(corpus, section, step)
                except (OSError, XmlRejected, ValueError) as exc:
                    out.unknown.append(Unknown("/".join(key), str(exc)))
                    continue
                if triples is None:
                    continue
                out.asked[key] = [sop for _, _, sop in triples]
                for study, series, sop in triples:
                    found.setdefault(sop, Wanted(study, series, sop, patient, "/".join(key)))
    out.instances = list(found.values())
    return out


def _positive(corpus: Corpus, test: NistTest, section: Section, step: Step) -> bool:
    """Whether ``step`` is a RAD-69/RAD-55 retrieve expected to succeed (MANIFEST first)."""
    if step.transaction not in RAD69_ELEMENTS and step.transaction != "WADOTransaction":
        return False
    case = corpus.manifest.get((test.id, section.name, step.id))
    if case is not None:
        return case.expected == "success"
    return "Success" in step.expected_status


def requested(corpus: Corpus, section: Section, step: Step) -> list[tuple[str, str, str]] | None:
    """(study, series, SOP Instance UID) the step requests; None for a RAD-55 step whose
    ``UIDFile`` no test kit root provides. Raises ValueError when a named file is missing."""
    if step.transaction in RAD69_ELEMENTS:
        name = step.metadata_file or ""
        path = corpus.resolve_file(section.path, name) if name else None
        if path is None:
            raise ValueError(f"MetadataFile {name!r} not found")
        return rad69_requested(path.read_bytes())
    params = dict(step.wado_parameters)
    study, series, sop = (params.get(k, "") for k in ("studyUID", "seriesUID", "objectUID"))
    if study and series and sop:
        return [(study, series, sop)]
    if step.uid_file:
        path = corpus.resolve_file(section.path, step.uid_file)
        return None if path is None else uid_file_lines(path.read_text(encoding="utf-8"))
    return None


def rad69_requested(request: bytes) -> list[tuple[str, str, str]]:
    """(study, series, SOP Instance UID) of every DocumentRequest (RAD TF-3 4.69.4.1.2)."""
    root = parse(request.lstrip())
    found = []
    for study in root.iter(_STUDY):
        for series in study.iter(_SERIES):
            for uid in series.iter(_DOCUMENT_UID):
                triple = (
                    (study.get("studyInstanceUID") or "").strip(),
                    (series.get("seriesInstanceUID") or "").strip(),
                    (uid.text or "").strip(),
                )
                if all(triple):
                    found.append(triple)
    return found


def uid_file_lines(text: str) -> list[tuple[str, str, str]]:
    """The ``study:series:object`` lines of a NIST ``UIDFile`` (blank lines ignored)."""
    found = []
    for line in text.splitlines():
        parts = tuple(p.strip() for p in line.split(":"))
        if len(parts) == 3 and all(parts):
            found.append((parts[0], parts[1], parts[2]))
        elif line.strip():
            raise ValueError(f"UIDFile line is not study:series:object: {line.strip()!r}")
    return found


def readme_patient(test_dir: Path) -> str:
    """The patient id (CX) the test's ``readme.txt`` says the image set uses, or
    :data:`DEFAULT_PATIENT`."""
    for readme in sorted(test_dir.glob("**/readme*.txt")):
        match = _CX.search(html.unescape(readme.read_text(encoding="utf-8", errors="replace")))
        if match:
            return match.group(0)
    return DEFAULT_PATIENT


def build(wanted: Iterable[Wanted]) -> dict[str, bytes]:
    """One generated Part 10 file per wanted instance, by SOP Instance UID."""
    numbers: dict[str, int] = {}
    files: dict[str, bytes] = {}
    for item in wanted:
        numbers[item.series] = numbers.get(item.series, 0) + 1
        files[item.sop] = part10(instance(item, numbers[item.series]))
    return files


def by_study(wanted: Iterable[Wanted]) -> Iterator[tuple[str, list[Wanted]]]:
    """The wanted instances grouped per study, in first-seen order."""
    groups: dict[str, list[Wanted]] = {}
    for item in wanted:
        groups.setdefault(item.study, []).append(item)
    yield from groups.items()


def instance(item: Wanted, number: int) -> Dataset:
    """A Secondary Capture image (PS3.3 A.8.1: Patient, General Study, General Series, SC
    Equipment, General Image, Image Pixel, SOP Common) with ``item``'s UIDs and patient."""
    patient_id, _, issuer = item.patient.partition("^^^")
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = item.sop
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Equivalent^NIST image set"
    ds.PatientID = patient_id
    ds.IssuerOfPatientID = issuer.strip("&").split("&")[0]
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = item.study
    ds.StudyDate = "20160402"
    ds.StudyTime = "095400"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = "NIST"
    ds.StudyDescription = "Equivalent of a NIST XDS-I.b image set"
    ds.Modality = "OT"
    ds.SeriesInstanceUID = item.series
    ds.SeriesNumber = 1
    ds.ConversionType = "WSD"
    ds.InstanceNumber = number
    ds.PatientOrientation = ""
    _pixels(ds, number)
    return ds


def _pixels(ds: Dataset, seed: int) -> None:
    """Image Pixel module (PS3.3 C.7.6.3): an 8-bit monochrome gradient."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = SIZE
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((r * SIZE + c + seed * 16) % 256 for r in range(SIZE) for c in range(SIZE))


def part10(ds: Dataset, transfer_syntax: str = TRANSFER_SYNTAX) -> bytes:
    """``ds`` as a DICOM Part 10 file (PS3.10 7.1) in ``transfer_syntax``."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.file_meta = meta
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
