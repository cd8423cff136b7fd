"""Everything a step handler needs, and the placeholder bindings of the step.

Binding precedence (README §5.1 item 6): the step's ``UseId``/``UseReport`` values, then the
built-in ``$now$``/``$lastyear$``/``$DATE$``/``$homeCommunityId$``, then the run defaults
``$patientid$`` (the test's patient), ``$altpatientid$`` (its 15817b patient) and ``$repuid$``
(the configured repositoryUniqueId of the system under test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from conformance.config import ALTERNATE_FEED_TEST, Endpoints, RunConfig
from conformance.corpus import Corpus
from conformance.patients import Patients
from conformance.soap import SoapClient
from conformance.state import (
    RunState,
    StepKey,
    Unresolved,
    resolve_use_id,
    resolve_use_report,
)
from conformance.substitute import builtin_placeholders
from conformance.testplan import NistTest, Section, Step, UseReport


class EngineError(Exception):
    """The engine cannot build the message (missing file, unreadable XML ...)."""


@dataclass
class StepContext:
    """One step being run, with the run's services."""

    test: NistTest
    section: Section
    step: Step
    state: RunState
    patients: Patients
    corpus: Corpus
    client: SoapClient
    endpoints: Endpoints
    config: RunConfig
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> StepKey:
        """(test, section, step)."""
        return self.test.id, self.section.name, self.step.id

    def file(self, name: str) -> Path:
        """A file named by the plan (``MetadataFile``, ``Document``)."""
        path = self.corpus.resolve_file(self.section.path, name)
        if path is None:
            raise EngineError(f"file {name!r} of {self.test.id}/{self.section.name} not found")
        return path

    def bindings(self, needed: set[str]) -> dict[str, str]:
        """Values for the placeholders; ``needed`` are those present in the message."""
        values = builtin_placeholders(self.now, self.config.home_community_id)
        here = (self.test.id, self.section.name)
        for use_report in self.step.use_reports:
            self._bind(values, use_report.use_as, needed, partial(self._report, use_report))
        for use_id in self.step.use_ids:
            get = partial(resolve_use_id, self.state, use_id, *here)
            self._bind(values, use_id.symbol, needed, get)
        if "$patientid$" in needed and "$patientid$" not in values:
            values["$patientid$"] = self.patients.default(self.test)
        if "$repuid$" not in values and self.config.repository_unique_id:
            values["$repuid$"] = self.config.repository_unique_id
        if "$altpatientid$" in needed and "$altpatientid$" not in values:
            values["$altpatientid$"] = self.patients.feed_patient(ALTERNATE_FEED_TEST, self.test.id)
        return values

    def _bind(
        self, values: dict[str, str], symbol: str, needed: set[str], get: Callable[[], str]
    ) -> None:
        try:
            values[symbol] = get()
        except Unresolved as exc:
            if symbol in needed or symbol == "$patientid$":
                raise
            self.notes.append(f"unused binding {symbol} not resolved: {exc}")

    def _report(self, use: UseReport) -> str:
        if use.test in self.config.feed_tests and use.report_name == "$patientid$":
            return self.patients.feed_patient(use.test, self.test.id)
        return resolve_use_report(self.state, use, self.test.id, self.section.name)

    def patient_for_submission(self, values: dict[str, str]) -> str | None:
        """The patient id that overwrites patientId ExternalIdentifiers (None: keep)."""
        if self.step.no_patient_id:
            return None
        if self.step.alt_patient_id:
            return self.patients.alternate(self.test.id)
        if any(u.use_as == "$patientid$" for u in self.step.use_reports):
            return values["$patientid$"]
        return self.patients.default(self.test)
