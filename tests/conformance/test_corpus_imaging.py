"""Replay the NIST XDS-I.b tests of the corpus (suite ``imaging-source``) against the live server.

RAD-68 submissions go to the repository after their image-set patients were fed over ITI-8
(they are sent with the patient ids as written); RAD-69 requests go to
``/xds/imaging-source`` and RAD-55 WADO-URI requests to ``/wado``. NIST's image sets are
not in the corpus, so the retrieves of NIST studies can only pass when they are negative
(unknown UIDs); the test prints pass counts per transaction and asserts what the harness
itself must get right: every RAD-68 case passes (patients fed, KOS stored and registered),
no step fails because the engine could not build its message, and every case is judged.
"""

from __future__ import annotations

import requests

from conformance import Endpoints, RunConfig, run_tests
from conformance.corpus import Corpus
from conformance.selection import imaging_tests
from conformance.state import Verdict
from tests.conformance.conftest import record_summary
from tests.conftest import LiveServer

IMAGING_TRANSACTIONS = ("RAD-68", "RAD-69", "RAD-55")


def test_corpus_imaging_tests(live_server: LiveServer, corpus: Corpus) -> None:
    health = requests.get(live_server.base_url + "/health", timeout=10).json()
    endpoints = Endpoints(
        live_server.registry_url,
        live_server.base_url + "/xds/repository",
        ("127.0.0.1", live_server.mllp_port),
        live_server.base_url + "/xds/imaging-source",
        live_server.base_url + "/wado",
    )
    config = RunConfig(
        corpus_root=corpus.root,
        repository_unique_id=health["repository_unique_ids"][0],
        home_community_id=health.get("home_community_id", ""),
    )
    tests = sorted(t for t in imaging_tests(corpus) if corpus.test_dir(t) is not None)
    report = run_tests(endpoints, tests, config)
    cases = report.cases(IMAGING_TRANSACTIONS)
    feeds = [r for r in report.results if r.transaction == "ITI-8"]
    lines = [
        f"XDS-I.b corpus replay against {live_server.backend} ({len(cases)} cases):",
        report.summary(IMAGING_TRANSACTIONS),
        f"ITI-8 feeds: {sum(r.verdict is Verdict.PASS for r in feeds)}/{len(feeds)} acknowledged",
        *(f"  {r.describe()}" for r in cases if r.verdict is not Verdict.PASS),
    ]
    record_summary(lines)
    print("\n" + "\n".join(lines))
    assert {r.transaction for r in cases} == set(IMAGING_TRANSACTIONS)
    assert all(r.verdict is Verdict.PASS for r in feeds), [r.describe() for r in feeds]
    rad68 = [r for r in cases if r.transaction == "RAD-68"]
    assert rad68 and all(r.verdict is Verdict.PASS for r in rad68), [
        r.describe() for r in rad68 if r.verdict is not Verdict.PASS
    ]
    engine = [r.describe() for r in cases if any("engine" in x for x in r.reasons)]
    assert not engine, engine
