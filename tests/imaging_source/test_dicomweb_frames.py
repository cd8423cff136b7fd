"""WADO-RS frames, rendered and thumbnail against the live server (PS3.18 10.4.1.1.3-4)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from PIL import Image
from pydicom import dcmread
from pydicom.uid import RLELossless

from tests.conftest import LiveServer
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_mr_rle, make_study, part10
from tests.imaging_source.test_dicomweb_stow import multipart
from tests.imaging_source.test_dicomweb_wado import split_parts


@dataclass
class Images:
    base: str
    ct_url: str  # instance URL of a native CT image
    ct_pixels: bytes
    mr_url: str  # instance URL of an RLE MR image
    mr_fragment: bytes  # its one compressed frame as stored
    mr_pixels: bytes  # its decoded pixels
    uids: tuple[str, str, str]  # study, series, instance of the CT image


@pytest.fixture(scope="module")
def images(live_server: LiveServer) -> Images:
    patient = Patient(patient_id=f"F-{uuid.uuid4().hex[:8]}")
    ct = make_study(StudyPlan(patient=patient, series=1, instances=1))[0]
    mr_raw = make_mr_rle(StudyPlan(patient=patient, modality="MR", series=1, instances=1), count=1)[
        0
    ]
    mr = dcmread(io.BytesIO(mr_raw))
    body, headers = multipart([part10(ct), mr_raw])
    base = f"{live_server.base_url}/dicomweb"
    assert (
        requests.post(f"{base}/studies", data=body, headers=headers, timeout=60).status_code == 200
    )
    from pydicom.encaps import generate_frames

    fragment = next(generate_frames(mr.PixelData, number_of_frames=1))
    return Images(
        base=base,
        ct_url=f"{base}/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}",
        ct_pixels=ct.PixelData,
        mr_url=f"{base}/studies/{mr.StudyInstanceUID}/series/{mr.SeriesInstanceUID}/instances/{mr.SOPInstanceUID}",
        mr_fragment=fragment,
        mr_pixels=mr.pixel_array.tobytes(),
        uids=(ct.StudyInstanceUID, ct.SeriesInstanceUID, ct.SOPInstanceUID),
    )


def get(url: str, accept: str | None = None, **params: str) -> requests.Response:
    return requests.get(
        url, headers={"Accept": accept} if accept else {}, params=params, timeout=30
    )


def test_native_frame_as_octet_stream(images: Images) -> None:
    parts = split_parts(get(f"{images.ct_url}/frames/1"))
    assert parts == [
        ("application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1", images.ct_pixels)
    ]


def test_encapsulated_frame_decoded_or_as_stored(images: Images) -> None:
    octet = 'multipart/related; type="application/octet-stream"'
    decoded = split_parts(get(f"{images.mr_url}/frames/1", octet))
    assert decoded == [
        ("application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1", images.mr_pixels)
    ]
    anything = split_parts(get(f"{images.mr_url}/frames/1", "*/*"))
    assert anything == [(f"image/dicom-rle; transfer-syntax={RLELossless}", images.mr_fragment)]
    octet_any = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    stored = split_parts(get(f"{images.mr_url}/frames/1", octet_any))
    assert stored == [
        (f"application/octet-stream; transfer-syntax={RLELossless}", images.mr_fragment)
    ]
    rle = split_parts(get(f"{images.mr_url}/frames/1", 'multipart/related; type="image/dicom-rle"'))
    assert rle == [(f"image/dicom-rle; transfer-syntax={RLELossless}", images.mr_fragment)]


def test_dicomweb_client_frames(images: Images) -> None:
    client = DICOMwebClient(images.base)
    (frame,) = client.retrieve_instance_frames(*images.uids, frame_numbers=[1])
    assert frame == images.ct_pixels


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/frames/1", None, 200),
        ("/frames/2", None, 404),
        ("/frames/1,2", None, 404),
        ("/frames/0", None, 400),
        ("/frames/a", None, 400),
        ("/frames/1", 'multipart/related; type="image/jls"', 406),
        ("/frames/1", "application/dicom+json", 406),
        ("/rendered", "image/gif", 406),
        ("/frames/2/rendered", None, 404),
    ],
)
def test_golden_frame_request_with_one_change(
    images: Images, path: str, accept: str | None, status: int
) -> None:
    response = get(images.ct_url + path, accept)
    assert response.status_code == status, response.text


def test_rendered_and_thumbnail(images: Images) -> None:
    jpeg = get(f"{images.ct_url}/rendered")
    assert jpeg.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg.content)).size == (64, 64)
    png = get(f"{images.mr_url}/frames/1/rendered", "image/png", window="40,400", viewport="32,32")
    assert png.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (32, 32)
    thumb = get(f"{images.ct_url}/thumbnail")
    assert Image.open(io.BytesIO(thumb.content)).size == (128, 128)
    assert get(f"{images.ct_url}/rendered", window="40").status_code == 400
    client = DICOMwebClient(images.base)
    rendered = client.retrieve_instance_rendered(*images.uids, media_types=("image/png",))
    assert Image.open(io.BytesIO(rendered)).format == "PNG"
