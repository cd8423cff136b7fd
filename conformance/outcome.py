"""What a whole run amounts to: every judged step, grouped for the console, JUnit and HTML.

:class:`~conformance.results.RunReport` counts MANIFEST cases (what the corpus replay
asserts). A user of ``beeldportaal conformance run`` also runs steps that are no MANIFEST
case - our test kit's 12346, ITI-8 feeds, NIST assertions, their own test plans - so the
reports here count every step: a step that failed without a known deviation fails the run.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance.results import Counts, RunReport, StepResult
from conformance.state import Verdict

#: Label of a step whose failure a known deviation explains (not counted against the system).
KNOWN = "known"
#: Transaction label of a step without one (a skipped step of an unknown element ...).
NO_TRANSACTION = "other"


@dataclass
class EndpointHealth:
    """How one endpoint answered over the run (kept by :class:`conformance.guard.GuardedClient`)."""

    url: str
    exchanges: int = 0
    #: no HTTP answer at all: refused, unreachable, timed out, or not sent (endpoint down)
    unreachable: int = 0
    #: an HTTP answer that was not a SOAP envelope (HTML page, random bytes ...)
    garbage: int = 0
    last_problem: str = ""

    @property
    def verdict(self) -> str | None:
        """One line when the endpoint misbehaved throughout or in part, else None."""
        if not self.exchanges:
            return None
        bad = self.unreachable + self.garbage
        if not bad:
            return None
        if self.unreachable == self.exchanges:
            return f"{self.url} never answered ({self.exchanges} requests): {self.last_problem}"
        if bad == self.exchanges:
            return (
                f"{self.url} answered none of {self.exchanges} requests with SOAP: "
                f"{self.last_problem}"
            )
        return (
            f"{self.url}: {bad} of {self.exchanges} requests got no SOAP answer "
            f"(last: {self.last_problem})"
        )


@dataclass
class RunInfo:
    """The circumstances of a run, shown at the top of every report."""

    title: str = "Beeldportaal conformance run"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0
    #: (label, value) rows: endpoints, options, test kit roots
    settings: list[tuple[str, str]] = field(default_factory=list)
    #: sentences the reader must see (suites that do not exist yet, missing MLLP ...)
    notes: list[str] = field(default_factory=list)
    endpoints: list[EndpointHealth] = field(default_factory=list)
    interrupted: bool = False

    @property
    def endpoint_problems(self) -> list[str]:
        """One line per endpoint that did not answer or answered garbage."""
        return [v for v in (e.verdict for e in self.endpoints) if v]


def label(result: StepResult) -> str:
    """``pass``, ``fail``, ``skip`` or ``known`` (failed, explained by a known deviation)."""
    if result.verdict is Verdict.FAIL and result.known_deviation:
        return KNOWN
    return result.verdict.value


def transaction(result: StepResult) -> str:
    """The IHE transaction of a step (``ITI-42``), else its NIST element, else ``other``."""
    return result.transaction or result.element or NO_TRANSACTION


def error_codes(result: StepResult) -> str:
    """The step's RegistryError codes, comma separated (an empty errorCode shown as such)."""
    return ", ".join(code or "(empty errorCode)" for code in result.error_codes)


def unexpected_failures(report: RunReport) -> list[StepResult]:
    """Failed steps that no known deviation explains: any of them fails the run."""
    return [r for r in report.results if r.verdict is Verdict.FAIL and not r.known_deviation]


def verdict(report: RunReport, info: RunInfo) -> str:
    """``passed``, ``failed``, ``interrupted``, ``nothing judged`` (every step skipped) or
    ``nothing run``; only ``passed`` and ``nothing run`` let the command succeed."""
    counts = total(report.results)
    if info.interrupted:
        return "interrupted"
    if unexpected_failures(report):
        return "failed"
    if not report.results:
        return "nothing run"
    if not counts.run:
        return "nothing judged"
    return "passed"


#: Verdicts with which the command exits 0.
SUCCESSFUL = frozenset({"passed", "nothing run"})


def step_counts(results: Iterable[StepResult]) -> dict[str, Counts]:
    """Passed / failed / skipped / known steps per transaction, sorted by transaction."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        tally[transaction(r)][label(r)] += 1
    return {
        tx: Counts(c["pass"], c["fail"] + c[KNOWN], c["skip"], c[KNOWN])
        for tx, c in sorted(tally.items())
    }


def total(results: Iterable[StepResult]) -> Counts:
    """The counts over all steps."""
    c = Counter(label(r) for r in results)
    return Counts(c["pass"], c["fail"] + c[KNOWN], c["skip"], c[KNOWN])


def by_test(results: Iterable[StepResult]) -> dict[str, list[StepResult]]:
    """Steps per NIST test, tests in the order they first reported."""
    grouped: dict[str, list[StepResult]] = {}
    for r in results:
        grouped.setdefault(r.test, []).append(r)
    return grouped


def by_section(results: Iterable[StepResult]) -> dict[str, list[StepResult]]:
    """Steps per section, in run order."""
    grouped: dict[str, list[StepResult]] = {}
    for r in results:
        grouped.setdefault(r.section, []).append(r)
    return grouped


def skip_reasons(results: Iterable[StepResult]) -> list[tuple[str, int]]:
    """Why steps were skipped, most frequent first (patient ids and URLs made generic)."""
    tally = Counter(
        _generic(r.reasons[0] if r.reasons else "no reason given")
        for r in results
        if r.verdict is Verdict.SKIP
    )
    return tally.most_common()


_PATIENT = re.compile(r"patient \S+\^\^\^\S+")
_STEP = re.compile(r"(step|of|on) [^\s,]+/[^\s,]+")


def _generic(reason: str) -> str:
    reason = _PATIENT.sub("patient <id>", reason)
    return _STEP.sub(r"\1 <step>", reason)


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (NUL, most control characters)."""
    return _NOT_XML.sub("\ufffd", text)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def first_line(text: str, limit: int = 300) -> str:
    """The first line of ``text``, at most ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def excerpt(text: str, limit: int) -> tuple[str, str | None]:
    """At most ``limit`` bytes (UTF-8) of ``text``, and a note saying what was left out."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return text, None
    shown = data[:limit].decode("utf-8", errors="ignore")
    return shown, f"showing the first {_size(limit)} of {_size(len(data))}"


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB" if n % 1024 == 0 else f"{n / (1 << 10):.1f} KB"
    return f"{n} bytes"
