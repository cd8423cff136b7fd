"""Known deviations: MANIFEST cases we knowingly judge differently from the NIST plan.

Data in ``known_deviations.json`` next to this module::

    {"cases": {"<MANIFEST id>": {"reason": "...",
                                 "expected_status": ["Success"],   # optional replacement
                                 "allow_failure": true}}}          # optional

``expected_status`` replaces the plan's ExpectedStatus (and drops its error-code checks);
``allow_failure`` keeps the NIST judgement but does not count a failure against the system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("known_deviations.json")


@dataclass(frozen=True)
class Deviation:
    """Why and how one case is judged differently."""

    case_id: str
    reason: str
    expected_status: tuple[str, ...] = ()
    allow_failure: bool = False


def load(path: Path | None = None) -> dict[str, Deviation]:
    """Read the deviations file (the packaged one by default)."""
    data: dict[str, Any] = json.loads((path or DEFAULT_PATH).read_text(encoding="utf-8"))
    return {
        case_id: Deviation(
            case_id=case_id,
            reason=str(entry["reason"]),
            expected_status=tuple(entry.get("expected_status", ())),
            allow_failure=bool(entry.get("allow_failure", False)),
        )
        for case_id, entry in data.get("cases", {}).items()
    }
