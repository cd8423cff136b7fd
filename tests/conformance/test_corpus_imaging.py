"""Replay the NIST XDS-I.b tests of the corpus (suite ``imaging-source``) against the live server.

RAD-68 submissions go to the repository after their image-set patients were fed over ITI-8
(they are sent with the patient ids as written); RAD-69 requests go to
``/xds/imaging-source`` and RAD-55 WADO-URI requests to ``/wado``. NIST's image sets are
not in the corpus, so the runner first does NIST's "import the test images" step with
equivalents (:mod:`conformance.preload`): it binds NIST's IDS RepositoryUniqueId to ours
and stores, by STOW-RS to ``/dicomweb``, a generated instance for every UID a positive
RAD-69/RAD-55 step asks for; positives must then return exactly the loaded bytes.

The test prints pass counts per transaction and asserts: every RAD-68, RAD-69 and RAD-55
case passes except the RAD-55 steps whose instances NIST lists in a ``UIDFile``
(``images.txt``) the corpus does not hold — those skip with that reason; no step fails
because the engine could not build its message; every skip carries a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from conformance import Endpoints, RunConfig, run_tests
from conformance.corpus import Corpus
from conformance.imaging import check_retrieves
from conformance.preload import preload
from conformance.selection import imaging_tests
from conformance.state import Verdict
from tests.conftest import LiveServer

IMAGING_TRANSACTIONS = ("RAD-68", "RAD-69", "RAD-55")
_N = "nist-tk2:"
#: RAD-55 cases whose instances NIST lists in ``images.txt``, which the corpus does not hold.
UID_FILE_CASES = {
    f"{_N}ids_4806/Rad55RetrieveRequest#Rad55RetrieveRequest",
    f"{_N}ids_4807/retrieve#retrieve",
    f"{_N}ids_2018-4802a/Rad55RetrieveRequest#Rad55RetrieveRequest",
    f"{_N}ids_2018-4810/case-00_Comparison_Transaction#Rad55RetrieveRequest",
    f"{_N}ids_2018-4810/case-01_Unknown_SOP_Instance_UID#case-1-retrieve",
    f"{_N}ids_2018-4810/case-02_UID_wrong_series#case-2-retrieve",
    f"{_N}ids_2018-4810/case-03_UID_wrong_study#case-3-retrieve",
}


def test_corpus_imaging_tests(
    live_server: LiveServer,
    corpus: Corpus,
    tmp_path: Path,
    record_summary: Callable[[list[str]], None],
) -> None:
    health = requests.get(live_server.base_url + "/health", timeout=10).json()
    tests = sorted(t for t in imaging_tests(corpus) if corpus.test_dir(t) is not None)
    loaded = preload(
        corpus,
        tests,
        tmp_path,
        live_server.base_url + "/dicomweb",
        health["imaging_source_unique_id"],
    )
    assert loaded.loaded and not loaded.notes, loaded.notes
    # every positive retrieve is compared with loaded bytes, not just judged by its status
    assert all(set(uids) <= loaded.loaded.keys() for uids in loaded.asked.values())
    assert len(loaded.asked) == 8  # the 7 RAD-69 positives and ids_4805 (RAD-55)
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
        extra_testkits=loaded.roots,
        loaded_instances=loaded.loaded,
    )
    report = run_tests(endpoints, tests, config)
    check_retrieves(report, loaded.loaded, loaded.asked)
    cases = report.cases(IMAGING_TRANSACTIONS)
    feeds = [r for r in report.results if r.transaction == "ITI-8"]
    lines = [
        f"XDS-I.b corpus replay against {live_server.backend} ({len(cases)} cases, "
        f"{len(loaded.loaded)} equivalent instances preloaded by STOW-RS):",
        report.summary(IMAGING_TRANSACTIONS),
        f"ITI-8 feeds: {sum(r.verdict is Verdict.PASS for r in feeds)}/{len(feeds)} acknowledged",
        *(f"  {r.describe()}" for r in cases if r.verdict is not Verdict.PASS),
    ]
    record_summary(lines)
    print("\n" + "\n".join(lines))
    assert {r.transaction for r in cases} == set(IMAGING_TRANSACTIONS)
    assert all(r.verdict is Verdict.PASS for r in feeds), [r.describe() for r in feeds]
    assert all(r.reasons for r in cases if r.verdict is Verdict.SKIP)
    skipped = {r.case_id for r in cases if r.verdict is Verdict.SKIP}
    assert skipped == UID_FILE_CASES, [r.describe() for r in cases if r.verdict is Verdict.SKIP]
    assert all("images.txt" in " ".join(r.reasons) for r in cases if r.case_id in skipped)
    failed = [r.describe() for r in cases if r.verdict is Verdict.FAIL]
    assert not failed, failed
    counts = {t: sum(r.transaction == t and r.verdict is Verdict.PASS for r in cases)
              for t in IMAGING_TRANSACTIONS}  # fmt: skip
    assert counts == {"RAD-68": 16, "RAD-69": 25, "RAD-55": 4}, counts
    engine = [r.describe() for r in cases if any("engine" in x for x in r.reasons)]
    assert not engine, engine
