"""``beeldportaal conformance run`` end to end: a subprocess against the live server.

The command is run as ``python -m beeldportaal conformance run`` once ``beeldportaal/cli.py``
registers it, else as ``python -m beeldportaal.conformance_cli run`` (the same parser).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from conformance.corpus import Corpus
from tests.conftest import ROOT, LiveServer

#: Tests with a registry submission and query (11990), a negative case (12084) and
#: ITI-41/ITI-43 against the repository (15816).
TESTS = ("11990", "12084", "15816")


@functools.cache
def entry() -> tuple[str, ...]:
    """The command up to ``run``: the ``beeldportaal`` CLI when it has the command."""
    wired = subprocess.run(
        [sys.executable, "-m", "beeldportaal", "conformance", "run", "--help"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    if wired.returncode == 0:
        return (sys.executable, "-m", "beeldportaal", "conformance", "run")
    return (sys.executable, "-m", "beeldportaal.conformance_cli", "run")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the command; it must never end in a traceback."""
    done = subprocess.run(
        [*entry(), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


def junit_cases(path: Path) -> dict[str, ET.Element]:
    """``testcase`` elements of a JUnit file by name."""
    return {str(c.get("name")): c for c in ET.parse(path).getroot().iter("testcase")}


def server_args(server: LiveServer) -> list[str]:
    """The endpoints of the live server."""
    return [
        "--registry",
        server.registry_url,
        "--repository",
        server.base_url + "/xds/repository",
        "--mllp",
        f"127.0.0.1:{server.mllp_port}",
    ]


def test_run_against_the_live_server(
    live_server: LiveServer, corpus: Corpus, tmp_path: Path
) -> None:
    junit, page = tmp_path / "junit.xml", tmp_path / "html" / "report.html"
    done = run_cli(
        *server_args(live_server),
        *TESTS,
        "--junit",
        str(junit),
        "--html",
        str(page),
        "--imaging-source",
        "http://127.0.0.1:1/dicom",
        "--fhir",
        "http://127.0.0.1:1/fhir",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    health = requests.get(live_server.base_url + "/health", timeout=10).json()
    assert f"{health['repository_unique_ids'][0]} (from {live_server.base_url}/health)" in out
    # Endpoints given without their suites are listed, not tested (no --suite asked for them)
    assert "http://127.0.0.1:1/dicom" in out and "http://127.0.0.1:1/wado" in out
    assert "http://127.0.0.1:1/fhir" in out
    assert out.splitlines()[-3].startswith("PASSED: ")
    for tx in ("ITI-42", "ITI-18", "ITI-41", "ITI-43", "ITI-8"):
        assert f"  {tx} " in out
    assert f"JUnit XML: {junit}" in out and f"HTML report: {page}" in out
    for test in TESTS:
        assert f"] {test}: " in done.stderr  # progress lines

    cases = junit_cases(junit)
    for name in (
        "11990/submit#submit",
        "12084/submit#submit",
        "15816/PnR#SubmitStableDocumentEntry",
        "15816/Retrieve#retrieve_doc",
    ):
        assert name in cases, sorted(cases)
        assert cases[name].find("failure") is None
    assert cases["12084/submit#submit"].get("classname") == "ITI-42"
    assert cases["15816/PnR#SubmitStableDocumentEntry"].get("classname") == "ITI-41"
    assert cases["15816/Retrieve#retrieve_doc"].get("classname") == "ITI-43"
    out_12084 = cases["12084/submit#submit"].findtext("system-out") or ""
    assert "XDSRegistryMetadataError" in out_12084
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "0"
    assert {s.get("name") for s in root.iter("testsuite")} >= {f"NIST {t}" for t in TESTS}

    text = page.read_text(encoding="utf-8")
    assert "PASSED" in text and "NIST 15816" in text and "RetrieveDocumentSetRequest" in text
    assert "XDSRegistryMetadataError" in text


def test_run_a_testplan_folder_directly(
    live_server: LiveServer, corpus: Corpus, tmp_path: Path
) -> None:
    """A copy of test 11990 outside any test kit, given by path, runs as it is."""
    source = corpus.test_dir("11990")
    assert source is not None
    mine = tmp_path / "my-tests" / "4711"
    shutil.copytree(source, mine)
    for section in ("submit", "eval"):
        for name in ("single_doc.xml", "query.xml"):
            flat = corpus.resolve_file(source / section, name)
            if flat is not None and not (mine / section / name).exists():
                shutil.copy(flat, mine / section / name)
    junit = tmp_path / "junit.xml"
    done = run_cli(*server_args(live_server), str(mine), "--junit", str(junit))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"test plans             {mine} (1 test)" in done.stdout
    assert {"4711/submit#submit", "4711/eval#by_uid"} <= set(junit_cases(junit))

    done = run_cli(*server_args(live_server), str(mine / "submit"))
    assert done.returncode == 2
    assert "one section of test 4711" in done.stderr and str(mine) in done.stderr


def test_without_mllp_steps_that_need_a_fed_patient_skip(live_server: LiveServer) -> None:
    done = run_cli("--registry", live_server.registry_url, "11990")
    assert done.returncode == 1, done.stdout
    assert "no --mllp HOST:PORT: ITI-8 patient feeds are not possible" in done.stdout
    assert f"--mllp 127.0.0.1:{live_server.mllp_port}" in done.stdout  # hint from /health
    assert "ITI-8 feed not possible: no --mllp HOST:PORT given" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("NOTHING JUDGED: all ")


def test_a_broken_test_plan_is_a_failed_step_not_a_crash(tmp_path: Path) -> None:
    plan = tmp_path / "kit" / "tests" / "4712" / "submit" / "testplan.xml"
    plan.parent.mkdir(parents=True)
    plan.write_text("<TestPlan><Test>4712/submit</Test><TestStep id='x'><Broken", "utf-8")
    page = tmp_path / "report.html"
    done = run_cli("--registry", "http://127.0.0.1:1/x", str(tmp_path / "kit"), "--html", str(page))
    assert done.returncode == 1
    assert "the replay engine failed on test 4712: XMLSyntaxError" in done.stdout
    assert "Traceback" in page.read_text("utf-8")  # for whoever debugs it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--registry", "localhost:8080/xds"], "--registry: 'localhost:8080/xds' is not an http"),
        (["--registry", "http://127.0.0.1:1/x", "99999999"], "unknown NIST test(s) 99999999"),
        (["--registry", "http://127.0.0.1:1/x", "/nonexistent/plans"], "no such file or folder"),
        (["--registry", "http://127.0.0.1:1/x", "--suite", "repository"], "needs the repository"),
        (["--registry", "http://127.0.0.1:1/x", "--mllp", "nohost"], "expected HOST:PORT"),
        (["--registry", "http://127.0.0.1:1/x", "--timeout", "-1"], "positive number"),
        (["--registry", "http://127.0.0.1:1/x", "--suite", "bogus"], "invalid choice"),
        (["--registry", "http://127.0.0.1:1/x", "--suite", "fhir"], "needs the MHD FHIR base"),
        (["--registry", "http://127.0.0.1:1/x", "--suite", "imaging-source"], "--imaging-source"),
        (["--registry", "http://127.0.0.1:1/x", "--wado", "ftp://x"], "--wado: 'ftp://x'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
