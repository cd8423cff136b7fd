"""Our declarative test scripts (``profiles.testscripts``) against the live server."""

from __future__ import annotations

from collections.abc import Callable

import requests

from conformance import Endpoints, RunConfig
from conformance.corpus import Corpus
from conformance.scripts import ScriptRunner
from conformance.state import Verdict
from profiles.testscripts import Feed, Query, Script, Send
from profiles.testscripts.catalogue import ALL, SINGLE_DOC_42
from tests.conftest import LiveServer


def _runner(server: LiveServer, corpus: Corpus) -> ScriptRunner:
    health = requests.get(server.base_url + "/health", timeout=10).json()
    endpoints = Endpoints(
        server.registry_url,
        server.base_url + "/xds/repository",
        ("127.0.0.1", server.mllp_port),
        server.base_url + "/xds/imaging-source",
        server.base_url + "/wado",
    )
    config = RunConfig(corpus_root=corpus.root,
                       repository_unique_id=health["repository_unique_ids"][0])  # fmt: skip
    return ScriptRunner(endpoints, config, server.base_url + "/fhir")


def test_every_component_has_a_script() -> None:
    assert {s.component for s in ALL} == {"registry", "repository", "imaging-source", "fhir"}


def test_scripts_pass_against_the_live_server(
    live_server: LiveServer, corpus: Corpus, record_summary: Callable[[list[str]], None]
) -> None:
    results = list(_runner(live_server, corpus).run(ALL))
    passed = sum(r.verdict is Verdict.PASS for r in results)
    lines = [f"scripts: {passed}/{len(results)} steps passed"]
    lines += [f"  {r.describe()}" for r in results if r.verdict is not Verdict.PASS]
    record_summary(lines)
    assert len(results) == sum(len(s.steps) for s in ALL)
    assert all(r.verdict is Verdict.PASS for r in results), "\n".join(lines)


def test_a_wrong_expectation_fails_and_stops_the_script(
    live_server: LiveServer, corpus: Corpus
) -> None:
    """A golden ITI-42 expected to fail: that step fails, the query after it is not run."""
    script = Script("wrong", "registry", "", (Feed(), Send("ITI-42", SINGLE_DOC_42, "Failure"),
                                              Query("FindDocuments", 1)))  # fmt: skip
    results = list(_runner(live_server, corpus).run([script]))
    assert [r.verdict for r in results] == [Verdict.PASS, Verdict.FAIL, Verdict.SKIP]
    assert "expected Failure [], got Success" in results[1].reasons[0]
    assert results[2].reasons == ["not run: step 2-Send failed"]
