"""The FHIR patient identity feed against the registry's real ITI-8 MLLP listener.

Golden Patient plus one change -> one expected OperationOutcome issue (FHIRPath expression);
the ADT the facade builds is accepted (AA) by the registry's own listener, and a refusal
(AE) becomes 422.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hl7
import pytest

from fhir_facade.errors import FhirError
from fhir_facade.patient_feed import (
    BSN_SYSTEM,
    FeedTarget,
    Trigger,
    build_adt,
    feed_identifiers,
    send_feed,
)
from tests.conftest import free_port
from xds_common.datatypes import Cx
from xds_common.db import Base, get_engine, session_factory
from xds_registry.feed.mllp import start_mllp_listener
from xds_registry.patients import PatientIdentity

BSN = "2.16.840.1.113883.2.4.6.3"
OTHER = "1.2.3.4.5.1000"
DOMAINS = (BSN, OTHER)
LOOPBACK = "127.0.0.1"

GOLDEN: dict[str, Any] = {
    "resourceType": "Patient",
    "identifier": [
        {"system": BSN_SYSTEM, "value": "123456782"},
        {"system": f"urn:oid:{OTHER}", "value": "MRN-7"},
        {"system": "http://ziekenhuis.example/mrn", "value": "local-1"},
    ],
    "name": [{"family": "Bakker|Smit", "given": ["Zoë"]}],
    "gender": "female",
    "birthDate": "1980-05-17",
}


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOLDEN)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_golden_patient_feeds_its_oid_identifiers() -> None:
    ids = feed_identifiers(GOLDEN, DOMAINS)
    assert ids == [Cx("123456782", BSN), Cx("MRN-7", OTHER)]


@pytest.mark.parametrize(
    ("path", "value", "expression", "code"),
    [
        (("identifier", 0, "value"), "123456789", "Patient.identifier[0].value", "value"),
        (("identifier", 0, "system"), None, "Patient.identifier[0].system", "required"),
        (("identifier", 1, "value"), None, "Patient.identifier[1].value", "required"),
        (("identifier", 1, "system"), "urn:oid:1.2.x", "Patient.identifier[1].system", "value"),
        (("identifier", 1, "value"), "MRN^7", "Patient.identifier[1].value", "value"),
        (
            ("identifier", 2),
            {"system": BSN_SYSTEM, "value": "123456782"},
            "Patient.identifier[2]",
            "duplicate",
        ),
        (
            ("identifier",),
            [{"system": "urn:oid:1.2.9", "value": "X"}],
            "Patient.identifier",
            "business-rule",
        ),
        (("identifier",), [], "Patient.identifier", "business-rule"),
    ],
)
def test_one_bad_identifier_one_issue(
    path: tuple[Any, ...], value: Any, expression: str, code: str
) -> None:
    with pytest.raises(FhirError) as caught:
        feed_identifiers(changed(path, value), DOMAINS)
    assert caught.value.status == 422
    assert [(i.code, i.expression) for i in caught.value.issues] == [(code, (expression,))]


def test_adt_carries_the_patient_escaped() -> None:
    text, control_id = build_adt(GOLDEN, feed_identifiers(GOLDEN, DOMAINS), Trigger.REGISTER)
    message = hl7.parse(text)
    msh = text.split("\r")[0].split("|")
    assert (msh[8], msh[9], msh[11]) == ("ADT^A01^ADT_A01", control_id, "2.3.1")
    pid = message.segment("PID")
    assert str(pid(3)) == f"123456782^^^&{BSN}&ISO~MRN-7^^^&{OTHER}&ISO"
    assert message.unescape(str(pid(5)(1)(1))) == "Bakker|Smit"
    assert str(pid(7)) == "19800517"
    assert str(pid(8)) == "F"
    assert str(message.segment("PV1")(2)) == "N"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[PatientIdentity]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Base.metadata.create_all(get_engine(url, write=True))
    yield PatientIdentity(session_factory(url, write=True), (BSN,))
    get_engine(url, write=True).dispose()


def test_registry_accepts_the_feed(registry: PatientIdentity) -> None:
    with start_mllp_listener(LOOPBACK, 0, registry, idle_timeout=5.0) as listener:
        target = FeedTarget(LOOPBACK, listener.port)
        send_feed(target, GOLDEN, feed_identifiers(GOLDEN, DOMAINS), Trigger.REGISTER)
        send_feed(target, GOLDEN, feed_identifiers(GOLDEN, DOMAINS), Trigger.UPDATE)
    assert registry.is_known(f"123456782^^^&{BSN}&ISO")


def test_registry_refusal_is_422(registry: PatientIdentity) -> None:
    only_other = changed(("identifier",), [{"system": f"urn:oid:{OTHER}", "value": "MRN-7"}])
    ids = feed_identifiers(only_other, DOMAINS)  # the facade's domains allow it ...
    with (
        start_mllp_listener(LOOPBACK, 0, registry, idle_timeout=5.0) as listener,
        pytest.raises(FhirError) as caught,  # ... the registry's do not: AE 103
    ):
        send_feed(FeedTarget(LOOPBACK, listener.port), only_other, ids, Trigger.REGISTER)
    assert caught.value.status == 422
    issue = caught.value.issues[0]
    assert issue.code == "business-rule"
    assert "MSA-1 AE" in issue.diagnostics and "103" in issue.diagnostics
    assert not registry.is_known(f"MRN-7^^^&{OTHER}&ISO")


def test_unreachable_registry_is_503() -> None:
    ids = feed_identifiers(GOLDEN, DOMAINS)
    for port in (free_port(), 0):
        with pytest.raises(FhirError) as caught:
            send_feed(FeedTarget(LOOPBACK, port), GOLDEN, ids, Trigger.REGISTER)
        assert (caught.value.status, caught.value.issues[0].code) == (503, "transient")
