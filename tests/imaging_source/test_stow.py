"""STOW-RS core: study-targeted ingest and the Store Instances Response (PS3.18 10.5, Annex I)."""

from __future__ import annotations

import pytest

from imaging_source.errors import IngestError, Reason
from imaging_source.ingest import Ingestor
from imaging_source.stow import PartOutcome, stow_response
from tests.imaging_source.dicom_factory import StudyPlan, make_study
from tests.imaging_source.dicom_factory import part10 as encode

BASE = "https://beeldportaal.example/dicom-web/"


def outcomes(ingestor: Ingestor, parts: list[bytes], study_uid: str | None) -> list[PartOutcome]:
    """What the endpoint does per body part."""
    out: list[PartOutcome] = []
    for part in parts:
        try:
            out.append(ingestor.ingest(part, origin="stow-rs", study_uid=study_uid))
        except IngestError as exc:
            out.append(exc)
    return out


def test_all_stored_is_200_with_retrieve_urls(ingestor: Ingestor) -> None:
    plan = StudyPlan(series=1, instances=2)
    parts = [encode(ds) for ds in make_study(plan)]
    response = stow_response(outcomes(ingestor, parts, plan.study_uid), BASE, plan.study_uid)
    assert response.status == 200
    assert response.body["00081190"]["Value"] == [f"{BASE}studies/{plan.study_uid}"]
    items = response.body["00081199"]["Value"]
    assert len(items) == 2 and "00081198" not in response.body
    assert items[0]["00081190"]["Value"][0].startswith(f"{BASE}studies/{plan.study_uid}/series/")


def test_other_study_and_garbage_give_202_with_failure_reasons(ingestor: Ingestor) -> None:
    plan = StudyPlan(series=1, instances=1)
    good = encode(make_study(plan)[0])
    other_ds = make_study()[0]
    parts = [good, encode(other_ds), b"not dicom"]
    result = outcomes(ingestor, parts, plan.study_uid)
    assert isinstance(result[1], IngestError) and result[1].reason is Reason.STUDY_MISMATCH
    response = stow_response(result, BASE, plan.study_uid)
    assert response.status == 202
    failed = response.body["00081198"]["Value"]
    assert failed[0] == {
        "00081150": {"vr": "UI", "Value": [other_ds.SOPClassUID]},
        "00081155": {"vr": "UI", "Value": [other_ds.SOPInstanceUID]},
        "00081197": {"vr": "US", "Value": [0xA900]},
    }
    assert failed[1] == {"00081197": {"vr": "US", "Value": [0xC000]}}


@pytest.mark.parametrize("study_uid", [None, "1.2.3"])
def test_nothing_stored_is_409(ingestor: Ingestor, study_uid: str | None) -> None:
    response = stow_response(outcomes(ingestor, [b"x" * 200], study_uid), BASE, study_uid)
    assert response.status == 409
    assert "00081199" not in response.body
