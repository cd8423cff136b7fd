"""The console summary of a run: settings, notes, counts per transaction, failures, verdict."""

from __future__ import annotations

from conformance.outcome import (
    RunInfo,
    error_codes,
    label,
    skip_reasons,
    step_counts,
    total,
    transaction,
    unexpected_failures,
)
from conformance.outcome import verdict as run_verdict
from conformance.results import RunReport, StepResult
from conformance.state import Verdict

#: Failed steps listed without ``verbose`` (the HTML report has them all).
FAILURES_SHOWN = 40
#: Skip reasons listed.
SKIP_REASONS_SHOWN = 8


def summary(report: RunReport, info: RunInfo, verbose: bool = False) -> str:
    """The text printed at the end of ``beeldportaal conformance run``."""
    lines = [info.title, *(f"  {k:<22} {v}" for k, v in info.settings)]
    notes = [*info.notes, *info.endpoint_problems]
    if report.missing_tests:
        notes.append(f"tests not found in the test kit: {', '.join(report.missing_tests)}")
    if notes:
        lines += ["", "Notes:", *(f"  - {n}" for n in notes)]
    lines += ["", *_table(report)]
    failed = unexpected_failures(report)
    if failed:
        shown = failed if verbose else failed[:FAILURES_SHOWN]
        lines += ["", f"Failed steps ({len(failed)}):", *(f"  {_line(r)}" for r in shown)]
        if len(shown) < len(failed):
            lines.append(f"  ... and {len(failed) - len(shown)} more (-v, or the HTML report)")
    known = [r for r in report.results if label(r) == "known"]
    if known:
        lines += ["", f"Failed under a known deviation ({len(known)}, not counted):"]
        lines += [f"  {r.case_id or r.name}: {r.known_deviation}" for r in known]
    reasons = skip_reasons(report.results)
    if reasons:
        lines += ["", "Skipped steps, by reason:"]
        limit = None if verbose else SKIP_REASONS_SHOWN
        lines += [f"  {n:4d} x {reason}" for reason, n in reasons[:limit]]
        if limit is not None and len(reasons) > limit:
            lines.append(f"  ... {len(reasons) - limit} more reasons (-v, or the HTML report)")
        if verbose:
            skipped = [r for r in report.results if r.verdict is Verdict.SKIP]
            lines += ["", "Skipped steps:", *(f"  {r.describe()}" for r in skipped)]
    lines += ["", verdict(report, info)]
    return "\n".join(lines)


def verdict(report: RunReport, info: RunInfo) -> str:
    """``PASSED ...``, ``FAILED ...`` (or interrupted, nothing judged/run) in one line."""
    counts = total(report.results)
    failed = unexpected_failures(report)
    took = f"in {info.seconds:.1f} s"
    steps = counts.run + counts.skipped
    return {
        "interrupted": f"INTERRUPTED after {steps} steps {took}: the run is incomplete",
        "failed": f"FAILED: {len(failed)} of {counts.run} judged steps failed ({took})",
        "nothing run": "NOTHING RUN: no test was selected",
        "nothing judged": f"NOTHING JUDGED: all {steps} steps were skipped ({took})",
        "passed": f"PASSED: {counts.passed} of {counts.run} judged steps passed, "
        + (f"{counts.known} failed under a known deviation, " if counts.known else "")
        + f"{counts.skipped} skipped ({took})",
    }[run_verdict(report, info)]


def progress_line(test: str, results: list[StepResult]) -> str:
    """One line after each test: ``11996: 1 step, 1 failed``."""
    c = total(results)
    n = c.passed + c.failed + c.skipped
    parts = [f"{n} step{'s' if n != 1 else ''}"]
    parts += [f"{v} {k}" for k, v in (("failed", c.failed - c.known), ("skipped", c.skipped)) if v]
    return f"{test}: {', '.join(parts)}"


def _table(report: RunReport) -> list[str]:
    counts = step_counts(report.results)
    if not counts:
        return ["No step was run."]
    rows = [*counts.items(), ("all", total(report.results))]
    failed = [f"{c.failed}" + (f" ({c.known} known)" if c.known else "") for _, c in rows]
    width = max(len("transaction"), *(len(tx) for tx, _ in rows))
    fwidth = max(len("failed"), *(len(f) for f in failed))
    lines = [
        f"  {'transaction':<{width}} {'passed':>7} {'failed':>{fwidth}} {'skipped':>8} {'steps':>6}"
    ]
    for (tx, c), fails in zip(rows, failed, strict=True):
        lines.append(
            f"  {tx:<{width}} {c.passed:>7} {fails:>{fwidth}} {c.skipped:>8} "
            f"{c.passed + c.failed + c.skipped:>6}"
        )
    return lines


def _line(r: StepResult) -> str:
    label_ = r.case_id or r.name
    got = r.actual or "-"
    if r.error_codes:
        got += f" [{error_codes(r)}]"
    reason = r.reasons[0].strip() if r.reasons else ""
    more = f" (+{len(r.reasons) - 1} more)" if len(r.reasons) > 1 else ""
    return f"{label_} [{transaction(r)}] expected {r.expected or '-'}, got {got}: {reason}{more}"
