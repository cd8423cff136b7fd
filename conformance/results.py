"""Judged step results and the run report (pass counts per transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.soap import SoapResult
from conformance.state import Verdict

#: NIST transaction element -> IHE transaction id (README §5.1).
TRANSACTION_IDS: dict[str, str] = {
    "RegisterTransaction": "ITI-42",
    "StoredQueryTransaction": "ITI-18",
    "MuTransaction": "ITI-57",
    "ProvideAndRegisterTransaction": "ITI-41",
    "XDRProvideAndRegisterTransaction": "ITI-41",
    "RetrieveTransaction": "ITI-43",
    "PatientIdentityFeedTransaction": "ITI-8",
    "ImagingDocSetRetrieveTransaction": "RAD-69",
    "RetrieveImagingDocSetTransaction": "RAD-69",
    "WADOTransaction": "RAD-55",
    "ProvideDocumentBundleTransaction": "ITI-65",
}


@dataclass
class StepResult:
    """One judged step (one MANIFEST case when ``case_id`` is set)."""

    test: str
    section: str
    step: str
    element: str | None
    verdict: Verdict
    case_id: str | None = None
    transaction: str | None = None
    expected: str = ""
    actual: str | None = None
    error_codes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    known_deviation: str | None = None
    exchange: SoapResult | None = None
    #: seconds the step's SOAP exchange took (set by runs that time their client)
    seconds: float | None = None

    @property
    def name(self) -> str:
        """``test/section#step``."""
        return f"{self.test}/{self.section}#{self.step}"

    @property
    def unexpected_failure(self) -> bool:
        """A failed case with an asserted outcome that no known deviation explains."""
        return self.verdict is Verdict.FAIL and self.known_deviation is None

    def describe(self) -> str:
        """One line: verdict, case, expected vs actual, reasons."""
        label = self.case_id or self.name
        got = self.actual or "-"
        if self.error_codes:
            got += f" {self.error_codes}"
        line = f"{self.verdict.upper():4} {label} [{self.transaction or self.element}] "
        line += f"expected {self.expected or '-'}, got {got}"
        if self.reasons:
            line += ": " + "; ".join(self.reasons)
        if self.known_deviation:
            line += f" (known deviation: {self.known_deviation})"
        return line


@dataclass(frozen=True)
class Counts:
    """Passed / failed / skipped cases of one transaction."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    #: failures explained by known_deviations.json (included in ``failed``)
    known: int = 0

    @property
    def run(self) -> int:
        """Cases that were actually judged."""
        return self.passed + self.failed


@dataclass
class RunReport:
    """Every step result of a run."""

    results: list[StepResult] = field(default_factory=list)
    missing_tests: list[str] = field(default_factory=list)

    def cases(self, transactions: Iterable[str] | None = None) -> list[StepResult]:
        """Results that are MANIFEST cases, optionally only of some transactions."""
        wanted = set(transactions) if transactions is not None else None
        return [
            r for r in self.results if r.case_id and (wanted is None or r.transaction in wanted)
        ]

    def counts(self, transactions: Iterable[str] | None = None) -> dict[str, Counts]:
        """Counts per transaction over MANIFEST cases."""
        tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for r in self.cases(transactions):
            index = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.SKIP: 2}[r.verdict]
            tally[r.transaction or "?"][index] += 1
            if r.verdict is Verdict.FAIL and r.known_deviation:
                tally[r.transaction or "?"][3] += 1
        return {tx: Counts(*v) for tx, v in sorted(tally.items())}

    def summary(self, transactions: Iterable[str] | None = None) -> str:
        """``ITI-42: 60/66 passed (3 failed [1 known deviation], 3 skipped)`` per transaction."""
        lines = []
        for tx, c in self.counts(transactions).items():
            total = c.passed + c.failed + c.skipped
            known = f" [{c.known} known deviation]" if c.known else ""
            lines.append(
                f"{tx}: {c.passed}/{total} passed ({c.failed} failed{known}, {c.skipped} skipped)"
            )
        return "\n".join(lines)

    def failures(self, transactions: Iterable[str] | None = None) -> list[StepResult]:
        """Failed cases not explained by a known deviation."""
        return [r for r in self.cases(transactions) if r.unexpected_failure]
