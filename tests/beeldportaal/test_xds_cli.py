"""``beeldportaal submit`` / ``fetch`` against a fake endpoint (no server of ours).

submit: the ITI-41 request carries complete metadata (ITI TF-3 Table 4.3.1-3, column DS,
checked with the project's validator) from the defaults table, a YAML/JSON file and flags;
the file goes as an XOP part. fetch: ITI-18 FindDocuments, then ITI-43 per
repositoryUniqueId, files and metadata.json per document, hash/size checked.
Exit codes: 0 success, 1 transaction failed or incomplete, 2 could not run.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import pytest
from lxml import etree

from beeldportaal import submission_metadata, xds_cli
from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import DocumentEntryType, ObjectKind, ResponseStatus, Severity, Status
from tests.xds_common.client.fake_server import (
    Answer,
    FakeServer,
    MimePart,
    Recorded,
    envelope,
    include,
    mtom_answer,
    registry_response,
    retrieve_response,
)
from xds_common.client.submission import registry_object
from xds_common.ebrim import rim
from xds_common.ebrim.reader import ReadResult, read_object_list
from xds_common.errors import ErrorCollector
from xds_common.metadata import Code, DocumentEntry
from xds_common.validation import check_objects

PATIENT = "900012345^^^&2.16.840.1.113883.2.4.6.3&ISO"
PDF = b"%PDF-1.4\r\n%\xe2\xe3\xcf\xd3\r\n1 0 obj <<>> endobj\r\n--boundary?\r\n%%EOF\r\n"
OK = Answer(body=envelope(tx.ITI_41.response_action, registry_response(ResponseStatus.SUCCESS)))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run(*argv: str) -> int:
    return xds_cli.main([*argv, "--quiet"])


def sent_package(recorded: Recorded) -> tuple[etree._Element, dict[str, bytes]]:
    """The envelope of an MTOM request and its attachments by Content-ID."""
    head = f"Content-Type: {recorded.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + (recorded.body or b"")
    )
    assert isinstance(message, EmailMessage)
    root, *parts = message.iter_parts()
    payload = root.get_payload(decode=True)
    assert isinstance(payload, bytes)
    attachments = {}
    for part in parts:
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        attachments[f"cid:{part['Content-ID'].strip('<>')}"] = data
    return etree.fromstring(payload), attachments


def submitted(server: FakeServer) -> tuple[ReadResult, etree._Element, dict[str, bytes]]:
    (recorded,) = server.requests
    env, attachments = sent_package(recorded)
    body = env.find(f"{{{ns.SOAP12}}}Body/{{{ns.XDSB}}}ProvideAndRegisterDocumentSetRequest")
    assert body is not None
    objects = read_object_list(body.find(f"{{{ns.LCM}}}SubmitObjectsRequest/{rim.T_OBJECT_LIST}"))
    problems = ErrorCollector()
    check_objects(objects, "ITI-41", problems, ErrorCode.REPOSITORY_METADATA_ERROR)
    assert problems.items == []
    return objects, body, attachments


def test_submit_with_the_radiology_defaults(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "verslag.pdf"
    report.write_bytes(PDF)
    server.queue(OK)

    assert run("submit", str(report), "--repository", server.url, "--patient", PATIENT) == 0

    objects, body, attachments = submitted(server)
    (entry,) = objects.submission.documents
    (ss,) = objects.submission.submission_sets
    assert entry.object_type == DocumentEntryType.STABLE
    assert entry.mime_type == "application/pdf"
    assert entry.title == "verslag.pdf"
    assert entry.patient_id == entry.source_patient_id == ss.patient_id == PATIENT
    loinc = "2.16.840.1.113883.6.1"
    assert entry.class_code == Code("18748-4", loinc, "Diagnostic imaging study")
    assert entry.type_code == Code("18748-4", loinc, "Diagnostic imaging study")
    assert entry.format_code is not None and entry.format_code.code == "urn:ihe:rad:PDF"
    assert [c.code for c in entry.confidentiality_codes] == ["N"]
    assert entry.healthcare_facility_type_code is not None
    assert entry.healthcare_facility_type_code.scheme == "2.16.840.1.113883.6.96"
    assert entry.practice_setting_code is not None
    assert entry.practice_setting_code.code == "394914008"
    assert entry.language_code == "nl-NL"
    assert len(entry.creation_time) == 14
    assert entry.hash == "" and entry.size == "", "left to the repository"
    assert ss.source_id.startswith("2.25.") and ss.unique_id.startswith("2.25.")
    assert entry.unique_id.startswith("2.25.") and entry.unique_id != ss.unique_id
    (document,) = body.iterchildren(f"{{{ns.XDSB}}}Document")
    assert document.get("id") == entry.entry_uuid
    include_node = document[0]
    assert attachments[include_node.get("href", "")] == PDF
    out = capsys.readouterr().out
    assert f"verslag.pdf: uniqueId {entry.unique_id}" in out
    assert f"submission set {ss.unique_id}" in out


def test_metadata_file_and_flags(server: FakeServer, tmp_path: Path) -> None:
    """Defaults < documentEntry < documents.<file> < flags; JSON works as well as YAML."""
    first, second = tmp_path / "a.pdf", tmp_path / "b.dat"
    first.write_bytes(PDF)
    second.write_bytes(b"\x00\x01 not a pdf")
    meta = tmp_path / "meta.yaml"
    meta.write_text(
        "submissionSet:\n"
        "  title: Verwijzing\n"
        "  author: {person: '^Jansen^Piet', institution: ['Huisarts^^^^^^^^^1.2.3.9']}\n"
        "documentEntry:\n"
        "  classCode: {code: REPORTS, scheme: 1.3.6.1.4.1.19376.1.2.6.1, display: Reports}\n"
        "  confidentialityCode: [R^restricted^2.16.840.1.113883.5.25]\n"
        "  serviceStartTime: '20240102083000'\n"
        "  author: {person: '^de Vries^Anna', role: [Radioloog]}\n"
        "documents:\n"
        "  b.dat: {title: Ruwe data, eventCodeList: [CT^^1.2.840.10008.2.16.4]}\n"
    )
    server.queue(OK)

    code = run(
        "submit",
        str(first),
        str(second),
        "--repository",
        server.url,
        "--patient",
        PATIENT,
        "--metadata",
        str(meta),
        "--type-code",
        "11528-7^Radiology study^2.16.840.1.113883.6.1",
        "--language",
        "en-US",
        "--source-id",
        "1.2.3.4.5",
    )

    assert code == 0
    objects, _, attachments = submitted(server)
    a, b = objects.submission.documents
    (ss,) = objects.submission.submission_sets
    assert ss.title == "Verwijzing" and ss.source_id == "1.2.3.4.5"
    assert [au.person for au in ss.authors] == ["^Jansen^Piet"]
    assert a.class_code == Code("REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports")
    assert [c.code for c in b.confidentiality_codes] == ["R"]
    assert a.type_code is not None and a.type_code.code == "11528-7"
    assert a.language_code == b.language_code == "en-US"
    assert a.service_start_time == "20240102083000"
    assert a.authors[0].roles == ("Radioloog",)
    assert (a.title, b.title) == ("a.pdf", "Ruwe data")
    assert [c.code for c in b.event_codes] == ["CT"]
    assert b.mime_type == "application/octet-stream"
    assert b.format_code is not None
    assert b.format_code.code == "urn:ihe:iti:xds:2017:mimeTypeSufficient"
    assert sorted(attachments.values()) == sorted([PDF, second.read_bytes()])

    meta_json = tmp_path / "meta.json"
    meta_json.write_text(json.dumps({"documentEntry": {"title": "Uit JSON"}}))
    server.queue(OK)
    assert (
        run(
            "submit",
            str(first),
            "--repository",
            server.url,
            "--patient",
            PATIENT,
            "--metadata",
            str(meta_json),
        )
        == 0
    )
    env, _ = sent_package(server.requests[-1])
    from_json = read_object_list(env.find(f".//{rim.T_OBJECT_LIST}"))
    assert from_json.submission.documents[0].title == "Uit JSON"


@pytest.mark.parametrize(
    ("meta", "flag", "message"),
    [
        ("documentEntry: {clasCode: x}\n", [], "unknown attributes ['clasCode']"),
        ("documentEntry: {classCode: 'no-scheme'}\n", [], "is not code^display^scheme"),
        ("documents: {other.pdf: {}}\n", [], "['other.pdf'] are not among the files"),
        ("- a list\n", [], "expected a mapping"),
        ("a: [unclosed\n", [], "is not valid YAML or JSON"),
        ("", ["--class-code", "x^y"], "is not code^display^scheme"),
        ("", ["--source-id", "not-an-oid"], "--source-id"),
        ("documentEntry: {creationTime: 'yesterday'}\n", [], "creationTime"),
    ],
)
def test_bad_metadata_is_refused_before_sending(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    meta: str,
    flag: list[str],
    message: str,
) -> None:
    report = tmp_path / "r.pdf"
    report.write_bytes(PDF)
    path = tmp_path / "m.yaml"
    path.write_text(meta)

    code = run(
        "submit",
        str(report),
        "--repository",
        server.url,
        "--patient",
        PATIENT,
        "--metadata",
        str(path),
        *flag,
    )

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert server.requests == []


def test_bad_patient_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "r.pdf"
    report.write_bytes(PDF)
    assert run("submit", str(report), "--repository", "http://x", "--patient", "123") == 2
    assert "--patient '123'" in capsys.readouterr().err
    assert run("submit", str(tmp_path / "no.pdf"), "--repository", "x", "--patient", PATIENT) == 2
    assert "no.pdf is not a file" in capsys.readouterr().err


def test_dry_run_prints_metadata_and_sends_nothing(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.pdf"
    report.write_bytes(PDF)
    code = run("submit", str(report), "--repository", server.url, "--patient", PATIENT, "--dry-run")
    assert code == 0
    printed = etree.fromstring(capsys.readouterr().out.encode())
    assert printed.tag == ns.qn(ns.LCM, "SubmitObjectsRequest")
    assert server.requests == []


def test_submit_failure_and_unreachable(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.pdf"
    report.write_bytes(PDF)
    server.queue(
        Answer(
            body=envelope(
                tx.ITI_41.response_action,
                registry_response(
                    ResponseStatus.FAILURE,
                    [(ErrorCode.UNKNOWN_PATIENT_ID, "unknown", Severity.ERROR, "")],
                ),
            )
        )
    )

    assert run("submit", str(report), "--repository", server.url, "--patient", PATIENT) == 1
    err = capsys.readouterr().err
    assert "Failure" in err and f"error {ErrorCode.UNKNOWN_PATIENT_ID}: unknown" in err

    url = "http://127.0.0.1:9/xds/repository"
    assert run("submit", str(report), "--repository", url, "--patient", PATIENT) == 2
    err = capsys.readouterr().err
    assert err == f"error: cannot reach {url}: connection refused\n"


# ----------------------------------------------------------------------------- fetch


def stored_entry(number: int, repository: str, content: bytes, title: str) -> DocumentEntry:
    """A DocumentEntry as a registry returns it (UUID ids, hash, size, repository)."""
    return DocumentEntry(
        entry_uuid=f"urn:uuid:00000000-0000-4000-8000-00000000000{number}",
        availability_status=Status.APPROVED,
        title=title,
        object_type=DocumentEntryType.STABLE,
        mime_type="application/pdf",
        patient_id=PATIENT,
        unique_id=f"1.2.3.{number}",
        hash=hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        size=str(len(content)),
        repository_unique_id=repository,
        class_code=Code("18748-4", "2.16.840.1.113883.6.1", "Imaging"),
    )


def leaf_class(entries: list[DocumentEntry]) -> bytes:
    objects = "".join(
        etree.tostring(registry_object(rim.T_EXTRINSIC, ObjectKind.DOCUMENT_ENTRY, e)).decode()
        for e in entries
    )
    return envelope(
        tx.ITI_18.response_action,
        f'<q:AdhocQueryResponse xmlns:q="{ns.QUERY}" xmlns:rim="{ns.RIM}" '
        f'status="{ResponseStatus.SUCCESS}"><rim:RegistryObjectList>{objects}'
        "</rim:RegistryObjectList></q:AdhocQueryResponse>",
    )


def repository(
    documents: dict[str, tuple[str, bytes]], status: str = ResponseStatus.SUCCESS
) -> Callable[[Recorded], Answer]:
    """Answers ITI-43 with the requested documents it has ({uniqueId: (repo, bytes)})."""

    def answer(recorded: Recorded) -> Answer:
        env, _ = sent_package(recorded)
        asked = [n.text or "" for n in env.iter(f"{{{ns.XDSB}}}DocumentUniqueId")]
        found = [(uid, *documents[uid]) for uid in asked if uid in documents]
        root = retrieve_response(
            status, [(repo, uid, "application/pdf", include(f"{uid}@x")) for uid, repo, _ in found]
        )
        parts = [MimePart(f"{uid}@x", partial(list, [data]), len(data)) for uid, _, data in found]
        return mtom_answer(root, parts)

    return answer


def test_fetch_from_two_repositories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = b"%PDF first", b"%PDF second document"
    entries = [stored_entry(1, "1.9.1", one, "CT thorax.pdf"), stored_entry(2, "1.9.2", two, "MRI")]
    out = tmp_path / "out"
    with FakeServer() as registry, FakeServer() as first, FakeServer() as second:
        registry.queue(Answer(body=leaf_class(entries)))
        first.queue(repository({"1.2.3.1": ("1.9.1", one)}))
        second.queue(repository({"1.2.3.2": ("1.9.2", two)}))

        code = run(
            "fetch",
            "--registry",
            registry.url,
            "--repository",
            first.url,
            "--repository",
            f"1.9.2={second.url}",
            "--patient",
            PATIENT,
            "--out",
            str(out),
        )

    assert code == 0, capsys.readouterr().err
    assert len(first.requests) == len(second.requests) == 1
    first_file = out / "1.2.3.1" / "CT_thorax.pdf"
    second_file = out / "1.2.3.2" / "MRI.pdf"
    assert first_file.read_bytes() == one and second_file.read_bytes() == two
    record = json.loads((out / "1.2.3.1" / "metadata.json").read_text())
    assert record["file"] == "CT_thorax.pdf"
    assert record["matchesRegistry"] == {"hash": True, "size": True}
    assert record["documentEntry"]["unique_id"] == "1.2.3.1"
    assert record["documentEntry"]["class_code"]["code"] == "18748-4"
    assert record["retrieved"]["repository_unique_id"] == "1.9.1"
    assert sorted(p.name for p in out.iterdir()) == ["1.2.3.1", "1.2.3.2"]
    assert str(first_file) in capsys.readouterr().out


def test_fetch_reports_partial_and_corrupt_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, corrupt = b"%PDF good", b"%PDF changed"
    entries = [
        stored_entry(1, "1.9.1", good, "a"),
        stored_entry(2, "1.9.1", b"%PDF original", "b"),
        stored_entry(3, "1.9.1", b"%PDF gone", "c"),
    ]
    out = tmp_path / "out"
    with FakeServer() as registry, FakeServer() as repo:
        registry.queue(Answer(body=leaf_class(entries)))
        repo.queue(
            repository(
                {"1.2.3.1": ("1.9.1", good), "1.2.3.2": ("1.9.1", corrupt)},
                ResponseStatus.PARTIAL_SUCCESS,
            )
        )

        code = run(
            "fetch",
            "--registry",
            registry.url,
            "--repository",
            repo.url,
            "--patient",
            PATIENT,
            "--out",
            str(out),
        )

    assert code == 1
    err = capsys.readouterr().err
    assert "PartialSuccess" in err
    assert "hash and size differ from the registry's" in err
    record = json.loads((out / "1.2.3.2" / "metadata.json").read_text())
    assert record["matchesRegistry"] == {"hash": False, "size": False}


def test_fetch_unreachable_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:9/xds/registry"
    code = run(
        "fetch",
        "--registry",
        url,
        "--repository",
        "http://127.0.0.1:9/r",
        "--patient",
        PATIENT,
        "--out",
        str(tmp_path),
    )
    assert code == 2
    assert capsys.readouterr().err == f"error: cannot reach {url}: connection refused\n"


def test_repository_option_parsing() -> None:
    assert xds_cli.parse_repositories(["http://a/x?b=c", "1.2.3=http://r"]) == (
        "http://a/x?b=c",
        {"1.2.3": "http://r"},
    )
    with pytest.raises(submission_metadata.UsageError):
        xds_cli.parse_repositories(["http://a", "http://b"])


def test_register_commands_marks_client_commands() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    xds_cli.register_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["fetch", "--registry", "r", "--repository", "p", "--patient", "x", "--out", "o"]
    )
    assert args.func is xds_cli.cmd_fetch and args.needs_settings is False
    assert args.status == "approved" and args.timeout == 60.0
