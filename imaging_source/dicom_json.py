"""Pure: a Data Set as DICOM JSON (PS3.18 F.2), with bulk data as BulkDataURI (F.2.6).

Computed once per instance at ingest and stored with the index row, so WADO-RS metadata for a
study is a join of the stored texts (:func:`metadata_array`, :func:`metadata_chunks`), with no
JSON parsing or encoding per instance. pydicom encodes each element's value
(``DataElement.to_json_dict``: PN groups, IS/DS numbers, AT, InlineBinary); this module walks
the Data Set itself so that each bulk element gets a URI naming its path, e.g.
``…/bulkdata/00880200/1/7FE00010`` for the pixels of the first Icon Image Sequence item.

The stored text holds BulkDataURIs relative to the DICOMweb service base
(``studies/{study}/series/{series}/instances/{instance}/bulkdata/{path}``); the server does not
know its public base URL at ingest, so :func:`absolutize` prefixes it when serving.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from imaging_source.header import PixelElement

log = logging.getLogger(__name__)

#: Binary values longer than this many bytes become bulk data (the rest is InlineBinary).
BULK_THRESHOLD = 1024
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
#: Always bulk data, whatever their size: Pixel Data and friends, Encapsulated Document,
#: Waveform Data, Spectroscopy Data (PS3.3 C.7.6.3, C.24.2, C.10.9, C.8.14.4).
ALWAYS_BULK = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009, 0x00420011, 0x54001010, 0x56000020})
#: Data Set Trailing Padding (PS3.10 7.2) carries nothing.
_SKIP = frozenset({0xFFFCFFFC})
_BULK_KEY = '"BulkDataURI":"'
_BULK_KEY_BYTES = _BULK_KEY.encode()
#: Instances per chunk of a streamed metadata response (about 100-500 KB each).
CHUNK_INSTANCES = 64


def instance_path(study_uid: str, series_uid: str, sop_uid: str) -> str:
    """The instance's WADO-RS path relative to the service base (PS3.18 10.4.1)."""
    return f"studies/{study_uid}/series/{series_uid}/instances/{sop_uid}"


def _is_bulk(tag: int, elem: DataElement) -> bool:
    """Bulk data: overlay data (60xx,3000), the :data:`ALWAYS_BULK` tags, or long binaries."""
    if tag in ALWAYS_BULK or (tag & 0xFF01FFFF) == 0x60003000:
        return True
    value = elem.value
    return isinstance(value, bytes | bytearray) and len(value) > BULK_THRESHOLD


def _finite(values: list[Any]) -> list[Any]:
    """Replace NaN and infinities (not representable in JSON) by null."""
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _element(tag: int, elem: DataElement, path: str) -> dict[str, Any]:
    """One element's JSON object; sequences recurse with the item number in the path."""
    if elem.VR == "SQ":
        items = [_dataset(item, f"{path}/{n}") for n, item in enumerate(elem.value or [], 1)]
        return {"vr": "SQ", "Value": items} if items else {"vr": "SQ"}
    if elem.VR in BINARY_VRS and not elem.is_empty and _is_bulk(tag, elem):
        return {"vr": elem.VR, "BulkDataURI": path}
    out: dict[str, Any] = elem.to_json_dict(None, 0)
    if "Value" in out and elem.VR in ("DS", "FL", "FD"):
        out["Value"] = _finite(out["Value"])
    return out


def _dataset(ds: Dataset, bulk_path: str) -> dict[str, Any]:
    """All elements of ``ds`` but group lengths (gggg,0000) and padding, keyed by tag."""
    out: dict[str, Any] = {}
    for tag in ds.keys():  # noqa: SIM118 - iterating a Dataset converts every element
        if tag.element == 0 or int(tag) in _SKIP:
            continue
        key = f"{int(tag):08X}"
        try:
            out[key] = _element(int(tag), ds[tag], f"{bulk_path}/{key}")
        except Exception as exc:  # one malformed element must not lose the instance
            log.warning("leaving out malformed element %s: %s", key, exc)
    return out


def instance_json(ds: Dataset, pixel: PixelElement | None, path: str) -> dict[str, Any]:
    """The DICOM JSON object of one instance; ``path`` from :func:`instance_path`.

    ``pixel`` is the pixel element that was not read (see ``header.read_header``); it is
    listed with its VR and a BulkDataURI, last, as it is last in the Data Set.
    """
    out = _dataset(ds, f"{path}/bulkdata")
    if pixel is not None:
        key = f"{pixel.tag:08X}"
        out[key] = {"vr": pixel.vr, "BulkDataURI": f"{path}/bulkdata/{key}"}
    return out


def to_text(doc: dict[str, Any]) -> str:
    """Compact JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def absolutize(text: str, base_url: str) -> str:
    """Prefix every relative BulkDataURI in ``text`` with the DICOMweb ``base_url``."""
    return text.replace(_BULK_KEY, _BULK_KEY + base_url.rstrip("/") + "/")


def metadata_array(texts: Iterable[str], base_url: str) -> str:
    """A WADO-RS metadata response body (PS3.18 10.4.1.1.2): the JSON array of instances."""
    return absolutize("[" + ",".join(texts) + "]", base_url)


def metadata_chunks(
    texts: Sequence[bytes], base_url: str, per_chunk: int = CHUNK_INSTANCES
) -> Iterator[bytes]:
    """A WADO-RS metadata body (PS3.18 10.4.1.1.2) from UTF-8 texts, chunk by chunk.

    The same bytes as :func:`metadata_array`, made ``per_chunk`` instances at a time so that
    a large study is sent while the rest is still being joined.
    """
    prefix = _BULK_KEY_BYTES + base_url.rstrip("/").encode() + b"/"
    yield b"["
    for start in range(0, len(texts), per_chunk):
        chunk = b",".join(texts[start : start + per_chunk])
        yield (b"," if start else b"") + chunk.replace(_BULK_KEY_BYTES, prefix)
    yield b"]"
