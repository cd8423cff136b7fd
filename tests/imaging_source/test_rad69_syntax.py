"""Choosing the transfer syntax of a RAD-69 answer, and lossless re-encoding (RAD TF-3
4.69.4.2.3; PS3.5 8.2.2, 10, Annex G) — without a server."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
)

from imaging_source.rad69_syntax import (
    MAX_TRANSCODE_BYTES,
    StagedCopy,
    SyntaxChoice,
    TranscodeError,
    choose,
    transcode,
)
from imaging_source.store import InstanceStore
from tests.imaging_source.dicom_factory import StudyPlan, make_mr_rle, make_study, part10

EXPLICIT, IMPLICIT = str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian)


@pytest.mark.parametrize(
    ("stored", "requested", "size", "expected"),
    [
        (EXPLICIT, [IMPLICIT, EXPLICIT], 1, SyntaxChoice(EXPLICIT, False)),
        (EXPLICIT, [IMPLICIT], 1, SyntaxChoice(IMPLICIT, True)),
        (IMPLICIT, [str(JPEGBaseline8Bit), EXPLICIT], 1, SyntaxChoice(EXPLICIT, True)),
        (str(DeflatedExplicitVRLittleEndian), [EXPLICIT], 1, SyntaxChoice(EXPLICIT, True)),
        (str(RLELossless), [IMPLICIT], 1, SyntaxChoice(IMPLICIT, True)),
        (str(JPEGBaseline8Bit), [EXPLICIT, IMPLICIT], 1, None),  # lossy: never re-encoded
        (str(JPEG2000Lossless), [EXPLICIT], 1, None),  # no decoder we rely on
        (EXPLICIT, [str(JPEGBaseline8Bit)], 1, None),  # we never compress
        (EXPLICIT, ["1.2.840.10008.1.2.1.999"], 1, None),
        (EXPLICIT, [], 1, None),
        (EXPLICIT, [IMPLICIT], MAX_TRANSCODE_BYTES + 1, None),  # too large to re-encode
    ],
)
def test_choose(
    stored: str, requested: list[str], size: int, expected: SyntaxChoice | None
) -> None:
    assert choose(stored, requested, size) == expected


def _store_file(store: InstanceStore, data: bytes, name: str) -> Path:
    path = store.root / name
    path.write_bytes(data)
    return path


def test_transcode_keeps_the_data_set_and_staged_copy_removes_itself(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom", durable=False)
    ds = make_study(StudyPlan(series=1, instances=1))[0]
    source = _store_file(store, part10(ds), "explicit.dcm")
    path, size = transcode(store, source, IMPLICIT)
    assert path.parent == store.root / "staging" and path.stat().st_size == size
    copy = StagedCopy(path, chunk=4096)
    data = b"".join(copy)
    assert len(data) == size and not path.exists()
    got = pydicom.dcmread(io.BytesIO(data))
    assert got.file_meta.TransferSyntaxUID == IMPLICIT
    assert (got.SOPInstanceUID, got.PixelData) == (ds.SOPInstanceUID, ds.PixelData)


def test_rle_is_decoded_without_new_uid(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom", durable=False)
    data = make_mr_rle(count=1)[0]
    stored = pydicom.dcmread(io.BytesIO(data))
    path, _ = transcode(store, _store_file(store, data, "rle.dcm"), EXPLICIT)
    got = pydicom.dcmread(path)
    assert got.SOPInstanceUID == stored.SOPInstanceUID
    assert (got.pixel_array == stored.pixel_array).all()


@pytest.mark.filterwarnings("ignore:End of file reached")
def test_unreadable_file_leaves_no_staging_file(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom", durable=False)
    source = _store_file(store, b"\0" * 128 + b"DICM" + b"\xff" * 64, "broken.dcm")
    with pytest.raises(TranscodeError):
        transcode(store, source, EXPLICIT)
    assert list((store.root / "staging").iterdir()) == []


def test_dropped_copy_is_removed(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom", durable=False)
    out, path = store.new_staging_file()
    out.close()
    copy = StagedCopy(path)
    del copy  # never streamed: the response was abandoned
    assert not path.exists()
