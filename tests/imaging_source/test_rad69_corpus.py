"""Replay the corpus RAD-69 cases (NIST XDS-I test kit) against a real server.

NIST's image sets are not in the corpus (corpus README 5.1), so an equivalent is loaded: the
conformance runner's generated instances (:mod:`conformance.equivalents`) with exactly the
study, series and SOP Instance UIDs the test kit's requests name (:data:`IMAGE_SETS`, which
also holds one instance only a negative case names), through ``beeldportaal import``. The
requests are then sent as written. Two bindings, as NIST's engine does them: ``$repuid$``
is the Imaging Document Source OID under test, and the IDC self-test (idc_4837) addresses
NIST's IDS simulator, whose place we take.

Outcome per case as in the manifest: the status, every ``expected_error_codes`` entry as an
exact errorCode, and the advisory ``implied_error_codes`` too (we aim to meet them). A
positive case must return every requested instance byte for byte as it was loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance import equivalents
from conformance.corpus import Corpus
from conformance.feed import NIST_AUTHORITY
from conformance.selection import imaging_tests
from tests.conftest import CORPUS
from tests.imaging_source.test_rad69 import (  # noqa: F401  (session fixture)
    NIST_IDS,
    Rad69Server,
    rad69_server,
    send,
)
from xds_common.xml import parse

#: The IDS simulator of NIST's toolkit that the IDC self-test idc_4837 sends to.
NIST_IDS_SIMULATOR = "1.3.6.1.4.1.21367.102.1.1"
STATUS = {
    "success": "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success",
    "failure": "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure",
    "partial_success": "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess",
}
_P = "1.3.6.1.4.1.21367.201599"  # NIST XDS-I image sets IDS-DEPT00x / IDCDEPT0xx
_T = "1.3.6.1.4.1.14519.5.2.1"  # the 2018 image sets (TCIA UIDs)
#: An instance of study 7085...133586 in a series the requests never name (2018 case 03 asks
#: for it under the wrong series); the series UID is ours.
_OTHER_SERIES = "2.25.301459843416371046573931963470557010000"
#: Study -> series -> SOP Instance UIDs, as NIST's image sets hold them, as far as the corpus
#: requests name them (ids_4811 lists the two series of study ...0954059).
IMAGE_SETS: dict[str, dict[str, list[str]]] = {
    f"{_P}.1.201604020954048": {f"{_P}.2.201604020954048": [f"{_P}.3.201604020954048.1"]},
    f"{_P}.1.201604020954059": {
        f"{_P}.2.201604020954059": [f"{_P}.3.201604020954059.{n}" for n in range(1, 21)],
        f"{_P}.2.201604020954059.21": [f"{_P}.3.201604020954059.{n}" for n in range(22, 38)],
    },
    f"{_P}.1.201604021948013": {f"{_P}.2.201604021948013": [f"{_P}.3.201604021948014"]},
    f"{_P}.1.201602100826039": {f"{_P}.2.201602100826040": [f"{_P}.3.201602100826040.1"]},
    f"{_T}.2857.3273.184862055846930271614754681036": {
        f"{_T}.2857.3273.181092492540572112241403328675": [
            f"{_T}.2857.3273.393987221165344252190796851776"
        ]
    },
    f"{_T}.7085.2626.192997540292073877946622133586": {
        f"{_T}.7085.2626.831285735928731782652048570955": [
            f"{_T}.7085.2626.310894536700672302243471156028"
        ],
        _OTHER_SERIES: [f"{_T}.7085.2626.917173693042362721495240037775"],
    },
}


def _cases() -> list[dict[str, Any]]:
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text())
    return [
        c
        for c in manifest["cases"]
        if c["transaction"] == "RAD-69" and c.get("role", "request") == "request"
    ]


CASES = _cases() if CORPUS.is_dir() else []


def _image_set_files() -> dict[str, bytes]:
    """One generated instance per SOP Instance UID of :data:`IMAGE_SETS` (the runner's)."""
    return equivalents.build(
        equivalents.Wanted(study, series, uid, f"IDS-DEPT{n:03d}-a^^^&{NIST_AUTHORITY}&ISO", "")
        for n, (study, sets) in enumerate(IMAGE_SETS.items())
        for series, uids in sets.items()
        for uid in uids
    )


@pytest.fixture(scope="module")
def nist_loaded(rad69_server: Rad69Server, tmp_path_factory: pytest.TempPathFactory) -> Rad69Server:  # noqa: F811
    """The server with the equivalent of NIST's image sets imported."""
    rad69_server.load(tmp_path_factory.mktemp("nist") / "in", _image_set_files())
    return rad69_server


def _bound(text: str) -> str:
    """The request with NIST's run-time bindings applied (corpus README 5.1, item 6)."""
    return text.replace("$repuid$", NIST_IDS).replace(NIST_IDS_SIMULATOR, NIST_IDS)


def _requested(text: str) -> list[tuple[str, str, str]]:
    """(study, series, SOP Instance UID) of every DocumentRequest in a corpus request."""
    root = parse(text.encode())
    found = []
    for study in root.iter("{urn:ihe:rad:xdsi-b:2009}StudyRequest"):
        for series in study.iter("{urn:ihe:rad:xdsi-b:2009}SeriesRequest"):
            for uid in series.iter("{urn:ihe:iti:xds-b:2007}DocumentUniqueId"):
                found.append(
                    (
                        study.get("studyInstanceUID", ""),
                        series.get("seriesInstanceUID", ""),
                        uid.text or "",
                    )
                )
    return found


def test_corpus_has_rad69_cases() -> None:
    assert len(CASES) == 26, "corpus RAD-69 cases changed: review IMAGE_SETS"


def test_image_sets_hold_every_instance_a_positive_case_asks_for() -> None:
    held = {
        (st, se, uid)
        for st, series in IMAGE_SETS.items()
        for se, uids in series.items()
        for uid in uids
    }
    for case in CASES:
        if case["expected"] == "success":
            assert set(_requested((CORPUS / case["file"]).read_text())) <= held, case["id"]


def test_runner_loads_what_the_image_sets_hold() -> None:
    """The conformance runner's preload asks for the same instances as :data:`IMAGE_SETS`."""
    corpus = Corpus(CORPUS)
    asked = equivalents.wanted_instances(corpus, sorted(imaging_tests(corpus)))
    held = {uid: (st, se) for st, sets in IMAGE_SETS.items() for se, uids in sets.items()
            for uid in uids}  # fmt: skip
    assert asked.instances and not asked.unknown
    assert all(held.get(w.sop) == (w.study, w.series) for w in asked.instances)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_rad69_case(nist_loaded: Rad69Server, tmp_path: Path, case: dict[str, Any]) -> None:
    text = _bound((CORPUS / case["file"]).read_text())
    body = etree.tostring(parse(text.encode())).decode()
    reply = send(nist_loaded.url, body, tmp_path)
    assert reply.status == STATUS[case["expected"]], (case["id"], reply.errors)
    for code in [*case["expected_error_codes"], *case.get("implied_error_codes", [])]:
        assert code in reply.codes, (case["id"], reply.errors)
    if case["expected"] == "success":
        uids = [uid for _, _, uid in _requested(text)]
        assert reply.documents == {uid: nist_loaded.files[uid] for uid in uids}
    else:
        assert reply.errors and all(location for _, location in reply.errors)
