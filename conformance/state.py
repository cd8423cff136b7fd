"""Per-run state: what each step assigned and reported, and how bindings find it.

NIST keeps a log per (test, section, step) and resolves ``UseId`` (``AssignedUuids``,
``AssignedUids``, ``AssignedPatientId``) and ``UseReport`` (``reportName``) against those
logs (corpus README §5.1 "Harness state machine"). We keep the same maps in memory, one
:class:`RunState` per run, so every run uses fresh ids.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from enum import StrEnum

from lxml import etree

from conformance.substitute import Assigned
from conformance.testplan import UseId, UseReport

#: (test, section, step)
StepKey = tuple[str, str, str]


class Verdict(StrEnum):
    """How a step was judged."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    SKIP = "skip"


class Unresolved(Exception):
    """A binding cannot be resolved; ``skipped`` when its source was skipped or is absent."""

    def __init__(self, message: str, skipped: bool) -> None:
        super().__init__(message)
        self.skipped = skipped


@dataclass
class StepRecord:
    """What a finished step left for later steps."""

    verdict: Verdict
    assigned: Assigned = field(default_factory=Assigned)
    reports: dict[str, str] = field(default_factory=dict)
    transaction: str | None = None
    input_metadata: etree._Element | None = None
    result: etree._Element | None = None


@dataclass
class RunState:
    """Everything one run has done so far."""

    steps: dict[StepKey, StepRecord] = field(default_factory=dict)
    #: tests that were looked for and are not in any testkit root
    missing_tests: set[str] = field(default_factory=set)
    #: (test, section) pairs that ran (so a missing step is a real gap)
    ran_sections: set[tuple[str, str]] = field(default_factory=set)
    #: the sections each loaded test has
    known_sections: dict[str, set[str]] = field(default_factory=dict)

    def record(self, key: StepKey, record: StepRecord) -> None:
        """Store the record of a finished step."""
        self.steps[key] = record
        self.ran_sections.add(key[:2])

    def source(self, test: str, section: str, step: str) -> StepRecord:
        """The record of an earlier step, or :class:`Unresolved` explaining why not."""
        record = self.steps.get((test, section, step))
        if record is not None:
            return record
        if test in self.missing_tests:
            raise Unresolved(f"depends on test {test}, which is not in the corpus", True)
        if test in self.known_sections and section not in self.known_sections[test]:
            raise Unresolved(f"depends on {test}/{section}, which the test does not have", True)
        if (test, section) not in self.ran_sections:
            raise Unresolved(f"depends on {test}/{section}, which has not run", True)
        raise Unresolved(f"depends on step {test}/{section}/{step}, which does not exist", False)


def target_section(testdir: str | None, test: str, section: str) -> tuple[str, str]:
    """(test, section) named by a UseId ``testdir`` relative to ``test/section``."""
    if not testdir:
        return test, section
    if ".." not in testdir and "/" not in testdir.strip("/"):
        return test, testdir.strip("/")
    parts = posixpath.normpath(posixpath.join(test, section, testdir)).split("/")
    if len(parts) >= 2 and parts[0] != "..":
        return parts[-2], parts[-1]
    return test, parts[-1]


def resolve_use_id(state: RunState, use: UseId, test: str, section: str) -> str:
    """The value a ``UseId`` names (README §5.1: AssignedUuids/AssignedUids/...Id)."""
    src_test, src_section = target_section(use.testdir, test, section)
    if not use.testdir and (test, section, use.step) not in state.steps:
        # No testdir and no such step here: NIST plans (e.g. 12345/rplc) then mean the step
        # of that id in another section of the same test.
        elsewhere = [k for k in state.steps if k[0] == test and k[2] == use.step]
        if len(elsewhere) == 1:
            src_section = elsewhere[0][1]
    record = state.source(src_test, src_section, use.step)
    table = {
        "AssignedUuids": record.assigned.uuids,
        "AssignedUids": record.assigned.uids,
        "AssignedPatientId": record.assigned.patient_ids,
    }.get(use.section)
    if table is None:
        raise Unresolved(f"UseId section {use.section!r} is not understood", False)
    value = table.get(use.id)
    if value:
        return value
    where = f"{src_test}/{src_section}/{use.step}"
    raise Unresolved(
        f"needs {use.section} {use.id!r} of step {where}, {_outcome(record.verdict)}",
        record.verdict is Verdict.SKIP,
    )


def _outcome(verdict: Verdict) -> str:
    return {Verdict.SKIP: "which was skipped", Verdict.FAIL: "which failed"}.get(
        verdict, "which has no such value"
    )


def resolve_use_report(state: RunState, use: UseReport, test: str, section: str) -> str:
    """The value a ``UseReport`` names (``section="THIS"`` is the current section)."""
    src_test = use.test or test
    src_section = section if use.section == "THIS" else use.section
    record = state.source(src_test, src_section, use.step)
    if use.report_name in record.reports:
        return record.reports[use.report_name]
    where = f"{src_test}/{src_section}/{use.step}"
    raise Unresolved(
        f"needs report {use.report_name!r} of step {where}, {_outcome(record.verdict)}",
        record.verdict is Verdict.SKIP,
    )
