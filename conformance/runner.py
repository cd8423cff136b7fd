"""Replay NIST XDS Toolkit tests against any XDS endpoint and judge every step.

Usage::

    from conformance.runner import Endpoints, run_tests
    report = run_tests(
        Endpoints("http://127.0.0.1:8080/xds/registry", mllp=("127.0.0.1", 2575)),
        ["11990", "12084"],
    )
    print(report.summary())
    for failure in report.failures():
        print(failure.describe())

A test runs after the tests it depends on (``UseId testdir="../../12346/..."``,
``UseReport test=...``); its sections run in ``index.idx`` order (README §5.1), sections that
index.idx does not list run after them. Patient feed tests (15817, 15817b, 15818) are not run
as dependencies: their patients are allocated and fed per consuming test (see
:mod:`conformance.patients`).
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance import deviations
from conformance.config import Endpoints, RunConfig
from conformance.context import StepContext
from conformance.corpus import Corpus
from conformance.patients import FeedRecord, Patients
from conformance.results import RunReport, StepResult
from conformance.soap import SoapClient
from conformance.state import RunState, Verdict, target_section
from conformance.steps import run_step
from conformance.testplan import ContentCheck, NistTest, UseId, load_test

__all__ = ["Endpoints", "RunConfig", "Runner", "registry_tests", "run_tests"]

#: NIST transaction elements served by a Document Registry.
REGISTRY_ELEMENTS = frozenset({"RegisterTransaction", "StoredQueryTransaction", "MuTransaction"})
#: NIST transaction elements served by a Document Repository (XDS.b, not XDR or XDS-I).
REPOSITORY_ELEMENTS = frozenset({"ProvideAndRegisterTransaction", "RetrieveTransaction"})


class Runner:
    """One replay run: fresh patients and ids, shared state across the tests it runs."""

    def __init__(
        self,
        endpoints: Endpoints,
        config: RunConfig | None = None,
        client: SoapClient | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.config = config or RunConfig()
        self.corpus = Corpus(self.config.corpus_root, self.config.extra_testkits)
        self.client = client or SoapClient(self.config.timeout)
        self.state = RunState()
        self.report = RunReport()
        self.patients = Patients(endpoints.mllp, self.config, self._on_feed)
        self.deviations = deviations.load(self.config.known_deviations)
        self._tests: dict[str, NistTest | None] = {}
        self._started: set[str] = set()

    def run(self, test_ids: Iterable[str]) -> RunReport:
        """Run the tests (and their dependencies) once each; return the report."""
        for test_id in test_ids:
            self.run_test(test_id)
        self.report.missing_tests = sorted(self.state.missing_tests)
        return self.report

    def run_test(self, test_id: str) -> None:
        """Run one test after its dependencies."""
        if test_id in self._started:
            return
        self._started.add(test_id)
        test = self.load(test_id)
        if test is None:
            return
        for dependency in self.dependencies(test):
            self.run_test(dependency)
        for section in test.sections:
            for step in section.steps:
                ctx = StepContext(
                    test,
                    section,
                    step,
                    self.state,
                    self.patients,
                    self.corpus,
                    self.client,
                    self.endpoints,
                    self.config,
                )
                key = ctx.key
                case = self.corpus.manifest.get(key)
                deviation = self.deviations.get(case.id) if case else None
                result = run_step(ctx, case, deviation)
                if result is not None:
                    self.report.results.append(result)

    def load(self, test_id: str) -> NistTest | None:
        """The parsed test, or None (recorded as missing) if no testkit root has it."""
        if test_id not in self._tests:
            path = self.corpus.test_dir(test_id)
            test = load_test(path) if path is not None else None
            self._tests[test_id] = test
            if test is None:
                self.state.missing_tests.add(test_id)
            else:
                self.state.known_sections[test_id] = {s.name for s in test.sections}
        return self._tests[test_id]

    def dependencies(self, test: NistTest) -> list[str]:
        """Other tests whose steps this test's bindings name (feed tests excluded)."""
        found: list[str] = []
        for section in test.sections:
            for step in section.steps:
                uses = list(step.use_ids) + _content_use_ids(step.expected_contents or ())
                names = [target_section(u.testdir, test.id, section.name)[0] for u in uses]
                names += [u.test for u in step.use_reports if u.test]
                for name in names:
                    own = name == test.id or name in self.config.feed_tests
                    if not own and name not in found:
                        found.append(name)
        return found

    def _on_feed(self, record: FeedRecord) -> None:
        verdict = {True: Verdict.PASS, False: Verdict.FAIL, None: Verdict.SKIP}[record.ok]
        result = StepResult(
            record.feed_test,
            "pif",
            f"step for {record.consumer}",
            "PatientIdentityFeedTransaction",
            verdict,
            transaction="ITI-8",
            expected="AA",
            actual=record.detail,
        )
        if record.ok is not True:
            result.reasons.append(f"patient {record.patient_id} not registered: {record.detail}")
        self.report.results.append(result)


def _content_use_ids(checks: Iterable[ContentCheck]) -> list[UseId]:
    found: list[UseId] = []
    for check in checks:
        found.extend(check.use_ids)
        found.extend(_content_use_ids(check.children))
    return found


def registry_tests(corpus: Corpus | None = None) -> list[str]:
    """Every test with an ITI-42, ITI-18 or ITI-57 step (NIST transaction elements)."""
    return tests_with(REGISTRY_ELEMENTS, corpus)


def repository_tests(corpus: Corpus | None = None) -> list[str]:
    """Every test with an ITI-41 or ITI-43 step."""
    return tests_with(REPOSITORY_ELEMENTS, corpus)


def tests_with(elements: frozenset[str], corpus: Corpus | None = None) -> list[str]:
    """Every test with a step whose NIST transaction element is one of ``elements``."""
    corpus = corpus or Corpus()
    found = []
    for test_id in corpus.test_ids():
        path = corpus.test_dir(test_id)
        if path is None:
            continue
        test = load_test(path)
        used = {s.transaction for sec in test.sections for s in sec.steps}
        if used & elements:
            found.append(test_id)
    return found


def run_tests(
    endpoints: Endpoints, test_ids: Iterable[str], config: RunConfig | None = None
) -> RunReport:
    """Replay ``test_ids`` against ``endpoints`` and return the judged results."""
    return Runner(endpoints, config).run(test_ids)
