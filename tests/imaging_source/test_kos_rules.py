"""The XDS-I.b manifest rules (RAD TF-3 4.68.4.1.2.3; PS3.3 A.35.4): a good KOS made with
highdicom passes, each one-change variant gives exactly the one finding expected, and NIST's
own test-kit manifests from the corpus have no errors."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.tag import Tag
from pydicom.uid import BasicTextSRStorage, MRImageStorage, generate_uid

from imaging_source.kos_rules import check_kos, tag_path
from tests.conftest import CORPUS
from tests.imaging_source.dicom_factory import StudyPlan, make_study
from xds_common.findings import Finding, Severity, errors

IDS_UID = "1.3.6.1.4.1.21367.13.80.110"
EV = "(0040,A375)[0]"
SERIES0, SERIES1 = f"{EV}/(0008,1115)[0]", f"{EV}/(0008,1115)[1]"


def good_kos() -> Dataset:
    """A manifest of a 2x3 CT study as XDS-I.b wants it (highdicom + retrieve attributes)."""
    instances = make_study(StudyPlan(series=2, instances=3))
    content = KeyObjectSelection(document_title=codes.DCM.Manifest, referenced_objects=instances)
    kos = KeyObjectSelectionDocument(
        evidence=instances,
        content=content,
        series_instance_uid=generate_uid(),
        series_number=99,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="Beeldportaal",
    )
    for series in kos.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence:
        series.RetrieveAETitle = "BEELDPORTAAL"
        series.RetrieveLocationUID = IDS_UID
        series.RetrieveURL = "https://beeldportaal.example/dicomweb"
    return kos


@pytest.fixture(scope="module")
def golden() -> Dataset:
    return good_kos()


def test_golden_manifest_has_no_findings(golden: Dataset) -> None:
    assert check_kos(golden) == []


def test_tag_path() -> None:
    evidence, series = Tag("CurrentRequestedProcedureEvidenceSequence"), Tag(0x00081115)
    assert (
        tag_path((evidence, 0), (series, 2), Tag(0x00080054)) == f"{EV}/(0008,1115)[2]/(0008,0054)"
    )


def _series(ds: Dataset, n: int) -> Dataset:
    item: Dataset = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[n]
    return item


def _set(keyword: str, value: object) -> Callable[[Dataset], None]:
    return lambda ds: setattr(ds, keyword, value)


def _drop(keyword: str) -> Callable[[Dataset], None]:
    return lambda ds: delattr(ds, keyword)


def _other_title(ds: Dataset) -> None:
    ds.ConceptNameCodeSequence[0].CodeValue = "113000"  # "Of Interest": not a manifest


def _meaning(ds: Dataset) -> None:
    ds.ConceptNameCodeSequence[0].CodeMeaning = "Manifest of images"


def _second_study(ds: Dataset) -> None:
    evidence = ds.CurrentRequestedProcedureEvidenceSequence
    evidence.append(copy.deepcopy(evidence[0]))


def _evidence_study(ds: Dataset) -> None:
    ds.CurrentRequestedProcedureEvidenceSequence[0].StudyInstanceUID = "1.2.3.4"


def _series_attr(n: int, keyword: str, value: str | None) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        if value is None:
            delattr(_series(ds, n), keyword)
        else:
            setattr(_series(ds, n), keyword, value)

    return change


def _evidence_sop_class(ds: Dataset) -> None:
    del _series(ds, 0).ReferencedSOPSequence[0].ReferencedSOPClassUID


def _drop_content_item(ds: Dataset) -> None:
    del ds.ContentSequence[-1]


def _drop_evidence_item(ds: Dataset) -> None:
    del _series(ds, 1).ReferencedSOPSequence[2]


def _content_item(keyword: str, value: str) -> Callable[[Dataset], None]:
    return lambda ds: setattr(ds.ContentSequence[0], keyword, value)


def _content_sop_class(ds: Dataset) -> None:
    ds.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPClassUID = MRImageStorage


def _self_reference(ds: Dataset) -> None:
    ds.SOPInstanceUID = ds.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID


def _content_location(n: int) -> str:
    return f"(0040,A730)[{n}]/(0008,1199)[0]"


E, W = Severity.ERROR, Severity.WARNING
#: (id, change, severity, location, part of the rule) - the one finding each change gives.
CASES: list[tuple[str, Callable[[Dataset], None], Severity, str, str]] = [
    ("sop-class", _set("SOPClassUID", BasicTextSRStorage), E, "(0008,0016)", "4.68.4.1.2.3"),
    ("modality", _set("Modality", "SR"), E, "(0008,0060)", "C.17.6.1.1"),
    ("no-patient-id", _drop("PatientID"), E, "(0010,0020)", "4.68.4.1.2.3"),
    (
        "no-pps-sequence",
        _drop("ReferencedPerformedProcedureStepSequence"),
        E,
        "(0008,1111)",
        "C.17.6.1.1",
    ),
    ("no-content-date", _drop("ContentDate"), E, "(0008,0023)", "C.17.6.2.1"),
    ("root-value-type", _set("ValueType", "TEXT"), E, "(0040,A040)", "C.17.3"),
    ("continuity", _set("ContinuityOfContent", "MIXED"), E, "(0040,A050)", "C.17.3"),
    ("title", _other_title, E, "(0040,A043)[0]", "4.68.4.1.2.3"),
    ("title-meaning", _meaning, W, "(0040,A043)[0]/(0008,0104)", "CID 7010"),
    ("no-template", _drop("ContentTemplateSequence"), E, "(0040,A504)", "TID 2010"),
    ("two-studies", _second_study, E, "(0040,A375)", "4.68.4.1.2.3"),
    ("evidence-other-study", _evidence_study, E, f"{EV}/(0020,000D)", "C.17.6.2.1"),
    (
        "no-retrieve-ae",
        _series_attr(1, "RetrieveAETitle", None),
        E,
        f"{SERIES1}/(0008,0054)",
        "4.68.4.1.2.3",
    ),
    (
        "no-location-uid",
        _series_attr(0, "RetrieveLocationUID", None),
        E,
        f"{SERIES0}/(0040,E011)",
        "4.68.4.1.2.3",
    ),
    (
        "bad-location-uid",
        _series_attr(0, "RetrieveLocationUID", "1.02.x"),
        E,
        f"{SERIES0}/(0040,E011)",
        "PS3.5 9.1",
    ),
    (
        "no-retrieve-url",
        _series_attr(1, "RetrieveURL", None),
        W,
        f"{SERIES1}/(0008,1190)",
        "4.68.4.1.2.3",
    ),
    (
        "evidence-sop-class",
        _evidence_sop_class,
        E,
        f"{SERIES0}/(0008,1199)[0]/(0008,1150)",
        "C.17.2.1",
    ),
    ("not-in-content", _drop_content_item, E, f"{SERIES1}/(0008,1199)[2]", "C.17.6.2.1"),
    ("not-in-evidence", _drop_evidence_item, E, _content_location(5), "C.17.6.2.1"),
    (
        "content-value-type",
        _content_item("ValueType", "TEXT"),
        E,
        "(0040,A730)[0]/(0040,A040)",
        "TID 2010",
    ),
    (
        "content-relationship",
        _content_item("RelationshipType", "HAS PROPERTIES"),
        E,
        "(0040,A730)[0]/(0040,A010)",
        "TID 2010",
    ),
    ("content-sop-class", _content_sop_class, E, _content_location(0), "C.17.6.2.1"),
    ("self-reference", _self_reference, E, f"{SERIES0}/(0008,1199)[0]", "C.17.6.2.1"),
]


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")  # the bad-location-uid case
@pytest.mark.parametrize(
    ("change", "severity", "location", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_one_change_gives_one_finding(
    change: Callable[[Dataset], None], severity: Severity, location: str, rule: str
) -> None:
    ds = good_kos()
    change(ds)
    findings = check_kos(ds)
    relevant = errors(findings) if severity is Severity.ERROR else findings
    assert [(f.severity, f.location) for f in relevant] == [(severity, location)], findings
    assert rule in relevant[0].rule and relevant[0].message


def test_every_finding_names_its_rule_and_location() -> None:
    ds = good_kos()
    ds.ContentSequence = []
    del _series(ds, 0).RetrieveAETitle
    findings = check_kos(ds)
    assert len(errors(findings)) > 2
    assert all(isinstance(f, Finding) and f.location and f.rule for f in findings)


KOS_FILES = sorted((CORPUS / "rad68").glob("*.dcm")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", KOS_FILES, ids=[p.name for p in KOS_FILES])
def test_nist_test_kit_manifests_have_no_errors(path: Path) -> None:
    findings = check_kos(pydicom.dcmread(path))
    assert errors(findings) == []
    # Only warnings: no Retrieve URL (NIST's manifests predate the WADO-RS option), and
    # IDCDEPT002 lists some instances more than once.
    for f in findings:
        assert f.location.endswith("(0008,1190)") or "referenced twice" in f.message, f
