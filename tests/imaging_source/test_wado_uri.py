"""WADO-URI (RAD-55, PS3.18 chapter 9) against the live server, and the corpus RAD-55 cases.

The corpus cases name NIST image UIDs that are not in the corpus: the positive case with
explicit UIDs is replayed after storing an equivalent instance under those UIDs, the
negatives with explicit UIDs are replayed as written, and the UIDFile-based negatives
(unknown instance, instance of another series, of another study) are rebuilt on our data.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image
from pydicom.uid import generate_uid

from tests.conftest import CORPUS, LiveServer
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_study, part10
from tests.imaging_source.test_dicomweb_stow import multipart


def rad55_cases() -> list[dict[str, Any]]:
    """The RAD-55 cases of the corpus manifest."""
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text())
    return [c for c in manifest["cases"] if c["transaction"] == "RAD-55"]


def _nist_instance() -> tuple[dict[str, str], bytes] | None:
    """An instance under the UIDs of the positive case that names them (ids_4805)."""
    for case in rad55_cases():
        params = case["nist"]["wado_parameters"]
        if case["expected"] == "success" and params.get("objectUID"):
            plan = StudyPlan(
                patient=Patient(patient_id=f"N-{uuid.uuid4().hex[:8]}"),
                study_uid=params["studyUID"],
                series=1,
                instances=1,
            )
            ds = make_study(plan)[0]
            ds.SeriesInstanceUID, ds.SOPInstanceUID = params["seriesUID"], params["objectUID"]
            return params, part10(ds)
    return None


@dataclass
class Loaded:
    url: str
    study: str
    series: list[str]
    objects: list[str]  # one per series
    raw: bytes  # Part 10 bytes of objects[0]
    report: str  # an object without pixel data (series[0])


@pytest.fixture(scope="module")
def loaded(live_server: LiveServer) -> Loaded:
    plan = StudyPlan(patient=Patient(patient_id=f"U-{uuid.uuid4().hex[:8]}"), series=2, instances=1)
    datasets = make_study(plan)
    report = make_study(plan)[0]
    report.SeriesInstanceUID = datasets[0].SeriesInstanceUID
    report.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR: no pixels
    for keyword in ("PixelData", "IconImageSequence", "Rows", "Columns"):
        delattr(report, keyword)
    parts = [part10(ds) for ds in [*datasets, report]]
    nist = _nist_instance()
    if nist is not None:
        parts.append(nist[1])
    body, headers = multipart(parts)
    response = requests.post(
        f"{live_server.base_url}/dicomweb/studies", data=body, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return Loaded(
        url=f"{live_server.base_url}/wado",
        study=plan.study_uid,
        series=[ds.SeriesInstanceUID for ds in datasets],
        objects=[ds.SOPInstanceUID for ds in datasets],
        raw=parts[0],
        report=report.SOPInstanceUID,
    )


def golden(loaded: Loaded, **change: str | None) -> requests.Response:
    """The golden request (first image, DICOM) with ``change`` applied (None removes)."""
    params: dict[str, str | None] = {
        "requestType": "WADO",
        "studyUID": loaded.study,
        "seriesUID": loaded.series[0],
        "objectUID": loaded.objects[0],
        "contentType": "application/dicom",
    }
    params.update(change)
    return requests.get(
        loaded.url, params={k: v for k, v in params.items() if v is not None}, timeout=30
    )


def test_golden_request_returns_the_stored_file(loaded: Loaded) -> None:
    response = golden(loaded)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/dicom"
    assert response.content == loaded.raw


def test_default_is_jpeg_and_png_on_request(loaded: Loaded) -> None:
    jpeg = golden(loaded, contentType=None)
    assert jpeg.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg.content)).size == (64, 64)
    png = golden(loaded, contentType="image/png", rows="32", windowCenter="40", windowWidth="400")
    image = Image.open(io.BytesIO(png.content))
    assert png.headers["Content-Type"] == "image/png" and image.size == (32, 32)
    listed = golden(loaded, contentType="image/gif,image/png")
    assert listed.headers["Content-Type"] == "image/png"


def test_object_without_pixels_defaults_to_dicom(loaded: Loaded) -> None:
    response = golden(loaded, objectUID=loaded.report, contentType=None)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/dicom"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"requestType": None}, 400),
        ({"requestType": "STUDY"}, 400),
        ({"objectUID": None}, 400),
        ({"seriesUID": "1.2.x"}, 400),
        ({"rows": "64"}, 400),
        ({"contentType": "image/jpeg", "windowCenter": "40"}, 400),
        ({"contentType": "image/jpeg", "rows": "many"}, 400),
        ({"contentType": "image/jpeg", "transferSyntax": "1.2.840.10008.1.2.1"}, 400),
        ({"contentType": "image/jpeg", "frameNumber": "2"}, 404),
        ({"objectUID": "1.2.3.4.5.6.7.8.9"}, 404),
        ({"objectUID": ""}, 404),
        ({"contentType": "text/html"}, 406),
        ({"transferSyntax": "1.2.840.10008.1.2.4.50"}, 406),
        ({"anonymize": "yes"}, 406),
        ({"transferSyntax": "1.2.840.10008.1.2.1"}, 200),
    ],
)
def test_golden_request_with_one_change(
    loaded: Loaded, change: dict[str, str | None], status: int
) -> None:
    response = golden(loaded, **change)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["Content-Type"].startswith("text/plain")


def test_corpus_cases_with_their_uids(loaded: Loaded) -> None:
    replayed = 0
    for case in rad55_cases():
        params = case["nist"]["wado_parameters"]
        if not params:
            continue
        query = {"requestType": "WADO", **params}
        response = requests.get(loaded.url, params=query, timeout=30)
        expected = case.get("expected_http_status", 200)
        assert response.status_code == expected, case["id"]
        replayed += 1
    assert replayed >= 4


def test_corpus_negatives_rebuilt_on_our_data(loaded: Loaded) -> None:
    """ids_2018-4810 cases 01 (unknown instance), 02 (other series), 03 (other study)."""
    cases = {c["nist"]["section"]: c for c in rad55_cases()}
    other_study = generate_uid()
    rebuilt: dict[str, dict[str, str | None]] = {
        "case-01_Unknown_SOP_Instance_UID": {"objectUID": generate_uid()},
        "case-02_UID_wrong_series": {"objectUID": loaded.objects[1]},
        "case-03_UID_wrong_study": {"studyUID": other_study},
    }
    for section, change in rebuilt.items():
        assert golden(loaded, **change).status_code == cases[section]["expected_http_status"]
    assert golden(loaded).status_code == 200  # case-00, the comparison transaction
