"""imaging_source.render: one frame as JPEG/PNG with windowing (PS3.18 8.3.5, PS3.3 C.11.2)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imaging_source.render import RenderError, RenderRequest, render
from tests.imaging_source.dicom_factory import StudyPlan, make_mr_rle, make_study, part10


@pytest.fixture
def ct_path(tmp_path: Path) -> Path:
    path = tmp_path / "ct.dcm"
    path.write_bytes(part10(make_study(StudyPlan(series=1, instances=1))[0]))
    return path


def pixels(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)))


def saturated(image: np.ndarray) -> int:
    """How many pixels are clipped to black or white."""
    return int(((image == 0) | (image == 255)).sum())


def test_png_is_full_range_8_bit(ct_path: Path) -> None:
    out = pixels(render(ct_path, RenderRequest("image/png")))
    assert out.dtype == np.uint8 and out.shape == (64, 64)
    assert out.min() == 0 and out.max() == 255


def test_a_narrower_window_saturates_more_pixels(ct_path: Path) -> None:
    wide = pixels(render(ct_path, RenderRequest("image/png", window=(1000, 4000))))
    narrow = pixels(render(ct_path, RenderRequest("image/png", window=(1000, 50))))
    assert saturated(narrow) > saturated(wide)


def test_resize_keeps_the_aspect_ratio(ct_path: Path) -> None:
    body = render(ct_path, RenderRequest("image/jpeg", rows=16, columns=32))
    assert Image.open(io.BytesIO(body)).size == (16, 16)


def test_rle_frame_renders(tmp_path: Path) -> None:
    path = tmp_path / "mr.dcm"
    path.write_bytes(make_mr_rle(count=1)[0])
    assert Image.open(io.BytesIO(render(path, RenderRequest()))).format == "JPEG"


def test_missing_frame_and_unknown_format(ct_path: Path) -> None:
    with pytest.raises(RenderError) as missing:
        render(ct_path, RenderRequest(frame=2))
    assert missing.value.missing
    with pytest.raises(RenderError):
        render(ct_path, RenderRequest("image/gif"))
