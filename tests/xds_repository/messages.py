"""ITI-41 / ITI-43 requests for repository tests: golden MTOM packages built with our writer.

The request side of MTOM is the same packaging as a response (XOP 1.0), so the tests use
``xds_common.mtom.mtom_response`` to frame requests and ``read_mtom`` to read answers.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import ITI_41, ITI_43
from tests.xds_registry import messages as m
from xds_common import soap
from xds_common.mtom import MtomMessage, mtom_response, new_cid, read_mtom, xop_include

XDSB = ns.XDSB


class SizedBody:
    """An iterator of bytes with a length, so requests sends Content-Length, not chunked."""

    def __init__(self, chunks: Iterator[bytes], length: int) -> None:
        self._chunks = chunks
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def __len__(self) -> int:
        return self._length


@dataclass
class Attachment:
    """One document of an ITI-41 request: the DocumentEntry id and its bytes."""

    doc_id: str
    data: bytes | Path
    cid: str = ""


def provide_request(
    patient: str, docs: list[m.Doc], attachments: list[Attachment], url: str
) -> tuple[str, SizedBody]:
    """An MTOM ITI-41 request: (content type, sized body)."""
    submit = etree.fromstring(m.submission(patient, docs).encode())
    body = etree.Element(ns.qn(XDSB, "ProvideAndRegisterDocumentSetRequest"), nsmap={"xdsb": XDSB})
    body.append(submit)
    parts = []
    for att in attachments:
        document = etree.SubElement(body, ns.qn(XDSB, "Document"), id=att.doc_id)
        cid = att.cid or new_cid("test")
        xop_include(document, cid)
        size = att.data.stat().st_size if isinstance(att.data, Path) else len(att.data)
        source = att.data if isinstance(att.data, Path) else [att.data]
        parts.append((cid, "application/octet-stream", source, size))
    envelope = soap.request_envelope(ITI_41.request_action, f"urn:uuid:{uuid.uuid4()}", url, body)
    package = mtom_response(envelope, parts, action=ITI_41.request_action)
    return package.content_type, SizedBody(package.body, package.content_length)


def post_provide(
    url: str, patient: str, docs: list[m.Doc], attachments: list[Attachment]
) -> etree._Element:
    """Send ITI-41; return the rs:RegistryResponse."""
    content_type, body = provide_request(patient, docs, attachments, url)
    reply = requests.post(url, data=body, timeout=600, headers={"Content-Type": content_type})
    assert reply.status_code == 200, reply.content[:2000]
    message = read_mtom(
        io.BytesIO(reply.content),
        reply.headers["Content-Type"],
        Path("/tmp"),
        max_root_bytes=1 << 20,
        max_total_bytes=1 << 20,
    )
    with message:
        return message.envelope.find(f"{soap.T_BODY}/{ns.qn(ns.RS, 'RegistryResponse')}")  # type: ignore[return-value]


def retrieve_request(url: str, pairs: list[tuple[str, str]]) -> bytes:
    """A simple-SOAP ITI-43 request for (repositoryUniqueId, documentUniqueId) pairs."""
    body = etree.Element(ns.qn(XDSB, "RetrieveDocumentSetRequest"), nsmap={"xdsb": XDSB})
    for repository, document in pairs:
        item = etree.SubElement(body, ns.qn(XDSB, "DocumentRequest"))
        etree.SubElement(item, ns.qn(XDSB, "RepositoryUniqueId")).text = repository
        etree.SubElement(item, ns.qn(XDSB, "DocumentUniqueId")).text = document
    return soap.request_envelope(ITI_43.request_action, f"urn:uuid:{uuid.uuid4()}", url, body)


def post_retrieve(url: str, pairs: list[tuple[str, str]], staging: Path) -> MtomMessage:
    """Send ITI-43 and stream the MTOM answer into ``staging`` (caller cleans up)."""
    reply = requests.post(
        url,
        data=retrieve_request(url, pairs),
        stream=True,
        timeout=600,
        headers={"Content-Type": soap.SOAP_CONTENT_TYPE},
    )
    assert reply.status_code == 200
    reply.raw.decode_content = True
    return read_mtom(
        reply.raw,
        reply.headers["Content-Type"],
        staging,
        max_root_bytes=1 << 22,
        max_total_bytes=1 << 40,
    )
