"""Bad input at the registry's SOAP endpoint: a clear protocol error, never a 500, nothing stored.

SOAP Faults only for broken envelopes and unknown actions (ITI TF-2x Appendix V); the
rest answers a RegistryResponse / AdhocQueryResponse with an error code.
"""

from __future__ import annotations

import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.stored_queries import FIND_DOCUMENTS
from profiles.transactions import ITI_18, ITI_42
from tests import soap_client
from tests.conftest import LiveServer
from tests.xds_registry import messages as m

FAULT = ns.qn(ns.SOAP12, "Fault")


def _fault_code(reply: soap_client.SoapReply) -> str:
    fault = reply.body
    assert fault.tag == FAULT, etree.tostring(fault)
    value = fault.find(f"{ns.qn(ns.SOAP12, 'Code')}/{ns.qn(ns.SOAP12, 'Value')}")
    assert value is not None
    return value.text or ""


def _post(server: LiveServer, data: bytes, content_type: str = "") -> soap_client.SoapReply:
    return soap_client.post_raw(server.registry_url, data, content_type=content_type)


def test_malformed_xml_is_a_sender_fault(live_server: LiveServer) -> None:
    data, _ = soap_client.envelope(ITI_42.request_action, "<lcm:Broken", live_server.registry_url)
    reply = _post(live_server, data)
    assert reply.http_status == 400
    assert _fault_code(reply) == "soap:Sender"


def test_dtd_and_entity_expansion_are_refused(live_server: LiveServer) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol2;'
        b"</s:Body></s:Envelope>"
    )
    reply = _post(live_server, bomb)
    assert reply.http_status == 400
    assert "DTD" in etree.tostring(reply.body).decode()


def test_soap11_envelope_is_a_version_mismatch(live_server: LiveServer) -> None:
    data = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b"<x/></e:Body></e:Envelope>"
    )
    reply = _post(live_server, data, "text/xml; charset=utf-8")
    assert reply.http_status == 400
    assert _fault_code(reply) == "soap:VersionMismatch"


def test_unknown_action_is_a_fault(live_server: LiveServer) -> None:
    data, _ = soap_client.envelope("urn:example:NoSuchAction", "<x/>", live_server.registry_url)
    reply = _post(live_server, data)
    assert reply.http_status == 400
    subcode = reply.body.find(".//" + ns.qn(ns.SOAP12, "Subcode"))
    assert subcode is not None


def test_wrong_body_element_for_the_action(live_server: LiveServer) -> None:
    body = '<x:SubmitObjectsRequest xmlns:x="urn:example:wrong-namespace"/>'
    reply = soap_client.post(live_server.registry_url, ITI_42, body)
    assert reply.http_status == 200
    assert reply.error_codes == ["XDSRegistryError"]


def test_wrong_content_type(live_server: LiveServer) -> None:
    data, _ = soap_client.envelope(ITI_42.request_action, "<x/>", live_server.registry_url)
    reply = _post(live_server, data, "application/json")
    assert reply.http_status == 400
    assert _fault_code(reply) == "soap:Sender"


def test_empty_body(live_server: LiveServer) -> None:
    reply = _post(live_server, b"")
    assert reply.http_status == 400


def test_fifty_megabyte_envelope_is_refused_without_reading_it(live_server: LiveServer) -> None:
    chunk = b"<rim:Slot/>" * 1000

    def body() -> object:
        yield b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            yield chunk
        yield b"</s:Body></s:Envelope>"

    response = requests.post(
        live_server.registry_url,
        data=body(),  # type: ignore[arg-type]
        headers={"Content-Type": "application/soap+xml"},
        timeout=120,
    )
    assert response.status_code == 413
    assert b"Fault" in response.content


def test_sql_like_parameters_are_just_values(live_server: LiveServer) -> None:
    patient = m.new_patient()
    live_server.cli("patients", "add", patient)
    sneaky = "x'); DROP TABLE registry_documents; --"
    body = m.query(
        FIND_DOCUMENTS.id,
        XDSDocumentEntryPatientId=f"'{patient}'",
        XDSDocumentEntryStatus="('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
        XDSDocumentEntryClassCode=f"('{sneaky.replace(chr(39), chr(39) * 2)}^^1.2.3')",
    )
    reply = soap_client.post(live_server.registry_url, ITI_18, body)
    assert reply.http_status == 200
    assert reply.status.endswith("Success")
    doc = m.Doc(class_code="a&apos; OR 1=1 --")
    register = soap_client.post(live_server.registry_url, ITI_42, m.submission(patient, [doc]))
    assert register.status.endswith("Success")
    again = soap_client.post(live_server.registry_url, ITI_18, m.find_documents(patient))
    assert len(list(again.body.iter(ns.qn(ns.RIM, "ExtrinsicObject")))) == 1


def _subcode(reply: soap_client.SoapReply) -> str:
    node = reply.body.find(".//" + ns.qn(ns.SOAP12, "Subcode") + "/" + ns.qn(ns.SOAP12, "Value"))
    return (node.text or "") if node is not None else ""


def test_duplicate_action_header_is_a_fault(live_server: LiveServer) -> None:
    data, _ = soap_client.envelope(ITI_18.request_action, m.find_documents(m.new_patient()), "x")
    twice = f"<a:Action>{ITI_42.request_action}</a:Action><a:MessageID>"
    reply = _post(live_server, data.replace(b"<a:MessageID>", twice.encode(), 1))
    assert reply.http_status == 400
    assert _subcode(reply) == "wsa:InvalidAddressingHeader"


def test_non_anonymous_reply_to_is_a_fault(live_server: LiveServer) -> None:
    data, _ = soap_client.envelope(ITI_18.request_action, m.find_documents(m.new_patient()), "x")
    data = data.replace(ns.WSA_ANONYMOUS.encode(), b"http://127.0.0.1:9/replies")
    reply = _post(live_server, data)
    assert reply.http_status == 400
    assert _subcode(reply) == "wsa:OnlyAnonymousAddressSupported"
