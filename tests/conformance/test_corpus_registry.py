"""Replay every NIST registry test of the corpus against the live server.

All NIST tests with ITI-42, ITI-18 or ITI-57 steps (plus the tests they depend on) run
against ``beeldportaal serve`` over HTTP and MLLP, exactly as against any other registry.
NIST's stored-query data load, test 12346, is not in the corpus; our reconstruction in
``conformance/testkit`` (see its README) stands in for it as an extra test-kit root.

The test prints pass counts per transaction (also in the terminal summary, see
``conftest.py``). It fails when a MANIFEST case with an asserted outcome is judged wrong and
``conformance/known_deviations.json`` does not explain it, when a step of our own test kit
fails, or when a MANIFEST case of ITI-42/ITI-18/ITI-57 is skipped or not run at all without
a reason recorded in ``known_deviations.json``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

import pytest
import requests

from conformance import (
    Endpoints,
    RunConfig,
    RunReport,
    registry_tests,
    repository_tests,
    run_tests,
)
from conformance import deviations as known
from conformance.corpus import Corpus, project_root
from conformance.state import Verdict
from tests.conftest import LiveServer

REGISTRY_TRANSACTIONS = ("ITI-42", "ITI-18", "ITI-57", "ITI-41", "ITI-43")
#: Our reconstruction of NIST test 12346 (see its README), for tests the corpus lacks.
TESTKIT = project_root() / "conformance" / "testkit"
#: Tests of that test kit: their steps are no MANIFEST cases but must pass.
LOCAL_TESTS = ("12346",)
#: Prefix of the grouping key of cases without a recorded reason.
UNLISTED = "NO REASON IN known_deviations.json"


def _category(case_id: str, engine: str, reasons: dict[str, known.Deviation]) -> str:
    """``<category>`` of the recorded reason (``'<category>: <details>'``), else the engine's."""
    deviation = reasons.get(case_id)
    if deviation is None:
        return f"{UNLISTED} ({engine})"
    return deviation.reason.split(": ", 1)[0]


def _grouped(
    title: str, cases: list[tuple[str, str]], reasons: dict[str, known.Deviation]
) -> list[str]:
    """``title (n):`` then one line per reason category with the case ids it covers."""
    groups: dict[str, list[str]] = defaultdict(list)
    for case_id, engine in cases:
        groups[_category(case_id, engine, reasons)].append(case_id)
    lines = [f"{title} ({len(cases)}):"]
    for category, ids in sorted(groups.items(), key=lambda g: -len(g[1])):
        lines.append(f"  {len(ids):3d} x {category}: {', '.join(sorted(ids))}")
    return lines


def _deviating(report: RunReport, reasons: dict[str, known.Deviation]) -> list[str]:
    """Judged cases that have a known deviation: verdict, case and the recorded reason."""
    return [
        f"  {r.verdict.upper():4} {r.case_id}: {reasons[r.case_id].reason}"
        for r in report.cases(REGISTRY_TRANSACTIONS)
        if r.case_id in reasons and r.verdict is not Verdict.SKIP
    ]


def _skipped(report: RunReport) -> list[tuple[str, str]]:
    return [
        (r.case_id, r.reasons[0] if r.reasons else "?")
        for r in report.cases(REGISTRY_TRANSACTIONS)
        if r.verdict is Verdict.SKIP and r.case_id
    ]


def _not_run(corpus: Corpus, report: RunReport) -> list[tuple[str, str]]:
    """MANIFEST request cases of the registry transactions that the run did not reach."""
    seen = {r.case_id for r in report.cases(REGISTRY_TRANSACTIONS)}
    data = json.loads((corpus.root / "MANIFEST.json").read_text(encoding="utf-8"))
    return sorted(
        (case["id"], "not in any test the replay runs")
        for case in data["cases"]
        if case.get("role") == "request"
        and case["transaction"] in REGISTRY_TRANSACTIONS
        and case["id"] not in seen
    )


def _local(report: RunReport) -> tuple[list[str], list[str]]:
    """One line per test of our test kit; and its steps that did not pass."""
    lines: list[str] = []
    bad: list[str] = []
    for test in LOCAL_TESTS:
        steps = [r for r in report.results if r.test == test]
        passed = sum(r.verdict is Verdict.PASS for r in steps)
        lines.append(f"{test} (conformance/testkit): {passed}/{len(steps)} steps passed")
        bad += [r.describe() for r in steps if r.verdict is not Verdict.PASS]
    return lines, bad


def test_testkit_only_fills_gaps(corpus: Corpus) -> None:
    """The engine searches extra test-kit roots first: ours must not shadow a corpus test."""
    ours = sorted(p.name for p in (TESTKIT / "tests").iterdir() if p.is_dir())
    assert ours == list(LOCAL_TESTS)
    shadowed = [test for test in ours if corpus.test_dir(test) is not None]
    assert not shadowed, f"the corpus now has {shadowed}: drop our substitute from {TESTKIT}"


def test_corpus_registry_tests(
    live_server: LiveServer, corpus: Corpus, record_summary: Callable[[list[str]], None]
) -> None:
    repository = live_server.base_url + "/xds/repository"
    health = requests.get(live_server.base_url + "/health", timeout=10).json()
    endpoints = Endpoints(
        live_server.registry_url, repository, ("127.0.0.1", live_server.mllp_port)
    )
    config = RunConfig(
        corpus_root=corpus.root,
        extra_testkits=(TESTKIT,),
        repository_unique_id=health["repository_unique_ids"][0],
    )
    tests = sorted(set(registry_tests(corpus)) | set(repository_tests(corpus)))
    report = run_tests(endpoints, tests, config)
    reasons = known.load(config.known_deviations)
    feeds = [r for r in report.results if r.transaction == "ITI-8"]
    local_lines, local_failures = _local(report)
    skipped, not_run = _skipped(report), _not_run(corpus, report)
    lines = [
        f"NIST corpus replay against {live_server.backend} ({len(report.results)} steps):",
        report.summary(REGISTRY_TRANSACTIONS),
        f"ITI-8 feeds: {sum(r.verdict is Verdict.PASS for r in feeds)}/{len(feeds)} acknowledged",
        *local_lines,
        f"tests missing from the corpus and test kit: {', '.join(report.missing_tests) or 'none'}",
        "judged under a known deviation:",
        *_deviating(report, reasons),
        *_grouped("skipped cases", skipped, reasons),
        *_grouped("MANIFEST cases not run", not_run, reasons),
    ]
    record_summary(lines)
    print("\n" + "\n".join(lines))
    problems = [f.describe() for f in report.failures(REGISTRY_TRANSACTIONS)]
    problems += local_failures
    problems += [
        f"{case_id}: skipped or not run ({engine}) without a reason in known_deviations.json"
        for case_id, engine in (*skipped, *not_run)
        if case_id not in reasons
    ]
    if problems:
        pytest.fail(
            f"{len(problems)} corpus case(s) judged wrong or unaccounted for:\n"
            + "\n".join(problems),
            pytrace=False,
        )
