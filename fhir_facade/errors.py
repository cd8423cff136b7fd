"""FHIR errors, raised anywhere in the facade and rendered once as an OperationOutcome.

FHIR R4 http.html#2.21.0.17 (errors are OperationOutcome with an HTTP 4xx/5xx status) and
operationoutcome.html (``issue.code`` from the IssueType value set, ``expression`` in FHIRPath).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue (R4 OperationOutcome.issue)."""

    code: str
    diagnostics: str
    severity: str = "error"
    expression: tuple[str, ...] = ()


@dataclass
class FhirError(Exception):
    """A request the facade refuses: HTTP status plus the issues that explain why."""

    status: int
    issues: list[Issue] = field(default_factory=list)

    @classmethod
    def of(
        cls, status: int, code: str, diagnostics: str, expression: str | None = None
    ) -> FhirError:
        """A FhirError with a single issue."""
        return cls(
            status, [Issue(code, diagnostics, expression=(expression,) if expression else ())]
        )

    def __str__(self) -> str:
        return "; ".join(i.diagnostics for i in self.issues)


def outcome(issues: list[Issue]) -> OperationOutcome:
    """The OperationOutcome resource for ``issues`` (at least one issue is required)."""
    items = issues or [Issue("processing", "unspecified error")]
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity=i.severity,
                code=i.code,
                diagnostics=i.diagnostics,
                expression=list(i.expression) or None,
            )
            for i in items
        ]
    )
