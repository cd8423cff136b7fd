"""Pure: the STOW-RS Store Instances Response (PS3.18 10.5.3 and Annex I) from ingest outcomes.

The HTTP endpoint streams each ``application/dicom`` part into an ingest batch
(:meth:`~imaging_source.ingest.Ingestor.batch`, ``origin="stow-rs"``, ``study_uid`` from the
target resource) and hands the outcomes here. Status: 200 when every instance was stored,
202 when some were, 409 when none was (a request it could not parse is the endpoint's 400).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imaging_source.dicom_json import instance_path
from imaging_source.errors import IngestError
from imaging_source.ingest import IngestResult, Outcome

#: Outcome of one body part: stored (or already stored), or refused with its error.
PartOutcome = Outcome


@dataclass(frozen=True)
class StowResponse:
    """HTTP status and the ``application/dicom+json`` response dataset."""

    status: int
    body: dict[str, Any]


def _ui(value: str) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]}


def _ur(value: str) -> dict[str, Any]:
    return {"vr": "UR", "Value": [value]}


def _stored_item(result: IngestResult, base: str) -> dict[str, Any]:
    """A Referenced SOP Sequence (0008,1199) item with the instance's Retrieve URL."""
    path = instance_path(
        result.study_instance_uid, result.series_instance_uid, result.sop_instance_uid
    )
    return {
        "00081150": _ui(result.sop_class_uid),
        "00081155": _ui(result.sop_instance_uid),
        "00081190": _ur(f"{base}/{path}"),
    }


def _failed_item(error: IngestError) -> dict[str, Any]:
    """A Failed SOP Sequence (0008,1198) item with its Failure Reason (0008,1197)."""
    item: dict[str, Any] = {"00081197": {"vr": "US", "Value": [error.codes.stow_failure_reason]}}
    if error.sop_class_uid:
        item["00081150"] = _ui(error.sop_class_uid)
    if error.sop_instance_uid:
        item["00081155"] = _ui(error.sop_instance_uid)
    return dict(sorted(item.items()))


def stow_response(
    outcomes: Sequence[PartOutcome], base_url: str, study_uid: str | None = None
) -> StowResponse:
    """The Store Instances Response for ``outcomes`` (PS3.18 Table I.2-1)."""
    base = base_url.rstrip("/")
    stored = [o for o in outcomes if isinstance(o, IngestResult)]
    failed = [o for o in outcomes if isinstance(o, IngestError)]
    body: dict[str, Any] = {}
    studies = {r.study_instance_uid for r in stored}
    target = study_uid or (studies.pop() if len(studies) == 1 else None)
    if target:
        body["00081190"] = _ur(f"{base}/studies/{target}")
    if failed:
        body["00081198"] = {"vr": "SQ", "Value": [_failed_item(e) for e in failed]}
    if stored:
        body["00081199"] = {"vr": "SQ", "Value": [_stored_item(r, base) for r in stored]}
    status = 200 if stored and not failed else 202 if stored else 409
    return StowResponse(status, body)
