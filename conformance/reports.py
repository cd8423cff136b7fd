"""NIST ``<Report name= section=>XPath</Report>``: publish a value for later ``UseReport``.

``section="InputMetadata"`` evaluates the XPath on the metadata we sent (symbolic ids the
registry replaced are mapped to the discovered entryUUIDs); ``section="Result"`` evaluates
it on the response body. Besides, every submission publishes ``<symbol>_uid`` and
``<symbol>_uuid`` (README §5.1 items 3 and 5).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from conformance.substitute import Assigned
from conformance.testplan import Report


def xpath_value(root: etree._Element, expression: str) -> str | None:
    """String value of the first XPath 1.0 result (attribute, element text, or atom)."""
    result: object = root.xpath(expression.strip())
    if isinstance(result, list):
        if not result:
            return None
        result = result[0]
    if isinstance(result, etree._Element):
        return "".join(str(t) for t in result.itertext()).strip()
    found = result
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, float) and found.is_integer():
        return str(int(found))
    return str(found).strip()


def collect(
    reports: tuple[Report, ...],
    sent: etree._Element | None,
    response: etree._Element | None,
    assigned: Assigned,
) -> tuple[dict[str, str], list[str]]:
    """Evaluate the step's Reports; return the values and notes about those that failed."""
    values = assigned.reports()
    notes: list[str] = []
    for report in reports:
        source = sent if report.section == "InputMetadata" else response
        if source is None:
            notes.append(f"report {report.name}: no {report.section} to evaluate")
            continue
        try:
            value = xpath_value(source, report.xpath)
        except etree.XPathError as exc:
            notes.append(f"report {report.name}: bad XPath ({exc})")
            continue
        if value is None:
            notes.append(f"report {report.name}: XPath found nothing in {report.section}")
            continue
        values[report.name] = _mapped(value, assigned.uuids, report.section)
    return values, notes


def _mapped(value: str, uuids: Mapping[str, str], section: str) -> str:
    if section == "InputMetadata":
        return uuids.get(value, value)
    return value
