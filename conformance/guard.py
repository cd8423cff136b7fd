"""A replay that survives whatever the far end does: down, silent, or answering garbage.

:class:`GuardedRunner` is the :class:`~conformance.runner.Runner` that ``beeldportaal
conformance run`` uses. Against a live, well-behaved system it judges exactly what the plain
runner judges; besides it

* times every SOAP exchange and keeps per-endpoint health (:class:`GuardedClient`): an
  endpoint that did not answer ``limit`` requests in a row is considered down and later
  requests fail at once with a one-line reason (retried after ``retry_after`` seconds), so a
  run against a dead host takes seconds, not ``steps x timeout``;
* turns connection errors and HTML pages into short reasons;
* skips steps that need a fed patient when there is no ITI-8 MLLP endpoint, and fails them
  at once when the MLLP endpoint stopped answering (:class:`GuardedPatients`);
* records an exception inside the engine as a failed step of that test (with the traceback
  in the step's notes) and goes on with the next test, and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

import requests
from lxml import etree

from conformance.config import Endpoints, RunConfig
from conformance.feed import new_patient_id
from conformance.outcome import EndpointHealth
from conformance.patients import FeedRecord, Patients
from conformance.results import RunReport, StepResult
from conformance.runner import Runner
from conformance.soap import DEFAULT_TIMEOUT, SoapClient, SoapResult
from conformance.state import Unresolved, Verdict
from profiles.transactions import Transaction

#: Consecutive unanswered requests after which an endpoint counts as down.
DOWN_AFTER = 3
#: Seconds after which a request is tried again at an endpoint that counts as down.
RETRY_AFTER = 30.0

_NO_ACK = {None: "not sent", False: "no acknowledgement", True: "acknowledged"}
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class GuardedClient(SoapClient):
    """A :class:`SoapClient` that times exchanges and gives up on endpoints that are down."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        limit: int = DOWN_AFTER,
        retry_after: float = RETRY_AFTER,
    ) -> None:
        super().__init__(timeout, session)
        self.limit = limit
        self.retry_after = retry_after
        self.health: dict[str, EndpointHealth] = {}
        #: id(SoapResult) -> seconds; the results a report keeps stay alive, so ids are stable
        self.elapsed: dict[int, float] = {}
        self._silent: dict[str, int] = {}
        self._last_try: dict[str, float] = {}

    def call(
        self,
        url: str,
        transaction: Transaction,
        body: etree._Element,
        attachments: Mapping[str, bytes] | None = None,
    ) -> SoapResult:
        """Send like :meth:`SoapClient.call`, unless ``url`` is down; never raises."""
        health = self.health.setdefault(url, EndpointHealth(url))
        health.exchanges += 1
        silent = self._silent.get(url, 0)
        waited = time.monotonic() - self._last_try.get(url, 0.0)
        if silent >= self.limit and waited < self.retry_after:
            result = SoapResult(transaction.id, url)
            cause = health.last_problem.removeprefix(f"cannot connect to {url}: ")
            result.problem = f"not sent: {url} is down (no answer to {silent} requests: {cause})"
            health.unreachable += 1
            return result
        start = time.monotonic()
        self._last_try[url] = start
        try:
            result = super().call(url, transaction, body, attachments)
        except Exception as exc:  # whatever the far end sent: no traceback
            result = SoapResult(transaction.id, url)
            result.problem = f"could not process the exchange: {type(exc).__name__}: {exc}"
        self.elapsed[id(result)] = time.monotonic() - start
        self._observe(url, result, health)
        return result

    def _observe(self, url: str, result: SoapResult, health: EndpointHealth) -> None:
        if result.http_status is None and result.problem:
            result.problem = _plain_transport(result.problem)
            health.unreachable += 1
            health.last_problem = result.problem
            self._silent[url] = self._silent.get(url, 0) + 1
            return
        self._silent[url] = 0
        if result.body is None and result.fault is None and result.problem:
            result.problem = _plain_answer(result)
            health.garbage += 1
            health.last_problem = result.problem

    def endpoints(self) -> list[EndpointHealth]:
        """Health of every HTTP endpoint the run talked to."""
        return list(self.health.values())


def _plain_transport(problem: str) -> str:
    """``cannot connect to URL: Connection refused`` instead of urllib3's nested repr;
    ``MLLP HOST:PORT: Connection refused`` instead of ``... [Errno 111] Connection refused``."""
    found = _ERRNO.search(problem)
    if problem.startswith("cannot connect to ") and found:
        url = problem[len("cannot connect to ") :].split(": ", 1)[0]
        return f"cannot connect to {url}: {found.group(1).strip()}"
    if problem.startswith("MLLP ") and found:
        return f"{problem.split(': ', 1)[0]}: {found.group(1).strip()}"
    return problem


def _plain_answer(result: SoapResult) -> str:
    """Say so when the answer is an HTML page (a web server, a proxy's error page ...)."""
    head = result.response_text.lstrip()[:2048]
    if not re.match(r"(<!doctype html|<html)", head, re.IGNORECASE):
        return result.problem or ""
    title = _TITLE.search(head)
    what = f" ({' '.join(title.group(1).split())[:80]})" if title else ""
    return (
        f"HTTP {result.http_status}: answer is an HTML page{what}, not SOAP - "
        f"is {result.url} the SOAP endpoint?"
    )


class GuardedPatients(Patients):
    """:class:`Patients` that makes steps skip or fail when a feed is not possible.

    Without an MLLP endpoint (and without ``unfed_ok``) every step that needs a fed patient
    is skipped with ``no_feed_reason``; after ``limit`` feeds in a row that got no
    acknowledgement, steps needing a new feed fail at once instead of waiting for timeouts.
    """

    def __init__(
        self,
        mllp: tuple[str, int] | None,
        config: RunConfig,
        on_feed: Callable[[FeedRecord], None],
        no_feed_reason: str,
        unfed_ok: bool = False,
        limit: int = DOWN_AFTER,
    ) -> None:
        super().__init__(mllp, config, self._observe)
        self._report = on_feed
        self.no_feed_reason = no_feed_reason
        self.unfed_ok = unfed_ok
        self.limit = limit
        self._fed_keys: set[tuple[str, str]] = set()
        self._told: set[tuple[str, str]] = set()
        self._silent = 0
        self._last_problem = ""
        where = f"MLLP {mllp[0]}:{mllp[1]}" if mllp else "MLLP"
        #: how the MLLP endpoint answered the feeds
        self.health = EndpointHealth(where)

    def feed_patient(self, feed_test: str, consumer: str) -> str:
        """As :meth:`Patients.feed_patient`; :class:`Unresolved` when no feed is possible."""
        key = (feed_test, consumer)
        if key not in self._fed_keys:
            self._check(key)
        patient = super().feed_patient(feed_test, consumer)
        self._fed_keys.add(key)
        return patient

    def renew(self, test_id: str) -> str:
        """As :meth:`Patients.renew`; :class:`Unresolved` when no feed is possible."""
        self._check(("NewPatientId", test_id))
        return super().renew(test_id)

    def _check(self, key: tuple[str, str]) -> None:
        if self.mllp is None and not self.unfed_ok:
            if key not in self._told:
                self._told.add(key)
                pid = new_patient_id(self.config.patient_authority)
                self._report(FeedRecord(pid, key[0], key[1], None, self.no_feed_reason))
            raise Unresolved(self.no_feed_reason, True)
        if self.mllp is not None and self._silent >= self.limit:
            host, port = self.mllp
            raise Unresolved(
                f"ITI-8 feed not possible: MLLP {host}:{port} did not acknowledge the last "
                f"{self._silent} feeds ({self._last_problem})",
                False,
            )

    def _observe(self, record: FeedRecord) -> None:
        if record.ok is not None:
            self.health.exchanges += 1
        if record.ok is False and not record.ack:
            record = replace(record, detail=_plain_transport(record.detail))
            self._silent += 1
            self._last_problem = record.detail.removeprefix(f"{self.health.url}: ")
            self.health.unreachable += 1
            self.health.last_problem = self._last_problem
        elif record.ok is False and "without MSA" in record.detail:
            self._silent = 0
            self.health.garbage += 1
            self.health.last_problem = record.detail
        elif record.ok is not None:
            self._silent = 0
        self._report(record)


class GuardedRunner(Runner):
    """The runner of the command line (see the module docstring)."""

    def __init__(
        self,
        endpoints: Endpoints,
        config: RunConfig | None = None,
        client: GuardedClient | None = None,
        no_feed_reason: str = "ITI-8 feed not possible: no MLLP endpoint configured",
        unfed_ok: bool = False,
        progress: Callable[[str, list[StepResult]], None] | None = None,
    ) -> None:
        config = config or RunConfig()
        self.guarded = client or GuardedClient(config.timeout)
        super().__init__(endpoints, config, self.guarded)
        self.guarded_patients = GuardedPatients(
            endpoints.mllp, self.config, self._feed_result, no_feed_reason, unfed_ok
        )
        self.patients = self.guarded_patients
        self.interrupted = False
        self.progress = progress

    def _feed_result(self, record: FeedRecord) -> None:
        """One ITI-8 step per feed: the verdict, a one-line reason, HL7 message and ACK."""
        verdict = {True: Verdict.PASS, False: Verdict.FAIL, None: Verdict.SKIP}[record.ok]
        result = StepResult(
            record.feed_test,
            "pif",
            f"step for {record.consumer}",
            "PatientIdentityFeedTransaction",
            verdict,
            transaction="ITI-8",
            expected="AA",
            actual=record.detail if record.ack else _NO_ACK[record.ok],
        )
        if record.ok is False:
            result.reasons.append(f"patient not registered: {record.detail}")
        elif record.ok is None:
            result.reasons.append(record.detail)
        result.notes.append(f"patient {record.patient_id}")
        for title, text in (("HL7 message", record.message), ("acknowledgement", record.ack)):
            if text:
                result.notes.append(f"{title}:\n" + text.replace("\r", "\n").strip())
        self.report.results.append(result)

    def endpoint_health(self) -> list[EndpointHealth]:
        """How every endpoint answered: the SOAP endpoints, then the MLLP feed."""
        feed = self.guarded_patients.health
        return [*self.guarded.endpoints(), *([feed] if feed.exchanges else [])]

    def run(self, test_ids: Iterable[str]) -> RunReport:
        """Run the tests; on Ctrl-C stop and report what ran (``interrupted`` is set)."""
        try:
            for test_id in test_ids:
                before = len(self.report.results)
                self.run_test(test_id)
                if self.progress is not None:
                    self.progress(test_id, self.report.results[before:])
        except KeyboardInterrupt:
            self.interrupted = True
        self.report.missing_tests = sorted(self.state.missing_tests)
        for result in self.report.results:
            if result.exchange is not None and result.seconds is None:
                result.seconds = self.guarded.elapsed.get(id(result.exchange))
        return self.report

    def run_test(self, test_id: str) -> None:
        """Run one test; an engine exception becomes a failed step, not a crash."""
        try:
            super().run_test(test_id)
        except Exception as exc:  # reported as a failed step
            result = StepResult(
                test_id,
                "-",
                "engine",
                None,
                Verdict.FAIL,
                transaction="engine",
                expected="the test runs",
                actual="engine error",
                reasons=[
                    f"the replay engine failed on test {test_id}: {type(exc).__name__}: {exc}"
                ],
                notes=["".join(traceback.format_exception(exc)).rstrip()],
            )
            self.report.results.append(result)
