"""ITI-65 Provide Document Bundle validator: FHIR R4 structure, then the MHD 4.2.3 rules.

Pure: ``validate_bundle(data)`` takes the Bundle as a JSON dict and returns findings whose
``location`` is the FHIRPath of the element at fault (``Bundle.entry[2].resource.subject``).
Used by the ITI-65 endpoint (errors -> HTTP 400 OperationOutcome) and by ``beeldportaal
validate``.

Rules: FHIR R4 (fhir.resources R4B model), MHD 4.2.3 ITI-65 3.65.4.1.2 (Bundle content and
option profiles), the MHD StructureDefinitions for Minimal and Comprehensive
DocumentReference / SubmissionSet List (32_fhir_maps; the Comprehensive column is what an XDS
Document Source needs), 3.65.4.1.3 (same patient everywhere, contained sourcePatientInfo,
hash/size of the decoded Binary).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from fhir_facade.translate import canon
from fhir_facade.translate.canon import Option
from fhir_facade.translate.values import OID_PREFIX, JsonDict, hex_hash
from xds_common.findings import Finding, Severity

ITI65 = "ITI TF-2 3.65.4.1.2"
MAPS = "MHD 4.2.3 32_fhir_maps"
FHIR = "FHIR R4 bundle.html"


@dataclass
class _Context:
    """What the rules need while walking one Bundle."""

    data: JsonDict
    option: Option = Option.MINIMAL
    findings: list[Finding] = field(default_factory=list)
    #: fullUrl -> (entry index, resource)
    by_url: dict[str, tuple[int, JsonDict]] = field(default_factory=dict)

    def error(self, where: str, message: str, rule: str = ITI65, code: str = "invalid") -> None:
        self.findings.append(Finding(Severity.ERROR, message, where, rule, code))

    def require(self, value: object, where: str, what: str, rule: str = MAPS) -> bool:
        if value in (None, "", [], {}):
            self.error(where, f"{what} is required", rule, "required")
            return False
        return True

    @property
    def comprehensive(self) -> bool:
        return self.option is not Option.MINIMAL


@dataclass(frozen=True)
class _Entry:
    """One Bundle entry with a resource, and its FHIRPath."""

    where: str
    resource: JsonDict
    method: str
    full_url: str

    @property
    def kind(self) -> str:
        return str(self.resource.get("resourceType", ""))


def _entries(data: JsonDict) -> Iterator[_Entry]:
    for index, entry in enumerate(data.get("entry") or []):
        resource = entry.get("resource")
        if isinstance(resource, dict):
            method = str((entry.get("request") or {}).get("method", ""))
            where = f"Bundle.entry[{index}].resource"
            yield _Entry(where, resource, method, str(entry.get("fullUrl", "")))


def _fhirpath(loc: tuple[int | str, ...]) -> str:
    path = "Bundle"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-") and part not in ("__root__",):
            path += f".{part}"
    return path


def _structure(ctx: _Context) -> bool:
    """FHIR R4 structure and datatypes (FHIR R4 validation.html), via fhir.resources R4B."""
    if ctx.data.get("resourceType") != "Bundle":
        ctx.error("Bundle", "the request body is not a Bundle", FHIR, "structure")
        return False
    try:
        Bundle.model_validate(ctx.data)
    except ValidationError as exc:
        for item in exc.errors()[:20]:
            ctx.error(_fhirpath(tuple(item["loc"])), item["msg"], FHIR, "structure")
        return False
    return True


def _bundle(ctx: _Context) -> None:
    """Bundle.type and the option profile (ITI TF-2 3.65.4.1.2, Table 3.65.4.1.2.1-1)."""
    if ctx.data.get("type") != "transaction":
        ctx.error("Bundle.type", "an ITI-65 Bundle has type 'transaction'", ITI65, "value")
    profiles = (ctx.data.get("meta") or {}).get("profile") or []
    options = [canon.BUNDLE_PROFILES[p] for p in profiles if p in canon.BUNDLE_PROFILES]
    if not options:
        ctx.error("Bundle.meta.profile", "meta.profile must name an MHD ProvideBundle profile "
                  f"({', '.join(canon.BUNDLE_PROFILES)})", ITI65, "required")  # fmt: skip
    elif Option.UNCONTAINED in options or Option.COMPREHENSIVE in options:
        ctx.option = Option.UNCONTAINED if Option.UNCONTAINED in options else Option.COMPREHENSIVE
    for index, entry in enumerate(ctx.data.get("entry") or []):
        where = f"Bundle.entry[{index}]"
        url = entry.get("fullUrl")
        if not entry.get("resource"):
            ctx.error(where + ".resource", "every entry carries a resource", FHIR, "required")
        elif url in ctx.by_url:
            ctx.error(where + ".fullUrl", f"fullUrl {url} appears twice", FHIR, "invalid")
        elif url:
            ctx.by_url[url] = (index, entry["resource"])
        request = entry.get("request") or {}
        method, url = request.get("method"), str(request.get("url", ""))
        kind = (entry.get("resource") or {}).get("resourceType")
        patch = method == "PATCH" and url.startswith("DocumentReference/")
        if method != "POST" and not (patch and kind in ("Parameters", "Binary")):
            ctx.error(where + ".request.method", f"{method} {kind} is not part of ITI-65",
                      ITI65, "not-supported")  # fmt: skip


def _code_of_list(resource: JsonDict) -> str:
    codings = (resource.get("code") or {}).get("coding") or []
    return next((str(c.get("code")) for c in codings if c.get("system") == canon.LIST_TYPES), "")


def _extension(resource: JsonDict, url: str) -> Any:
    for ext in resource.get("extension") or []:
        if ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def _submission_set(ctx: _Context, where: str, ss: JsonDict) -> None:
    """SubmissionSet List (MHD SubmissionSet profiles, 32_fhir_maps 2.3.2)."""
    ctx.require(ss.get("status") == "current" or None, where + ".status", "status 'current'")
    ctx.require(ss.get("mode") == "working" or None, where + ".mode", "mode 'working'")
    source = _extension(ss, canon.EXT_SOURCE_ID) or {}
    ctx.require(source.get("value"), where + ".extension('ihe-sourceId')", "sourceId")
    usual = [i for i in ss.get("identifier") or [] if i.get("use") == "usual"]
    uid = "an identifier with use 'usual' (uniqueId)"
    if ctx.require(usual, where + ".identifier", uid) and not str(
        usual[0].get("value", "")
    ).startswith(OID_PREFIX):
        ctx.error(where + ".identifier", "the SubmissionSet uniqueId is an urn:oid:", MAPS)
    ctx.require(ss.get("date"), where + ".date", "date (submissionTime)")
    ctx.require((ss.get("subject") or {}) or None, where + ".subject", "subject (patientId)")
    if ctx.comprehensive:
        designation = _extension(ss, canon.EXT_DESIGNATION_TYPE)
        ctx.require(designation, where + ".extension('ihe-designationType')",
                    "designationType (contentTypeCode)")  # fmt: skip
    for number, item in enumerate(ss.get("entry") or []):
        ref = ((item.get("item") or {}).get("reference")) or ""
        target = ctx.by_url.get(ref)
        if target is None:
            ctx.error(f"{where}.entry[{number}].item", f"{ref!r} is not an entry of the Bundle")
        elif target[1].get("resourceType") not in ("DocumentReference", "List"):
            ctx.error(f"{where}.entry[{number}].item", "items are DocumentReferences or Folders")


_COMPREHENSIVE_DR: tuple[tuple[str, Callable[[JsonDict], object], str], ...] = (
    (".type", lambda d: d.get("type"), "type (typeCode)"),
    (".category", lambda d: d.get("category"), "category (classCode)"),
    (".securityLabel", lambda d: d.get("securityLabel"), "securityLabel (confidentialityCode)"),
    (".content[0].attachment.language", lambda d: _attachment(d).get("language"),
     "attachment.language (languageCode)"),
    (".content[0].attachment.creation", lambda d: _attachment(d).get("creation"),
     "attachment.creation (creationTime)"),
    (".content[0].format", lambda d: (d.get("content") or [{}])[0].get("format"),
     "content.format (formatCode)"),
    (".context.facilityType", lambda d: (d.get("context") or {}).get("facilityType"),
     "context.facilityType (healthcareFacilityTypeCode)"),
    (".context.practiceSetting", lambda d: (d.get("context") or {}).get("practiceSetting"),
     "context.practiceSetting (practiceSettingCode)"),
)  # fmt: skip


def _attachment(doc: JsonDict) -> JsonDict:
    content = doc.get("content") or [{}]
    return dict(content[0].get("attachment") or {})


def _document_reference(ctx: _Context, where: str, doc: JsonDict) -> None:
    """DocumentReference (MHD Minimal/Comprehensive DocumentReference, 32_fhir_maps 2.3.1)."""
    ctx.require((doc.get("masterIdentifier") or {}).get("value"),
                where + ".masterIdentifier", "masterIdentifier (uniqueId)")  # fmt: skip
    if doc.get("status") != "current":
        ctx.error(where + ".status", "a new DocumentReference has status 'current'", MAPS, "value")
    ctx.require((doc.get("subject") or {}) or None, where + ".subject", "subject (patientId)")
    if len(doc.get("content") or []) != 1:
        ctx.error(where + ".content", "exactly one content element", MAPS, "required")
        return
    attachment = _attachment(doc)
    ctx.require(attachment.get("contentType"), where + ".content[0].attachment.contentType",
                "attachment.contentType (mimeType)")  # fmt: skip
    if ctx.comprehensive:
        for path, get, what in _COMPREHENSIVE_DR:
            ctx.require(get(doc), where + path, what)
        _source_patient(ctx, where, doc)
    for number, relation in enumerate(doc.get("relatesTo") or []):
        at = f"{where}.relatesTo[{number}]"
        if relation.get("code") not in canon.RELATES_TO:
            ctx.error(at + ".code", f"relatesTo {relation.get('code')!r} is not supported",
                      MAPS, "not-supported")  # fmt: skip
        ctx.require((relation.get("target") or {}).get("reference"), at + ".target", "target")
    _content(ctx, where, attachment)


def _source_patient(ctx: _Context, where: str, doc: JsonDict) -> None:
    """sourcePatientInfo is a contained Patient in Comprehensive (ITI TF-2 3.65.4.1.3 step 4)."""
    at = where + ".context.sourcePatientInfo"
    ref = ((doc.get("context") or {}).get("sourcePatientInfo") or {}).get("reference")
    if not ctx.require(ref, at, "context.sourcePatientInfo"):
        return
    if ctx.option is Option.COMPREHENSIVE or str(ref).startswith("#"):
        ids = {f"#{c.get('id')}" for c in doc.get("contained") or []
               if c.get("resourceType") == "Patient"}  # fmt: skip
        if ref not in ids:
            ctx.error(at, f"{ref!r} is not a contained Patient", ITI65, "invalid")


def _content(ctx: _Context, where: str, attachment: JsonDict) -> None:
    """The document bytes: a Binary of the Bundle or inline data; hash/size must match."""
    at = where + ".content[0].attachment"
    url = str(attachment.get("url") or "")
    data = attachment.get("data")
    if data is None and url in ctx.by_url:
        index, binary = ctx.by_url[url]
        if binary.get("resourceType") != "Binary":
            ctx.error(at + ".url", f"{url} is not a Binary", ITI65)
            return
        data, at_data = binary.get("data"), f"Bundle.entry[{index}].resource.data"
    elif data is None:
        ctx.error(at + ".url", f"{url!r} is not a Binary of the Bundle (documents hosted "
                  "elsewhere are not supported)", ITI65, "not-supported")  # fmt: skip
        return
    else:
        at_data = at + ".data"
    try:
        raw = base64.b64decode(str(data or ""), validate=True)
    except (binascii.Error, ValueError):
        ctx.error(at_data, "data is not base64", FHIR, "value")
        return
    if "size" in attachment and int(attachment["size"]) != len(raw):
        ctx.error(at + ".size", f"size {attachment['size']} != {len(raw)} octets", ITI65, "value")
    if (
        "hash" in attachment
        and hex_hash(str(attachment["hash"]))
        != hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    ):
        ctx.error(at + ".hash", "hash is not the base64 SHA-1 of the document", ITI65, "value")


def _subject(resource: JsonDict) -> str:
    subject = resource.get("subject") or {}
    return str(subject.get("reference") or subject.get("identifier") or "")


def _cross(ctx: _Context) -> None:
    """Cross-entry rules: one SubmissionSet, members, Binaries used, one patient."""
    entries = list(_entries(ctx.data))
    sets = [
        e for e in entries if e.kind == "List" and _code_of_list(e.resource) == canon.SUBMISSION_SET
    ]
    if len(sets) != 1:
        ctx.error("Bundle.entry", f"exactly one SubmissionSet List, not {len(sets)}", ITI65,
                  "required")  # fmt: skip
    members = {str((i.get("item") or {}).get("reference")) for s in sets
               for i in s.resource.get("entry") or []}  # fmt: skip
    docs = [e for e in entries if e.kind == "DocumentReference" and e.method == "POST"]
    used = {_attachment(d.resource).get("url") for d in docs}
    subjects = {_subject(e.resource) for e in (*sets, *docs)} - {""}
    for entry in (e for e in entries if e.method == "POST"):
        if entry.kind == "DocumentReference" and entry.full_url not in members:
            ctx.error(entry.where, "DocumentReference is not an entry.item of the SubmissionSet")
        elif entry.kind == "Binary" and entry.full_url not in used:
            ctx.error(entry.where, "Binary is not referenced by any DocumentReference", ITI65)
        elif entry.kind == "List" and _code_of_list(entry.resource) != canon.SUBMISSION_SET:
            ctx.error(entry.where + ".code", "Folders are not supported", ITI65, "not-supported")
        elif entry.kind not in ("DocumentReference", "Binary", "List"):
            ctx.error(entry.where, f"{entry.kind} is not part of an ITI-65 Bundle", ITI65,
                      "not-supported")  # fmt: skip
    if not docs:
        ctx.error("Bundle.entry", "at least one DocumentReference", ITI65, "required")
    _patches(ctx, entries, docs)
    if len(subjects) > 1:
        ctx.error("Bundle.entry", "every subject references the same Patient", ITI65, "invalid")


def _patches(ctx: _Context, entries: list[_Entry], docs: list[_Entry]) -> None:
    """A PATCH (UpdateDocumentRefs, MHD 4.2.3 Table 3.65.4.1.2.1-1) may only supersede a
    document that a new DocumentReference of the same Bundle ``replaces``: that is what the
    XDS RPLC association does (ITI TF-2b 3.42.4.1.3.5); any other update is not supported."""
    replaced = {
        str((r.get("target") or {}).get("reference", "")).rsplit("DocumentReference/", 1)[-1]
        for d in docs
        for r in d.resource.get("relatesTo") or []
        if r.get("code") == "replaces"
    }
    for index, entry in enumerate(ctx.data.get("entry") or []):
        request = entry.get("request") or {}
        if request.get("method") != "PATCH":
            continue
        target = str(request.get("url", "")).rsplit("DocumentReference/", 1)[-1]
        if target not in replaced:
            message = "a PATCH may only supersede a document this Bundle replaces"
            ctx.error(f"Bundle.entry[{index}].request.url", message, ITI65, "not-supported")


def validate_bundle(data: JsonDict) -> list[Finding]:
    """Every finding about an ITI-65 Provide Document Bundle (empty list: valid)."""
    ctx = _Context(data)
    if not _structure(ctx):
        return ctx.findings
    _bundle(ctx)
    for entry in _entries(data):
        if entry.kind == "List" and _code_of_list(entry.resource) == canon.SUBMISSION_SET:
            _submission_set(ctx, entry.where, entry.resource)
        elif entry.kind == "DocumentReference" and entry.method == "POST":
            _document_reference(ctx, entry.where, entry.resource)
    _cross(ctx)
    return ctx.findings


def option_of(data: JsonDict) -> Option:
    """The metadata option the Bundle declares (Minimal when none is recognised)."""
    profiles = (data.get("meta") or {}).get("profile") or []
    options = {canon.BUNDLE_PROFILES[p] for p in profiles if p in canon.BUNDLE_PROFILES}
    for option in (Option.UNCONTAINED, Option.COMPREHENSIVE):
        if option in options:
            return option
    return Option.MINIMAL
