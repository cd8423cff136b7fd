"""XDS-I.b manifest rules: check a Key Object Selection Document (KOS) without I/O.

:func:`check_kos` takes a parsed KOS and returns :class:`~xds_common.findings.Finding`s, each
with the DICOM attribute path where it was found (``(0040,A375)[0]/(0008,1115)[1]/(0008,0054)``)
and the rule it comes from. Sources: RAD TF-3 4.68.4.1.2.3 (the manifest of an Imaging
Document Source: KOS with title (113030, DCM, "Manifest"), one patient and one study, Retrieve
AE Title and Retrieve Location UID per series; summarised in ``../shared/reference/xds-i.md``
section 3), DICOM PS3.3 A.35.4 (KOS IOD), C.17.6.1 (Key Object Document Series Module),
C.17.6.2 (Key Object Document Module), C.17.2.1 (Hierarchical SOP Instance Reference Macro),
C.17.3 (SR Document Content Module), C.12.1 (SOP Common), PS3.16 TID 2010 (Key Object
Selection) and PS3.5 9.1 (UID encoding).

Attribute presence and fixed values are rows of data (:data:`HEADER_ROWS`, :data:`SERIES_ROWS`,
:data:`SOP_ROWS`); the structure rules (one study, references consistent between the Current
Requested Procedure Evidence Sequence and the Content Sequence) are short functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.tag import BaseTag, Tag

from profiles.xdsi import KOS_MODALITY, KOS_SOP_CLASS_UID, MANIFEST_TITLE
from xds_common.findings import Finding, Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING
RAD_MANIFEST = "RAD TF-3 4.68.4.1.2.3"
UID_PATTERN = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+")
#: TID 2010 Key Object Selection, identified in the Content Template Sequence (PS3.3 C.18.8).
TEMPLATE = ("DCMR", "2010")
#: Value types of the content items that reference an instance (TID 2010 rows 3-5).
REFERENCE_VALUE_TYPES = frozenset({"IMAGE", "COMPOSITE", "WAVEFORM"})

EVIDENCE = Tag("CurrentRequestedProcedureEvidenceSequence")
SERIES = Tag("ReferencedSeriesSequence")
SOPS = Tag("ReferencedSOPSequence")
CONTENT = Tag("ContentSequence")


@dataclass(frozen=True)
class Row:
    """One attribute rule: must be present (``empty_ok``: Type 2, may be empty), be a UID,
    or have one of ``values``."""

    keyword: str
    rule: str
    severity: Severity = ERROR
    values: tuple[str, ...] = ()
    uid: bool = False
    empty_ok: bool = False


#: The KOS header (PS3.3 A.35.4 modules) as rows.
HEADER_ROWS: tuple[Row, ...] = (
    Row("SOPClassUID", f"{RAD_MANIFEST}; PS3.3 A.35.4", values=(KOS_SOP_CLASS_UID,)),
    Row("SOPInstanceUID", "PS3.3 C.12.1", uid=True),
    Row("StudyInstanceUID", "PS3.3 C.7.2.1", uid=True),
    Row("SeriesInstanceUID", "PS3.3 C.17.6.1.1", uid=True),
    Row("Modality", "PS3.3 C.17.6.1.1", values=(KOS_MODALITY,)),
    Row("PatientID", f"{RAD_MANIFEST} (one patient: sourcePatientId)"),
    Row("PatientName", "PS3.3 C.7.1.1", empty_ok=True),
    Row("ReferencedPerformedProcedureStepSequence", "PS3.3 C.17.6.1.1", empty_ok=True),
    Row("InstanceNumber", "PS3.3 C.17.6.2.1"),
    Row("ContentDate", "PS3.3 C.17.6.2.1"),
    Row("ContentTime", "PS3.3 C.17.6.2.1"),
    Row("ValueType", "PS3.3 C.17.3; PS3.16 TID 2010", values=("CONTAINER",)),
    Row("ContinuityOfContent", "PS3.3 C.17.3", values=("SEPARATE", "CONTINUOUS")),
)
#: Each Referenced Series Sequence item of the evidence (PS3.3 C.17.2.1, RAD TF-3).
SERIES_ROWS: tuple[Row, ...] = (
    Row("SeriesInstanceUID", "PS3.3 C.17.2.1", uid=True),
    Row("RetrieveAETitle", f"{RAD_MANIFEST} (Retrieve AE Title per series)"),
    Row("RetrieveLocationUID", f"{RAD_MANIFEST} (Retrieve Location UID = IDS uid)", uid=True),
    Row("RetrieveURL", f"{RAD_MANIFEST} (WADO-RS option; base URL)", WARNING),
)
#: Each Referenced SOP Sequence item, in the evidence and in content items (PS3.3 C.17.2.1).
SOP_ROWS: tuple[Row, ...] = (
    Row("ReferencedSOPClassUID", "PS3.3 C.17.2.1", uid=True),
    Row("ReferencedSOPInstanceUID", "PS3.3 C.17.2.1", uid=True),
)


def tag_path(*steps: BaseTag | tuple[BaseTag, int]) -> str:
    """A DICOM attribute path: ``(0040,A375)[0]/(0008,1115)[1]/(0008,0054)``."""
    parts = []
    for step in steps:
        tag, index = step if isinstance(step, tuple) else (step, None)
        text = f"({tag.group:04X},{tag.element:04X})"
        parts.append(text if index is None else f"{text}[{index}]")
    return "/".join(parts)


def _finding(severity: Severity, message: str, location: str, rule: str) -> Finding:
    return Finding(severity, message, location, rule)


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def check_rows(ds: Dataset, rows: Iterable[Row], base: str = "") -> Iterator[Finding]:
    """Findings of ``rows`` on one dataset or sequence item, located under ``base``."""
    for row in rows:
        location = (base + "/" if base else "") + tag_path(Tag(row.keyword))
        present = row.keyword in ds
        value = _text(ds, row.keyword) if present else ""
        if not present or (not value and not row.empty_ok):
            yield _finding(row.severity, f"{row.keyword} is missing or empty", location, row.rule)
        elif row.values and value not in row.values:
            yield _finding(row.severity, f"{row.keyword} is {value!r}, not one of "
                           f"{list(row.values)}", location, row.rule)  # fmt: skip
        elif row.uid and not (UID_PATTERN.fullmatch(value) and len(value) <= 64):
            yield _finding(row.severity, f"{row.keyword} {value!r} is not a valid UID",
                           location, f"{row.rule}; PS3.5 9.1")  # fmt: skip


def _items(ds: Dataset, keyword: str) -> list[Dataset]:
    value = ds.get(keyword)
    return list(value) if value is not None else []


def check_title(ds: Dataset) -> Iterator[Finding]:
    """Document title (113030, DCM, "Manifest") (RAD TF-3 4.68.4.1.2.3; PS3.16 CID 7010)."""
    location = tag_path(Tag("ConceptNameCodeSequence"))
    items = _items(ds, "ConceptNameCodeSequence")
    if len(items) != 1:
        yield _finding(ERROR, "Concept Name Code Sequence must have exactly one item "
                       "(the document title)", location, RAD_MANIFEST)  # fmt: skip
        return
    code = (_text(items[0], "CodeValue"), _text(items[0], "CodingSchemeDesignator"))
    if code != (MANIFEST_TITLE.code, MANIFEST_TITLE.scheme):
        yield _finding(ERROR, f"document title is {code}, not (113030, DCM) 'Manifest'",
                       location + "[0]", RAD_MANIFEST)  # fmt: skip
    elif _text(items[0], "CodeMeaning") != MANIFEST_TITLE.display:
        yield _finding(WARNING, "document title Code Meaning is not 'Manifest'",
                       location + "[0]/(0008,0104)", "PS3.16 CID 7010")  # fmt: skip


def check_template(ds: Dataset) -> Iterator[Finding]:
    """Content Template Sequence names TID 2010 of DCMR (PS3.3 C.18.8; PS3.16 TID 2010)."""
    items = _items(ds, "ContentTemplateSequence")
    found = (
        (_text(items[0], "MappingResource"), _text(items[0], "TemplateIdentifier"))
        if items
        else None
    )
    if found != TEMPLATE:
        location = tag_path(Tag("ContentTemplateSequence"))
        yield _finding(ERROR, f"Content Template Sequence is {found}, not DCMR TID 2010",
                       location, "PS3.3 C.18.8; PS3.16 TID 2010")  # fmt: skip


@dataclass(frozen=True)
class Reference:
    """One referenced instance and where it was found."""

    sop_class: str
    location: str


def _sop_references(
    item: Dataset, base: str, rule: str, seen: dict[str, Reference]
) -> Iterator[Finding]:
    """Check the Referenced SOP Sequence of ``item`` and record the references in ``seen``."""
    sops = _items(item, "ReferencedSOPSequence")
    if not sops:
        yield _finding(ERROR, "Referenced SOP Sequence is missing or empty",
                       f"{base}/{tag_path(SOPS)}", rule)  # fmt: skip
    for k, sop in enumerate(sops):
        location = f"{base}/{tag_path((SOPS, k))}"
        yield from check_rows(sop, SOP_ROWS, location)
        uid = _text(sop, "ReferencedSOPInstanceUID")
        if uid in seen:
            yield _finding(WARNING, f"instance {uid} is referenced twice (also at "
                           f"{seen[uid].location})", location, rule)  # fmt: skip
        elif uid:
            seen[uid] = Reference(_text(sop, "ReferencedSOPClassUID"), location)


def check_evidence(ds: Dataset, evidence: dict[str, Reference]) -> Iterator[Finding]:
    """Current Requested Procedure Evidence Sequence: exactly one study, the manifest's own,
    with per-series retrieve information and the referenced instances (RAD TF-3
    4.68.4.1.2.3; PS3.3 C.17.6.2.1, C.17.2.1). Fills ``evidence`` with the instances."""
    studies = _items(ds, "CurrentRequestedProcedureEvidenceSequence")
    if len(studies) != 1:
        yield _finding(ERROR, f"the manifest must reference exactly one study, not "
                       f"{len(studies)}", tag_path(EVIDENCE), RAD_MANIFEST)  # fmt: skip
    for i, study in enumerate(studies):
        base = tag_path((EVIDENCE, i))
        study_uid = _text(study, "StudyInstanceUID")
        if study_uid != _text(ds, "StudyInstanceUID"):
            yield _finding(ERROR, f"evidence study {study_uid!r} is not the manifest's own "
                           "study (0020,000D)", f"{base}/(0020,000D)",
                           f"{RAD_MANIFEST}; PS3.3 C.17.6.2.1")  # fmt: skip
        series_items = _items(study, "ReferencedSeriesSequence")
        if not series_items:
            yield _finding(ERROR, "Referenced Series Sequence is missing or empty",
                           f"{base}/{tag_path(SERIES)}", "PS3.3 C.17.2.1")  # fmt: skip
        for j, series in enumerate(series_items):
            series_base = f"{base}/{tag_path((SERIES, j))}"
            yield from check_rows(series, SERIES_ROWS, series_base)
            yield from _sop_references(series, series_base, "PS3.3 C.17.2.1", evidence)


def check_content(ds: Dataset, content: dict[str, Reference]) -> Iterator[Finding]:
    """Content Sequence items referencing instances: CONTAINS, IMAGE/COMPOSITE/WAVEFORM, one
    Referenced SOP Sequence item each (PS3.16 TID 2010; PS3.3 C.18.3). Fills ``content``."""
    rule = "PS3.16 TID 2010; PS3.3 C.17.3"
    items = _items(ds, "ContentSequence")
    for i, item in enumerate(items):
        if "ReferencedSOPSequence" not in item:
            continue  # Key Object Description (TEXT) and observer context items
        base = tag_path((CONTENT, i))
        value_type = _text(item, "ValueType")
        if value_type not in REFERENCE_VALUE_TYPES:
            yield _finding(ERROR, f"a reference item has Value Type {value_type!r}",
                           f"{base}/(0040,A040)", rule)  # fmt: skip
        if _text(item, "RelationshipType") != "CONTAINS":
            yield _finding(ERROR, "a reference item's Relationship Type is not CONTAINS",
                           f"{base}/(0040,A010)", rule)  # fmt: skip
        if len(_items(item, "ReferencedSOPSequence")) != 1:
            yield _finding(ERROR, "a content item references exactly one instance",
                           f"{base}/{tag_path(SOPS)}", "PS3.3 C.18.3")  # fmt: skip
        yield from _sop_references(item, base, rule, content)
    if not content:
        yield _finding(ERROR, "Content Sequence references no instance", tag_path(CONTENT), rule)


def check_consistency(
    ds: Dataset, evidence: dict[str, Reference], content: dict[str, Reference]
) -> Iterator[Finding]:
    """Every instance in the Content Sequence is in the evidence with the same SOP Class,
    and the other way round; the manifest does not reference itself (PS3.3 C.17.6.2.1)."""
    rule = "PS3.3 C.17.6.2.1; RAD TF-3 4.68.4.1.2.3"
    for uid, ref in content.items():
        if uid not in evidence:
            yield _finding(ERROR, f"instance {uid} is in the Content Sequence but not in the "
                           "evidence", ref.location, rule)  # fmt: skip
        elif (other := evidence[uid].sop_class) and ref.sop_class and other != ref.sop_class:
            yield _finding(ERROR, f"instance {uid} has SOP Class {ref.sop_class} here and "
                           f"{other} in the evidence", ref.location, rule)  # fmt: skip
    for uid, ref in evidence.items():
        if uid not in content:
            yield _finding(ERROR, f"instance {uid} is in the evidence but not in the Content "
                           "Sequence", ref.location, rule)  # fmt: skip
    own = _text(ds, "SOPInstanceUID")
    if own and own in evidence:
        yield _finding(ERROR, "the manifest references itself", evidence[own].location, rule)


def check_kos(ds: Dataset) -> list[Finding]:
    """Check a KOS against the XDS-I.b manifest rules; an empty list means it conforms."""
    evidence: dict[str, Reference] = {}
    content: dict[str, Reference] = {}
    findings = [
        *check_rows(ds, HEADER_ROWS),
        *check_title(ds),
        *check_template(ds),
        *check_evidence(ds, evidence),
        *check_content(ds, content),
    ]
    findings.extend(check_consistency(ds, evidence, content))
    return findings
