"""The streaming MTOM/XOP response writer, checked by independent MIME parsers.

W3C SOAP 1.2 MTOM section 3, XOP 1.0 section 4, ITI TF-2x Appendix V.8.1 (ITI-43 answers MTOM).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree
from requests_toolbelt.multipart.decoder import MultipartDecoder  # type: ignore[import-untyped]

from tests.xds_common.test_mtom_samples import IteratorStream, email_parts, payload, sha1
from xds_common.mtom import (
    T_INCLUDE,
    MtomResponse,
    ResponsePart,
    mtom_response,
    new_cid,
    read_mtom,
    xop_include,
)

XDS = "urn:ihe:iti:xds-b:2007"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
RETRIEVE_ACTION = "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
#: Documents to send: Content-ID, media type, source (file or chunks), expected bytes.
Contents = list[tuple[str, str, Path | list[bytes], bytes]]


def retrieve_response(count: int) -> tuple[etree._Element, list[etree._Element]]:
    """An ITI-43 response envelope with ``count`` DocumentResponse/Document elements."""
    env = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12, "xds": XDS})
    body = etree.SubElement(env, f"{{{SOAP12}}}Body")
    response = etree.SubElement(body, f"{{{XDS}}}RetrieveDocumentSetResponse")
    docs = []
    for number in range(count):
        entry = etree.SubElement(response, f"{{{XDS}}}DocumentResponse")
        etree.SubElement(entry, f"{{{XDS}}}DocumentUniqueId").text = f"1.2.3.{number}"
        etree.SubElement(entry, f"{{{XDS}}}mimeType").text = "application/pdf"
        docs.append(etree.SubElement(entry, f"{{{XDS}}}Document"))
    return env, docs


@pytest.fixture
def contents(tmp_path: Path) -> Contents:
    """Three documents: a file, byte chunks, and an empty file (cid, type, source, bytes)."""
    on_disk = tmp_path / "report.pdf"
    on_disk.write_bytes(b"%PDF-1.4\r\n--MIMEBoundary_" * 50_000)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    chunks = [b"<ClinicalDocument/>", b"", b"\r\n--"]
    return [
        (new_cid(), "application/pdf", on_disk, on_disk.read_bytes()),
        ("doc#2/a?b%c@example.org", "text/xml; charset=UTF-8", chunks, b"".join(chunks)),
        (new_cid(), "application/octet-stream", empty, b""),
    ]


def respond(contents: Contents) -> MtomResponse:
    """An ITI-43 style response carrying ``contents`` as XOP parts (body not yet produced)."""
    env, docs = retrieve_response(len(contents))
    for doc, (cid, *_rest) in zip(docs, contents, strict=True):
        xop_include(doc, cid)
    parts = [ResponsePart(cid, kind, source, len(data)) for cid, kind, source, data in contents]
    return mtom_response(env, parts, action=RETRIEVE_ACTION)


def build(contents: Contents) -> tuple[MtomResponse, bytes]:
    """The response and all of its body bytes."""
    response = respond(contents)
    return response, b"".join(response.body)


def test_content_length_equals_the_bytes_produced(contents: Contents) -> None:
    response, body = build(contents)
    assert response.content_length == len(body)
    for count in range(len(contents)):
        response, body = build(contents[:count])
        assert response.content_length == len(body)


def test_attachments_are_streamed_in_chunks_of_at_most_one_mib(contents: Contents) -> None:
    env, docs = retrieve_response(1)
    cid, kind, source, data = contents[0]
    xop_include(docs[0], cid)
    sizes = [len(chunk) for chunk in mtom_response(env, [(cid, kind, source, len(data))]).body]
    assert max(sizes) <= (1 << 20) + 4096
    assert len(sizes) >= 4


def test_the_email_package_reads_it_as_multipart_related(contents: Contents) -> None:
    response, body = build(contents)
    message, parts = email_parts(response.content_type, body)
    assert message.get_content_type() == "multipart/related"
    assert message.get_param("type") == "application/xop+xml"
    assert message.get_param("start-info") == "application/soap+xml"
    assert message.get_param("action") == RETRIEVE_ACTION
    assert not message.defects
    root, *attachments = parts
    assert root["Content-ID"] == message.get_param("start")
    assert root.get_content_type() == "application/xop+xml"
    assert root.get_param("type") == "application/soap+xml"
    envelope = etree.fromstring(payload(root))
    hrefs = [include.get("href") for include in envelope.iter(T_INCLUDE)]
    assert len(hrefs) == len(contents) == len(attachments)
    for part, (cid, kind, _source, data) in zip(attachments, contents, strict=True):
        assert part["Content-ID"] == f"<{cid}>"
        assert part.get_content_type() == kind.split(";")[0]
        assert payload(part) == data


def test_requests_toolbelt_decoder_agrees(contents: Contents) -> None:
    response, body = build(contents)
    decoded = MultipartDecoder(body, response.content_type)
    root, *attachments = decoded.parts
    assert root.headers[b"Content-Type"].startswith(b"application/xop+xml")
    assert [a.content for a in attachments] == [data for *_rest, data in contents]
    assert [a.headers[b"Content-ID"] for a in attachments] == [
        f"<{c[0]}>".encode() for c in contents
    ]


@pytest.mark.parametrize("chunk", [1 << 20, 1000, 7])
def test_round_trip_writer_to_reader(contents: Contents, tmp_path: Path, chunk: int) -> None:
    response = respond(contents)
    stream = IteratorStream(response.body)
    message = read_mtom(
        stream,
        response.content_type,
        tmp_path,
        max_root_bytes=1 << 20,
        max_total_bytes=response.content_length,
        chunk=chunk,
    )
    with message:
        documents = list(message.envelope.iter(f"{{{XDS}}}Document"))
        staged = [message.content(doc) for doc in documents]
        assert [(p.sha1, p.size) for p in staged] == [(sha1(c[3]), len(c[3])) for c in contents]
        assert [p.content_type for p in staged] == [c[1] for c in contents]
        assert [p.path.read_bytes() for p in staged] == [c[3] for c in contents]
    assert stream.consumed == response.content_length


def test_xop_include_replaces_the_content_of_an_element() -> None:
    element = etree.Element("Document")
    element.text = "  aGVsbG8=  "
    etree.SubElement(element, "old")
    include = xop_include(element, "a%b@x")
    assert list(element) == [include] and element.text is None
    assert include.tag == T_INCLUDE
    assert include.get("href") == "cid:a%25b@x"


def test_a_file_of_the_wrong_size_is_refused_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "doc"
    path.write_bytes(b"12345")
    env, _ = retrieve_response(0)
    with pytest.raises(ValueError, match="not 6 bytes"):
        mtom_response(env, [("a@x", "text/plain", path, 6)])


@pytest.mark.parametrize("chunks", [[b"1234"], [b"123456"]], ids=["short", "long"])
def test_a_source_that_lies_about_its_size_fails_while_streaming(chunks: list[bytes]) -> None:
    env, _ = retrieve_response(0)
    response = mtom_response(env, [("a@x", "text/plain", chunks, 5)])
    with pytest.raises(ValueError, match="declared"):
        b"".join(response.body)


@pytest.mark.parametrize("cid", ["<a@x>", "a b@x", "a@x\r\nX-Evil: 1", ""])
def test_unusable_content_ids_are_refused(cid: str) -> None:
    env, _ = retrieve_response(0)
    with pytest.raises(ValueError):
        mtom_response(env, [(cid, "text/plain", [b""], 0)])


def test_closing_the_body_early_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 << 20))
    env, _ = retrieve_response(0)
    body = mtom_response(env, [("a@x", "application/octet-stream", path, 3 << 20)]).body
    next(body), next(body)
    assert _open_fds(path) == 1
    body.close()  # what a WSGI server does when the client goes away
    assert _open_fds(path) == 0


def _open_fds(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if _target(fd) == str(path))


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


def test_envelope_may_be_given_as_bytes() -> None:
    response = mtom_response(b"<Envelope/>", [], root_cid="root@x")
    body = b"".join(response.body)
    assert b"Content-ID: <root@x>\r\n\r\n<Envelope/>\r\n--" in body
    assert 'start="<root@x>"' in response.content_type
