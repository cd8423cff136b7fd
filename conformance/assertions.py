"""NIST ``<Assertions><Assert>XPath</Assert>`` checks (``NullTransaction`` and others).

NIST evaluates each XPath 1.0 expression against the section's log
(``<DataRef file="THIS" as="output"/>``): per step a ``TestStep`` element holding the
transaction element with ``InputMetadata`` (what was sent) and ``Result`` (the response).
We build the same shape from the run state. Before evaluation the step's ``UseReport``
``useAs`` names are replaced textually (NIST does that too: ``'orig_uuid'``) and ``$DATE$``
becomes today's date. An assertion holds when the XPath result is true, non-zero or
non-empty.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from lxml import etree

from conformance.state import RunState
from conformance.testplan import Assertion


def section_log(state: RunState, test: str, section: str) -> etree._Element:
    """A NIST-like log of the steps of ``test/section`` that have run so far."""
    log = etree.Element("TestResults")
    for (t, s, step), record in state.steps.items():
        if (t, s) != (test, section):
            continue
        step_el = etree.SubElement(log, "TestStep", id=step)
        tx = etree.SubElement(step_el, record.transaction or "NullTransaction")
        if record.input_metadata is not None:
            etree.SubElement(tx, "InputMetadata").append(copy.deepcopy(record.input_metadata))
        if record.result is not None:
            etree.SubElement(tx, "Result").append(copy.deepcopy(record.result))
    return log


def truthy(value: object) -> bool:
    """XPath 1.0 boolean() of a result."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and value == value
    if isinstance(value, (str, list)):
        return len(value) > 0
    return value is not None


def evaluate(
    assertions: tuple[Assertion, ...], log: etree._Element, values: Mapping[str, str]
) -> list[str]:
    """Problems of the assertions that do not hold (or cannot be evaluated)."""
    problems: list[str] = []
    keys = sorted(values, key=len, reverse=True)
    for assertion in assertions:
        expression = assertion.xpath
        for key in keys:
            expression = expression.replace(key, values[key])
        try:
            held = truthy(log.xpath(expression.strip()))
        except etree.XPathError as exc:
            problems.append(f"assertion {assertion.id}: cannot evaluate ({exc})")
            continue
        if not held:
            problems.append(
                f"assertion {assertion.id} does not hold: {' '.join(expression.split())}"
            )
    return problems
