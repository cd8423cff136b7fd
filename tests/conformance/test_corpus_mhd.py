"""Suite ``fhir``: the Asbestos MHD TestScripts against a live server's ``/fhir``.

Binding is checked offline (placeholders, fresh identifiers); the replay runs against a
server whose affinity domain holds the Asbestos patient's assigning authority
(``urn:oid:1.2.132.163``). Every case must pass: positives 200 + transaction-response,
negatives 4xx + OperationOutcome with nothing left behind. While the recipient cannot
provide the test Patient at all, the replay is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from conformance.corpus import Corpus
from conformance.mhd import FHIR_NS, MhdCase, MhdReplay, load_cases
from conformance.state import Verdict
from tests.conftest import TEST_DOMAINS, LiveServer, start_server

ASBESTOS_AUTHORITY = "1.2.132.163"
PATIENT = "http://127.0.0.1:1/fhir/Patient/p1"


@pytest.fixture(scope="module")
def cases(corpus: Corpus) -> list[MhdCase]:
    found = load_cases(corpus.root)
    assert found, "no Asbestos cases in MANIFEST.json"
    return found


@pytest.fixture(scope="module")
def mhd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("mhd"),
        extra_env={"BEELDPORTAAL_PATIENT_ID_DOMAINS": f"{TEST_DOMAINS},{ASBESTOS_AUTHORITY}"},
    )
    yield server
    server.stop()


def test_cases_cover_the_collections(cases: list[MhdCase]) -> None:
    """Both MHD 4.2 collections, prerequisites first, each relation after its original."""
    tests = [c.test for c in cases]
    for collection in (
        "MHDv420_DocumentRecipient_minimal",
        "MHDv420_DocumentRecipient_comprehensive",
    ):
        mine = [t for t in tests if t.startswith(collection)]
        assert mine and mine[0].endswith("1_Prerequisite_Single_Document_with_Binary")
    order = [c.id for c in cases]
    for case in cases:
        if case.fixture in ("replace", "addendum", "transforms"):
            assert order.index(f"{case.id.split('#')[0]}#original") < order.index(case.id)


class _KnownPatient(MhdReplay):
    """A replay whose Patient is known (no recipient needed to test binding)."""

    def patient_reference(self, case: MhdCase) -> str:
        return PATIENT


def test_bind_fills_placeholders_and_fresh_identifiers(cases: list[MhdCase]) -> None:
    """${patientResourceId}, ${original} and @{RandomUUID} are bound; uniqueIds are new."""
    replay = _KnownPatient("http://127.0.0.1:1/fhir", 1.0)
    relation = next(c for c in cases if c.fixture == "replace")
    replay.originals[relation.test] = "http://127.0.0.1:1/fhir/DocumentReference/d1"
    data, identifiers = replay.bind(relation)
    text = data.decode()
    assert "${" not in text and "@{" not in text
    assert PATIENT in text and "DocumentReference/d1" in text
    root = etree.fromstring(data)
    masters = [v.get("value", "") for m in root.iter(f"{{{FHIR_NS}}}masterIdentifier")
               for v in m.iter(f"{{{FHIR_NS}}}value")]  # fmt: skip
    assert masters and all(m.startswith("urn:oid:2.25.") for m in masters)
    assert {name for name, _ in identifiers} == {"DocumentReference", "List"}
    assert "urn:oid:1.2.129.6.58.92.88336.4" not in text  # the file's own uniqueId is replaced


def test_relation_without_original_is_not_sent(cases: list[MhdCase]) -> None:
    """A replace whose original did not succeed fails with the reason, without a request."""
    relation = next(c for c in cases if c.fixture == "replace")
    result = _KnownPatient("http://127.0.0.1:1/fhir", 1.0).run_case(relation)
    assert result.verdict is Verdict.FAIL
    assert "no successful 'original' submission" in result.reasons[0]


def test_corpus_mhd_cases(
    mhd_server: LiveServer, cases: list[MhdCase], record_summary: Callable[[list[str]], None]
) -> None:
    replay = MhdReplay(mhd_server.base_url + "/fhir", 30.0)
    try:
        replay.patient_reference(cases[0])
    except LookupError as exc:
        pytest.skip(f"the MHD recipient cannot provide the test Patient yet: {exc}")
    results = list(replay.run(cases))
    passed = [r for r in results if r.verdict is Verdict.PASS]
    lines = [
        f"Asbestos MHD replay: ITI-65 {len(passed)}/{len(results)} passed",
        *(f"  {r.describe()}" for r in results if r.verdict is not Verdict.PASS),
    ]
    record_summary(lines)
    print("\n" + "\n".join(lines))
    assert len(passed) == len(results), "\n".join(lines)


def test_load_cases_without_corpus(tmp_path: Path) -> None:
    assert load_cases(tmp_path) == []
