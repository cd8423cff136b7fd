"""``beeldportaal validate FILE...``: check messages offline with the servers' own rule tables.

The kind of each file is detected (or given with ``--kind``): a SOAP envelope or bare
``SubmitObjectsRequest`` is an ITI-42 submission (ITI-57 when it carries Metadata Update
operations or the ITI-57 action), ``ProvideAndRegisterDocumentSetRequest`` ITI-41,
``AdhocQueryRequest`` an ITI-18 stored query, a DICOM file a KOS manifest, FHIR JSON an MHD
ITI-65 Bundle, ``AuditMessage`` a DICOM audit record. Each finding is printed with its
severity, location (XPath, FHIRPath or DICOM path), rule and the error code a server would
answer with. Exit status: 0 no errors, 1 errors found, 2 a file could not be validated.

The XDS and audit validators live in :mod:`conformance.validators`; the KOS
(``imaging_source.kos_rules``) and MHD (``fhir_facade.validate``) validators belong to
their components and are wired here, in the composition root.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from conformance.validators import Kind, NotValidatable, Validator, validate_xml
from xds_common.findings import Finding, Severity

#: 128-byte preamble then ``DICM`` (DICOM PS3.10 7.1).
_DICOM_MAGIC_AT = 128
_MAX_BYTES = 64 * 1024 * 1024


def _kos_validator() -> Validator:
    """``imaging_source.kos_rules.check_kos`` on the dataset read with pydicom (PS3.10)."""
    from io import BytesIO

    import pydicom
    from pydicom.errors import InvalidDicomError

    check: Callable[[Any], list[Finding]] = _component("imaging_source.kos_rules", "check_kos")

    def run(data: bytes) -> list[Finding]:
        try:
            dataset = pydicom.dcmread(BytesIO(data))
        except (InvalidDicomError, EOFError, ValueError) as exc:
            raise NotValidatable(f"not a readable DICOM file: {exc}") from None
        return check(dataset)

    return run


def _mhd_validator() -> Validator:
    """``fhir_facade.validate.validate_bundle`` on the JSON Bundle (MHD ITI-65 3.65.4.1.2)."""
    check: Callable[[Any], list[Finding]] = _component("fhir_facade.validate", "validate_bundle")

    def run(data: bytes) -> list[Finding]:
        try:
            bundle = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NotValidatable(f"not JSON: {exc}") from None
        if not isinstance(bundle, dict):
            raise NotValidatable("a FHIR resource is a JSON object")
        return check(bundle)

    return run


def _component(module: str, name: str) -> Callable[[Any], list[Finding]]:
    """A component's validator, or NotValidatable while that component lacks it."""
    try:
        found: Callable[[Any], list[Finding]] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise NotValidatable(f"this installation has no {module}.{name}") from None
    return found


_COMPONENT_VALIDATORS: dict[Kind, Callable[[], Validator]] = {
    Kind.KOS: _kos_validator,
    Kind.MHD: _mhd_validator,
}


def detect(data: bytes) -> Kind | None:
    """DICOM or FHIR JSON by their first bytes; None means XML (detected by the parser)."""
    if data[_DICOM_MAGIC_AT : _DICOM_MAGIC_AT + 4] == b"DICM":
        return Kind.KOS
    if data.lstrip()[:1] in (b"{", b"["):
        return Kind.MHD
    return None


def validate_file(path: Path, kind: Kind | None) -> tuple[Kind, list[Finding]]:
    """Read, detect and validate one file; NotValidatable when that is impossible."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise NotValidatable(f"cannot read: {exc.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise NotValidatable(f"larger than {_MAX_BYTES} bytes")
    found = kind or detect(data)
    if found in _COMPONENT_VALIDATORS:
        return found, _COMPONENT_VALIDATORS[found]()(data)
    return validate_xml(data, found)


def _text(path: Path, kind: Kind, findings: list[Finding]) -> str:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    lines = [f"{path}: {kind}: {errors} error(s), {warnings} warning(s)"]
    for f in findings:
        parts = [f.severity.upper(), f.code or "-", f.location or "-", f.rule or "-"]
        lines.append(f"  {'  '.join(parts)}\n      {f.message}")
    return "\n".join(lines)


def _record(path: Path, kind: Kind | None, findings: list[Finding], problem: str = "") -> Any:
    return {
        "file": str(path),
        "kind": str(kind) if kind else None,
        "valid": not problem and not any(f.is_error for f in findings),
        "error": problem or None,
        "findings": [{**asdict(f), "severity": str(f.severity)} for f in findings],
    }


def cmd_validate(_settings: object, args: argparse.Namespace) -> int:
    """Validate each file, print the findings, return the exit status."""
    kind = Kind(args.kind) if args.kind else None
    status, records = 0, []
    for name in args.files:
        path = Path(name)
        try:
            found, findings = validate_file(path, kind)
        except NotValidatable as exc:
            status = 2
            records.append(_record(path, kind, [], str(exc)))
            if args.format == "text":
                print(f"{path}: cannot validate: {exc}", file=sys.stderr)
            continue
        if any(f.is_error for f in findings):
            status = max(status, 1)
        records.append(_record(path, found, findings))
        if args.format == "text":
            print(_text(path, found, findings))
    if args.format == "json":
        print(json.dumps(records if len(records) != 1 else records[0], indent=2))
    return status


def register_commands(subparsers: Any) -> None:
    """Add ``validate`` to the ``beeldportaal`` command's subparsers (no settings needed)."""
    parser = subparsers.add_parser(
        "validate",
        help="validate XDS/XDS-I/MHD messages, KOS files and audit records offline",
        description="Validate files with the servers' own rule tables. Exit status: 0 no "
        "errors, 1 errors found, 2 a file could not be validated.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--kind", choices=[k.value for k in Kind], help="skip detection")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=cmd_validate, needs_settings=False)
