"""JUnit XML of a run, for CI servers (Jenkins, GitLab, GitHub test reporters).

The layout is the common one (Ant's JUnit schema, which junitparser, Jenkins and GitLab
read)::

    <testsuites name= tests= failures= errors= skipped= time= timestamp=>
      <testsuite name="NIST 11996" tests= failures= errors= skipped= time= timestamp=>
        <properties><property name="registry" value="http://..."/>
          <property name="note" value="suite fhir: not available yet ..."/></properties>
        <testcase classname="ITI-42" name="11996/submit#submit" time=>
          <failure message="first reason" type="fail">expected, actual, reasons</failure>
          <system-out>notes, then request and response excerpts</system-out>
        </testcase>

One ``testsuite`` per NIST test, one ``testcase`` per judged step, ``classname`` the IHE
transaction. A failure that a known deviation explains does not fail the run, so it is a
``<skipped>`` whose message starts with ``known deviation:``; a skipped step is a
``<skipped>`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from conformance.outcome import (
    KNOWN,
    RunInfo,
    by_test,
    clean,
    error_codes,
    excerpt,
    first_line,
    label,
    total,
    transaction,
)
from conformance.results import RunReport, StepResult

#: Bytes of each request and response body in ``<system-out>`` of a failed step (the HTML
#: report has more); other steps get a quarter of it.
EXCERPT_BYTES = 8 * 1024


def junit_xml(
    report: RunReport, info: RunInfo | None = None, excerpt_bytes: int = EXCERPT_BYTES
) -> bytes:
    """The JUnit XML document of ``report`` (UTF-8, with XML declaration)."""
    info = info or RunInfo()
    stamp = info.started.replace(microsecond=0).isoformat()
    root = etree.Element("testsuites")
    _counts(root, report.results, info.seconds)
    root.set("name", clean(info.title))
    root.set("timestamp", stamp)
    for test, results in by_test(report.results).items():
        suite = etree.SubElement(root, "testsuite")
        suite.set("name", clean(f"NIST {test}"))
        _counts(suite, results, sum(r.seconds or 0.0 for r in results))
        suite.set("timestamp", stamp)
        rows = [*info.settings, *(("note", n) for n in _run_notes(report, info))]
        if rows:
            properties = etree.SubElement(suite, "properties")
            for key, value in rows:
                prop = etree.SubElement(properties, "property")
                prop.set("name", clean(key))
                prop.set("value", clean(value))
        seen: dict[str, int] = {}
        for result in results:
            case = testcase(result, excerpt_bytes)
            name = str(case.get("name"))
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:  # a step id used twice in a section (idc_init ...)
                case.set("name", f"{name} ({seen[name]})")
            suite.append(case)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def write_junit(
    report: RunReport, path: Path, info: RunInfo | None = None, excerpt_bytes: int = EXCERPT_BYTES
) -> None:
    """Write :func:`junit_xml` to ``path`` (parent folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junit_xml(report, info, excerpt_bytes))


def testcase(result: StepResult, excerpt_bytes: int = EXCERPT_BYTES) -> etree._Element:
    """The ``<testcase>`` of one step."""
    case = etree.Element("testcase")
    case.set("classname", clean(transaction(result)))
    case.set("name", clean(result.name))
    case.set("time", f"{result.seconds or 0.0:.3f}")
    kind = label(result)
    message = first_line(result.reasons[0]) if result.reasons else ""
    if kind == "fail":
        failure = etree.SubElement(case, "failure")
        failure.set("message", clean(message or "step failed"))
        failure.set("type", "fail")
        failure.text = clean("\n".join(_details(result)))
    elif kind == KNOWN:
        skipped = etree.SubElement(case, "skipped")
        skipped.set(
            "message", clean(f"known deviation: {first_line(result.known_deviation or '')}")
        )
        skipped.text = clean("\n".join(_details(result)))
    elif kind == "skip":
        skipped = etree.SubElement(case, "skipped")
        skipped.set("message", clean(message or "skipped"))
    out = _system_out(result, excerpt_bytes if kind in ("fail", KNOWN) else excerpt_bytes // 4)
    if out:
        etree.SubElement(case, "system-out").text = clean(out)
    return case


def _counts(element: etree._Element, results: Sequence[StepResult], seconds: float) -> None:
    counts = total(results)
    element.set("tests", str(counts.passed + counts.failed + counts.skipped))
    element.set("failures", str(counts.failed - counts.known))
    element.set("errors", "0")
    element.set("skipped", str(counts.skipped + counts.known))
    element.set("time", f"{seconds:.3f}")


def _details(result: StepResult) -> list[str]:
    lines = []
    if result.case_id:
        lines.append(f"case: {result.case_id}")
    lines.append(f"expected: {result.expected or '-'}")
    actual = result.actual or "-"
    if result.error_codes:
        actual += f" (error codes: {error_codes(result)})"
    lines.append(f"actual: {actual}")
    lines += [f"reason: {r.strip()}" for r in result.reasons]
    if result.known_deviation:
        lines.append(f"known deviation: {result.known_deviation}")
    return lines


def _system_out(result: StepResult, excerpt_bytes: int) -> str:
    parts: list[str] = []
    if result.case_id:
        parts.append(f"case: {result.case_id}")
    parts += [f"note: {n}" for n in result.notes]
    exchange = result.exchange
    if exchange is not None:
        status = f"HTTP {exchange.http_status}" if exchange.http_status else "no HTTP answer"
        parts.append(f"POST {exchange.url} -> {status} {exchange.status_name or ''}".rstrip())
        for title, body in (
            ("request", exchange.request_text),
            ("response", exchange.response_text),
        ):
            if not body:
                continue
            shown, cut = excerpt(body, excerpt_bytes)
            parts.append(f"--- {title}{f' ({cut})' if cut else ''} ---\n{shown}")
    return "\n".join(parts)


def _run_notes(report: RunReport, info: RunInfo) -> list[str]:
    lines = [*info.notes, *info.endpoint_problems]
    if report.missing_tests:
        lines.append(f"tests not found: {', '.join(report.missing_tests)}")
    return lines
