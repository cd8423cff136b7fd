"""FHIR errors, raised anywhere in the facade and rendered once as an OperationOutcome.

FHIR R4 http.html#2.21.0.17 (errors are OperationOutcome with an HTTP 4xx/5xx status) and
operationoutcome.html (``issue.code`` from the IssueType value set, ``expression`` in FHIRPath).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

from profiles.errors import ErrorCode


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


#: XDS errorCode -> (HTTP status, OperationOutcome IssueType). MHD 4.2.3 defines no mapping
#: (open issue MHD_065, IHE/ITI.MHD#155); this follows ``shared/reference/mhd-fhir.md`` 7:
#: metadata problems 422, unknown patient 404-like ``not-found`` as 422 (the request is
#: understood but cannot be processed), duplicates 409, busy/unavailable 503, others 500.
XDS_ERRORS: dict[str, tuple[int, str]] = {
    ErrorCode.REGISTRY_METADATA_ERROR: (422, "invalid"),
    ErrorCode.REPOSITORY_METADATA_ERROR: (422, "invalid"),
    ErrorCode.MISSING_DOCUMENT: (422, "invalid"),
    ErrorCode.MISSING_DOCUMENT_METADATA: (422, "invalid"),
    ErrorCode.NON_IDENTICAL_HASH: (422, "invalid"),
    ErrorCode.NON_IDENTICAL_SIZE: (422, "invalid"),
    ErrorCode.UNKNOWN_PATIENT_ID: (422, "not-found"),
    ErrorCode.PATIENT_ID_DOES_NOT_MATCH: (422, "invalid"),
    ErrorCode.REGISTRY_DEPRECATED_DOCUMENT_ERROR: (422, "business-rule"),
    ErrorCode.UNRESOLVED_REFERENCE: (422, "not-found"),
    ErrorCode.DUPLICATE_UNIQUE_ID_IN_REGISTRY: (409, "duplicate"),
    ErrorCode.REGISTRY_DUPLICATE_UNIQUE_ID_IN_MESSAGE: (422, "duplicate"),
    ErrorCode.REPOSITORY_DUPLICATE_UNIQUE_ID_IN_MESSAGE: (422, "duplicate"),
    ErrorCode.TOO_MANY_RESULTS: (422, "too-costly"),
    ErrorCode.RESULT_NOT_SINGLE_PATIENT: (422, "business-rule"),
    ErrorCode.STORED_QUERY_PARAM_NUMBER: (400, "invalid"),
    ErrorCode.STORED_QUERY_MISSING_PARAM: (400, "required"),
    ErrorCode.REGISTRY_BUSY: (503, "transient"),
    ErrorCode.REPOSITORY_BUSY: (503, "transient"),
    ErrorCode.REGISTRY_OUT_OF_RESOURCES: (503, "transient"),
    ErrorCode.REPOSITORY_OUT_OF_RESOURCES: (503, "transient"),
    ErrorCode.REGISTRY_NOT_AVAILABLE: (502, "transient"),
}


def from_xds(errors: list[tuple[str, str, bool]]) -> FhirError:
    """The FhirError for an XDS Failure: one issue per RegistryError ``(code, context, is_error)``.

    The HTTP status is the one of the first error; the XDS errorCode leads the diagnostics
    (CH EPR FHIR precedent, ``shared/reference/mhd-fhir.md`` 7).
    """
    first = next((code for code, _, is_error in errors if is_error), ErrorCode.REGISTRY_ERROR)
    status = XDS_ERRORS.get(first, (500, "exception"))[0]
    issues = [
        Issue(
            XDS_ERRORS.get(code, (500, "exception"))[1] if is_error else "informational",
            f"{code}: {context}",
            severity="error" if is_error else "warning",
        )
        for code, context, is_error in errors
    ] or [Issue("exception", "the registry answered Failure without errors")]
    return FhirError(status, issues)
