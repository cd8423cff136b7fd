"""Replay every NIST registry test of the corpus against the live server.

All NIST tests with ITI-42, ITI-18 or ITI-57 steps (plus the tests they depend on) run
against ``beeldportaal serve`` over HTTP and MLLP, exactly as against any other registry.
The test prints pass counts per transaction and fails when a MANIFEST case with an asserted
outcome is judged wrong and ``conformance/known_deviations.json`` does not explain it.
Steps that need a repository (ITI-41/43) or a test missing from the corpus are skipped.
"""

from __future__ import annotations

from collections import Counter

import pytest

from conformance import Endpoints, RunReport, registry_tests, run_tests
from conformance.corpus import Corpus
from conformance.state import Verdict
from tests.conftest import LiveServer

REGISTRY_TRANSACTIONS = ("ITI-42", "ITI-18", "ITI-57")


def _skip_reasons(report: RunReport) -> list[str]:
    reasons = Counter(
        r.reasons[0] if r.reasons else "?"
        for r in report.cases(REGISTRY_TRANSACTIONS)
        if r.verdict is Verdict.SKIP
    )
    return [f"  {n:3d} x {reason}" for reason, n in reasons.most_common()]


def test_corpus_registry_tests(live_server: LiveServer, corpus: Corpus) -> None:
    endpoints = Endpoints(live_server.registry_url, None, ("127.0.0.1", live_server.mllp_port))
    report = run_tests(endpoints, registry_tests(corpus))
    feeds = [r for r in report.results if r.transaction == "ITI-8"]
    lines = [
        f"NIST corpus replay against {live_server.backend} ({len(report.results)} steps):",
        report.summary(REGISTRY_TRANSACTIONS),
        f"ITI-8 feeds: {sum(r.verdict is Verdict.PASS for r in feeds)}/{len(feeds)} acknowledged",
        f"tests missing from the corpus: {', '.join(report.missing_tests) or 'none'}",
        "skipped cases:",
        *_skip_reasons(report),
    ]
    print("\n" + "\n".join(lines))
    failures = report.failures(REGISTRY_TRANSACTIONS)
    if failures:
        pytest.fail(
            f"{len(failures)} corpus case(s) judged wrong:\n"
            + "\n".join(f.describe() for f in failures),
            pytrace=False,
        )
