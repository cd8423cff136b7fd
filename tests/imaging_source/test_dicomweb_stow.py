"""STOW-RS against the live server (PS3.18 10.5): dicomweb-client, then raw golden requests.

Golden request plus one change → one expected status: wrong media type 415, no boundary 400,
broken body 400, another study's instance to ``/studies/{uid}`` 409 (Failure Reason A900).
"""

from __future__ import annotations

import io
import uuid

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread
from pydicom.uid import generate_uid

from tests.conftest import LiveServer
from tests.imaging_source.dicom_factory import StudyPlan, make_mr_rle, make_study, part10


def dicomweb(server: LiveServer) -> DICOMwebClient:
    """A dicomweb-client on the server's DICOMweb base."""
    return DICOMwebClient(f"{server.base_url}/dicomweb")


def multipart(parts: list[bytes], boundary: str = "b0undary") -> tuple[bytes, dict[str, str]]:
    """A STOW-RS body (PS3.18 8.6.1.2) of ``parts`` and its Content-Type header."""
    body = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + p + b"\r\n"
        for p in parts
    )
    body += b"--" + boundary.encode() + b"--\r\n"
    ctype = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return body, {"Content-Type": ctype, "Accept": "application/dicom+json"}


def post(
    server: LiveServer, body: bytes, headers: dict[str, str], path: str = "/studies"
) -> requests.Response:
    return requests.post(
        f"{server.base_url}/dicomweb{path}", data=body, headers=headers, timeout=60
    )


def test_dicomweb_client_stores_a_study(live_server: LiveServer) -> None:
    datasets = [dcmread(io.BytesIO(part10(ds))) for ds in make_study(StudyPlan(series=2))]
    response = dicomweb(live_server).store_instances(datasets)
    stored = response.ReferencedSOPSequence
    assert sorted(item.ReferencedSOPInstanceUID for item in stored) == sorted(
        ds.SOPInstanceUID for ds in datasets
    )
    assert response.RetrieveURL.endswith(f"/dicomweb/studies/{datasets[0].StudyInstanceUID}")
    assert "FailedSOPSequence" not in response


def test_golden_request_is_200(live_server: LiveServer) -> None:
    plan = StudyPlan(series=1, instances=2)
    body, headers = multipart([part10(ds) for ds in make_study(plan)])
    response = post(live_server, body, headers, f"/studies/{plan.study_uid}")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/dicom+json")
    assert len(response.json()["00081199"]["Value"]) == 2


def test_rle_instances_are_stored(live_server: LiveServer) -> None:
    body, headers = multipart(make_mr_rle(count=2))
    response = post(live_server, body, headers)
    assert response.status_code == 200, response.text


def test_instance_of_another_study_is_409(live_server: LiveServer) -> None:
    body, headers = multipart([part10(make_study(StudyPlan(series=1, instances=1))[0])])
    response = post(live_server, body, headers, f"/studies/{generate_uid()}")
    assert response.status_code == 409
    failed = response.json()["00081198"]["Value"][0]
    assert failed["00081197"]["Value"] == [0xA900]


def test_one_good_one_garbage_is_202(live_server: LiveServer) -> None:
    good = part10(make_study(StudyPlan(series=1, instances=1))[0])
    body, headers = multipart([good, b"not dicom at all" * 20])
    response = post(live_server, body, headers)
    assert response.status_code == 202
    assert len(response.json()["00081198"]["Value"]) == 1
    assert len(response.json()["00081199"]["Value"]) == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("content-type application/dicom", 415),
        ("type application/dicom+xml", 415),
        ("no boundary", 400),
        ("no closing boundary", 400),
        ("no parts", 400),
    ],
)
def test_golden_request_with_one_change(live_server: LiveServer, change: str, status: int) -> None:
    uid = uuid.uuid4().hex  # nothing may be stored under this patient by the broken request
    plan = StudyPlan(series=1, instances=1)
    plan.patient.patient_id = uid
    body, headers = multipart([part10(ds) for ds in make_study(plan)])
    if change == "content-type application/dicom":
        headers["Content-Type"] = "application/dicom"
    elif change == "type application/dicom+xml":
        headers["Content-Type"] = headers["Content-Type"].replace("dicom", "dicom+xml")
    elif change == "no boundary":
        headers["Content-Type"] = 'multipart/related; type="application/dicom"'
    elif change == "no closing boundary":
        body = body[: body.rindex(b"\r\n--")]
    elif change == "no parts":
        body = b"--b0undary--\r\n"
    response = post(live_server, body, headers)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    found = requests.get(
        f"{live_server.base_url}/dicomweb/studies", params={"PatientID": uid}, timeout=30
    )
    assert found.json() == []
