"""The RAD-69 WSDL: offline shape and actions, then python-zeep against a live server.

``GET /xds/imaging-source?wsdl`` serves ``xds_common/wsdl/imaging-source.wsdl`` (RAD TF-3
4.69; names of the IHE XDS-I.b Imaging Document Source WSDL). zeep, a SOAP client nobody here
wrote, loads it and the schemas it imports over HTTP, builds a RetrieveImagingDocumentSet
request from the WSDL's types and parses the MTOM answer: for an instance the source does not
hold, a RetrieveDocumentSetResponse with status Failure and XDSDocumentUniqueIdError at the
SOP Instance UID (RAD TF-3 4.69.4.2.3, ITI TF-2b 3.43.4.2.3), not a SOAP Fault.
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from zeep.plugins import HistoryPlugin

from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus
from tests.conftest import CORPUS, LiveServer
from tests.zeep_loopback import LoopbackTransport
from xds_common.wsdl.serve import WSDL_CONTENT_TYPE, WSDLS, wsdl_text

WSDL_DIR = Path(__file__).resolve().parents[2] / "xds_common" / "wsdl"
WSDL_PATH = WSDL_DIR / "imaging-source.wsdl"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
NSMAP = {
    "wsdl": WSDL,
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    "wsam": "http://www.w3.org/2007/05/addressing/metadata",
    "wsp": "http://www.w3.org/ns/ws-policy",
    "wsoma": "http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization",
}
SERVICE = "ImagingDocumentSource_Service"
PORT = "ImagingDocumentSource_Port_Soap12"
OPERATION = "ImagingDocumentSource_RetrieveImagingDocumentSet"
ENDPOINT = "/xds/imaging-source"


def _one(node: etree._Element, path: str) -> etree._Element:
    found = node.xpath(path, namespaces=NSMAP)
    assert isinstance(found, list) and len(found) == 1, path
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


@pytest.fixture(scope="module")
def wsdl() -> etree._Element:
    return etree.parse(str(WSDL_PATH)).getroot()


def test_actions_are_the_declared_ones(wsdl: etree._Element) -> None:
    """wsam:Action on input/output and soapAction equal profiles.transactions.RAD_69."""
    operation = _one(wsdl, f"wsdl:portType/wsdl:operation[@name='{OPERATION}']")
    assert _one(operation, "wsdl:input").get(f"{{{NSMAP['wsam']}}}Action") == (
        tx.RAD_69.request_action
    )
    assert _one(operation, "wsdl:output").get(f"{{{NSMAP['wsam']}}}Action") == (
        tx.RAD_69.response_action
    )
    soap_op = _one(wsdl, f"wsdl:binding/wsdl:operation[@name='{OPERATION}']/soap12:operation")
    assert soap_op.get("soapAction") == tx.RAD_69.request_action
    operations = wsdl.xpath("wsdl:portType/wsdl:operation", namespaces=NSMAP)
    assert isinstance(operations, list) and len(operations) == 1


def test_shape_is_soap12_mtom_with_the_ihe_names(wsdl: etree._Element) -> None:
    assert wsdl.get("targetNamespace") == ns.XDSI == tx.RAD_69.wsdl_namespace
    binding = _one(wsdl, "wsdl:binding")
    assert _one(binding, "soap12:binding").get("style") == "document"
    policy_id = _one(binding, "wsp:PolicyReference").get("URI", "").lstrip("#")
    policy = _one(wsdl, "wsp:Policy")
    assert policy.get(f"{{{policy.nsmap['wsu']}}}Id") == policy_id
    _one(policy, "wsoma:OptimizedMimeSerialization")
    port = _one(wsdl, f"wsdl:service[@name='{SERVICE}']/wsdl:port[@name='{PORT}']")
    assert _one(port, "soap12:address").get("location") == "{{ADDRESS}}"


def test_served_text_names_the_endpoint() -> None:
    assert "imaging-source.wsdl" in WSDLS
    text = wsdl_text("imaging-source.wsdl", "https://ids.example" + ENDPOINT)
    served = etree.fromstring(text.encode())
    address = _one(served, "wsdl:service/wsdl:port/soap12:address")
    assert address.get("location") == "https://ids.example" + ENDPOINT
    with pytest.raises(ValueError):
        wsdl_text("../app.py", "x")


def test_zeep_loads_the_wsdl_offline_and_builds_a_valid_request() -> None:
    """From files: the request element is RAD-69's and its content is RAD TF-3 4.69.4.1.2's."""
    client = zeep.Client(str(WSDL_PATH))
    operation = client.wsdl.services[SERVICE].ports[PORT].binding.all()[OPERATION]
    assert operation.abstract.wsa_action == tx.RAD_69.request_action
    assert operation.input.body.qname.text == tx.RAD_69.request_element
    envelope = client.create_message(client.service, OPERATION, **_request("1.2.3", "1.2.3.4"))
    body = envelope.find(f"{{{ns.SOAP12}}}Body")
    assert body is not None
    request = body[0]
    assert request.tag == tx.RAD_69.request_element
    study = request.find(ns.qn(ns.XDSI, "StudyRequest"))
    assert study is not None and study.get("studyInstanceUID")
    document = study.find(f"{ns.qn(ns.XDSI, 'SeriesRequest')}/{ns.qn(ns.XDSB, 'DocumentRequest')}")
    assert document is not None
    assert document.findtext(ns.qn(ns.XDSB, "DocumentUniqueId")) == "1.2.3.4"


def request_schema() -> etree.XMLSchema:
    """The WSDL's inline XDS-I.b schema as an lxml validator (imports from the package)."""
    wsdl = etree.parse(str(WSDL_PATH)).getroot()
    inline = _one(wsdl, "wsdl:types/*[local-name()='schema']")
    text = etree.tostring(inline).replace(
        b'schemaLocation="xdsb.xsd"', f'schemaLocation="{WSDL_DIR.as_uri()}/xdsb.xsd"'.encode()
    )
    return etree.XMLSchema(etree.fromstring(text))


def test_the_schema_accepts_the_real_rad69_requests_of_the_corpus() -> None:
    """Every RAD-69 request of NIST's XDS-I test kit in the corpus validates."""
    files = sorted((CORPUS / "rad69").glob("*.xml")) if CORPUS.is_dir() else []
    if not files:
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    schema = request_schema()
    checked, failures = 0, []
    for path in files:
        root = etree.parse(str(path)).getroot()
        if root.tag != tx.RAD_69.request_element:
            continue
        checked += 1
        if not schema.validate(etree.ElementTree(root)):
            failures.append(f"{path.name}: {str(schema.error_log)[:300]}")
    assert not failures, "\n".join(failures)
    assert checked >= 20


def test_the_schema_refuses_a_request_without_transfer_syntaxes() -> None:
    """TransferSyntaxUIDList is required (RAD TF-3 4.69.4.1.2)."""
    request = etree.fromstring(
        f'<r:RetrieveImagingDocumentSetRequest xmlns:r="{ns.XDSI}" xmlns:x="{ns.XDSB}">'
        '<r:StudyRequest studyInstanceUID="1.2"><r:SeriesRequest seriesInstanceUID="1.2.3">'
        "<x:DocumentRequest><x:RepositoryUniqueId>1.2.3.4</x:RepositoryUniqueId>"
        "<x:DocumentUniqueId>1.2.3.4.5</x:DocumentUniqueId></x:DocumentRequest>"
        "</r:SeriesRequest></r:StudyRequest></r:RetrieveImagingDocumentSetRequest>"
    )
    assert not request_schema().validate(etree.ElementTree(request))


def _request(repository: str, instance: str) -> dict[str, Any]:
    """Arguments of the zeep operation: one instance in one series of one study."""
    return {
        "StudyRequest": [
            {
                "studyInstanceUID": generate_uid(),
                "SeriesRequest": [
                    {
                        "seriesInstanceUID": generate_uid(),
                        "DocumentRequest": [
                            {"RepositoryUniqueId": repository, "DocumentUniqueId": instance}
                        ],
                    }
                ],
            }
        ],
        "TransferSyntaxUIDList": {"TransferSyntaxUID": [str(ExplicitVRLittleEndian)]},
    }


def test_served_wsdl(live_server: LiveServer) -> None:
    reply = requests.get(live_server.base_url + ENDPOINT + "?wsdl", timeout=30)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == WSDL_CONTENT_TYPE
    address = _one(etree.fromstring(reply.content), "wsdl:service/wsdl:port/soap12:address")
    assert address.get("location") == live_server.base_url + ENDPOINT


def test_zeep_retrieves_an_unknown_instance(live_server: LiveServer) -> None:
    """zeep from ``?wsdl``: one RAD-69 request, a Failure RetrieveDocumentSetResponse back."""
    transport, history = LoopbackTransport(), HistoryPlugin()
    client = zeep.Client(
        live_server.base_url + ENDPOINT + "?wsdl", transport=transport, plugins=[history]
    )
    assert any(url.endswith("/xds/xdsb.xsd") for url in transport.loaded)
    service = client.bind(SERVICE, PORT)
    identifiers = json.loads((live_server.home / "identifiers.json").read_text())
    unknown = generate_uid()
    result = service[OPERATION](**_request(identifiers["imaging_source_unique_id"], unknown))

    response = result.RegistryResponse
    assert response.status == ResponseStatus.FAILURE
    errors = response.RegistryErrorList.RegistryError
    assert [(e.errorCode, e.location) for e in errors] == [
        (ErrorCode.DOCUMENT_UNIQUE_ID_ERROR, unknown)
    ]
    assert not result.DocumentResponse
    assert history.last_sent is not None and history.last_received is not None
    sent = history.last_sent["envelope"]
    actions = sent.findall(f"{{{ns.SOAP12}}}Header/{{{ns.WSA}}}Action")
    assert [a.text for a in actions] == [tx.RAD_69.request_action]
    received = history.last_received["envelope"]
    action = received.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSA}}}Action")
    assert action is not None and action.text == tx.RAD_69.response_action
