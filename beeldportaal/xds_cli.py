"""``beeldportaal submit`` and ``beeldportaal fetch``: Document Source and Consumer for users.

``submit`` sends files with their metadata to any ITI-41 Provide and Register Document Set-b
endpoint (ITI TF-2b 3.41); ``fetch`` finds a patient's documents with ITI-18 FindDocuments
(ITI TF-2a 3.18.4.1.2.3.7.1) and retrieves them with ITI-43 (ITI TF-2b 3.43), one request per
repositoryUniqueId. Both use :mod:`xds_common.client` and work against any vendor's
endpoints. Documents are streamed from and to disk, with progress bars (tqdm, on terminals).

Metadata for ``submit`` comes, weakest first, from
:data:`~beeldportaal.submission_metadata.DEFAULTS` (radiology defaults for
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
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beeldportaal.submission_metadata import (
    STATUSES,
    UsageError,
    build_submission,
    flag_values,
    load_metadata,
    validate,
)
from xds_common.datatypes import check_cx, check_oid
from xds_common.metadata import DocumentEntry

if TYPE_CHECKING:
    from xds_common.client import Progress, ResponseError, RetrievedDocument

# zeep, requests, tqdm and PyYAML are imported by the commands that use them, so that
# registering these commands costs the other ``beeldportaal`` commands nothing.

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
    flags = flag_values(args)
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
