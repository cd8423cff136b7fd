"""The registry WSDL and its schemas, offline: actions, shape, schema validity, zeep loading.

Every wsam:Action and soapAction in ``registry.wsdl`` must be the one declared in
``profiles.transactions`` (the action URIs are written once, as data). The WSDL follows the
IHE XDS.b Document Registry WSDLs (ITI TF-2x Appendix V: SOAP 1.2, document/literal,
WS-Addressing). The schemas must be valid XML Schema, accept the real XDS messages of the
conformance corpus, and load in zeep from files with nothing fetched from the network.
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.xsd import ComplexType
from zeep.xsd.elements.indicators import OrderIndicator

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles import transactions as tx
from tests.conftest import CORPUS
from xds_common.wsdl.serve import SCHEMAS, schema_response
from xds_registry.app import ENDPOINT, wsdl_text

WSDL_DIR = Path(__file__).resolve().parents[2] / "xds_common" / "wsdl"
WSDL_PATH = WSDL_DIR / "registry.wsdl"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP12_BINDING = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSAM = "http://www.w3.org/2007/05/addressing/metadata"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"
XSD = "http://www.w3.org/2001/XMLSchema"
NSMAP = {"wsdl": WSDL, "soap12": SOAP12_BINDING, "wsam": WSAM, "wsaw": WSAW, "xsd": XSD}

#: WSDL operation name -> the transaction it carries (names as in the IHE XDS.b WSDLs).
OPERATIONS = {
    "DocumentRegistry_RegistryStoredQuery": tx.ITI_18,
    "DocumentRegistry_RegisterDocumentSet-b": tx.ITI_42,
    "DocumentRegistry_UpdateDocumentSet": tx.ITI_57,
    "DocumentRegistry_DeleteDocumentSet": tx.ITI_62,
}
#: Response body element of each transaction (ITI TF-2 / MU / RMD).
RESPONSE_ELEMENTS = {
    tx.ITI_18: ns.qn(ns.QUERY, "AdhocQueryResponse"),
    tx.ITI_42: ns.qn(ns.RS, "RegistryResponse"),
    tx.ITI_57: ns.qn(ns.RS, "RegistryResponse"),
    tx.ITI_62: ns.qn(ns.RS, "RegistryResponse"),
}
REQUEST_ROOTS = {
    ns.qn(ns.LCM, "SubmitObjectsRequest"),
    ns.qn(ns.LCM, "RemoveObjectsRequest"),
    ns.qn(ns.QUERY, "AdhocQueryRequest"),
}


def _xpath(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NSMAP)
    assert isinstance(found, list)
    return [n for n in found if isinstance(n, etree._Element)]


def _one(node: etree._Element, path: str) -> etree._Element:
    (found,) = _xpath(node, path)
    return found


def _qname(node: etree._Element, attribute: str) -> str:
    """A QName-valued attribute (``prefix:local``) in Clark notation."""
    prefix, local = (node.get(attribute) or "").split(":")
    return ns.qn(node.nsmap[prefix] or "", local)


@pytest.fixture(scope="module")
def wsdl() -> etree._Element:
    return etree.parse(str(WSDL_PATH)).getroot()


class OfflineTransport(Transport):
    """Loads local files only: a remote URL in an import fails the test (no network)."""

    def load(self, url: str) -> bytes:
        if "://" in url and not url.startswith("file://"):
            raise AssertionError(f"zeep tried to fetch {url}")
        return bytes(super().load(url))


@pytest.fixture(scope="module")
def client() -> zeep.Client:
    return zeep.Client(str(WSDL_PATH), transport=OfflineTransport())


def message_schema() -> etree.XMLSchema:
    """Our lcm/query/rs schemas as one validator."""
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{(WSDL_DIR / name).as_uri()}"/>'
        for namespace, name in ((ns.LCM, "lcm.xsd"), (ns.QUERY, "query.xsd"), (ns.RS, "rs.xsd"))
    )
    wrapper = f'<xs:schema xmlns:xs="{XSD}">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper))


def test_every_action_is_the_declared_one(wsdl: etree._Element) -> None:
    """wsam:Action on input/output and soapAction equal profiles.transactions."""
    port_type = _one(wsdl, "wsdl:portType")
    names = [op.get("name", "") for op in _xpath(port_type, "wsdl:operation")]
    assert sorted(names) == sorted(OPERATIONS)
    for name, transaction in OPERATIONS.items():
        operation = _one(port_type, f"wsdl:operation[@name='{name}']")
        assert _one(operation, "wsdl:input").get(f"{{{WSAM}}}Action") == (
            transaction.request_action
        )
        assert _one(operation, "wsdl:output").get(f"{{{WSAM}}}Action") == (
            transaction.response_action
        )
        soap_op = _one(wsdl, f"wsdl:binding/wsdl:operation[@name='{name}']/soap12:operation")
        assert soap_op.get("soapAction") == transaction.request_action
        assert soap_op.get("soapActionRequired") == "false"


def test_no_other_action_in_the_wsdl(wsdl: etree._Element) -> None:
    """Every action-like attribute anywhere in the file is one of the registry's."""
    declared = {t.request_action for t in tx.REGISTRY_TRANSACTIONS} | {
        t.response_action for t in tx.REGISTRY_TRANSACTIONS
    }
    seen = set()
    for node in wsdl.iter():
        for key, value in node.attrib.items():
            if etree.QName(key).localname in {"Action", "soapAction"}:
                seen.add(value)
    assert seen == declared


def test_messages_carry_the_transaction_body_elements(wsdl: etree._Element) -> None:
    """Input part = Transaction.request_element; output = RegistryResponse/AdhocQueryResponse."""
    for name, transaction in OPERATIONS.items():
        operation = _one(wsdl, f"wsdl:portType/wsdl:operation[@name='{name}']")
        for direction, expected in (
            ("input", transaction.request_element),
            ("output", RESPONSE_ELEMENTS[transaction]),
        ):
            message_name = _qname(_one(operation, f"wsdl:{direction}"), "message")
            assert message_name.startswith(f"{{{ns.XDSB}}}")
            local = etree.QName(message_name).localname
            part = _one(wsdl, f"wsdl:message[@name='{local}']/wsdl:part")
            assert _qname(part, "element") == expected


def test_shape_follows_the_ihe_registry_wsdl(wsdl: etree._Element) -> None:
    """targetNamespace, port type, SOAP 1.2 document/literal binding, addressing, service."""
    assert wsdl.get("targetNamespace") == ns.XDSB
    binding = _one(wsdl, "wsdl:binding")
    assert binding.get("name") == "DocumentRegistry_Binding_Soap12"
    assert _qname(binding, "type") == ns.qn(ns.XDSB, "DocumentRegistry_PortType")
    soap_binding = _one(binding, "soap12:binding")
    assert soap_binding.get("style") == "document"
    assert soap_binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    assert _one(binding, "wsaw:UsingAddressing").get(f"{{{WSDL}}}required") == "true"
    uses = {body.get("use") for body in _xpath(binding, ".//soap12:body")}
    assert uses == {"literal"}
    assert len(_xpath(binding, ".//soap12:body")) == 2 * len(OPERATIONS)
    port = _one(wsdl, "wsdl:service[@name='DocumentRegistry_Service']/wsdl:port")
    assert _qname(port, "binding") == ns.qn(ns.XDSB, "DocumentRegistry_Binding_Soap12")
    assert _one(port, "soap12:address").get("location") == "{{ADDRESS}}"


def test_the_served_wsdl_names_the_endpoint() -> None:
    text = wsdl_text("https://registry.example:8443")
    served = etree.fromstring(text.encode())
    address = _one(served, "wsdl:service/wsdl:port/soap12:address")
    assert address.get("location") == "https://registry.example:8443" + ENDPOINT


def test_schema_imports_are_relative_and_served() -> None:
    """Each schemaLocation is a bare file name next to the WSDL, and serve.py knows it."""
    documents = [
        WSDL_PATH,
        WSDL_DIR / "repository.wsdl",
        *(WSDL_DIR / name for name in sorted(SCHEMAS)),
    ]
    locations = set()
    for path in documents:
        root = etree.parse(str(path)).getroot()
        for node in root.iter(f"{{{XSD}}}import", f"{{{XSD}}}include"):
            location = node.get("schemaLocation") or ""
            assert "/" not in location and ":" not in location, (path.name, location)
            locations.add(location)
    assert locations == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_valid_xml_schema(name: str) -> None:
    etree.XMLSchema(etree.parse(str(WSDL_DIR / name)))


def test_wsdl_is_well_formed_wsdl_11(wsdl: etree._Element) -> None:
    assert wsdl.tag == f"{{{WSDL}}}definitions"
    assert {etree.QName(c).localname for c in wsdl if isinstance(c.tag, str)} == {
        "documentation", "types", "message", "portType", "binding", "service"
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_response_serves_the_package_files(name: str) -> None:
    found = schema_response(name)
    assert found is not None
    body, content_type = found
    assert body == (WSDL_DIR / name).read_bytes()
    assert content_type.startswith("application/xml")


@pytest.mark.parametrize(
    "name",
    ["", "registry.wsdl", "serve.py", "../app.py", "..%2Fapp.py", "/etc/passwd", "RIM.XSD",
     "rim.xsd/", "./rim.xsd", "rim.xsd\x00"],
)  # fmt: skip
def test_schema_response_refuses_other_names(name: str) -> None:
    assert schema_response(name) is None


def test_zeep_loads_the_wsdl_from_files_offline(client: zeep.Client) -> None:
    """zeep resolves every schema import relative to the file and sees the four operations."""
    port = client.wsdl.services["DocumentRegistry_Service"].ports["DocumentRegistry_Port_Soap12"]
    operations = port.binding.all()
    assert set(operations) == set(OPERATIONS)
    for name, transaction in OPERATIONS.items():
        assert operations[name].abstract.wsa_action == transaction.request_action
        assert operations[name].soapaction == transaction.request_action
        assert operations[name].input.body.qname.text == transaction.request_element


def _children(kind: ComplexType) -> Iterator[tuple[str, Any]]:
    for name, element in kind.elements:
        if isinstance(element, OrderIndicator):
            yield from element.elements
        else:
            yield name, element


def _content(kind: ComplexType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(n for n, _ in kind.elements), tuple(n for n, _ in kind.attributes)


def test_zeep_sees_the_full_content_of_every_nested_type(client: zeep.Client) -> None:
    """Guards the zeep workarounds in rim.xsd: a type reached through nesting (a Classification
    inside an ExtrinsicObject, a RegistryPackage inside a RegistryObjectList) has the same
    elements and attributes as its global definition (no lost Slot, @id or @home)."""
    types = client.wsdl.types
    seen: set[int] = set()
    wrong: list[str] = []

    def walk(kind: Any, path: str) -> None:
        if not isinstance(kind, ComplexType) or id(kind) in seen:
            return
        seen.add(id(kind))
        if kind.is_global and _content(kind) != _content(types.get_type(kind.qname)):
            wrong.append(f"{path}: {kind.qname}")
        for name, element in _children(kind):
            walk(element.type, f"{path}/{name}")

    for root in (
        *REQUEST_ROOTS,
        ns.qn(ns.QUERY, "AdhocQueryResponse"),
        ns.qn(ns.RS, "RegistryResponse"),
    ):
        walk(types.get_element(root).type, etree.QName(root).localname)
    assert not wrong
    assert len(seen) > 15


def test_zeep_builds_schema_valid_registry_messages(client: zeep.Client) -> None:
    """ITI-62 and ITI-18 requests built offline with zeep's factories: schema-valid bodies
    and the request action in wsa:Action (zeep adds WS-Addressing from wsam:Action)."""
    rim = client.type_factory(ns.RIM)
    query = client.type_factory(ns.QUERY)
    remove = {
        "ObjectRefList": rim.ObjectRefListType(
            ObjectRef=[rim.ObjectRefType(id="urn:uuid:0b6f3f6c-4f1e-4b0e-9a53-8f2a3c1d2e4f")]
        )
    }
    patient = rim.SlotType1(
        name="$XDSDocumentEntryPatientId", ValueList=rim.ValueListType(Value=["'p^^^&1.2.3&ISO'"])
    )
    find = {
        "ResponseOption": query.ResponseOptionType(returnType="ObjectRef"),
        "AdhocQuery": rim.AdhocQueryType(id=sq.FIND_DOCUMENTS.id, Slot=[patient]),
    }
    schema = message_schema()
    for operation, arguments in (
        ("DocumentRegistry_DeleteDocumentSet", remove),
        ("DocumentRegistry_RegistryStoredQuery", find),
    ):
        envelope = client.create_message(client.service, operation, **arguments)
        actions = envelope.findall(f"{{{ns.SOAP12}}}Header/{{{ns.WSA}}}Action")
        assert [a.text for a in actions] == [OPERATIONS[operation].request_action]
        body = _one(envelope, "*[local-name()='Body']/*")
        assert body.tag == OPERATIONS[operation].request_element
        document = etree.ElementTree(etree.fromstring(etree.tostring(body)))
        assert schema.validate(document), schema.error_log


def _corpus_requests() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for folder in ("iti18", "iti42", "iti57") for p in (CORPUS / folder).glob("*.xml")
    )


def _is_template(root: etree._Element) -> bool:
    """NIST test-kit templates put ``$placeholders$`` into enumerated attributes."""
    return any(
        str(value).startswith("$") and str(value).endswith("$")
        for node in root.iter()
        for value in node.attrib.values()
    )


def test_the_schemas_accept_the_real_messages_of_the_corpus() -> None:
    """Every ITI-18/42/57 request of the third-party corpus validates (element order, types)."""
    files = _corpus_requests()
    if not files:
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    schema = message_schema()
    checked, failures = 0, []
    for path in files:
        root = etree.parse(str(path)).getroot()
        if root.tag not in REQUEST_ROOTS or _is_template(root):
            continue
        checked += 1
        if not schema.validate(etree.ElementTree(root)):
            failures.append(f"{path.name}: {str(schema.error_log)[:300]}")
    assert not failures, "\n".join(failures)
    assert checked > 100
