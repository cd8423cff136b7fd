"""Judge one SOAP exchange the way the NIST test engine does (corpus README §6).

* ``ExpectedStatus`` (comma list = any of): the last component of the response status
  (``Success``, ``Failure``, ``PartialSuccess``) or ``Fault`` for a SOAP Fault - a Fault
  passes only where the plan says ``Fault``.
* ``ExpectedErrorCode``: exact match on some ``RegistryError/@errorCode``.
* ``ExpectedErrorMessage``: substring of some errorCode or codeContext.
* ``ExpectedContents`` problems (from :mod:`conformance.contents`) fail the step.
* MANIFEST ``implied_error_codes`` are advisory: a missing one is only a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.corpus import ManifestCase
from conformance.deviations import Deviation
from conformance.soap import SoapResult
from conformance.state import Verdict
from conformance.testplan import Step


@dataclass
class Judgement:
    """A verdict with its reasons (why it failed) and notes (warnings)."""

    verdict: Verdict
    expected: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def expected_statuses(step: Step, deviation: Deviation | None) -> tuple[str, ...]:
    """The plan's ExpectedStatus list, or a known deviation's replacement."""
    if deviation is not None and deviation.expected_status:
        return deviation.expected_status
    return step.expected_status


def judge_exchange(
    step: Step,
    result: SoapResult,
    contents_problems: list[str],
    case: ManifestCase | None,
    deviation: Deviation | None = None,
    strict_addressing: bool = True,
) -> Judgement:
    """Compare ``result`` with the step's expectations."""
    expected = expected_statuses(step, deviation)
    judgement = Judgement(Verdict.PASS, ",".join(expected))
    reasons, notes = judgement.reasons, judgement.notes
    if result.problem:
        reasons.append(result.problem)
    actual = result.status_name
    if actual is not None and actual not in expected:
        detail = f": {result.fault}" if result.fault else ""
        reasons.append(f"status {actual} where {'/'.join(expected)} was expected{detail}")
        reasons.extend(_error_lines(result))
    if deviation is None or not deviation.expected_status:
        reasons.extend(_error_code_problems(step, result))
    reasons.extend(contents_problems)
    (reasons if strict_addressing else notes).extend(result.header_problems)
    notes.extend(_implied_notes(case, result))
    if reasons:
        judgement.verdict = Verdict.FAIL
    return judgement


def _error_lines(result: SoapResult) -> list[str]:
    return [f"  {e.code}: {e.context}" for e in result.errors[:5] if e.context]


def _error_code_problems(step: Step, result: SoapResult) -> list[str]:
    problems = []
    codes = result.error_codes
    for code in step.expected_error_codes:
        if code not in codes:
            problems.append(f"expected errorCode {code}, got {codes or 'none'}")
    texts = [f"{e.code} {e.context}" for e in result.errors]
    for message in step.expected_error_messages:
        if not any(message in t for t in texts):
            problems.append(f"expected an error mentioning {message!r}, got {codes or 'none'}")
    return problems


def _implied_notes(case: ManifestCase | None, result: SoapResult) -> list[str]:
    if case is None or not case.implied_error_codes:
        return []
    if any(code in result.error_codes for code in case.implied_error_codes):
        return []
    implied = ", ".join(case.implied_error_codes)
    return [f"advisory: implied errorCode {implied} not returned (got {result.error_codes})"]
