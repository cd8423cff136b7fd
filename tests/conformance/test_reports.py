"""The JUnit XML, HTML and console reports of a run, on a hand-built :class:`RunReport`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance import html_report
from conformance.console import progress_line, summary
from conformance.html_report import render, write_html
from conformance.junit import junit_xml, write_junit
from conformance.outcome import EndpointHealth, RunInfo, excerpt, verdict
from conformance.results import RunReport, StepResult
from conformance.soap import SoapResult
from conformance.state import Verdict

REQUEST = '<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Body>query</s:Body></s:Envelope>'
#: A response body with markup, a NUL and other control characters XML 1.0 cannot hold.
NASTY = "<script>alert('x')</script> & \x00\x01\x1b done"


def _exchange(request: str = REQUEST, response: str = "<ok/>", status: int = 200) -> SoapResult:
    result = SoapResult("ITI-42", "http://sut.example/xds/registry", http_status=status)
    result.status = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
    result.request_text, result.response_text = request, response
    return result


def _report() -> RunReport:
    passed = StepResult(
        "11990",
        "submit",
        "submit",
        "RegisterTransaction",
        Verdict.PASS,
        case_id="nist-tk2:11990/submit#submit",
        transaction="ITI-42",
        expected="Success",
        actual="Success",
        exchange=_exchange(),
        seconds=0.25,
    )
    failed = StepResult(
        "11996",
        "submit",
        "submit",
        "RegisterTransaction",
        Verdict.FAIL,
        case_id="nist-tk2:11996/submit#submit",
        transaction="ITI-42",
        expected="Failure",
        actual="Success",
        reasons=["status Success where Failure was expected", "expected errorCode X, got none"],
        notes=["advisory: implied errorCode XDSUnknownPatientId not returned"],
        exchange=_exchange(response=NASTY),
        seconds=0.5,
    )
    known = StepResult(
        "12379",
        "no_support",
        "no_support",
        "RegisterTransaction",
        Verdict.FAIL,
        case_id="nist-tk2:12379/no_support#no_support",
        transaction="ITI-42",
        expected="PartialSuccess",
        actual="Success",
        reasons=["status Success where PartialSuccess was expected"],
        known_deviation="12379 readme: support and no_support exclude each other",
        exchange=_exchange(),
    )
    skipped = StepResult(
        "15816",
        "Retrieve",
        "retrieve",
        "RetrieveTransaction",
        Verdict.SKIP,
        transaction="ITI-43",
        reasons=["repository endpoint not configured (ITI-43)"],
    )
    feed = StepResult(
        "15817",
        "pif",
        "step for 11990",
        "PatientIdentityFeedTransaction",
        Verdict.PASS,
        transaction="ITI-8",
        expected="AA",
        actual="ACK MSA-1=AA",
    )
    twice = [
        StepResult("idc_init", "a", "submit_doc", None, Verdict.SKIP, reasons=["no element"])
        for _ in range(2)
    ]
    return RunReport([passed, failed, known, skipped, feed, *twice], ["12346x"])


def _info() -> RunInfo:
    return RunInfo(
        started=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        seconds=3.5,
        settings=[("registry", "http://sut.example/xds/registry")],
        notes=["suite fhir: not available yet (MHD); nothing was run for it"],
        endpoints=[EndpointHealth("http://sut.example/xds/repository", 4, 4, 0, "refused")],
    )


def test_junit_is_a_suite_per_test_and_a_case_per_step(tmp_path: Path) -> None:
    path = tmp_path / "out" / "junit.xml"
    write_junit(_report(), path, _info())
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "1", "4")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == [f"NIST {t}" for t in ("11990", "11996", "12379", "15816", "15817")] + [
        "NIST idc_init"
    ]
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["registry"] == "http://sut.example/xds/registry"
    ok = suites["NIST 11990"].find("testcase")
    assert ok is not None
    assert (ok.get("classname"), ok.get("name"), ok.get("time")) == (
        "ITI-42",
        "11990/submit#submit",
        "0.250",
    )
    assert ok.find("failure") is None and ok.find("skipped") is None
    assert REQUEST.split("?>")[1] in (ok.findtext("system-out") or "")

    bad = suites["NIST 11996"].find("testcase")
    assert bad is not None
    failure = bad.find("failure")
    assert failure is not None
    assert failure.get("message") == "status Success where Failure was expected"
    assert "expected errorCode X, got none" in (failure.text or "")
    out = bad.findtext("system-out") or ""
    assert "case: nist-tk2:11996/submit#submit" in out
    assert "<script>alert('x')</script>" in out and "\x00" not in out
    assert "POST http://sut.example/xds/registry -> HTTP 200 Success" in out

    deviation = suites["NIST 12379"].find("testcase/skipped")
    assert deviation is not None
    assert (deviation.get("message") or "").startswith("known deviation: 12379 readme")
    skip = suites["NIST 15816"].find("testcase/skipped")
    assert skip is not None and skip.get("message") == "repository endpoint not configured (ITI-43)"
    feed = suites["NIST 15817"].find("testcase")
    assert feed is not None and feed.get("classname") == "ITI-8"
    names = [c.get("name") for c in suites["NIST idc_init"].iter("testcase")]
    assert names == ["idc_init/a#submit_doc", "idc_init/a#submit_doc (2)"]
    notes = [p.get("value") for p in root.iter("property") if p.get("name") == "note"]
    assert any("never answered" in str(n) for n in notes)
    assert any("12346x" in str(n) for n in notes)


def test_junit_reads_with_junitparser(tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "junit.xml"
    write_junit(_report(), path, _info())
    xml = junitparser.JUnitXml.fromfile(str(path))
    verdicts: dict[str, str] = {}
    for suite in xml:
        for case in suite:
            results = case.result
            kinds = {type(r).__name__ for r in results}
            verdicts[f"{case.classname} {case.name}"] = ",".join(sorted(kinds)) or "passed"
    assert verdicts["ITI-42 11990/submit#submit"] == "passed"
    assert verdicts["ITI-42 11996/submit#submit"] == "Failure"
    assert verdicts["ITI-42 12379/no_support#no_support"] == "Skipped"
    assert verdicts["ITI-43 15816/Retrieve#retrieve"] == "Skipped"
    assert len(verdicts) == 7
    assert (xml.tests, xml.failures, xml.skipped, xml.errors) == (7, 1, 4, 0)


def test_junit_cuts_bodies() -> None:
    report = RunReport(
        [StepResult("1", "s", "x", None, Verdict.FAIL, exchange=_exchange("A" * 100_000))]
    )
    data = junit_xml(report, excerpt_bytes=1000)
    root = ET.fromstring(data)
    out = root.findtext(".//system-out") or ""
    assert "showing the first 1000 bytes of 97.7 KB" in out
    assert len(out) < 3000


class _Tags(HTMLParser):
    """Checks that every non-void element is closed in order; collects what matters."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


def test_html_is_self_contained_escaped_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "report.html"
    write_html(_report(), path, _info())
    text = path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    assert parser.problems == [] and parser.stack == []
    tags = parser.tags
    assert not [t for t, a in tags if t in ("script", "link", "img", "iframe")]
    external = [a for _, a in tags if any(str(a.get(k, "")).startswith("http") for k in a)]
    assert external == []
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "<script>" not in text and "\x00" not in text
    assert "FAILED: 1 of 4 judged steps failed" in text
    assert "suite fhir: not available yet" in text
    assert "never answered (4 requests): refused" in text
    assert "tests not found in the test kit: 12346x" in text
    # summary per transaction, then every test, section and step
    for tx in ("ITI-42", "ITI-43", "ITI-8"):
        assert f"<td>{tx}</td>" in text
    assert text.index("Summary per transaction") < text.index("NIST 11990")
    assert "section submit" in text and "section Retrieve" in text
    assert "known deviation" in text and "12379 readme" in text
    assert "repository endpoint not configured (ITI-43)" in text
    assert "XDSUnknownPatientId" in text
    # failures are linked from the list at the top and their tests are open
    anchors = [a["href"] for t, a in tags if t == "a" and a.get("href")]
    ids = {a["id"] for _, a in tags if a.get("id")}
    assert anchors and all(str(h).lstrip("#") in ids for h in anchors)
    opened = [a for t, a in tags if t == "details" and "open" in a]
    assert len(opened) == 1
    bodies = [a for t, a in tags if t == "details" and a.get("class") == "body"]
    assert len(bodies) == 6  # request and response of the three exchanges


def test_html_bounds_huge_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    big = "<x>" + "B" * (200 * 1024) + "</x>"
    steps = [
        StepResult("1", "s", f"step{n}", None, Verdict.PASS, exchange=_exchange(big, big))
        for n in range(3)
    ]
    text = render(RunReport(steps))
    assert text.count("showing the first 64 KB of 200.0 KB") == 6
    assert len(text) < 6 * 66 * 1024 + 20_000
    monkeypatch.setattr(html_report, "TOTAL_BYTES", 100 * 1024)
    text = render(RunReport(steps))
    assert text.count("showing the first 64 KB of") == 2
    assert text.count("showing the first 4 KB of 200.0 KB") == 4


def test_console_summary_and_verdicts() -> None:
    report, info = _report(), _info()
    text = summary(report, info)
    assert "registry" in text and "http://sut.example/xds/registry" in text
    assert "suite fhir: not available yet" in text
    assert "nist-tk2:11996/submit#submit [ITI-42] expected Failure, got Success" in text
    assert "Failed under a known deviation (1, not counted)" in text
    assert "repository endpoint not configured (ITI-43)" in text
    assert text.splitlines()[-1] == "FAILED: 1 of 4 judged steps failed (in 3.5 s)"
    assert verdict(report, info) == "failed"
    ok = RunReport(
        [r for r in report.results if r.verdict is not Verdict.FAIL or r.known_deviation]
    )
    assert verdict(ok, info) == "passed"
    assert summary(ok, info).splitlines()[-1] == (
        "PASSED: 2 of 3 judged steps passed, 1 failed under a known deviation, 3 skipped (in 3.5 s)"
    )
    skipped = RunReport([r for r in report.results if r.verdict is Verdict.SKIP])
    assert verdict(skipped, info) == "nothing judged"
    assert verdict(RunReport(), info) == "nothing run"
    info.interrupted = True
    assert verdict(ok, info) == "interrupted"
    assert progress_line("11996", report.results[1:2]) == "11996: 1 step, 1 failed"


def test_excerpt_counts_utf8_bytes() -> None:
    assert excerpt("abc", 10) == ("abc", None)
    shown, note = excerpt("é" * 1000, 1024)
    assert shown == "é" * 512 and note == "showing the first 1 KB of 2.0 KB"
