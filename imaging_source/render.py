"""Rendered images of stored instances: one frame as JPEG or PNG (PS3.18 8.3.5, 10.4.1.1.3).

Shared by WADO-RS ``/rendered`` and ``/thumbnail`` and WADO-URI (PS3.18 9.1.2). One frame is
decoded from the file with pydicom (``pixel_array(path, index=…)``, so a multi-frame object
is never decoded whole); grayscale goes through the Modality LUT and then the VOI LUT or
window of the request or the object (PS3.3 C.11.1, C.11.2; pydicom's ``apply_voi_lut``),
MONOCHROME1 is inverted, and the result is scaled to 8 bits, resized keeping its aspect
ratio, and encoded with Pillow.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut
from pydicom.pixels.utils import pixel_array

log = logging.getLogger(__name__)

#: Rendered media types and their Pillow format names (PS3.18 Table 8.7.4-1, the ones we make).
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_DIMENSION = 4096


class RenderError(Exception):
    """The instance cannot be rendered as asked; ``missing`` when the frame does not exist."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True)
class RenderRequest:
    """What to render: frame (1-based), window (center, width), size bounds, JPEG quality."""

    media_type: str = "image/jpeg"
    frame: int = 1
    window: tuple[float, float] | None = None
    rows: int | None = None
    columns: int | None = None
    quality: int = 90


def _header(path: Path) -> Dataset:
    """The Data Set with its pixel data left on disk."""
    ds = dcmread(path, defer_size=1024)
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise RenderError("the instance has no pixel data")
    return ds


def _output_range(ds: Dataset) -> tuple[float, float]:
    """The value range of a VOI LUT or window output for ``ds`` (as pydicom computes it)."""
    if "VOILUTSequence" in ds:
        return 0.0, float(2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1)
    bits = int(ds.BitsStored)
    low, high = (
        (0, 2**bits - 1)
        if ds.PixelRepresentation == 0
        else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None and "ModalityLUTSequence" not in ds:
        low, high = low * float(slope) + float(intercept), high * float(slope) + float(intercept)
    return float(min(low, high)), float(max(low, high))


def _grayscale(
    arr: np.ndarray[Any, Any], ds: Dataset, window: tuple[float, float] | None
) -> np.ndarray[Any, Any]:
    """Modality LUT, VOI (requested window first), MONOCHROME1 inversion; 8 bits out."""
    values = apply_modality_lut(arr, ds)
    if window is not None:
        ds = Dataset(ds)  # a shallow copy: the request's window replaces the object's VOI
        for keyword in ("VOILUTSequence", "VOILUTFunction"):
            if keyword in ds:
                del ds[keyword]
        ds.WindowCenter, ds.WindowWidth = window
    if window is not None or "WindowCenter" in ds or "VOILUTSequence" in ds:
        values = apply_voi_lut(values, ds, index=0, prefer_lut=window is None)
        low, high = _output_range(ds)
    else:
        low, high = float(values.min()), float(values.max())
    scaled = (values.astype(np.float64) - low) / ((high - low) or 1.0)
    out = np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return 255 - out if ds.get("PhotometricInterpretation") == "MONOCHROME1" else out


def _color(arr: np.ndarray[Any, Any], ds: Dataset) -> np.ndarray[Any, Any]:
    """Colour pixels (already RGB from pydicom) as 8 bits per sample."""
    bits = int(ds.get("BitsStored", 8))
    if bits > 8:
        arr = arr.astype(np.uint32) >> (bits - 8)
    return arr.astype(np.uint8)


def _resize(image: Image.Image, request: RenderRequest) -> Image.Image:
    """Fit into ``rows`` x ``columns`` (either may be absent), keeping the aspect ratio."""
    if request.rows is None and request.columns is None:
        return image
    width, height = image.size
    scales = [
        s
        for s in (
            request.columns / width if request.columns else None,
            request.rows / height if request.rows else None,
        )
        if s is not None
    ]
    scale = min(scales)
    size = (
        max(1, min(MAX_DIMENSION, round(width * scale))),
        max(1, min(MAX_DIMENSION, round(height * scale))),
    )
    return image.resize(size, Image.Resampling.LANCZOS)


def render(path: Path, request: RenderRequest) -> bytes:
    """The frame ``request.frame`` of the Part 10 file at ``path``, encoded as asked."""
    if request.media_type not in FORMATS:
        raise RenderError(f"cannot render as {request.media_type}")
    ds = _header(path)
    frames = int(ds.get("NumberOfFrames") or 1)
    if not 1 <= request.frame <= frames:
        raise RenderError(f"frame {request.frame} of {frames}", missing=True)
    try:
        arr = pixel_array(str(path), index=request.frame - 1 if frames > 1 else None)
        samples = int(ds.get("SamplesPerPixel", 1))
        pixels = _grayscale(arr, ds, request.window) if samples == 1 else _color(arr, ds)
    except (ValueError, NotImplementedError, RuntimeError, AttributeError, KeyError) as exc:
        log.info("cannot render %s: %s", path, exc)
        raise RenderError(f"cannot decode the pixel data: {exc}") from exc
    image = _resize(Image.fromarray(pixels), request)
    out = io.BytesIO()
    if FORMATS[request.media_type] == "JPEG":
        image.save(out, "JPEG", quality=request.quality)
    else:
        image.save(out, "PNG")
    return out.getvalue()
