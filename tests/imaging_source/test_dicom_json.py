"""DICOM JSON of an instance (PS3.18 F.2): bulk data as BulkDataURI (F.2.6), never inline pixels."""

from __future__ import annotations

import io
import json
from typing import Any

from pydicom.dataset import Dataset

from imaging_source import dicom_json, header, part10
from tests.imaging_source.dicom_factory import implicit, make_mr_rle, make_study
from tests.imaging_source.dicom_factory import part10 as encode

BASE = "https://beeldportaal.example/dicom-web"


def as_json(data: bytes) -> dict[str, Any]:
    meta = part10.read_file_meta(data[: part10.HEAD_BYTES])
    parsed = header.read_header(io.BytesIO(data), meta, len(data))
    ds = parsed.dataset
    path = dicom_json.instance_path(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    doc: dict[str, Any] = json.loads(
        dicom_json.to_text(dicom_json.instance_json(ds, parsed.pixel, path))
    )
    return doc


def test_pixel_data_is_a_bulk_data_uri() -> None:
    ds = make_study()[0]
    doc = as_json(encode(ds))
    prefix = (
        f"studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}/bulkdata"
    )
    assert doc["7FE00010"] == {"vr": "OW", "BulkDataURI": f"{prefix}/7FE00010"}
    assert list(doc)[-1] == "7FE00010"
    icon = doc["00880200"]["Value"][0]
    assert icon["7FE00010"] == {"vr": "OB", "BulkDataURI": f"{prefix}/00880200/1/7FE00010"}
    assert doc["00091011"] == {"vr": "OB", "BulkDataURI": f"{prefix}/00091011"}


def test_no_binary_value_is_inline_above_the_threshold() -> None:
    text = json.dumps(as_json(encode(make_study()[0])))
    assert "InlineBinary" not in text
    assert len(text) < 12_000  # the 8 KiB pixels and 4 KiB icon are not in it


def test_values_follow_the_json_model() -> None:
    ds = make_study()[0]
    doc = as_json(encode(ds))
    assert doc["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Jansen^Zoë^^^"}]}
    assert doc["00100020"] == {"vr": "LO", "Value": ["PAT-001"]}
    assert doc["00200013"] == {"vr": "IS", "Value": [1]}
    assert doc["00280010"] == {"vr": "US", "Value": [64]}
    assert doc["00200037"] == {"vr": "DS", "Value": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]}
    assert all(not key.endswith("0000") for key in doc)  # no group lengths


def test_implicit_vr_gets_real_vrs() -> None:
    doc = as_json(implicit(make_study()[0]))
    assert doc["7FE00010"]["vr"] == "OW"
    assert doc["00280010"]["vr"] == "US"
    assert all(" or " not in str(v["vr"]) for v in doc.values())


def test_encapsulated_pixel_data_is_ob() -> None:
    doc = as_json(make_mr_rle(count=1)[0])
    assert doc["7FE00010"]["vr"] == "OB"
    assert "BulkDataURI" in doc["7FE00010"]


def test_small_binary_values_stay_inline() -> None:
    ds = make_study()[0]
    ds.add_new(0x00091012, "OB", b"\x01\x02\x03\x04")
    doc = as_json(encode(ds))
    assert doc["00091012"] == {"vr": "OB", "InlineBinary": "AQIDBA=="}


def test_metadata_array_absolutizes_and_round_trips_through_pydicom() -> None:
    texts = [dicom_json.to_text(as_json(encode(ds))) for ds in make_study()[:3]]
    body = dicom_json.metadata_array(texts, BASE + "/")
    docs = json.loads(body)
    assert len(docs) == 3
    uris = [d["7FE00010"]["BulkDataURI"] for d in docs]
    assert all(u.startswith(BASE + "/studies/") and "//studies" not in u for u in uris)
    seen: list[str] = []

    def fetch(uri: str) -> bytes:
        seen.append(uri)
        return b""

    back = Dataset.from_json(docs[0], bulk_data_uri_handler=fetch)
    assert back.PatientName == "Jansen^Zoë^^^"
    assert uris[0] in seen
