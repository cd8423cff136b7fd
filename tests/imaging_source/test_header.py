"""Part 10 framing and Data Set completeness (PS3.10 7.1, PS3.5 7 and A.4).

Golden file, one change, one expected reason: every truncation of a real instance must be
refused, whether it cuts the File Meta, a header element, a value or the pixel data.
"""

from __future__ import annotations

import io

import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from imaging_source import header, part10
from imaging_source.errors import IngestError, Reason
from tests.imaging_source.dicom_factory import implicit, make_mr_rle, make_study
from tests.imaging_source.dicom_factory import part10 as encode


def parse(data: bytes) -> header.Header:
    meta = part10.read_file_meta(data[: part10.HEAD_BYTES])
    return header.read_header(io.BytesIO(data), meta, len(data))


def test_file_meta_of_a_ct_instance() -> None:
    ds = make_study()[0]
    data = encode(ds)
    meta = part10.read_file_meta(data)
    assert meta.transfer_syntax_uid == ExplicitVRLittleEndian
    assert meta.sop_instance_uid == ds.SOPInstanceUID
    assert meta.sop_class_uid == ds.SOPClassUID
    assert data[meta.dataset_offset : meta.dataset_offset + 4] == b"\x08\x00\x05\x00"


@pytest.mark.parametrize(
    ("data", "pixel_vr"),
    [
        (encode(make_study()[0]), "OW"),
        (implicit(make_study()[0]), "OW"),
        (make_mr_rle(count=1)[0], "OB"),
        (encode(make_study()[0], DeflatedExplicitVRLittleEndian), "OW"),
    ],
    ids=["explicit", "implicit", "rle", "deflated"],
)
def test_header_stops_before_pixels(data: bytes, pixel_vr: str) -> None:
    parsed = parse(data)
    assert parsed.pixel == header.PixelElement(0x7FE00010, pixel_vr)
    assert "PixelData" not in parsed.dataset
    assert parsed.dataset.Rows == 64


def test_not_dicom() -> None:
    with pytest.raises(IngestError) as err:
        part10.read_file_meta(b"MZ" + bytes(300))
    assert err.value.reason is Reason.NOT_DICOM


@pytest.mark.parametrize("kind", ["explicit", "implicit", "rle"])
def test_every_truncation_is_refused(kind: str) -> None:
    ds = make_study()[0]
    data = {
        "explicit": lambda: encode(ds),
        "implicit": lambda: implicit(ds),
        "rle": lambda: make_mr_rle(count=1)[0],
    }[kind]()
    parse(data)  # the whole file is fine
    accepted = []
    for cut in range(part10.PREAMBLE + 4, len(data), 7):
        try:
            parse(data[:cut])
        except IngestError as exc:
            assert exc.reason in (Reason.CORRUPT, Reason.MISSING_ATTRIBUTE), exc
        else:
            accepted.append(cut)
    assert accepted == []


def test_truncated_deflated_data_set_is_refused() -> None:
    data = encode(make_study()[0], DeflatedExplicitVRLittleEndian)
    with pytest.raises(IngestError) as err:
        parse(data[:-500])
    assert err.value.reason is Reason.CORRUPT


def test_sop_instance_uid_must_match_file_meta() -> None:
    ds = make_study()[0]
    data = bytearray(encode(ds))
    meta_uid = ds.SOPInstanceUID.encode()
    at = data.index(meta_uid)
    data[at + len(meta_uid) - 1 : at + len(meta_uid)] = b"9" if meta_uid[-1:] != b"9" else b"8"
    with pytest.raises(IngestError) as err:
        parse(bytes(data))
    assert err.value.reason is Reason.CORRUPT
    assert "Media Storage SOP Instance UID" in err.value.message


def test_missing_study_uid() -> None:
    ds = make_study()[0]
    del ds.StudyInstanceUID
    with pytest.raises(IngestError) as err:
        parse(encode(ds))
    assert err.value.reason is Reason.MISSING_ATTRIBUTE
    assert err.value.codes.dimse_status == 0xA900


def test_transfer_syntaxes_read_from_the_meta() -> None:
    assert part10.read_file_meta(implicit(make_study()[0])).transfer_syntax_uid == (
        ImplicitVRLittleEndian
    )
    assert part10.read_file_meta(make_mr_rle(count=1)[0]).transfer_syntax_uid == RLELossless
