"""ITI-43 answers as a Document Consumer meets them (ITI TF-2b 3.43.4.2, Appendix V.8).

PartialSuccess with one error per missing document, inline base64 instead of XOP, two
answers with the same uniqueId, Failure; the staging files never stay behind.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus, Severity
from tests.xds_common.client.fake_server import (
    Answer,
    FakeServer,
    MimePart,
    envelope,
    include,
    mtom_answer,
    registry_response,
    retrieve_response,
)
from xds_common.client import ClientError, ClientErrorKind, RepositoryClient, ResponseError

REPO = "1.2.3.4"


def error_list(*errors: tuple[str, str, str]) -> str:
    items = "".join(
        f'<rs:RegistryError errorCode="{code}" codeContext="{context}" location="{location}" '
        f'severity="{Severity.ERROR}"/>'
        for code, context, location in errors
    )
    return f"<rs:RegistryErrorList>{items}</rs:RegistryErrorList>"


def bytes_part(cid: str, data: bytes, media: str = "application/pdf") -> MimePart:
    return MimePart(cid, lambda: [data], len(data), media)


def test_partial_success_reports_the_missing_document(server: FakeServer, tmp_path: Path) -> None:
    root = retrieve_response(
        ResponseStatus.PARTIAL_SUCCESS,
        [(REPO, "1.1", "application/pdf", include("a@x"))],
        error_list((ErrorCode.DOCUMENT_UNIQUE_ID_ERROR, "document 1.2 is not here", "1.2")),
    )
    server.queue(mtom_answer(root, [bytes_part("a@x", b"%PDF-1 first")]))

    result = RepositoryClient(server.url, timeout=10).retrieve(
        [(REPO, "1.1"), (REPO, "1.2")], tmp_path
    )

    assert result.partial and not result.success
    assert result.errors == [
        ResponseError(
            ErrorCode.DOCUMENT_UNIQUE_ID_ERROR, "document 1.2 is not here", Severity.ERROR, "1.2"
        )
    ]
    (document,) = result.documents
    assert (document.repository_unique_id, document.document_unique_id) == (REPO, "1.1")
    assert document.mime_type == "application/pdf"
    assert document.path.read_bytes() == b"%PDF-1 first"


def test_inline_base64_and_duplicate_names(server: FakeServer, tmp_path: Path) -> None:
    """Appendix V.8.2: inline base64 is valid MTOM content; same uniqueId twice: -2 suffix."""
    inline = base64.b64encode(b"hello inline").decode()
    root = retrieve_response(
        ResponseStatus.SUCCESS,
        [
            (REPO, "urn:oid:1.2/x", "text/plain", inline),
            ("5.6.7", "urn:oid:1.2/x", "text/plain", include("b@x")),
        ],
    )
    server.queue(mtom_answer(root, [bytes_part("b@x", b"from a part", "text/plain")]))

    result = RepositoryClient(server.url, timeout=10).retrieve(
        [(REPO, "urn:oid:1.2/x"), ("5.6.7", "urn:oid:1.2/x")], tmp_path
    )

    assert result.success
    first, second = result.documents
    assert first.path.name == "urn_oid_1.2_x.txt"
    assert second.path.name == "urn_oid_1.2_x-2.txt"
    assert first.path.read_bytes() == b"hello inline" and first.size == 12
    assert second.path.read_bytes() == b"from a part"
    assert {p.name for p in tmp_path.iterdir()} == {first.path.name, second.path.name}


def test_plain_soap_answer_is_accepted(server: FakeServer, tmp_path: Path) -> None:
    """Some repositories answer ITI-43 without MTOM; the reader takes plain SOAP too."""
    server.queue(
        Answer(
            body=retrieve_response(
                ResponseStatus.SUCCESS,
                [(REPO, "1.1", "application/pdf", base64.b64encode(b"x").decode())],
            )
        )
    )

    result = RepositoryClient(server.url, timeout=10).retrieve([(REPO, "1.1")], tmp_path)

    assert [d.path.read_bytes() for d in result.documents] == [b"x"]


def test_failure_without_documents(server: FakeServer, tmp_path: Path) -> None:
    root = retrieve_response(
        ResponseStatus.FAILURE, [], error_list((ErrorCode.UNKNOWN_REPOSITORY_ID, REPO, ""))
    )
    server.queue(mtom_answer(root, []))

    result = RepositoryClient(server.url, timeout=10).retrieve([(REPO, "1.1")], tmp_path / "new")

    assert result.status == ResponseStatus.FAILURE
    assert [e.code for e in result.errors] == [ErrorCode.UNKNOWN_REPOSITORY_ID]
    assert result.documents == []
    assert list((tmp_path / "new").iterdir()) == []


def test_a_broken_document_removes_every_file_of_the_answer(
    server: FakeServer, tmp_path: Path
) -> None:
    """Invalid inline base64 in the second answer: ClientError, nothing left in the folder."""
    root = retrieve_response(
        ResponseStatus.SUCCESS,
        [(REPO, "1.1", "application/pdf", include("a@x")), (REPO, "1.2", "text/plain", "!!!")],
    )
    server.queue(mtom_answer(root, [bytes_part("a@x", b"%PDF")]))

    with pytest.raises(ClientError) as caught:
        RepositoryClient(server.url, timeout=10).retrieve([(REPO, "1.1"), (REPO, "1.2")], tmp_path)

    assert caught.value.kind is ClientErrorKind.INVALID_RESPONSE
    assert "1.2" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_provide_and_register_failure_is_a_result(server: FakeServer, tmp_path: Path) -> None:
    """ITI-41 Failure is the transaction's answer, with the registry's errors copied in."""
    from tests.xds_common.client import samples

    request, entries = samples.submission("p^^^&1.2.3&ISO")
    document = tmp_path / "d.pdf"
    document.write_bytes(b"%PDF")
    server.queue(
        Answer(
            body=envelope(
                tx.ITI_41.response_action,
                registry_response(
                    ResponseStatus.FAILURE,
                    [
                        (
                            ErrorCode.UNKNOWN_PATIENT_ID,
                            "p^^^&amp;1.2.3&amp;ISO",
                            Severity.ERROR,
                            "",
                        ),
                        (
                            "XDSExtraMetadataNotSaved",
                            "slot dropped",
                            Severity.WARNING,
                            "Document01",
                        ),
                    ],
                ),
            )
        )
    )

    from xds_common.client import DocumentPart

    result = RepositoryClient(server.url, timeout=10).provide_and_register(
        request, [DocumentPart(entries[0].entry_uuid, document)]
    )

    assert not result.success
    assert [(e.code, e.context, e.is_error) for e in result.errors] == [
        (ErrorCode.UNKNOWN_PATIENT_ID, "p^^^&1.2.3&ISO", True),
        ("XDSExtraMetadataNotSaved", "slot dropped", False),
    ]
    assert [w.location for w in result.warnings] == ["Document01"]
