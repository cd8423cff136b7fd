"""WADO-RS retrieve and metadata against the live server (PS3.18 10.4).

A CT study (Explicit VR Little Endian) and an MR series (RLE Lossless) are stored by STOW-RS;
every retrieve must give back the stored bytes unchanged, with an exact Content-Length.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

from tests.conftest import LiveServer
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_mr_rle, make_study, part10
from tests.imaging_source.test_dicomweb_stow import multipart

ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'


@dataclass
class Stored:
    base: str
    ct_study: str
    ct_series: list[str]
    mr_study: str
    mr_series: str
    #: SOP Instance UID → (series UID, the Part 10 bytes sent)
    files: dict[str, tuple[str, bytes]]


@pytest.fixture(scope="module")
def stored(live_server: LiveServer) -> Stored:
    patient = Patient(patient_id=f"W-{uuid.uuid4().hex[:12]}")
    ct = StudyPlan(patient=patient, series=2, instances=3)
    files = {ds.SOPInstanceUID: (ds.SeriesInstanceUID, part10(ds)) for ds in make_study(ct)}
    mr = StudyPlan(patient=patient, modality="MR", series=1, instances=2)
    mr_files = make_mr_rle(mr, count=2)
    from pydicom import dcmread  # local: only to learn the UIDs of the MR files

    mr_datasets = [dcmread(__import__("io").BytesIO(b), stop_before_pixels=True) for b in mr_files]
    for ds, raw in zip(mr_datasets, mr_files, strict=True):
        files[ds.SOPInstanceUID] = (ds.SeriesInstanceUID, raw)
    body, headers = multipart([raw for _, raw in files.values()])
    response = requests.post(
        f"{live_server.base_url}/dicomweb/studies", data=body, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return Stored(
        base=f"{live_server.base_url}/dicomweb",
        ct_study=ct.study_uid,
        ct_series=sorted({s for s, _ in files.values()} - {mr_datasets[0].SeriesInstanceUID}),
        mr_study=mr.study_uid,
        mr_series=mr_datasets[0].SeriesInstanceUID,
        files=files,
    )


def split_parts(response: requests.Response) -> list[tuple[str, bytes]]:
    """The (Content-Type, content) of each part of a multipart/related response."""
    ctype = response.headers["Content-Type"]
    assert ctype.startswith("multipart/related")
    boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip('"').encode()
    body = response.content
    assert body.endswith(b"--" + boundary + b"--\r\n")
    parts = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().strip().split("\r\n") if line)
        assert content.endswith(b"\r\n")
        content = content[:-2]
        assert int(headers["Content-Length"]) == len(content)
        parts.append((headers["Content-Type"], content))
    return parts


def get(url: str, accept: str | None = ANY) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(url, headers=headers, timeout=60)


def test_study_retrieve_is_byte_identical(stored: Stored) -> None:
    response = get(f"{stored.base}/studies/{stored.ct_study}")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    parts = split_parts(response)
    ct = {uid: raw for uid, (series, raw) in stored.files.items() if series in stored.ct_series}
    assert sorted(content for _, content in parts) == sorted(ct.values())
    assert all(
        t == f"application/dicom; transfer-syntax={ExplicitVRLittleEndian}" for t, _ in parts
    )


def test_series_and_instance_retrieve(stored: Stored) -> None:
    series = split_parts(get(f"{stored.base}/studies/{stored.mr_study}/series/{stored.mr_series}"))
    mr = {raw for s, raw in stored.files.values() if s == stored.mr_series}
    assert {content for _, content in series} == mr
    assert series[0][0] == f"application/dicom; transfer-syntax={RLELossless}"
    uid, (series_uid, raw) = next(iter(stored.files.items()))
    one = get(f"{stored.base}/studies/{stored.ct_study}/series/{series_uid}/instances/{uid}")
    assert split_parts(one) == [
        (f"application/dicom; transfer-syntax={ExplicitVRLittleEndian}", raw)
    ]


def test_dicomweb_client_retrieves(stored: Stored) -> None:
    client = DICOMwebClient(stored.base)
    datasets = client.retrieve_study(stored.ct_study, media_types=(("application/dicom", "*"),))
    assert len(datasets) == 6
    default = client.retrieve_series(stored.ct_study, stored.ct_series[0])  # Explicit VR LE
    assert len(default) == 3
    uid = next(u for u, (s, _) in stored.files.items() if s == stored.mr_series)
    instance = client.retrieve_instance(
        stored.mr_study, stored.mr_series, uid, media_types=(("application/dicom", "*"),)
    )
    assert instance.SOPInstanceUID == uid


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (ANY, 200),
        (None, 200),
        ("*/*", 200),
        ('multipart/related; type="application/dicom"', 200),
        (f'multipart/related; type="application/dicom"; transfer-syntax={RLELossless}', 200),
        ('multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1', 406),
        ("application/dicom+json", 406),
        ('multipart/related; type="application/octet-stream"', 406),
        ('multipart/related; type="application/dicom"; transfer-syntax=not-a-uid', 400),
        ("this is not a media range", 400),
    ],
)
def test_golden_retrieve_with_one_accept_change(
    stored: Stored, accept: str | None, status: int
) -> None:
    response = get(f"{stored.base}/studies/{stored.mr_study}", accept)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["Content-Type"].startswith("text/plain")


def test_unknown_targets_are_404(stored: Stored) -> None:
    other = generate_uid()
    series = stored.ct_series[0]
    sop = next(u for u, (s, _) in stored.files.items() if s == series)
    for path in (
        f"/studies/{other}",
        f"/studies/{stored.mr_study}/series/{series}",  # the series of another study
        f"/studies/{stored.ct_study}/series/{stored.ct_series[1]}/instances/{sop}",  # wrong series
        f"/studies/{other}/metadata",
        f"/studies/{stored.ct_study}/series/{other}/metadata",
    ):
        assert get(stored.base + path, None).status_code == 404, path


def test_metadata(stored: Stored) -> None:
    client = DICOMwebClient(stored.base)
    study = client.retrieve_study_metadata(stored.ct_study)
    assert len(study) == 6
    bulk = study[0]["7FE00010"]["BulkDataURI"]
    assert bulk.startswith(f"{stored.base}/studies/{stored.ct_study}/series/")
    series = client.retrieve_series_metadata(stored.ct_study, stored.ct_series[0])
    assert len(series) == 3
    sop = series[0]["00080018"]["Value"][0]
    instance = client.retrieve_instance_metadata(stored.ct_study, stored.ct_series[0], sop)
    assert instance["00080018"]["Value"] == [sop]
    response = get(f"{stored.base}/studies/{stored.ct_study}/metadata", "application/dicom+json")
    assert response.headers["Content-Type"].startswith("application/dicom+json")


def test_metadata_as_xml_is_406(stored: Stored) -> None:
    accept = 'multipart/related; type="application/dicom+xml"'
    response = get(f"{stored.base}/studies/{stored.ct_study}/metadata", accept)
    assert response.status_code == 406
