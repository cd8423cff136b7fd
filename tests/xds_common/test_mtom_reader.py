"""The streaming MTOM/XOP reader: golden message, one change, one expected error kind.

W3C XOP 1.0, SOAP 1.2 MTOM, ITI TF-2x Appendix V.8 (XOP-optimised and inline base64).
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from werkzeug.wsgi import LimitedStream

from tests.xds_common.test_mtom_samples import (
    BOUNDARY,
    CONTENT_TYPE,
    DOC_CID,
    DOC_HEADERS,
    DOC_HREF,
    DOCUMENT,
    ENVELOPE,
    GOLDEN,
    ROOT_CID,
    ROOT_HEADERS,
    T_DOCUMENT,
    TrickleStream,
    changed,
    envelope,
    package,
    sha1,
)
from xds_common import mtom_message
from xds_common.mtom import (
    T_INCLUDE,
    MtomError,
    MtomErrorKind,
    MtomMessage,
    Readable,
    read_mtom,
)

SOAP = "application/soap+xml; charset=UTF-8"


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Path]:
    """The staging directory; every test leaves it empty (or says why not)."""
    directory = tmp_path / "staging"
    directory.mkdir()
    yield directory


def read(
    staging: Path,
    body: bytes | Readable = GOLDEN,
    content_type: str = CONTENT_TYPE,
    **options: int,
) -> MtomMessage:
    limits = {"max_root_bytes": 1 << 20, "max_total_bytes": 10 << 20} | options
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    return read_mtom(stream, content_type, staging, **limits)


def documents(message: MtomMessage) -> list[etree._Element]:
    return list(message.envelope.iter(T_DOCUMENT))


def inline(*texts: str) -> bytes:
    """An envelope whose Documents carry the given inline text."""
    return envelope(
        "".join(f'<xds:Document id="D{i}">{t}</xds:Document>' for i, t in enumerate(texts))
    )


# --- the golden message ---------------------------------------------------------------------


def test_golden_message_resolves_its_include_to_the_staged_document(staging: Path) -> None:
    with read(staging) as message:
        (document,) = documents(message)
        part = message.content(document)
        assert message.is_mtom
        assert etree.QName(message.envelope).localname == "Envelope"
        assert message.attachments == {DOC_CID: part}
        assert message.resolve(document[0]) is part
        assert (part.sha1, part.size, part.content_type) == (
            sha1(DOCUMENT),
            len(DOCUMENT),
            "text/xml",
        )
        assert part.path.read_bytes() == DOCUMENT
        assert part.path.parent == staging
        assert message.unreferenced() == {}
    assert list(staging.iterdir()) == []
    message.cleanup()  # idempotent


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 4096, 1 << 20])
def test_any_chunk_size_gives_the_same_result(staging: Path, chunk: int) -> None:
    message = read_mtom(
        io.BytesIO(GOLDEN),
        CONTENT_TYPE,
        staging,
        max_root_bytes=1 << 20,
        max_total_bytes=1 << 20,
        chunk=chunk,
    )
    with message:
        assert message.content(documents(message)[0]).path.read_bytes() == DOCUMENT


def test_short_uneven_reads_from_the_socket(staging: Path) -> None:
    with read(staging, TrickleStream(GOLDEN, (1, 5, 2, 13, 3))) as message:
        assert message.content(documents(message)[0]).sha1 == sha1(DOCUMENT)


def test_first_part_is_the_root_without_start_parameter(staging: Path) -> None:
    content_type = CONTENT_TYPE.replace(f'start="<{ROOT_CID}>"; ', "")
    with read(staging, content_type=content_type) as message:
        assert message.content(documents(message)[0]).size == len(DOCUMENT)


def test_root_may_follow_the_attachments(staging: Path) -> None:
    body = package([(DOC_HEADERS, DOCUMENT), (ROOT_HEADERS, ENVELOPE)])
    with read(staging, body) as message:
        assert message.content(documents(message)[0]).sha1 == sha1(DOCUMENT)


def test_preamble_epilogue_and_transport_padding_are_ignored(staging: Path) -> None:
    body = b"This is a preamble.\r\n" + GOLDEN.replace(
        BOUNDARY.encode() + b"\r\n", BOUNDARY.encode() + b" \t\r\n"
    )
    with read(staging, body + b"epilogue") as message:
        assert message.content(documents(message)[0]).path.read_bytes() == DOCUMENT


@pytest.mark.parametrize(
    ("href", "header_cid"),
    [
        (DOC_HREF, DOC_CID),  # RFC 2392: %-encoded URL, raw header
        (f"cid:{DOC_CID}", DOC_CID),  # sender did not encode the href
        (DOC_HREF, "1.urn%3Auuid%3A5fb1e6c2@apache.org"),  # sender encoded the header too
        ("CID:a%25b@x", "a%b@x"),  # a literal % in the Content-ID
    ],
)
def test_href_and_content_id_forms(staging: Path, href: str, header_cid: str) -> None:
    body = changed(
        DOC_HREF.encode(),
        href.encode(),
        changed(f"<{DOC_CID}>".encode(), f"<{header_cid}>".encode()),
    )
    with read(staging, body) as message:
        assert message.content(documents(message)[0]).path.read_bytes() == DOCUMENT


def test_plain_soap_body_without_attachments(staging: Path) -> None:
    text = base64.b64encode(DOCUMENT).decode()
    with read(staging, inline(text), SOAP) as message:
        assert not message.is_mtom
        assert message.attachments == {}
        part = message.content(documents(message)[0])
        assert part.path.read_bytes() == DOCUMENT


def test_keep_moves_a_document_out_of_cleanup(staging: Path, tmp_path: Path) -> None:
    destination = tmp_path / "stored.bin"
    with read(staging) as message:
        message.keep(message.content(documents(message)[0]), destination)
    assert destination.read_bytes() == DOCUMENT
    assert list(staging.iterdir()) == []


# --- inline base64 (ITI TF-2x Appendix V.8.2) ----------------------------------------------


def test_inline_base64_inside_mtom_is_staged_like_an_attachment(
    staging: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mtom_message, "INLINE_SLICE", 7)
    wrapped = base64.encodebytes(DOCUMENT * 3).decode()  # line breaks every 76 characters
    root = inline(wrapped, "").replace(b'id="D0"', b'id="D0" xmime:contentType="text/xml"')
    body = package([(ROOT_HEADERS, root)])
    with read(staging, body) as message:
        first, empty = (message.content(d) for d in documents(message))
        assert first.path.read_bytes() == DOCUMENT * 3
        assert (first.sha1, first.content_type) == (sha1(DOCUMENT * 3), "text/xml")
        assert (empty.size, empty.content_type) == (0, "application/octet-stream")
        assert message.content(documents(message)[0]) is first
    assert list(staging.iterdir()) == []


@pytest.mark.parametrize(
    "text",
    ["QUJD!", "QUJDRA", "QQ==QUJD", "QUJD\u00e9", "<b/>"],
    ids=["bad-character", "not-whole-quanta", "data-after-padding", "non-ascii", "child-element"],
)
def test_invalid_inline_base64_is_malformed(staging: Path, text: str) -> None:
    with read(staging, inline(text), SOAP) as message:
        with pytest.raises(MtomError) as caught:
            message.content(documents(message)[0])
        assert caught.value.kind is MtomErrorKind.MALFORMED
        assert list(staging.iterdir()) == []


# --- several attachments ---------------------------------------------------------------------


def test_several_attachments_each_resolved_once(staging: Path) -> None:
    contents = {f"doc{i}@example.org": bytes([i]) * (1000 * i) for i in range(1, 4)}
    refs = "".join(
        f'<xds:Document id="D{i}"><xop:Include href="cid:{cid}"/></xds:Document>'
        for i, cid in enumerate(contents)
    )
    parts = [(ROOT_HEADERS, envelope(refs))]
    parts += [
        (f"Content-Type: image/jpeg\r\nContent-ID: <{cid}>\r\n", data)
        for cid, data in contents.items()
    ]
    b64 = base64.encodebytes(b"extra").replace(b"\n", b"\r\n")
    parts.append(("Content-ID: <extra@x>\r\nContent-Transfer-Encoding: base64\r\n", b64))
    with read(staging, package(parts)) as message:
        got = [message.content(d) for d in documents(message)]
        assert [p.path.read_bytes() for p in got] == list(contents.values())
        assert {p.content_type for p in got} == {"image/jpeg"}
        assert len(message.includes) == 3
        (extra,) = message.unreferenced().values()
        assert (extra.path.read_bytes(), extra.content_type) == (
            b"extra",
            "application/octet-stream",
        )
        assert len(list(staging.iterdir())) == 4
    assert list(staging.iterdir()) == []


def test_resolve_refuses_a_foreign_element(staging: Path) -> None:
    with read(staging) as message, pytest.raises(MtomError) as caught:
        message.resolve(etree.Element(T_INCLUDE))
    assert caught.value.kind is MtomErrorKind.CID_NOT_FOUND


# --- one change, one error kind ---------------------------------------------------------------

ATTACHMENT = b"\r\n--" + BOUNDARY.encode() + b"\r\n" + DOC_HEADERS.encode() + b"\r\n" + DOCUMENT
TWO_REFERENCES = (
    f'<xds:Document id="Document01"><xop:Include href="{DOC_HREF}"/></xds:Document>'
    f'<xds:Document id="Document02"><xop:Include href="{DOC_HREF}"/></xds:Document>'
)
K = MtomErrorKind
CASES: dict[str, tuple[bytes, str, dict[str, int], MtomErrorKind]] = {
    "cut inside the document": (
        GOLDEN[: GOLDEN.index(DOCUMENT) + 20],
        CONTENT_TYPE,
        {},
        K.TRUNCATED,
    ),
    "cut inside part headers": (
        GOLDEN[: GOLDEN.index(b"Content-ID: <1.urn")],
        CONTENT_TYPE,
        {},
        K.TRUNCATED,
    ),
    "no close delimiter": (GOLDEN[: -len(BOUNDARY) - 6], CONTENT_TYPE, {}, K.TRUNCATED),
    "ends after a delimiter": (GOLDEN[:-4], CONTENT_TYPE, {}, K.TRUNCATED),
    "empty body": (b"", CONTENT_TYPE, {}, K.MALFORMED),
    "missing XOP part": (changed(ATTACHMENT, b""), CONTENT_TYPE, {}, K.CID_NOT_FOUND),
    "cid points nowhere": (
        changed(DOC_HREF.encode(), b"cid:nowhere@x"),
        CONTENT_TYPE,
        {},
        K.CID_NOT_FOUND,
    ),
    "href is not a cid URL": (
        changed(DOC_HREF.encode(), b"http://x/doc"),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "include in plain SOAP": (ENVELOPE, SOAP, {}, K.CID_NOT_FOUND),
    "part referenced twice": (
        package([(ROOT_HEADERS, envelope(TWO_REFERENCES)), (DOC_HEADERS, DOCUMENT)]),
        CONTENT_TYPE,
        {},
        K.DUPLICATE_REFERENCE,
    ),
    "start names no part": (GOLDEN, CONTENT_TYPE.replace(ROOT_CID, "other@x"), {}, K.MISSING_ROOT),
    "root part missing": (package([(DOC_HEADERS, DOCUMENT)]), CONTENT_TYPE, {}, K.MISSING_ROOT),
    "not SOAP or MTOM": (GOLDEN, "text/plain", {}, K.WRONG_CONTENT_TYPE),
    "multipart/form-data": (
        GOLDEN,
        CONTENT_TYPE.replace("related", "form-data"),
        {},
        K.WRONG_CONTENT_TYPE,
    ),
    "SOAP 1.1 style package type": (
        GOLDEN,
        CONTENT_TYPE.replace('type="application/xop+xml"', 'type="text/xml"'),
        {},
        K.WRONG_CONTENT_TYPE,
    ),
    "no boundary parameter": (
        GOLDEN,
        CONTENT_TYPE.replace("boundary=", "b="),
        {},
        K.WRONG_CONTENT_TYPE,
    ),
    "root part is octet-stream": (
        changed(b"application/xop+xml; charset=UTF-8; type=", b"application/octet-stream; x="),
        CONTENT_TYPE,
        {},
        K.WRONG_CONTENT_TYPE,
    ),
    "body over the total limit": (
        GOLDEN,
        CONTENT_TYPE,
        {"max_total_bytes": len(GOLDEN) - 1},
        K.OVER_LIMIT,
    ),
    "root over its limit": (
        GOLDEN,
        CONTENT_TYPE,
        {"max_root_bytes": len(ENVELOPE) - 1},
        K.OVER_LIMIT,
    ),
    "plain body over the root limit": (ENVELOPE, SOAP, {"max_root_bytes": 100}, K.OVER_LIMIT),
    "too many parts": (GOLDEN, CONTENT_TYPE, {"max_parts": 1}, K.OVER_LIMIT),
    "boundary absent": (GOLDEN.replace(BOUNDARY.encode(), b"other"), CONTENT_TYPE, {}, K.MALFORMED),
    "text after a delimiter": (
        changed(b"\r\nContent-Type: text/xml", b"junk\r\nContent-Type: text/xml"),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "part without Content-ID": (
        changed(f"Content-ID: <{DOC_CID}>\r\n".encode(), b""),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "two parts, one Content-ID": (
        package([(ROOT_HEADERS, ENVELOPE), (DOC_HEADERS, DOCUMENT), (DOC_HEADERS, DOCUMENT)]),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "header line without colon": (
        changed(b"Content-Type: text/xml\r\n", b"Content-Type text/xml\r\n"),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "header block flood": (
        changed(b"Content-Type: text/xml\r\n", b"X: " + b"y" * 20000 + b"\r\n"),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "quoted-printable part": (
        changed(
            b"text/xml\r\nContent-Transfer-Encoding: binary",
            b"text/xml\r\nContent-Transfer-Encoding: quoted-printable",
        ),
        CONTENT_TYPE,
        {},
        K.MALFORMED,
    ),
    "root is not XML": (changed(ENVELOPE, b"not xml"), CONTENT_TYPE, {}, K.INVALID_XML),
    "root has a DTD": (
        changed(b"<soap:Envelope", b"<!DOCTYPE x [<!ENTITY e 'x'>]><soap:Envelope"),
        CONTENT_TYPE,
        {},
        K.INVALID_XML,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_message_gets_its_error_kind(staging: Path, case: str) -> None:
    body, content_type, limits, kind = CASES[case]
    with pytest.raises(MtomError) as caught:
        read(staging, body, content_type, **limits)
    assert caught.value.kind is kind, caught.value
    assert caught.value.kind.http_status in (400, 413, 415)
    assert list(staging.iterdir()) == [], "staged files are removed on every error"


class BrokenStream:
    """A body whose transport fails after some bytes."""

    def __init__(self, data: bytes, error: Exception) -> None:
        self._data = io.BytesIO(data)
        self._error = error

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._data.read(min(size, 100))
        if not chunk:
            raise self._error
        return chunk


@pytest.mark.parametrize(
    ("stream", "kind"),
    [
        (BrokenStream(GOLDEN[:300], ConnectionResetError("peer reset")), K.TRUNCATED),
        (LimitedStream(io.BytesIO(GOLDEN[:-50]), len(GOLDEN)), K.TRUNCATED),
        (LimitedStream(io.BytesIO(GOLDEN), 500, is_max=True), K.OVER_LIMIT),
    ],
    ids=["connection-reset", "werkzeug-client-disconnected", "werkzeug-max-content-length"],
)
def test_transport_failures_become_mtom_errors(
    staging: Path, stream: Readable, kind: MtomErrorKind
) -> None:
    with pytest.raises(MtomError) as caught:
        read(staging, stream, chunk=64)
    assert caught.value.kind is kind
    assert list(staging.iterdir()) == []


def test_a_body_far_over_the_limit_is_refused_early(staging: Path) -> None:
    class Endless:
        served = 0

        def read(self, size: int = -1, /) -> bytes:
            self.served += size
            return GOLDEN[:-40] if self.served == size else b"x" * size

    stream = Endless()
    with pytest.raises(MtomError) as caught:
        read(staging, stream, max_total_bytes=5 << 20)
    assert caught.value.kind is K.OVER_LIMIT
    assert stream.served <= (5 << 20) + (1 << 20)
    assert list(staging.iterdir()) == []


def test_error_kinds_carry_http_status() -> None:
    assert K.OVER_LIMIT.http_status == 413
    assert K.WRONG_CONTENT_TYPE.http_status == 415
    assert {k.http_status for k in K} - {413, 415} == {400}
    error = MtomError("no MIME part with Content-ID <x>", K.CID_NOT_FOUND)
    assert str(error) == "cid not found: no MIME part with Content-ID <x>"


def _mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few random byte flips, cuts, insertions and MIME-ish fragments."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        match rng.randrange(4):
            case 0 if at < len(out):
                out[at] = rng.randrange(256)
            case 1:
                del out[at : at + rng.randint(1, 40)]
            case 2:
                out[at:at] = rng.randbytes(rng.randint(1, 10))
            case _:
                out[at:at] = rng.choice(
                    [b"\r\n", b"--", b"\r\n\r\n", b"<", b":", b"\xff", b'"', b";"]
                )
    return bytes(out)


def test_random_damage_gives_mtom_errors_only(staging: Path) -> None:
    """Never anything but an MtomError (so never a 500), and never a staged file left over."""
    rng = random.Random(43)
    outcomes: set[str] = set()
    for number in range(1500):
        body = _mutated(GOLDEN, rng) if number % 3 else GOLDEN
        content_type = (
            CONTENT_TYPE if number % 3 else _mutated(CONTENT_TYPE.encode(), rng).decode("latin-1")
        )
        try:
            stream = TrickleStream(body, (rng.choice([7, 64, 1 << 20]),))
            with read(staging, stream, content_type) as message:
                for document in documents(message):
                    message.content(document)
            outcomes.add("accepted")
        except MtomError as error:
            outcomes.add(error.kind.name)
        assert list(staging.iterdir()) == []
    assert {"accepted", "MALFORMED", "TRUNCATED", "INVALID_XML", "WRONG_CONTENT_TYPE"} <= outcomes
