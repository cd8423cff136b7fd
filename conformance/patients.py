"""Test patients of a run: fresh ids, fed to the registry over ITI-8 when first needed.

NIST feeds three patients once per session (15817 "register", 15817b "alternate", 15818
"stored query"; README §5.1) and then overwrites submissions with the session patient. To
replay against a registry that already holds data, we allocate fresh ids per run and per
consuming test: ``UseReport test="15817" ... reportName="$patientid$"`` in test T yields the
15817 patient *of T*. A test's default patient (used when ``<NoPatientId/>`` is absent) is
the patient of its first ``$patientid$`` UseReport, else its 15817 patient; ``<NewPatientId/>``
replaces it; ``<AltPatientId/>`` uses an id that is never fed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from conformance.config import REGISTER_FEED_TEST, RunConfig
from conformance.feed import FeedError, ack_code, build_adt_a04, deliver, new_patient_id
from conformance.testplan import NistTest


@dataclass(frozen=True)
class FeedRecord:
    """One ITI-8 feed: which patient, for whom, and how it went."""

    patient_id: str
    feed_test: str
    consumer: str
    ok: bool | None
    detail: str
    message: str = ""
    ack: str = ""


class Patients:
    """Allocates and feeds patient ids; reports every feed through ``on_feed``."""

    def __init__(
        self,
        mllp: tuple[str, int] | None,
        config: RunConfig,
        on_feed: Callable[[FeedRecord], None],
    ) -> None:
        self.mllp = mllp
        self.config = config
        self.on_feed = on_feed
        self._fed: dict[tuple[str, str], str] = {}
        self._default: dict[str, str] = {}
        self._alt: dict[str, str] = {}

    def feed_patient(self, feed_test: str, consumer: str) -> str:
        """The patient that feed test ``feed_test`` registered for test ``consumer``."""
        key = (feed_test, consumer)
        if key not in self._fed:
            self._fed[key] = self._feed(feed_test, consumer)
        return self._fed[key]

    def default(self, test: NistTest) -> str:
        """The test's session patient (see module docstring)."""
        if test.id not in self._default:
            self._default[test.id] = self.feed_patient(self._default_feed(test), test.id)
        return self._default[test.id]

    def current(self, test: NistTest) -> str | None:
        """The test's session patient if it has one already (no feed is sent)."""
        return self._default.get(test.id) or self._fed.get((self._default_feed(test), test.id))

    def renew(self, test_id: str) -> str:
        """``<NewPatientId/>``: a new fed patient becomes the test's default."""
        self._default[test_id] = self._feed("NewPatientId", test_id)
        return self._default[test_id]

    def alternate(self, test_id: str) -> str:
        """``<AltPatientId/>``: a well-formed id the registry has never been told about."""
        if test_id not in self._alt:
            self._alt[test_id] = new_patient_id(self.config.patient_authority)
        return self._alt[test_id]

    def _default_feed(self, test: NistTest) -> str:
        for section in test.sections:
            for step in section.steps:
                for use in step.use_reports:
                    if use.use_as == "$patientid$" and use.test in self.config.feed_tests:
                        return use.test
        return REGISTER_FEED_TEST

    def ensure(self, patient_id: str, consumer: str) -> str:
        """Feed a patient id a test uses as written (XDS-I image sets), once per run."""
        key = (f"as-written:{patient_id}", "")
        if key not in self._fed:
            self._fed[key] = self._feed("AsWritten", consumer, patient_id)
        return self._fed[key]

    def _feed(self, feed_test: str, consumer: str, patient_id: str = "") -> str:
        pid = patient_id or new_patient_id(self.config.patient_authority)
        if self.mllp is None:
            self.on_feed(FeedRecord(pid, feed_test, consumer, None, "MLLP endpoint not configured"))
            return pid
        message = build_adt_a04(pid, datetime.now(UTC))
        host, port = self.mllp
        try:
            ack = deliver(host, port, message, self.config.timeout)
        except FeedError as exc:
            self.on_feed(FeedRecord(pid, feed_test, consumer, False, str(exc), message))
            return pid
        code = ack_code(ack)
        ok = code in ("AA", "CA")
        detail = f"ACK MSA-1={code}" if code else "acknowledgement without MSA segment"
        self.on_feed(FeedRecord(pid, feed_test, consumer, ok, detail, message, ack))
        return pid
