"""QIDO-RS client of the FHIR facade (DICOM PS3.18 10.6 Search Transaction).

The facade reaches imaging data only through DICOMweb, as any other client would: study
searches ``GET {base}/studies?{attributeID}={value}&includefield=…&limit=…`` and the series of
a study ``GET {base}/studies/{uid}/series``. Answers are ``application/dicom+json`` arrays
(PS3.18 F.2); an empty match is 200 ``[]`` (PS3.18 10.6.3 as corrected by CP-2473) or the
older 204. A ``Warning`` saying there are additional results (PS3.18 8.3.4.4) marks a
truncated answer. Response bodies are read with a size bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import requests

#: One dataset of a DICOM JSON answer: ``{"0020000D": {"vr": "UI", "Value": [...]}}``.
DicomJson = dict[str, Any]

DICOM_JSON: Final = "application/dicom+json"
#: Study attributes the facade asks for beyond the PS3.18 Table 10.6.3-3 defaults.
STUDY_FIELDS: Final = ("IssuerOfPatientID", "ModalitiesInStudy", "StudyDescription")
_MORE: Final = "additional results"
_MAX_BYTES: Final = 64 << 20
_CHUNK: Final = 1 << 16


class DicomwebError(Exception):
    """The DICOMweb service could not be asked, or answered with an error."""


@dataclass(frozen=True)
class StudySearch:
    """The datasets of a study search and whether the service truncated them."""

    studies: list[DicomJson]
    truncated: bool


def _read_json(response: requests.Response) -> list[DicomJson]:
    """The DICOM JSON array of a 200 answer, read with a size bound."""
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > _MAX_BYTES:
            raise DicomwebError(f"QIDO-RS answer larger than {_MAX_BYTES} bytes")
    try:
        found = json.loads(body or b"[]")
    except ValueError as exc:
        raise DicomwebError(f"QIDO-RS answer is not JSON: {exc}") from None
    if not isinstance(found, list) or not all(isinstance(d, dict) for d in found):
        raise DicomwebError("QIDO-RS answer is not a DICOM JSON array")
    return found


class QidoClient:
    """Searches one DICOMweb service (``base`` is the service root, e.g. ``…/dicomweb``)."""

    def __init__(
        self, base: str, *, timeout: float = 30.0, session: requests.Session | None = None
    ) -> None:
        self.base = base.rstrip("/")
        self._timeout = timeout
        self._session = session or requests.Session()

    def _get(self, path: str, params: Sequence[tuple[str, str]]) -> tuple[list[DicomJson], bool]:
        try:
            with self._session.get(
                f"{self.base}/{path}",
                params=list(params),
                headers={"Accept": DICOM_JSON},
                timeout=self._timeout,
                stream=True,
            ) as response:
                if response.status_code == 204:
                    return [], False
                if response.status_code != 200:
                    raise DicomwebError(f"QIDO-RS {path} answered HTTP {response.status_code}")
                truncated = _MORE in response.headers.get("Warning", "")
                return _read_json(response), truncated
        except requests.RequestException as exc:
            raise DicomwebError(f"QIDO-RS {path} failed: {exc}") from None

    def studies(self, match: Mapping[str, str], limit: int) -> StudySearch:
        """Study search (PS3.18 10.6.1): ``match`` keys are attribute keywords."""
        params = [*match.items(), *(("includefield", f) for f in STUDY_FIELDS)]
        params.append(("limit", str(limit)))
        found, truncated = self._get("studies", params)
        return StudySearch(found, truncated or len(found) > limit)

    def series(self, study_uid: str) -> list[DicomJson]:
        """The series of one study (PS3.18 10.6.1, ``/studies/{uid}/series``)."""
        found, _ = self._get(f"studies/{study_uid}/series", [])
        return found


def value(dataset: DicomJson, tag: str) -> Any:
    """The first value of ``tag`` (eight hex digits), or None (PS3.18 F.2.2)."""
    element = dataset.get(tag)
    values = element.get("Value") if isinstance(element, dict) else None
    return values[0] if values else None


def values(dataset: DicomJson, tag: str) -> list[Any]:
    """Every value of ``tag``; empty when absent."""
    element = dataset.get(tag)
    found = element.get("Value") if isinstance(element, dict) else None
    return list(found) if isinstance(found, list) else []


def text(dataset: DicomJson, tag: str) -> str:
    """A string value of ``tag``; a PN as its Alphabetic group (PS3.18 F.2.2); ``""`` if absent."""
    found = value(dataset, tag)
    if isinstance(found, dict):
        return str(found.get("Alphabetic", ""))
    return "" if found is None else str(found).strip()


def integer(dataset: DicomJson, tag: str) -> int | None:
    """An IS/US value of ``tag`` as int, or None."""
    found = value(dataset, tag)
    try:
        return None if found is None or found == "" else int(found)
    except (TypeError, ValueError):
        return None
