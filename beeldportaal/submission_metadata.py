"""Metadata of ``beeldportaal submit``: radiology defaults, the ``--metadata`` file and flags.

Builds the ITI-41 DocumentEntries and SubmissionSet (ITI TF-3 4.2.3.2, 4.2.3.3) from, weakest
first, :data:`DEFAULTS` (every attribute a Document Source must send, ITI TF-3 Table
4.3.1-3), a YAML or JSON file and the command's flags; see :mod:`beeldportaal.xds_cli` for
the file's shape.
"""

from __future__ import annotations

import argparse
import mimetypes
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from profiles.errors import ErrorCode
from profiles.vocabulary import DocumentEntryType, Status
from xds_common.metadata import Author, Code, DocumentEntry, SubmissionSet

if TYPE_CHECKING:
    from lxml import etree


# PyYAML is imported only when a metadata file is read.

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


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
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
