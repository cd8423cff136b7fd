"""A SOAP client nobody here wrote (python-zeep 4) against the live registry.

zeep reads ``/xds/registry?wsdl``, fetches the schemas it imports over HTTP
(``/xds/rs.xsd`` ... ``/xds/xml.xsd``), builds every request with its type factories and
parses every response into objects: ITI-42 Register Document Set-b (ITI TF-2b 3.42) and
ITI-18 Registry Stored Query FindDocuments (ITI TF-2a 3.18.4.1.2.3.7.1), LeafClass and
ObjectRef. Each message on the wire is also validated against our own XML Schemas.

What a zeep user needs to know (found while writing this):

* WS-Addressing: zeep writes ``wsa:Action``, ``wsa:MessageID`` and ``wsa:To`` by itself
  when the WSDL puts ``wsam:Action`` on the operation's input (zeep/wsdl/bindings/soap.py).
  Do NOT also pass ``zeep.wsa.WsAddressingPlugin``: it appends a second Action, MessageID
  and To. zeep sends no ``wsa:ReplyTo`` and no ``mustUnderstand``; the registry accepts
  that (it answers every request synchronously on the HTTP response).
* An operation name contains ``-``, so index the service:
  ``client.service["DocumentRegistry_RegisterDocumentSet-b"](RegistryObjectList=...)``.
* ``rim:RegistryObjectList`` is a repeated choice; zeep shows it as ``_value_1``, a list of
  one-key dicts such as ``{"ExtrinsicObject": ...}`` in document order, and wants the
  same shape when building one.
* zeep ignores XSD substitution groups and loses inherited content in recursive type
  extensions; ``rim.xsd`` is written so that neither matters (see its header comment).
* zeep's ``Transport(timeout=...)`` bounds WSDL/schema loads, ``operation_timeout`` the
  SOAP calls; :class:`LoopbackTransport` also refuses any host but 127.0.0.1.

The schema route ``GET /xds/<name>`` (``xds_common.wsdl.serve.schema_response``) must be
mounted for zeep to load the WSDL from the server at all.
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import (
    AssociationType,
    ClassificationNode,
    DocumentEntryType,
    ResponseStatus,
    Scheme,
    SlotName,
    Status,
)
from tests.conftest import NIST_AUTHORITY, LiveServer
from tests.zeep_loopback import LoopbackTransport

WSDL_DIR = Path(__file__).resolve().parents[2] / "xds_common" / "wsdl"
ITI_42 = "DocumentRegistry_RegisterDocumentSet-b"
ITI_18 = "DocumentRegistry_RegistryStoredQuery"
SCHEMA_FILES = ("rs.xsd", "lcm.xsd", "query.xsd", "rim.xsd", "xml.xsd")


def message_schema() -> etree.XMLSchema:
    """Our lcm/query/rs schemas as one validator (lxml, from the package files)."""
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{(WSDL_DIR / name).as_uri()}"/>'
        for namespace, name in ((ns.LCM, "lcm.xsd"), (ns.QUERY, "query.xsd"), (ns.RS, "rs.xsd"))
    )
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper))


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return message_schema()


@pytest.fixture(scope="module")
def transport(live_server: LiveServer) -> LoopbackTransport:
    return LoopbackTransport()


@pytest.fixture(scope="module")
def client(live_server: LiveServer, transport: LoopbackTransport) -> zeep.Client:
    """zeep's view of the live registry, loaded from ``?wsdl`` and the schemas it imports."""
    missing = requests.get(f"{live_server.base_url}/xds/rim.xsd", timeout=10).status_code
    assert missing == 200, "GET /xds/rim.xsd is not served: mount xds_common.wsdl.serve"
    return zeep.Client(live_server.registry_url + "?wsdl", transport=transport)


@pytest.fixture
def history(client: zeep.Client) -> Iterator[HistoryPlugin]:
    """The last request and response envelope of each test."""
    plugin = HistoryPlugin()
    client.plugins.append(plugin)
    yield plugin
    client.plugins.remove(plugin)


@pytest.fixture
def patient(live_server: LiveServer) -> str:
    """A patient id fed to the registry (ITI-8 stand-in: ``beeldportaal patients add``)."""
    pid = f"{uuid4().hex[:10]}^^^&{NIST_AUTHORITY}&ISO"
    live_server.cli("patients", "add", pid)
    return pid


class Metadata:
    """Builds ITI-42 metadata with zeep's ebRIM type factory (ITI TF-3 4.2, 4.3)."""

    def __init__(self, client: zeep.Client) -> None:
        self.rim = client.type_factory(ns.RIM)
        self._ids = count(1)

    def slot(self, name: str, *values: str) -> Any:
        return self.rim.SlotType1(name=name, ValueList=self.rim.ValueListType(Value=list(values)))

    def text(self, value: str) -> Any:
        return self.rim.InternationalStringType(
            LocalizedString=[self.rim.LocalizedStringType(value=value)]
        )

    def code(self, scheme: Scheme, owner: str, code: str, system: str, display: str) -> Any:
        """A coded value: Classification + codingScheme slot + display name (TF-3 4.2.3.1.2)."""
        return self.rim.ClassificationType(
            id=f"cl{next(self._ids)}",
            classificationScheme=scheme,
            classifiedObject=owner,
            nodeRepresentation=code,
            Slot=[self.slot(SlotName.CODING_SCHEME, system)],
            Name=self.text(display),
        )

    def author(self, scheme: Scheme, owner: str) -> Any:
        return self.rim.ClassificationType(
            id=f"cl{next(self._ids)}",
            classificationScheme=scheme,
            classifiedObject=owner,
            nodeRepresentation="",
            Slot=[
                self.slot(SlotName.AUTHOR_PERSON, "^de Vries^Anna^^^Dr."),
                self.slot(SlotName.AUTHOR_INSTITUTION, "Radiologie Noord^^^^^^^^^1.2.3.4.5.6"),
                self.slot(SlotName.AUTHOR_ROLE, "Radioloog"),
            ],
        )

    def identifier(self, scheme: Scheme, owner: str, value: str, name: str) -> Any:
        return self.rim.ExternalIdentifierType(
            id=f"ei{next(self._ids)}",
            registryObject=owner,
            identificationScheme=scheme,
            value=value,
            Name=self.text(name),
        )

    def document_entry(self, patient_id: str, unique_id: str) -> Any:
        """A Stable DocumentEntry with every attribute a Repository must send (TF-3 4.3.1)."""
        de = "Document01"
        return self.rim.ExtrinsicObjectType(
            id=de,
            mimeType="application/pdf",
            objectType=DocumentEntryType.STABLE,
            Slot=[
                self.slot(SlotName.CREATION_TIME, "20240102030405"),
                self.slot(SlotName.HASH, "4cf4f82d78b5e2aac35c31bca8cb79fe6bd6a41e"),
                self.slot(SlotName.LANGUAGE_CODE, "nl-NL"),
                self.slot(SlotName.REPOSITORY_UNIQUE_ID, "1.2.3.4.5.6.7.8"),
                self.slot(SlotName.SERVICE_START_TIME, "20240101120000"),
                self.slot(SlotName.SERVICE_STOP_TIME, "20240101123000"),
                self.slot(SlotName.SIZE, "1024"),
                self.slot(SlotName.SOURCE_PATIENT_ID, patient_id),
                self.slot(SlotName.SOURCE_PATIENT_INFO, "PID-5|Jansen^Jan", "PID-8|M"),
            ],
            Name=self.text("CT thorax verslag"),
            Classification=[
                self.author(Scheme.DE_AUTHOR, de),
                self.code(
                    Scheme.DE_CLASS_CODE, de, "REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports"
                ),
                self.code(
                    Scheme.DE_CONFIDENTIALITY_CODE, de, "N", "2.16.840.1.113883.5.25", "Normal"
                ),
                self.code(
                    Scheme.DE_FORMAT_CODE,
                    de,
                    "urn:ihe:rad:PDF",
                    "1.2.840.10008.2.6.1",
                    "PDF radiology report",
                ),
                self.code(
                    Scheme.DE_HEALTHCARE_FACILITY_TYPE_CODE,
                    de,
                    "22232009",
                    "2.16.840.1.113883.6.96",
                    "Hospital",
                ),
                self.code(
                    Scheme.DE_PRACTICE_SETTING_CODE,
                    de,
                    "394914008",
                    "2.16.840.1.113883.6.96",
                    "Radiology",
                ),
                self.code(
                    Scheme.DE_TYPE_CODE,
                    de,
                    "18748-4",
                    "2.16.840.1.113883.6.1",
                    "Diagnostic imaging study",
                ),
            ],
            ExternalIdentifier=[
                self.identifier(Scheme.DE_PATIENT_ID, de, patient_id, "XDSDocumentEntry.patientId"),
                self.identifier(Scheme.DE_UNIQUE_ID, de, unique_id, "XDSDocumentEntry.uniqueId"),
            ],
        )

    def submission_set(self, patient_id: str) -> Any:
        """A SubmissionSet with its required attributes (TF-3 4.3.1, Table 4.3.1-3)."""
        ss = "SubmissionSet01"
        return self.rim.RegistryPackageType(
            id=ss,
            Slot=[self.slot(SlotName.SUBMISSION_TIME, "20240102030500")],
            Name=self.text("Verslag CT thorax"),
            Classification=[
                self.author(Scheme.SS_AUTHOR, ss),
                self.code(
                    Scheme.SS_CONTENT_TYPE_CODE,
                    ss,
                    "18748-4",
                    "2.16.840.1.113883.6.1",
                    "Diagnostic imaging study",
                ),
            ],
            ExternalIdentifier=[
                self.identifier(
                    Scheme.SS_UNIQUE_ID, ss, f"2.25.{uuid4().int}", "XDSSubmissionSet.uniqueId"
                ),
                self.identifier(
                    Scheme.SS_SOURCE_ID, ss, "1.2.3.4.5.6", "XDSSubmissionSet.sourceId"
                ),
                self.identifier(Scheme.SS_PATIENT_ID, ss, patient_id, "XDSSubmissionSet.patientId"),
            ],
        )

    def submission(self, patient_id: str, unique_id: str) -> Any:
        """DocumentEntry + SubmissionSet + its label + SS->DE HasMember (TF-3 4.2.1, 4.2.2)."""
        label = self.rim.ClassificationType(
            id="SubmissionSet01Label",
            classifiedObject="SubmissionSet01",
            classificationNode=ClassificationNode.SUBMISSION_SET,
        )
        member = self.rim.AssociationType1(
            id="HasMember01",
            associationType=AssociationType.HAS_MEMBER,
            sourceObject="SubmissionSet01",
            targetObject="Document01",
            Slot=[self.slot(SlotName.SUBMISSION_SET_STATUS, "Original")],
        )
        return self.rim.RegistryObjectListType(
            _value_1=[
                {"RegistryPackage": self.submission_set(patient_id)},
                {"ExtrinsicObject": self.document_entry(patient_id, unique_id)},
                {"Classification": label},
                {"Association": member},
            ]
        )

    def find_documents(self, patient_id: str) -> Any:
        """The AdhocQuery of FindDocuments for one patient, Approved entries."""
        return self.rim.AdhocQueryType(
            id=sq.FIND_DOCUMENTS.id,
            Slot=[
                self.slot("$XDSDocumentEntryPatientId", f"'{patient_id}'"),
                self.slot("$XDSDocumentEntryStatus", f"('{Status.APPROVED}')"),
            ],
        )


def members(object_list: Any) -> list[tuple[str, Any]]:
    """The (element name, object) pairs of a parsed rim:RegistryObjectList, in order."""
    if object_list is None:
        return []
    return [next(iter(item.items())) for item in object_list["_value_1"] or []]


def slot_values(obj: Any, name: str) -> list[str]:
    return [v for s in obj.Slot if s.name == name for v in s.ValueList.Value]


def identifier(obj: Any, scheme: Scheme) -> str:
    (value,) = [e.value for e in obj.ExternalIdentifier if e.identificationScheme == scheme]
    return str(value)


def wire_body(envelope: etree._Element) -> etree._Element:
    body = envelope.find(ns.qn(ns.SOAP12, "Body"))
    assert body is not None and len(body) == 1
    return body[0]


def assert_valid(schema: etree.XMLSchema, envelope: etree._Element) -> None:
    """The SOAP body validates against our rim/rs/lcm/query schemas."""
    payload = etree.ElementTree(etree.fromstring(etree.tostring(wire_body(envelope))))
    assert schema.validate(payload), schema.error_log


def sent_envelope(history: HistoryPlugin) -> etree._Element:
    assert history.last_sent is not None
    envelope: etree._Element = history.last_sent["envelope"]
    return envelope


def received_envelope(history: HistoryPlugin) -> etree._Element:
    assert history.last_received is not None
    envelope: etree._Element = history.last_received["envelope"]
    return envelope


def wsa_headers(envelope: etree._Element, local: str) -> list[str]:
    return [e.text or "" for e in envelope.iterfind(f"{{{ns.SOAP12}}}Header/{{{ns.WSA}}}{local}")]


def register(client: zeep.Client, objects: Any) -> Any:
    return client.service[ITI_42](RegistryObjectList=objects)


def stored_query(client: zeep.Client, query: Any, return_type: str) -> Any:
    options = client.type_factory(ns.QUERY).ResponseOptionType(
        returnType=return_type, returnComposedObjects=True
    )
    return client.service[ITI_18](ResponseOption=options, AdhocQuery=query)


def test_wsdl_and_schemas_come_from_the_server(
    client: zeep.Client, transport: LoopbackTransport, live_server: LiveServer
) -> None:
    """zeep fetched the WSDL and every schema over HTTP and points at the SOAP endpoint."""
    fetched = {urlsplit(url).path for url in transport.loaded}
    assert {f"/xds/{name}" for name in SCHEMA_FILES} <= fetched
    port = client.wsdl.services["DocumentRegistry_Service"].ports["DocumentRegistry_Port_Soap12"]
    assert port.binding_options["address"] == live_server.registry_url
    operations = port.binding.all()
    assert {op.abstract.wsa_action for op in operations.values()} == {
        t.request_action for t in tx.REGISTRY_TRANSACTIONS
    }


def test_register_then_find_the_document(
    client: zeep.Client, history: HistoryPlugin, schema: etree.XMLSchema, patient: str
) -> None:
    """ITI-42 Success, then FindDocuments returns the entry (LeafClass) and its id (ObjectRef)."""
    build = Metadata(client)
    unique_id = f"2.25.{uuid4().int}"

    response = register(client, build.submission(patient, unique_id))

    sent = sent_envelope(history)
    assert wsa_headers(sent, "Action") == [tx.ITI_42.request_action]
    assert len(wsa_headers(sent, "MessageID")) == 1
    assert_valid(schema, sent)
    received = received_envelope(history)
    assert wsa_headers(received, "Action") == [tx.ITI_42.response_action]
    assert wsa_headers(received, "RelatesTo") == wsa_headers(sent, "MessageID")
    assert_valid(schema, received)
    assert response.RegistryErrorList is None, response.RegistryErrorList
    assert response.status == ResponseStatus.SUCCESS

    leaf = stored_query(client, build.find_documents(patient), "LeafClass")

    assert wsa_headers(sent_envelope(history), "Action") == [tx.ITI_18.request_action]
    assert_valid(schema, received_envelope(history))
    assert leaf.status == ResponseStatus.SUCCESS, leaf.RegistryErrorList
    found = members(leaf.RegistryObjectList)
    assert [kind for kind, _ in found] == ["ExtrinsicObject"]
    entry = found[0][1]
    assert identifier(entry, Scheme.DE_UNIQUE_ID) == unique_id
    assert identifier(entry, Scheme.DE_PATIENT_ID) == patient
    assert entry.id.startswith("urn:uuid:")
    assert entry.status == Status.APPROVED
    assert entry.objectType == DocumentEntryType.STABLE
    assert entry.mimeType == "application/pdf"
    assert slot_values(entry, SlotName.SOURCE_PATIENT_INFO) == ["PID-5|Jansen^Jan", "PID-8|M"]
    assert slot_values(entry, SlotName.HASH) == ["4cf4f82d78b5e2aac35c31bca8cb79fe6bd6a41e"]
    assert {c.classificationScheme for c in entry.Classification} >= {
        Scheme.DE_AUTHOR,
        Scheme.DE_CLASS_CODE,
        Scheme.DE_TYPE_CODE,
        Scheme.DE_FORMAT_CODE,
    }
    assert all(c.classifiedObject == entry.id for c in entry.Classification)

    refs = stored_query(client, build.find_documents(patient), "ObjectRef")

    assert_valid(schema, received_envelope(history))
    assert refs.status == ResponseStatus.SUCCESS, refs.RegistryErrorList
    assert [(kind, obj.id) for kind, obj in members(refs.RegistryObjectList)] == [
        ("ObjectRef", entry.id)
    ]


def test_unknown_patient_is_refused(
    client: zeep.Client, history: HistoryPlugin, schema: etree.XMLSchema
) -> None:
    """ITI-42 for a patient the identity feed never announced: Failure, XDSUnknownPatientId."""
    stranger = f"{uuid4().hex[:10]}^^^&{NIST_AUTHORITY}&ISO"

    response = register(client, Metadata(client).submission(stranger, f"2.25.{uuid4().int}"))

    assert_valid(schema, received_envelope(history))
    assert response.status == ResponseStatus.FAILURE
    errors = response.RegistryErrorList.RegistryError
    assert ErrorCode.UNKNOWN_PATIENT_ID in {e.errorCode for e in errors}
    unknown = [e for e in errors if e.errorCode == ErrorCode.UNKNOWN_PATIENT_ID]
    assert any(stranger in (e.codeContext or "") for e in unknown)
