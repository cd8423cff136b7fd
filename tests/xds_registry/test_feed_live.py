"""ITI-8 into the running server, then ITI-42/ITI-18: the feed's effect end to end.

A01 registers a patient (ITI TF-2a 3.8.4.1.3); after an A40 merge an ITI-42 with the
subsumed id is refused (XDSUnknownPatientId) and FindDocuments on the surviving id returns
the entries of both ids, all showing the surviving id (ITI TF-2a 3.18.4.1.3).
"""

from __future__ import annotations

import uuid

import hl7

from profiles import namespaces as ns
from profiles.transactions import ITI_18, ITI_42
from profiles.vocabulary import ResponseStatus, Scheme
from tests import soap_client
from tests.conftest import LiveServer
from tests.xds_registry import messages as m
from xds_common.mllp import send_mllp

AUTHORITY = m.AUTHORITY


def adt(trigger: str, structure: str, pid: str, mrg: str = "") -> str:
    control = uuid.uuid4().hex[:12]
    segments = [
        f"MSH|^~\\&|SRC|ZH|BEELDPORTAAL|BP|20240101120000||ADT^{trigger}^{structure}|{control}"
        "|P|2.3.1",
        f"EVN|{trigger}|20240101120000",
        f"PID|||{pid.split('^')[0]}^^^&{AUTHORITY}&ISO||Jansen^Jan",
    ]
    segments.append(f"MRG|{mrg.split('^')[0]}^^^&{AUTHORITY}&ISO" if mrg else "PV1||O")
    return "\r".join(segments)


def feed(server: LiveServer, message: str) -> str:
    ack = hl7.parse(send_mllp("127.0.0.1", server.mllp_port, message, timeout=10))
    return str(ack.segment("MSA")[1])


def patient_ids_in(reply: soap_client.SoapReply) -> set[str]:
    return {
        e.get("value", "")
        for e in reply.body.iter(ns.qn(ns.RIM, "ExternalIdentifier"))
        if e.get("identificationScheme") == Scheme.DE_PATIENT_ID
    }


def test_feed_then_register_then_merge(live_server: LiveServer) -> None:
    old, new = m.new_patient(), m.new_patient()
    assert feed(live_server, adt("A01", "ADT_A01", old)) == "AA"
    assert feed(live_server, adt("A04", "ADT_A01", new)) == "AA"
    for patient in (old, new):
        reply = soap_client.post(live_server.registry_url, ITI_42, m.submission(patient))
        assert reply.status == ResponseStatus.SUCCESS
    assert feed(live_server, adt("A40", "ADT_A39", new, mrg=old)) == "AA"

    refused = soap_client.post(live_server.registry_url, ITI_42, m.submission(old))
    assert refused.error_codes == ["XDSUnknownPatientId"]
    merged = soap_client.post(live_server.registry_url, ITI_18, m.find_documents(new))
    assert merged.status == ResponseStatus.SUCCESS
    assert len(list(merged.body.iter(ns.qn(ns.RIM, "ExtrinsicObject")))) == 2
    assert patient_ids_in(merged) == {new}
    subsumed = soap_client.post(live_server.registry_url, ITI_18, m.find_documents(old))
    assert list(subsumed.body.iter(ns.qn(ns.RIM, "ExtrinsicObject"))) == []


def test_refused_merge_changes_nothing(live_server: LiveServer) -> None:
    known, unknown = m.new_patient(), m.new_patient()
    assert feed(live_server, adt("A01", "ADT_A01", known)) == "AA"
    assert feed(live_server, adt("A40", "ADT_A39", known, mrg=unknown)) == "AE"
    reply = soap_client.post(live_server.registry_url, ITI_42, m.submission(known))
    assert reply.status == ResponseStatus.SUCCESS
