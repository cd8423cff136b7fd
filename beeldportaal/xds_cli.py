"""``beeldportaal submit`` and ``beeldportaal fetch``: Document Source and Consumer for users.

``submit`` sends files with their metadata to any ITI-41 Provide and Register Document Set-b
endpoint (ITI TF-2b 3.41); ``fetch`` finds a patient's documents with ITI-18 FindDocuments
(ITI TF-2a 3.18.4.1.2.3.7.1) and retrieves them with ITI-43 (ITI TF-2b 3.43), one request per
repositoryUniqueId. Both use :mod:`xds_common.client` and work against any vendor's
endpoints. Documents are streamed from and to disk, with progress bars (tqdm, on terminals).

Metadata for ``submit`` comes, weakest first, from :data:`DEFAULTS` (radiology defaults for
every attribute a Document Source must send, ITI TF-3 Table 4.3.1-3), from a YAML or JSON
file (``--metadata``), and from flags. The file's shape::

    submissionSet:                 # SubmissionSet attributes (ITI TF-3 4.2.3.3)
      title: Verwijzing CT thorax
      contentTypeCode: 18748-4^Diagnostic imaging study^2.16.840.1.113883.6.1
      author: {person: "^de Vries^Anna^^^Dr.", institution: ["Radiologie Noord^^^^^^^^^1.2.3"]}
    documentEntry:                 # every DocumentEntry (ITI TF-3 4.2.3.2)
      classCode: {code: "18748-4", scheme: "2.16.840.1.113883.6.1", display: "Imaging"}
      confidentialityCode: [N^normal^2.16.840.1.113883.5.25]
      serviceStartTime: "20240102083000"
    documents:                     # per file name
      verslag.pdf: {title: CT thorax verslag}

Coded values are ``code^display^scheme`` (display may be empty: ``code^^scheme``, the ITI-18
form) or a mapping. Exit status: 0 success, 1 the transaction failed or was incomplete,
2 the command could not run (bad input, endpoint unreachable, invalid answer).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import mimetypes
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from profiles.errors import ErrorCode
from profiles.vocabulary import DocumentEntryType, Status
from xds_common.datatypes import check_cx, check_oid
from xds_common.metadata import Author, Code, DocumentEntry, SubmissionSet

if TYPE_CHECKING:
    from lxml import etree

    from xds_common.client import Progress, ResponseError, RetrievedDocument

# zeep, requests, tqdm and PyYAML are imported by the commands that use them, so that
# registering these commands costs the other ``beeldportaal`` commands nothing.

LOINC: Final = "2.16.840.1.113883.6.1"
SNOMED: Final = "2.16.840.1.113883.6.96"
CONFIDENTIALITY: Final = "2.16.840.1.113883.5.25"
#: IHE format codes (ITI TF-3 4.2.3.2.9; the IHE FormatCode value set's code system).
IHE_FORMAT: Final = "1.3.6.1.4.1.19376.1.2.3"

#: Radiology defaults, the one table of them. Keys are XDS attribute names; ``formatCode`` is
#: chosen by mimeType (``*`` for any other type).
DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "classCode": f"18748-4^Diagnostic imaging study^{LOINC}",
        "typeCode": f"18748-4^Diagnostic imaging study^{LOINC}",
        "formatCode": {
            "application/pdf": f"urn:ihe:rad:PDF^PDF radiology report^{IHE_FORMAT}",
            "*": f"urn:ihe:iti:xds:2017:mimeTypeSufficient^Mime type sufficient^{IHE_FORMAT}",
        },
        "confidentialityCode": [f"N^normal^{CONFIDENTIALITY}"],
        "healthcareFacilityTypeCode": f"22232009^Hospital^{SNOMED}",
        "practiceSettingCode": f"394914008^Radiology^{SNOMED}",
        "languageCode": "nl-NL",
        "contentTypeCode": f"18748-4^Diagnostic imaging study^{LOINC}",
    }
)

STATUSES: Final = {
    "approved": (Status.APPROVED,),
    "deprecated": (Status.DEPRECATED,),
    "all": (Status.APPROVED, Status.DEPRECATED),
}
#: DocumentEntry attributes a metadata file may set, and how each is read.
_CODE_KEYS: Final = (
    "classCode",
    "typeCode",
    "formatCode",
    "healthcareFacilityTypeCode",
    "practiceSettingCode",
)
_CODE_LIST_KEYS: Final = ("confidentialityCode", "eventCodeList")
_TEXT_KEYS: Final = (
    "title",
    "comments",
    "languageCode",
    "creationTime",
    "serviceStartTime",
    "serviceStopTime",
    "legalAuthenticator",
    "sourcePatientId",
    "mimeType",
    "URI",
)
_LIST_KEYS: Final = ("sourcePatientInfo", "referenceIdList")
_DE_KEYS: Final = frozenset({*_CODE_KEYS, *_CODE_LIST_KEYS, *_TEXT_KEYS, *_LIST_KEYS, "author"})
_SS_KEYS: Final = frozenset(
    {"title", "comments", "contentTypeCode", "sourceId", "author", "intendedRecipient"}
)


class UsageError(Exception):
    """Input the command cannot use; the message says what and where."""


# ----------------------------------------------------------------------------- metadata


def parse_code(value: object, where: str) -> Code:
    """A coded value from ``code^display^scheme`` or ``{code, scheme, display}``."""
    if isinstance(value, Mapping):
        code, scheme = str(value.get("code", "")), str(value.get("scheme", ""))
        display = str(value.get("display", "") or "")
    elif isinstance(value, str) and value.count("^") == 2:
        code, display, scheme = value.split("^")
    else:
        raise UsageError(f"{where}: {value!r} is not code^display^scheme")
    if not code or not scheme:
        raise UsageError(f"{where}: a coded value needs a code and a scheme, got {value!r}")
    return Code(code, scheme, display)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def parse_author(value: object, where: str) -> Author:
    """An author: an XCN person string, or ``{person, institution, role, specialty, telecom}``."""
    if isinstance(value, str):
        return Author(person=value)
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: an author is a person (XCN) or a mapping")

    def many(key: str) -> tuple[str, ...]:
        found = value.get(key, [])
        return tuple(str(v) for v in _list(found) if v)

    unknown = set(value) - {"person", "institution", "role", "specialty", "telecom"}
    if unknown:
        raise UsageError(f"{where}: unknown author keys {sorted(unknown)}")
    return Author(
        str(value.get("person", "") or ""),
        many("institution"),
        many("role"),
        many("specialty"),
        many("telecom"),
    )


def load_metadata(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON metadata file (JSON is YAML too) and check its top level."""
    import yaml

    try:
        with path.open(encoding="utf-8") as file:
            data = yaml.safe_load(file)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML or JSON: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping at the top level")
    unknown = set(data) - {"submissionSet", "documentEntry", "documents"}
    if unknown:
        raise UsageError(f"{path}: unknown sections {sorted(unknown)}")
    for section in ("submissionSet", "documentEntry", "documents"):
        if not isinstance(data.get(section, {}), dict):
            raise UsageError(f"{path}: {section} must be a mapping")
    for name, values in data.get("documents", {}).items():
        if not isinstance(values, dict):
            raise UsageError(f"{path}: documents.{name} must be a mapping")
    return data


def _check_keys(values: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise UsageError(f"{where}: unknown attributes {sorted(unknown)}")


def new_oid() -> str:
    """A fresh OID under the UUID arc 2.25 (ITU-T X.667): uniqueIds need no registration."""
    return f"2.25.{uuid.uuid4().int}"


def default_source_id() -> str:
    """This machine's sourceId: a 2.25 OID derived from its host name, stable across runs."""
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_DNS, socket.getfqdn() + '.beeldportaal-cli').int}"


def dtm(moment: datetime) -> str:
    """DTM in UTC to the second (ITI TF-3 Table 4.2.3.1.7-2)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def guess_mime_type(path: Path) -> str:
    """The media type from the file name, else from the first bytes (PDF, DICOM)."""
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    if guessed:
        return guessed
    with path.open("rb") as file:
        head = file.read(132)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[128:132] == b"DICM":
        return "application/dicom"
    return "application/octet-stream"


def _format_code(mime_type: str) -> str:
    table: Mapping[str, str] = DEFAULTS["formatCode"]
    return table.get(mime_type, table["*"])


def _flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The DocumentEntry attributes given as flags (they win over the file)."""
    values: dict[str, Any] = {}
    for key, flag in (
        ("title", "title"),
        ("classCode", "class_code"),
        ("typeCode", "type_code"),
        ("formatCode", "format_code"),
        ("healthcareFacilityTypeCode", "facility_type"),
        ("practiceSettingCode", "practice_setting"),
        ("languageCode", "language"),
        ("mimeType", "mime"),
    ):
        if getattr(args, flag):
            values[key] = getattr(args, flag)
    if args.confidentiality:
        values["confidentialityCode"] = args.confidentiality
    if args.author or args.institution:
        values["author"] = {"person": args.author or "", "institution": args.institution or []}
    return values


def document_entry(
    path: Path, symbolic_id: str, patient_id: str, values: Mapping[str, Any]
) -> DocumentEntry:
    """One Stable DocumentEntry for ``path`` from merged ``values`` (ITI TF-3 4.2.3.2).

    hash and size are left to the repository (optional for ITI-41), so the file is not read.
    """
    where = f"metadata of {path.name}"
    mime_type = str(values.get("mimeType") or guess_mime_type(path))
    try:
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    codes = {key: parse_code(values[key], f"{where}: {key}") for key in _CODE_KEYS if key in values}
    if "formatCode" not in codes:
        codes["formatCode"] = parse_code(_format_code(mime_type), "defaults: formatCode")
    lists = {
        key: [parse_code(v, f"{where}: {key}") for v in _list(values.get(key, []))]
        for key in _CODE_LIST_KEYS
    }
    authors = [parse_author(a, f"{where}: author") for a in _list(values.get("author", []))]
    return DocumentEntry(
        entry_uuid=symbolic_id,
        title=str(values.get("title") or path.name),
        comments=str(values.get("comments", "") or ""),
        object_type=DocumentEntryType.STABLE,
        mime_type=mime_type,
        patient_id=patient_id,
        unique_id=str(values.get("uniqueId") or new_oid()),
        class_code=codes.get("classCode"),
        type_code=codes.get("typeCode"),
        format_code=codes["formatCode"],
        healthcare_facility_type_code=codes.get("healthcareFacilityTypeCode"),
        practice_setting_code=codes.get("practiceSettingCode"),
        confidentiality_codes=lists["confidentialityCode"],
        event_codes=lists["eventCodeList"],
        authors=authors,
        creation_time=str(values.get("creationTime") or dtm(created)),
        service_start_time=str(values.get("serviceStartTime", "") or ""),
        service_stop_time=str(values.get("serviceStopTime", "") or ""),
        language_code=str(values.get("languageCode", "")),
        legal_authenticator=str(values.get("legalAuthenticator", "") or ""),
        source_patient_id=str(values.get("sourcePatientId") or patient_id),
        source_patient_info=[str(v) for v in _list(values.get("sourcePatientInfo", [])) if v],
        reference_ids=[str(v) for v in _list(values.get("referenceIdList", [])) if v],
        uri=str(values.get("URI", "") or ""),
    )


def submission_set(
    patient_id: str, values: Mapping[str, Any], authors: Sequence[Author]
) -> SubmissionSet:
    """The SubmissionSet (ITI TF-3 4.2.3.3); its author defaults to the documents' first."""
    where = "metadata: submissionSet"
    own = [parse_author(a, f"{where}: author") for a in _list(values.get("author", []))]
    return SubmissionSet(
        entry_uuid="SubmissionSet01",
        title=str(values.get("title", "") or ""),
        comments=str(values.get("comments", "") or ""),
        patient_id=patient_id,
        unique_id=new_oid(),
        source_id=str(values.get("sourceId") or default_source_id()),
        submission_time=dtm(datetime.now(UTC)),
        content_type_code=parse_code(
            values.get("contentTypeCode", DEFAULTS["contentTypeCode"]), f"{where}: contentTypeCode"
        ),
        authors=own or list(authors[:1]),
        intended_recipients=[str(v) for v in _list(values.get("intendedRecipient", [])) if v],
    )


def build_submission(
    files: Sequence[Path], patient_id: str, metadata: Mapping[str, Any], flags: Mapping[str, Any]
) -> tuple[SubmissionSet, list[DocumentEntry]]:
    """SubmissionSet and one DocumentEntry per file: defaults < file < per-file < flags."""
    common = dict(metadata.get("documentEntry", {}))
    _check_keys(common, _DE_KEYS, "metadata: documentEntry")
    per_file: Mapping[str, Any] = metadata.get("documents", {})
    unknown = set(per_file) - {f.name for f in files}
    if unknown:
        raise UsageError(f"metadata: documents {sorted(unknown)} are not among the files")
    entries = []
    for number, path in enumerate(files, 1):
        own = dict(per_file.get(path.name, {}))
        _check_keys(own, _DE_KEYS | {"uniqueId"}, f"metadata: documents.{path.name}")
        defaults = {k: v for k, v in DEFAULTS.items() if k in _DE_KEYS and k != "formatCode"}
        values = {**defaults, **common, **own, **flags}
        entries.append(document_entry(path, f"Document{number:02d}", patient_id, values))
    ss_values: Mapping[str, Any] = metadata.get("submissionSet", {})
    _check_keys(ss_values, _SS_KEYS, "metadata: submissionSet")
    authors = [a for entry in entries for a in entry.authors]
    return submission_set(patient_id, ss_values, authors), entries


def validate(request: etree._Element) -> list[str]:
    """Problems the project's ITI-41 metadata validator finds (ITI TF-3 4.3.1, column DS)."""
    from xds_common.ebrim.reader import read_object_list
    from xds_common.errors import ErrorCollector
    from xds_common.validation import check_objects

    found = ErrorCollector()
    check_objects(
        read_object_list(request[0]), "ITI-41", found, ErrorCode.REPOSITORY_METADATA_ERROR
    )
    return [item.context for item in found.errors]


# ----------------------------------------------------------------------------- output


@contextmanager
def progress_bar(description: str, quiet: bool) -> Iterator[Progress]:
    """A tqdm byte counter on stderr (only on a terminal) as a client progress callback."""
    from tqdm import tqdm

    bar = tqdm(
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=True if quiet else None,
        leave=False,
        file=sys.stderr,
    )

    def update(done: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def _report(errors: Sequence[ResponseError]) -> None:
    for error in errors:
        print(f"  {error}", file=sys.stderr)


# ----------------------------------------------------------------------------- submit


def cmd_submit(_settings: object, args: argparse.Namespace) -> int:
    """ITI-41: send the files and their metadata; 0 on Success."""
    from xds_common.client import ClientError

    try:
        return _submit(args)
    except (UsageError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _submit(args: argparse.Namespace) -> int:
    from xds_common.client import DocumentPart, RepositoryClient, submit_objects_request

    files: list[Path] = args.files
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path} is not a file")
    if len({p.name for p in files}) != len(files):
        raise UsageError("two files have the same name")
    if reason := check_cx(args.patient):
        raise UsageError(f"--patient {args.patient!r}: {reason}")
    metadata = load_metadata(args.metadata) if args.metadata else {}
    flags = _flag_values(args)
    if args.source_id:
        if reason := check_oid(args.source_id):
            raise UsageError(f"--source-id: {reason}")
        metadata = {
            **metadata,
            "submissionSet": {**metadata.get("submissionSet", {}), "sourceId": args.source_id},
        }
    ss, entries = build_submission(files, args.patient, metadata, flags)
    request = submit_objects_request(ss, entries)
    if problems := validate(request):
        raise UsageError("the metadata is incomplete or invalid:\n  " + "\n  ".join(problems))
    if args.dry_run:
        from lxml import etree

        print(etree.tostring(request, pretty_print=True, encoding="unicode"), end="")
        return 0
    parts = [
        DocumentPart(e.entry_uuid, p, e.mime_type) for p, e in zip(files, entries, strict=True)
    ]
    client = RepositoryClient(args.repository, timeout=args.timeout)
    with progress_bar("ITI-41 upload", args.quiet) as progress:
        result = client.provide_and_register(request, parts, progress)
    short = result.status.rsplit(":", 1)[-1]
    stream = sys.stdout if result.success else sys.stderr
    print(f"{args.repository}: {short}", file=stream)
    _report(result.errors)
    if not result.success:
        return 1
    print(f"submission set {ss.unique_id}")
    for path, entry in zip(files, entries, strict=True):
        print(f"{path.name}: uniqueId {entry.unique_id} ({entry.mime_type})")
    return 0


# ----------------------------------------------------------------------------- fetch


def parse_repositories(values: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """``--repository URL`` (any repositoryUniqueId) and ``--repository OID=URL``."""
    default: str | None = None
    by_id: dict[str, str] = {}
    for value in values:
        head, sep, tail = value.partition("=")
        if sep and head and not check_oid(head):
            by_id[head] = tail
        elif default is None:
            default = value
        else:
            raise UsageError("give one --repository URL; others as repositoryUniqueId=URL")
    return default, by_id


def cmd_fetch(_settings: object, args: argparse.Namespace) -> int:
    """ITI-18 FindDocuments, then ITI-43 per repository; 0 when every document arrived intact."""
    from xds_common.client import ClientError

    try:
        return _fetch(args)
    except (UsageError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _fetch(args: argparse.Namespace) -> int:
    from xds_common.client import RegistryClient

    if reason := check_cx(args.patient):
        raise UsageError(f"--patient {args.patient!r}: {reason}")
    default, by_id = parse_repositories(args.repository)
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out}: {exc.strerror}") from None
    registry = RegistryClient(args.registry, timeout=args.timeout)
    found = registry.find_documents(args.patient, status=STATUSES[args.status])
    complete = True
    if not found.success:
        print(f"{args.registry}: {found.status.rsplit(':', 1)[-1]}", file=sys.stderr)
        _report(found.errors)
        complete = False
    groups: dict[tuple[str, str], list[DocumentEntry]] = {}
    for entry in found.documents:
        groups.setdefault((entry.repository_unique_id, entry.home_community_id), []).append(entry)
    print(f"{len(found.documents)} document(s) for {args.patient}")
    for (repository_id, home), entries in groups.items():
        url = by_id.get(repository_id, default)
        if url is None:
            print(f"no --repository for repositoryUniqueId {repository_id}", file=sys.stderr)
            complete = False
            continue
        complete &= _fetch_group(args, url, repository_id, home, entries)
    return 0 if complete else 1


def _fetch_group(
    args: argparse.Namespace, url: str, repository_id: str, home: str, entries: list[DocumentEntry]
) -> bool:
    """One ITI-43 request for the entries of one repository; True when all arrived intact."""
    from xds_common.client import ClientError, DocumentRequest, RepositoryClient

    wanted = [DocumentRequest(repository_id, e.unique_id, home or None) for e in entries]
    client = RepositoryClient(url, timeout=args.timeout)
    try:
        with progress_bar(f"ITI-43 {repository_id}", args.quiet) as progress:
            result = client.retrieve(wanted, args.out, progress)
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    if not result.success:
        print(f"{url}: {result.status.rsplit(':', 1)[-1]}", file=sys.stderr)
    _report(result.errors)
    by_unique_id = {e.unique_id: e for e in entries}
    intact = result.success
    for document in result.documents:
        entry = by_unique_id.get(document.document_unique_id)
        intact &= _store(args.out, document, entry)
    return intact and len(result.documents) == len(entries)


def _store(out: Path, document: RetrievedDocument, entry: DocumentEntry | None) -> bool:
    """Move a document into ``OUT/<uniqueId>/`` beside its ``metadata.json``; check it."""
    from xds_common.client import extension_for, safe_name

    folder = out / safe_name(document.document_unique_id)
    folder.mkdir(exist_ok=True)
    title = entry.title if entry and entry.title else document.document_unique_id
    stem = safe_name(
        Path(title).stem if title.lower().endswith(extension_for(document.mime_type)) else title
    )
    path = folder / f"{stem}{extension_for(document.mime_type)}"
    os.replace(document.path, path)
    checks = {
        "hash": entry.hash == document.sha1 if entry and entry.hash else None,
        "size": entry.size == str(document.size) if entry and entry.size else None,
    }
    record = {
        "file": path.name,
        "retrieved": {**dataclasses.asdict(document), "path": str(path)},
        "matchesRegistry": checks,
        "documentEntry": dataclasses.asdict(entry) if entry else None,
    }
    (folder / "metadata.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    bad = [name for name, ok in checks.items() if ok is False]
    if bad:
        print(f"{path}: {' and '.join(bad)} differ from the registry's", file=sys.stderr)
        return False
    print(f"{path} ({document.size} bytes)")
    return True


# ----------------------------------------------------------------------------- wiring


def _add_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the network (60)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register_commands(subparsers: Any) -> None:
    """Add ``submit`` and ``fetch`` to the ``beeldportaal`` command's subparsers.

    Their ``func(settings, args)`` ignores the settings: they talk to endpoints by URL.
    ``needs_settings=False`` tells the caller that loading server settings can be skipped.
    """
    submit = subparsers.add_parser(
        "submit",
        help="send files with metadata to an ITI-41 endpoint (Provide and Register)",
        description="ITI-41 Provide and Register Document Set-b: one DocumentEntry per FILE "
        "in one SubmissionSet. Metadata: radiology defaults < --metadata file < flags. "
        "Coded values are code^display^scheme.",
    )
    submit.add_argument("files", nargs="+", type=Path, metavar="FILE")
    submit.add_argument("--repository", required=True, metavar="URL", help="ITI-41 endpoint")
    submit.add_argument("--patient", required=True, metavar="CX", help="ID^^^&OID&ISO")
    submit.add_argument("--metadata", type=Path, metavar="FILE", help="YAML or JSON metadata")
    submit.add_argument("--title", help="DocumentEntry title (default: the file name)")
    submit.add_argument("--class-code", metavar="CODE^DISPLAY^SCHEME")
    submit.add_argument("--type-code", metavar="CODE^DISPLAY^SCHEME")
    submit.add_argument("--format-code", metavar="CODE^DISPLAY^SCHEME")
    submit.add_argument(
        "--facility-type", metavar="CODE^DISPLAY^SCHEME", help="healthcareFacilityTypeCode"
    )
    submit.add_argument(
        "--practice-setting", metavar="CODE^DISPLAY^SCHEME", help="practiceSettingCode"
    )
    submit.add_argument(
        "--confidentiality",
        action="append",
        metavar="CODE^DISPLAY^SCHEME",
        help="confidentialityCode (repeatable)",
    )
    submit.add_argument("--language", help="languageCode (default nl-NL)")
    submit.add_argument("--author", metavar="XCN", help="authorPerson, e.g. '^de Vries^Anna'")
    submit.add_argument(
        "--institution", action="append", metavar="XON", help="authorInstitution (repeatable)"
    )
    submit.add_argument("--mime", help="mimeType (default: from the file name or content)")
    submit.add_argument("--source-id", metavar="OID", help="SubmissionSet sourceId")
    submit.add_argument("--dry-run", action="store_true", help="print the metadata, send nothing")
    _add_client_options(submit)
    submit.set_defaults(func=cmd_submit, needs_settings=False)

    fetch = subparsers.add_parser(
        "fetch",
        help="find a patient's documents (ITI-18) and retrieve them (ITI-43) into a folder",
        description="ITI-18 FindDocuments, then ITI-43 per repositoryUniqueId. Each document "
        "goes to OUT/<uniqueId>/ with a metadata.json.",
    )
    fetch.add_argument("--registry", required=True, metavar="URL", help="ITI-18 endpoint")
    fetch.add_argument(
        "--repository",
        required=True,
        action="append",
        metavar="[OID=]URL",
        help="ITI-43 endpoint; repeat as repositoryUniqueId=URL for several",
    )
    fetch.add_argument("--patient", required=True, metavar="CX", help="ID^^^&OID&ISO")
    fetch.add_argument("--out", required=True, type=Path, metavar="DIR")
    fetch.add_argument("--status", choices=sorted(STATUSES), default="approved")
    _add_client_options(fetch)
    fetch.set_defaults(func=cmd_fetch, needs_settings=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m beeldportaal.xds_cli submit|fetch ...`` without server settings."""
    parser = argparse.ArgumentParser(prog="beeldportaal")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    func: Callable[[object, argparse.Namespace], int] = args.func
    return func(None, args)


if __name__ == "__main__":
    sys.exit(main())
