"""The equivalents of NIST's XDS-I.b image sets and their preloading (conformance.preload).

Unit tests read the corpus in place; the STOW-RS tests store into the live server (with
dicomweb-client) and read the instances back by WADO-URI (RAD-55); a test kit in NIST's
layout with a ``UIDFile`` shows how a full NIST kit's ``images.txt`` steps are replayed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
import requests
from lxml import etree

from conformance import Endpoints, RunConfig, equivalents, imaging, preload, run_tests
from conformance.corpus import Corpus
from conformance.equivalents import Wanted
from conformance.results import RunReport, StepResult
from conformance.selection import imaging_tests
from conformance.soap import SoapResult
from conformance.state import Verdict
from profiles import namespaces as ns
from tests.conftest import ROOT, LiveServer, free_port

_P = "1.3.6.1.4.1.21367.201599"
STUDY_4810 = (f"{_P}.1.201604020954048", f"{_P}.2.201604020954048", f"{_P}.3.201604020954048.1")
CASE_4810 = ("ids_4810", "Rad69RetrieveRequest", "retrieve")
CASE_4805 = ("ids_4805", "Rad55RetrieveRequest", "Rad55RetrieveRequest")
CASE_4812_1 = ("ids_4812", "case-1_Invalid_RepositoryUID", "retrieve-1")


@pytest.fixture(scope="module")
def asks(corpus: Corpus) -> equivalents.Requests:
    return equivalents.wanted_instances(corpus, sorted(imaging_tests(corpus)))


def test_positive_retrieves_name_their_instances(asks: equivalents.Requests) -> None:
    assert not asks.unknown, asks.unknown
    assert asks.asked[CASE_4810] == [STUDY_4810[2]]
    assert asks.asked[CASE_4805] == [STUDY_4810[2]]
    assert len(asks.asked[("ids_4811", "Rad69RetrieveRequest", "retrieve")]) == 36
    assert CASE_4812_1 not in asks.asked  # a negative case runs as written
    assert ("ids_4806", "Rad55RetrieveRequest", "Rad55RetrieveRequest") not in asks.asked
    sops = [w.sop for w in asks.instances]
    assert len(sops) == len(set(sops)) == 39


def test_patient_comes_from_the_test_readme(asks: equivalents.Requests) -> None:
    first = next(w for w in asks.instances if w.sop == STUDY_4810[2])
    assert first.patient == "IDS-AD001-x^^^&1.3.6.1.4.1.21367.2005.13.20.1000&ISO"
    tcia = next(w for w in asks.instances if w.study.startswith("1.3.6.1.4.1.14519"))
    assert tcia.patient == equivalents.DEFAULT_PATIENT


def test_built_instance_carries_the_uids_and_patient() -> None:
    wanted = Wanted(*STUDY_4810, "IDS-AD001-a^^^&1.2.3&ISO", "t/s/step")
    data = equivalents.build([wanted])[STUDY_4810[2]]
    ds = pydicom.dcmread(io.BytesIO(data))
    assert (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID) == STUDY_4810
    assert (ds.PatientID, ds.IssuerOfPatientID) == ("IDS-AD001-a", "1.2.3")
    assert ds.file_meta.TransferSyntaxUID == equivalents.TRANSFER_SYNTAX
    assert ds.pixel_array.shape == (equivalents.SIZE, equivalents.SIZE)


def test_bytes_survive_the_encoding_dicomweb_client_sends() -> None:
    """dicomweb-client re-encodes the dataset with pydicom.dcmwrite: same bytes."""
    data = equivalents.build([Wanted(*STUDY_4810, equivalents.DEFAULT_PATIENT, "x")])
    original = data[STUDY_4810[2]]
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, pydicom.dcmread(io.BytesIO(original)))
    assert buffer.getvalue() == original


def test_uid_file_lines() -> None:
    assert equivalents.uid_file_lines("1.2:1.2.3:1.2.3.4\n\n5:6:7\n") == [
        ("1.2", "1.2.3", "1.2.3.4"),
        ("5", "6", "7"),
    ]
    with pytest.raises(ValueError, match="study:series:object"):
        equivalents.uid_file_lines("1.2:1.2.3\n")


def _repository_ids(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    return [e.text or "" for e in root.iter(ns.qn(ns.XDSB, "RepositoryUniqueId"))]


def test_bound_request_replaces_only_nist_ids(corpus: Corpus) -> None:
    rad69 = corpus.root / "rad69"
    positive = (rad69 / "nist-tk2__ids_4810__Rad69RetrieveRequest__RAD-69Request.xml").read_bytes()
    selftest = (rad69 / "nist-tk2__idc_4837__selftest-rad-69__RAD-69Request.xml").read_bytes()
    wrong = next(rad69.glob("nist-tk2__ids_4812__case-1_*")).read_bytes()
    assert _repository_ids(preload.bound_request(positive, "2.25.1")) == ["2.25.1"]
    assert _repository_ids(preload.bound_request(selftest, "2.25.1")) == ["2.25.1"]
    assert _repository_ids(preload.bound_request(wrong, "2.25.1")) == [f"{preload.NIST_IDS}.999"]
    assert preload.bound_request(b"<not xml", "2.25.1") == b"<not xml"


def test_bound_test_kit_is_found_before_the_corpus(corpus: Corpus, tmp_path: Path) -> None:
    root = preload.bind_repository_ids(corpus, ["ids_4810", "ids_4805"], tmp_path, "2.25.7")
    bound = Corpus(corpus.root, (root,))
    section = bound.test_dir("ids_4810")
    assert section is not None and section.is_relative_to(tmp_path)
    request = bound.resolve_file(section / "Rad69RetrieveRequest", "RAD-69Request.xml")
    assert request is not None and _repository_ids(request.read_bytes()) == ["2.25.7"]
    assert bound.test_dir("ids_4805") == corpus.test_dir("ids_4805")  # no RAD-69 step


def test_store_and_read_back_by_wado(live_server: LiveServer) -> None:
    study = f"2.25.{free_port()}{free_port()}"
    items = [Wanted(study, f"{study}.1", f"{study}.1.{n}", equivalents.DEFAULT_PATIENT, "x")
             for n in (1, 2)]  # fmt: skip
    files = equivalents.build(items)
    stored, problem = preload.store(
        live_server.base_url + "/dicomweb", study, list(files.values()), 30
    )
    assert (sorted(stored), problem) == (sorted(files), "")
    params = {"requestType": "WADO", "studyUID": study, "seriesUID": f"{study}.1",
              "objectUID": f"{study}.1.2", "contentType": "application/dicom"}  # fmt: skip
    answer = requests.get(live_server.base_url + "/wado", params=params, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/dicom")
    assert answer.content == files[f"{study}.1.2"]


def test_store_to_a_closed_port_is_a_problem_not_an_exception() -> None:
    item = Wanted(*STUDY_4810, equivalents.DEFAULT_PATIENT, "x")
    data = equivalents.build([item])
    url = f"http://127.0.0.1:{free_port()}/dicomweb"
    stored, problem = preload.store(url, STUDY_4810[0], list(data.values()), 5)
    assert stored == [] and "ConnectionError" in problem


def _answer(uid: str, data: bytes, mime: str = "application/dicom") -> SoapResult:
    body = etree.Element(ns.qn(ns.XDSB, "RetrieveDocumentSetResponse"))
    response = etree.SubElement(body, ns.qn(ns.XDSB, "DocumentResponse"))
    etree.SubElement(response, ns.qn(ns.XDSB, "DocumentUniqueId")).text = uid
    etree.SubElement(response, ns.qn(ns.XDSB, "mimeType")).text = mime
    include = etree.SubElement(etree.SubElement(response, ns.qn(ns.XDSB, "Document")),
                               ns.qn(ns.XOP, "Include"))  # fmt: skip
    include.set("href", "cid:doc1@x")
    status = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
    return SoapResult("RAD-69", "u", 200, status, body=body, attachments={"doc1@x": data})


@pytest.mark.parametrize(
    ("returned", "mime", "problem"),
    [
        (b"loaded", "application/dicom", None),
        (b"other", "application/dicom", "bytes returned differ"),
        (b"loaded", "image/jpeg", "mimeType 'image/jpeg'"),
    ],
)
def test_rad69_answer_is_compared_with_the_loaded_bytes(
    returned: bytes, mime: str, problem: str | None
) -> None:
    uid = STUDY_4810[2]
    result = StepResult(*CASE_4810, "ImagingDocSetRetrieveTransaction", Verdict.PASS,
                        transaction="RAD-69", exchange=_answer(uid, returned, mime))  # fmt: skip
    report = RunReport(results=[result])
    imaging.check_retrieves(report, {uid: b"loaded"}, {CASE_4810: [uid]})
    if problem is None:
        assert result.verdict is Verdict.PASS and not result.reasons
    else:
        assert result.verdict is Verdict.FAIL and problem in " ".join(result.reasons)


def test_rad69_instance_missing_from_the_answer_fails() -> None:
    result = StepResult(*CASE_4810, "ImagingDocSetRetrieveTransaction", Verdict.PASS,
                        transaction="RAD-69", exchange=_answer("1.2.3", b"x"))  # fmt: skip
    imaging.check_retrieves(RunReport(results=[result]), {"9.9": b"x"}, {CASE_4810: ["9.9"]})
    assert result.verdict is Verdict.FAIL
    assert result.reasons == ["instance 9.9 is not in the response"]


_PLAN = """<TestPlan><Test>{test}/{section}</Test><TestStep id="get">
  <ExpectedStatus>{status}</ExpectedStatus>{error}
  <WADOTransaction><Parameters></Parameters><UIDFile>images.txt</UIDFile></WADOTransaction>
</TestStep></TestPlan>"""


def _uid_file_kit(root: Path, study: str) -> Path:
    """A NIST-layout test kit: a positive and a negative RAD-55 step, UIDs in images.txt."""
    test = root / "tests" / "wado_uidfile"
    sections = {
        "multi": ("Success", "", [f"{study}:{study}.1:{study}.1.{n}" for n in (1, 2)]),
        "unknown": ("Failure", "<ExpectedErrorCode>404</ExpectedErrorCode>",
                    [f"{study}:{study}.1:{study}.1.9"]),
    }  # fmt: skip
    for name, (status, error, lines) in sections.items():
        (test / name).mkdir(parents=True)
        plan = _PLAN.format(test="wado_uidfile", section=name, status=status, error=error)
        (test / name / "testplan.xml").write_text(plan)
        (test / name / "images.txt").write_text("\n".join(lines) + "\n")
    (test / "index.idx").write_text("multi\nunknown\n")
    return root


def test_uid_file_steps_are_preloaded_and_judged(
    live_server: LiveServer, corpus: Corpus, tmp_path: Path
) -> None:
    study = f"2.25.{free_port()}{free_port()}{free_port()}"
    kit = _uid_file_kit(tmp_path / "kit", study)
    with_kit = Corpus(corpus.root, (kit,))
    done = preload.preload(with_kit, ["wado_uidfile"], tmp_path, live_server.base_url + "/dicomweb")
    assert sorted(done.loaded) == [f"{study}.1.1", f"{study}.1.2"]
    assert done.asked == {("wado_uidfile", "multi", "get"): [f"{study}.1.1", f"{study}.1.2"]}
    config = RunConfig(corpus_root=corpus.root, extra_testkits=(kit,),
                       loaded_instances=done.loaded)  # fmt: skip
    endpoints = Endpoints(live_server.registry_url, wado=live_server.base_url + "/wado")
    report = run_tests(endpoints, ["wado_uidfile"], config)
    verdicts = {r.section: (r.verdict, r.actual, r.transaction) for r in report.results}
    assert verdicts == {
        "multi": (Verdict.PASS, "HTTP 200", "RAD-55"),
        "unknown": (Verdict.PASS, "HTTP 404", "RAD-55"),
    }, [r.describe() for r in report.results]


def test_uid_file_step_fails_when_a_byte_differs(
    live_server: LiveServer, corpus: Corpus, tmp_path: Path
) -> None:
    study = f"2.25.{free_port()}{free_port()}{free_port()}"
    kit = _uid_file_kit(tmp_path / "kit", study)
    done = preload.preload(
        Corpus(corpus.root, (kit,)), ["wado_uidfile"], tmp_path, live_server.base_url + "/dicomweb"
    )
    changed = dict(done.loaded)
    changed[f"{study}.1.2"] = changed[f"{study}.1.2"][:-1] + b"\xff"
    config = RunConfig(corpus_root=corpus.root, extra_testkits=(kit,), loaded_instances=changed)
    endpoints = Endpoints(live_server.registry_url, wado=live_server.base_url + "/wado")
    multi = run_tests(endpoints, ["wado_uidfile"], config).results[0]
    assert multi.verdict is Verdict.FAIL
    assert multi.reasons == [f"{study}.1.2: {len(changed[f'{study}.1.2'])} bytes returned "
                             f"differ from the {len(changed[f'{study}.1.2'])} loaded"]  # fmt: skip


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m conformance ARGS`` (the same command as ``beeldportaal conformance run``)."""
    command = [sys.executable, "-m", "conformance", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_command_preloads_and_binds(live_server: LiveServer) -> None:
    """``conformance run`` with --imaging-source: preload on by default, RAD-69 bound."""
    ids = json.loads((live_server.home / "identifiers.json").read_text())
    args = [
        "--registry", live_server.registry_url,
        "--imaging-source", live_server.base_url + "/xds/imaging-source",
        "--imaging-source-id", ids["imaging_source_unique_id"],
        "--no-wait", "ids_4810", "ids_4805", "ids_4812",
    ]  # fmt: skip
    done = _command(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "preloaded equivalents" in done.stdout and "by STOW-RS" in done.stdout
    assert ids["imaging_source_unique_id"] in done.stdout
    off = _command(*args, "--no-load-equivalents")
    assert "no equivalents loaded" in off.stdout, off.stdout
