"""What the clients put on the wire, taken apart by a fake server and the ``email`` package.

ITI TF-2x Appendix V: SOAP 1.2 envelope, WS-Addressing Action (mustUnderstand), MessageID,
ReplyTo (anonymous), To; simple SOAP for ITI-18/42, MTOM/XOP packages for ITI-41/43 with the
documents as binary MIME parts referenced by ``xop:Include`` (W3C XOP 1.0).
"""

from __future__ import annotations

import email.parser
import email.policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import etree

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles import transactions as tx
from profiles.vocabulary import ResponseStatus, Status
from tests.xds_common.client import samples
from tests.xds_common.client.fake_server import (
    Answer,
    FakeServer,
    envelope,
    registry_response,
    retrieve_response,
)
from xds_common.client import (
    DocumentPart,
    RegistryClient,
    RepositoryClient,
    encode_param,
)

PATIENT = "pat1^^^&1.2.3.4.5.1000&ISO"
T_INCLUDE = ns.qn(ns.XOP, "Include")
MUST_UNDERSTAND = ns.qn(ns.SOAP12, "mustUnderstand")


def success(action: str) -> Answer:
    return Answer(body=envelope(action, registry_response(ResponseStatus.SUCCESS)))


def query_answer() -> Answer:
    body = (
        f'<q:AdhocQueryResponse xmlns:q="{ns.QUERY}" xmlns:rim="{ns.RIM}" '
        f'status="{ResponseStatus.SUCCESS}"><rim:RegistryObjectList/></q:AdhocQueryResponse>'
    )
    return Answer(body=envelope(tx.ITI_18.response_action, body))


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N: equal for the same element wherever it sits."""
    return etree.tostring(element, method="c14n", exclusive=True)


def parse_envelope(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def header(env: etree._Element, local: str) -> list[etree._Element]:
    return env.findall(f"{{{ns.SOAP12}}}Header/{{{ns.WSA}}}{local}")


def check_addressing(env: etree._Element, action: str, url: str) -> None:
    """Appendix V: one Action (mustUnderstand), MessageID urn:uuid, anonymous ReplyTo, To."""
    assert env.tag == ns.qn(ns.SOAP12, "Envelope")
    (act,) = header(env, "Action")
    assert act.text == action
    assert act.get(MUST_UNDERSTAND) in ("1", "true")
    (message_id,) = header(env, "MessageID")
    assert (message_id.text or "").startswith("urn:uuid:")
    (reply_to,) = header(env, "ReplyTo")
    assert reply_to.findtext(ns.qn(ns.WSA, "Address")) == ns.WSA_ANONYMOUS
    (to,) = header(env, "To")
    assert to.text == url


def body_of(env: etree._Element) -> etree._Element:
    body = env.find(ns.qn(ns.SOAP12, "Body"))
    assert body is not None and len(body) == 1
    return body[0]


def mime(content_type: str, body: bytes) -> EmailMessage:
    """Parse an HTTP multipart body with the standard library's MIME parser."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    assert isinstance(message, EmailMessage)
    return message


def test_register_sends_simple_soap_with_ihe_addressing(server: FakeServer) -> None:
    server.queue(success(tx.ITI_42.response_action))
    request, _ = samples.submission(PATIENT, registry=True)
    parent = etree.Element("holder")
    parent.append(request)
    before = canonical(request)

    result = RegistryClient(server.url, timeout=10).register(request)

    assert result.success and result.errors == []
    (sent,) = server.requests
    content_type = sent.headers["Content-Type"]
    assert content_type.startswith("application/soap+xml")
    assert f'action="{tx.ITI_42.request_action}"' in content_type
    assert "SOAPAction" not in sent.headers
    assert sent.headers["Content-Length"] == str(len(sent.body or b""))
    env = parse_envelope(sent.body or b"")
    check_addressing(env, tx.ITI_42.request_action, server.url)
    assert canonical(body_of(env)) == before
    assert request.getparent() is parent, "the caller's element stays where it was"


def test_stored_query_parameters_are_encoded_from_the_table(server: FakeServer) -> None:
    """ITI TF-2a 3.18.4.1.2.3.5: quoted strings, quotes doubled, lists in parentheses."""
    server.queue(query_answer(), query_answer())
    client = RegistryClient(server.url, timeout=10)

    client.find_documents("o'neil^^^&1.2.3&ISO", status=[Status.APPROVED, Status.DEPRECATED])
    client.get_documents(unique_ids=["1.2.3", "4.5.6"], return_type="ObjectRef", home="urn:oid:9")

    find, get = (parse_envelope(r.body or b"") for r in server.requests)
    check_addressing(find, tx.ITI_18.request_action, server.url)
    query = body_of(find)
    assert query.tag == tx.ITI_18.request_element
    option = query.find(ns.qn(ns.QUERY, "ResponseOption"))
    assert option is not None and option.get("returnType") == "LeafClass"
    adhoc = query.find(ns.qn(ns.RIM, "AdhocQuery"))
    assert adhoc is not None and adhoc.get("id") == sq.FIND_DOCUMENTS.id
    slots = {
        s.get("name"): [v.text for v in s.iter(ns.qn(ns.RIM, "Value"))]
        for s in adhoc.iter(ns.qn(ns.RIM, "Slot"))
    }
    assert slots == {
        "$XDSDocumentEntryPatientId": ["'o''neil^^^&1.2.3&ISO'"],
        "$XDSDocumentEntryStatus": [f"('{Status.APPROVED}','{Status.DEPRECATED}')"],
    }
    get_query = body_of(get)
    get_adhoc = get_query.find(ns.qn(ns.RIM, "AdhocQuery"))
    assert get_adhoc is not None
    assert get_adhoc.get("id") == sq.GET_DOCUMENTS.id
    assert get_adhoc.get("home") == "urn:oid:9"
    assert get_adhoc.findtext(f"{{{ns.RIM}}}Slot/{{{ns.RIM}}}ValueList/{{{ns.RIM}}}Value") == (
        "('1.2.3','4.5.6')"
    )
    option = get_query.find(ns.qn(ns.QUERY, "ResponseOption"))
    assert option is not None and option.get("returnType") == "ObjectRef"


def test_parameter_encoding_rules() -> None:
    assert encode_param(sq.FIND_DOCUMENTS, "$XDSDocumentEntryCreationTimeFrom", "2024") == "2024"
    assert encode_param(sq.FIND_DOCUMENTS, "$XDSDocumentEntryClassCode", "a^^b") == "('a^^b')"
    with pytest.raises(ValueError, match="no parameter"):
        encode_param(sq.FIND_DOCUMENTS, "$NoSuchParameter", "x")
    with pytest.raises(ValueError, match="one value"):
        encode_param(sq.FIND_DOCUMENTS, "$XDSDocumentEntryPatientId", ["a", "b"])
    with pytest.raises(ValueError, match="either"):
        RegistryClient("http://127.0.0.1:9/", timeout=1).get_documents()


def test_query_sends_the_callers_adhoc_query_request(server: FakeServer) -> None:
    server.queue(query_answer())
    request = etree.fromstring(
        f'<q:AdhocQueryRequest xmlns:q="{ns.QUERY}" xmlns:rim="{ns.RIM}">'
        '<q:ResponseOption returnType="ObjectRef"/>'
        f'<rim:AdhocQuery id="{sq.GET_ALL.id}"/></q:AdhocQueryRequest>'
    )

    answer = RegistryClient(server.url, timeout=10).query(request)

    assert answer.tag == ns.qn(ns.QUERY, "AdhocQueryResponse")
    sent = body_of(parse_envelope(server.requests[0].body or b""))
    assert canonical(sent) == canonical(request)


def test_wrong_body_element_is_refused_before_sending() -> None:
    client = RegistryClient("http://127.0.0.1:9/", timeout=1)
    with pytest.raises(ValueError, match="SubmitObjectsRequest"):
        client.register(etree.Element(ns.qn(ns.LCM, "RemoveObjectsRequest")))


def test_provide_and_register_is_an_xop_package(server: FakeServer, tmp_path: Path) -> None:
    """ITI-41 request: root part = envelope with xop:Include per document (XOP 1.0 3.1);
    one binary part per document with exactly the file's bytes; Content-Length, no chunking."""
    server.queue(success(tx.ITI_41.response_action))
    request, entries = samples.submission(PATIENT, documents=2)
    tricky = b"%PDF-1.4\r\n--MIMEBoundary\r\n\r\n\x00\xff" + bytes(range(256)) * 40
    first, second = tmp_path / "a.pdf", tmp_path / "b.bin"
    first.write_bytes(tricky)
    second.write_bytes(b"")
    documents = [
        DocumentPart(entries[0].entry_uuid, first, "application/pdf"),
        DocumentPart(entries[1].entry_uuid, second),
    ]
    seen: list[tuple[int, int | None]] = []

    result = RepositoryClient(server.url, timeout=10).provide_and_register(
        request, documents, lambda done, total: seen.append((done, total))
    )

    assert result.success
    (sent,) = server.requests
    assert "Transfer-Encoding" not in sent.headers
    assert int(sent.headers["Content-Length"]) == sent.length == len(sent.body or b"")
    assert seen[-1] == (sent.length, sent.length)
    package = mime(sent.headers["Content-Type"], sent.body or b"")
    assert package.get_content_type() == "multipart/related"
    assert package.get_param("type") == "application/xop+xml"
    assert package.get_param("start-info") == "application/soap+xml"
    assert package.get_param("action") == tx.ITI_41.request_action
    root, *attachments = list(package.iter_parts())
    assert root["Content-ID"] == package.get_param("start")
    assert root.get_content_type() == "application/xop+xml"
    assert root.get_param("type") == "application/soap+xml"
    env = parse_envelope(root.get_payload(decode=True))  # type: ignore[arg-type]
    check_addressing(env, tx.ITI_41.request_action, server.url)
    body = body_of(env)
    assert body.tag == tx.ITI_41.request_element
    assert canonical(body[0]) == canonical(request)
    by_cid = {part["Content-ID"].strip("<>"): part for part in attachments}
    docs = body.findall(ns.qn(ns.XDSB, "Document"))
    assert [d.get("id") for d in docs] == [e.entry_uuid for e in entries]
    for doc, path, media in zip(
        docs, (first, second), ("application/pdf", "application/octet-stream"), strict=True
    ):
        assert doc.text is None and len(doc) == 1, "no white space around the xop:Include"
        include = doc[0]
        assert include.tag == T_INCLUDE
        href = include.get("href", "")
        assert href.startswith("cid:")
        part = by_cid[unquote(href[4:])]
        assert part.get_content_type() == media
        assert part["Content-Transfer-Encoding"] == "binary"
        assert part.get_payload(decode=True) == path.read_bytes()
    assert len(attachments) == 2


def test_retrieve_request_is_mtom_with_the_document_requests(
    server: FakeServer, tmp_path: Path
) -> None:
    """ITI-43 request (ITI TF-2b 3.43.4.1.2): MTOM even without attachments; HomeCommunityId
    only when given."""
    server.queue(Answer(body=retrieve_response(ResponseStatus.FAILURE, [])))

    RepositoryClient(server.url, timeout=10).retrieve(
        [("1.2.3", "9.8.7"), ("1.2.3", "9.8.6", "urn:oid:1.5")], tmp_path
    )

    (sent,) = server.requests
    package = mime(sent.headers["Content-Type"], sent.body or b"")
    assert package.get_content_type() == "multipart/related"
    (root,) = list(package.iter_parts())
    env = parse_envelope(root.get_payload(decode=True))  # type: ignore[arg-type]
    check_addressing(env, tx.ITI_43.request_action, server.url)
    body = body_of(env)
    assert body.tag == tx.ITI_43.request_element
    rows = [
        [(etree.QName(c).localname, c.text) for c in request]
        for request in body.iterchildren(ns.qn(ns.XDSB, "DocumentRequest"))
    ]
    assert rows == [
        [("RepositoryUniqueId", "1.2.3"), ("DocumentUniqueId", "9.8.7")],
        [
            ("HomeCommunityId", "urn:oid:1.5"),
            ("RepositoryUniqueId", "1.2.3"),
            ("DocumentUniqueId", "9.8.6"),
        ],
    ]
