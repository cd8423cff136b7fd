"""The repository WSDL and ``xdsb.xsd``, offline: actions, MTOM policy, schema, zeep.

Every action in ``repository.wsdl`` is the one in ``profiles.transactions`` (ITI-41, ITI-43);
the binding is SOAP 1.2 document/literal with WS-Addressing and the
wsoma:OptimizedMimeSerialization policy (ITI TF-2x Appendix V.8); ``xdsb.xsd`` is valid XML
Schema, accepts the messages the clients build and the IHE element order, and is served.
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import zeep
from lxml import etree

from profiles import namespaces as ns
from profiles import transactions as tx
from tests.xds_common.client import samples
from xds_common.client.envelopes import REPOSITORY, SKIP, Envelopes, PackageTransport
from xds_common.wsdl.serve import SCHEMAS, schema_response

WSDL_DIR = Path(__file__).resolve().parents[3] / "xds_common" / "wsdl"
WSDL_PATH = WSDL_DIR / "repository.wsdl"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
NSMAP = {
    "wsdl": WSDL,
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    "wsam": "http://www.w3.org/2007/05/addressing/metadata",
    "wsaw": "http://www.w3.org/2006/05/addressing/wsdl",
    "wsp": "http://www.w3.org/ns/ws-policy",
    "wsoma": "http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization",
    "xsd": "http://www.w3.org/2001/XMLSchema",
}
WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"
OPERATIONS = {
    "DocumentRepository_ProvideAndRegisterDocumentSet-b": tx.ITI_41,
    "DocumentRepository_RetrieveDocumentSet": tx.ITI_43,
}
RESPONSES = {
    tx.ITI_41: ns.qn(ns.RS, "RegistryResponse"),
    tx.ITI_43: ns.qn(ns.XDSB, "RetrieveDocumentSetResponse"),
}


def xpath(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NSMAP)
    assert isinstance(found, list)
    return [n for n in found if isinstance(n, etree._Element)]


def one(node: etree._Element, path: str) -> etree._Element:
    (found,) = xpath(node, path)
    return found


@pytest.fixture(scope="module")
def wsdl() -> etree._Element:
    return etree.parse(str(WSDL_PATH)).getroot()


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(WSDL_DIR / "xdsb.xsd")))


def test_actions_are_the_declared_ones(wsdl: etree._Element) -> None:
    seen = set()
    for name, transaction in OPERATIONS.items():
        operation = one(wsdl, f"wsdl:portType/wsdl:operation[@name='{name}']")
        wsam = f"{{{NSMAP['wsam']}}}Action"
        assert one(operation, "wsdl:input").get(wsam) == transaction.request_action
        assert one(operation, "wsdl:output").get(wsam) == transaction.response_action
        soap = one(wsdl, f"wsdl:binding/wsdl:operation[@name='{name}']/soap12:operation")
        assert soap.get("soapAction") == transaction.request_action
        assert soap.get("soapActionRequired") == "false"
    for node in wsdl.iter():
        for key, value in node.attrib.items():
            if etree.QName(key).localname in {"Action", "soapAction"}:
                seen.add(value)
    assert seen == {t.request_action for t in OPERATIONS.values()} | {
        t.response_action for t in OPERATIONS.values()
    }


def test_binding_is_soap12_literal_addressing_and_mtom(wsdl: etree._Element) -> None:
    assert wsdl.get("targetNamespace") == ns.XDSB
    binding = one(wsdl, "wsdl:binding[@name='DocumentRepository_Binding_Soap12']")
    assert one(binding, "soap12:binding").get("style") == "document"
    assert {b.get("use") for b in xpath(binding, ".//soap12:body")} == {"literal"}
    assert one(binding, "wsaw:UsingAddressing").get(f"{{{WSDL}}}required") == "true"
    reference = one(binding, "wsp:PolicyReference").get("URI", "")
    policy = one(wsdl, "wsp:Policy")
    assert reference == "#" + policy.get(WSU_ID, "")
    assert xpath(policy, "wsoma:OptimizedMimeSerialization")
    port = one(wsdl, "wsdl:service/wsdl:port")
    assert one(port, "soap12:address").get("location") == "{{ADDRESS}}"


def test_messages_carry_the_transaction_elements(wsdl: etree._Element) -> None:
    for name, transaction in OPERATIONS.items():
        operation = one(wsdl, f"wsdl:portType/wsdl:operation[@name='{name}']")
        for direction, expected in (
            ("input", transaction.request_element),
            ("output", RESPONSES[transaction]),
        ):
            message = one(operation, f"wsdl:{direction}").get("message", "").split(":")[1]
            part = one(wsdl, f"wsdl:message[@name='{message}']/wsdl:part")
            prefix, local = part.get("element", "").split(":")
            assert ns.qn(part.nsmap[prefix] or "", local) == expected


def test_schema_is_served_and_imports_what_is_served(schema: etree.XMLSchema) -> None:
    assert "xdsb.xsd" in SCHEMAS
    found = schema_response("xdsb.xsd")
    assert found is not None and found[0] == (WSDL_DIR / "xdsb.xsd").read_bytes()
    for path in (WSDL_PATH, WSDL_DIR / "xdsb.xsd"):
        root = etree.parse(str(path)).getroot()
        for node in root.iter(f"{{{NSMAP['xsd']}}}import"):
            assert node.get("schemaLocation") in SCHEMAS


def test_zeep_loads_it_offline_and_sees_both_operations() -> None:
    client = zeep.Client(str(WSDL_PATH), transport=PackageTransport())
    port = client.wsdl.services["DocumentRepository_Service"].ports[
        "DocumentRepository_Port_Soap12"
    ]
    operations = port.binding.all()
    assert set(operations) == set(OPERATIONS)
    for name, transaction in OPERATIONS.items():
        assert operations[name].abstract.wsa_action == transaction.request_action
        assert operations[name].input.body.qname.text == transaction.request_element
        assert operations[name].output.body.qname.text == RESPONSES[transaction]


def _validate(schema: etree.XMLSchema, element: etree._Element) -> None:
    document = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    assert schema.validate(document), schema.error_log


def test_built_messages_are_schema_valid(schema: etree.XMLSchema) -> None:
    """The clients' ITI-41/43 bodies (content inline, as the XOP infoset reads) validate."""
    envelopes = Envelopes(REPOSITORY, "http://127.0.0.1/xds/repository")
    request, entries = samples.submission("p^^^&1.2.3&ISO", documents=2)
    provide = envelopes.build(
        tx.ITI_41,
        SubmitObjectsRequest=SKIP,
        Document=[{"_value_1": b"%PDF-1.4", "id": e.entry_uuid} for e in entries],
    )
    provide.body.insert(0, request)
    _validate(schema, provide.body)
    retrieve = envelopes.build(
        tx.ITI_43,
        DocumentRequest=[
            {
                "HomeCommunityId": "urn:oid:1.2",
                "RepositoryUniqueId": "1.2",
                "DocumentUniqueId": "3.4",
            }
        ],
    )
    _validate(schema, retrieve.body)


def test_ihe_response_order_is_valid(schema: etree.XMLSchema) -> None:
    """ITI TF-2b 3.43.4.2.2: the seven DocumentResponse children in their fixed order."""
    content = base64.b64encode(b"abc").decode()
    response = etree.fromstring(
        f'<x:RetrieveDocumentSetResponse xmlns:x="{ns.XDSB}" xmlns:rs="{ns.RS}">'
        '<rs:RegistryResponse status="urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"/>'
        "<x:DocumentResponse><x:HomeCommunityId>urn:oid:1</x:HomeCommunityId>"
        "<x:RepositoryUniqueId>1.2</x:RepositoryUniqueId><x:DocumentUniqueId>3</x:DocumentUniqueId>"
        "<x:NewRepositoryUniqueId>1.3</x:NewRepositoryUniqueId>"
        "<x:NewDocumentUniqueId>4</x:NewDocumentUniqueId><x:mimeType>text/plain</x:mimeType>"
        f"<x:Document>{content}</x:Document></x:DocumentResponse>"
        "</x:RetrieveDocumentSetResponse>"
    )
    _validate(schema, response)
    swapped = response.find(f"{{{ns.XDSB}}}DocumentResponse")
    assert swapped is not None
    swapped.insert(0, swapped[5])  # mimeType first: out of order
    assert not schema.validate(etree.ElementTree(response))
