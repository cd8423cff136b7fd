"""Validator findings, shared by every validator (ebRIM, stored queries, KOS, MHD, audit).

Like Gazelle EVS reports: each finding has a severity, a message, where it is (an XPath,
a FHIRPath or a DICOM attribute path) and the rule it comes from (a spec section or the
id of a row in a rule table), plus the protocol error code a server would answer with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One validator finding."""

    severity: Severity
    message: str
    #: XPath (XML), FHIRPath (FHIR) or DICOM attribute path like ``(0040,A375)[0]/(0008,1150)``.
    location: str = ""
    #: The rule: spec section (``RAD TF-3 4.68.4.1.2.3``) or rule-table row id.
    rule: str = ""
    #: Error code a server answers with for this problem (``XDSRegistryMetadataError``,
    #: ``invalid``, ...), empty when none applies.
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def errors(findings: list[Finding]) -> list[Finding]:
    """Only the error findings."""
    return [f for f in findings if f.is_error]
