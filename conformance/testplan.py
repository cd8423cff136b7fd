"""Read NIST XDS Toolkit ``testplan.xml`` / ``index.idx`` files into dataclasses.

Format: NIST XDS Toolkit test kit (``toolkitx/testkit/tests/<test>/<section>/testplan.xml``),
as summarised in the corpus README §5.1. A test has sections run in ``index.idx`` order; each
section has ordered ``TestStep``s whose transaction element (``RegisterTransaction``,
``StoredQueryTransaction`` ...) picks endpoint and action. Instructions may sit on the step
or inside the transaction element; both are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from xds_common.xml import parse_trusted

#: Step children that are not the transaction element although their name ends that way.
_NOT_TRANSACTIONS = frozenset({"Transaction"})


@dataclass(frozen=True)
class UseId:
    """``<UseId testdir= step= section=Assigned* id= symbol=/>``: an id from an earlier step."""

    testdir: str | None
    step: str
    section: str
    id: str
    symbol: str


@dataclass(frozen=True)
class UseReport:
    """``<UseReport test= section= step= reportName= useAs=/>``: a value published earlier."""

    test: str | None
    section: str
    step: str
    report_name: str
    use_as: str


@dataclass(frozen=True)
class Report:
    """``<Report name= section=InputMetadata|Result>XPath</Report>``."""

    name: str
    section: str
    xpath: str


@dataclass(frozen=True)
class DocumentRef:
    """``<Document id="Document01">my_document.txt</Document>`` (PnR attachment)."""

    id: str
    file: str


@dataclass(frozen=True)
class ContentCheck:
    """One child of ``<ExpectedContents>`` (``<Documents count="2"/>``, ``<None/>`` ...)."""

    name: str
    count: int | None = None
    text: str = ""
    use_ids: tuple[UseId, ...] = ()
    children: tuple[ContentCheck, ...] = ()


@dataclass(frozen=True)
class Assertion:
    """``<Assertions><Assert id=...>XPath</Assert>`` (evaluated against the section log)."""

    id: str
    xpath: str


@dataclass(frozen=True)
class Step:
    """One ``TestStep`` with every instruction the engine understands."""

    id: str
    transaction: str | None
    expected_status: tuple[str, ...] = ("Success",)
    expected_error_codes: tuple[str, ...] = ()
    expected_error_messages: tuple[str, ...] = ()
    metadata_file: str | None = None
    documents: tuple[DocumentRef, ...] = ()
    no_patient_id: bool = False
    alt_patient_id: bool = False
    new_patient_id: bool = False
    no_assign_uids: bool = False
    no_assign_uid_ids: frozenset[str] = frozenset()
    assign_uuids: bool = False
    assign_uuids_exclude: frozenset[str] = frozenset()
    no_convert: bool = False
    use_ids: tuple[UseId, ...] = ()
    use_reports: tuple[UseReport, ...] = ()
    reports: tuple[Report, ...] = ()
    expected_contents: tuple[ContentCheck, ...] | None = None
    assertions: tuple[Assertion, ...] = ()
    wait_before_ms: int = 0
    #: ``<ReferenceDocument uid="$docuid1$">submit/my_document.txt</ReferenceDocument>``
    reference_documents: tuple[DocumentRef, ...] = ()
    #: ``WADOTransaction/Parameters``: ``name=value`` lines (RAD-55 request parameters)
    wado_parameters: tuple[tuple[str, str], ...] = ()
    #: ``WADOTransaction/UIDFile``: the file naming the instances to retrieve
    uid_file: str | None = None


@dataclass(frozen=True)
class Section:
    """A section directory: its steps in file order."""

    test: str
    name: str
    path: Path
    steps: tuple[Step, ...]
    in_index: bool = True


@dataclass(frozen=True)
class NistTest:
    """A NIST test: its sections in run order (``index.idx`` first, then unlisted ones)."""

    id: str
    path: Path
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        """The section called ``name``, if any."""
        return next((s for s in self.sections if s.name == name), None)


def load_test(test_dir: Path) -> NistTest:
    """Read every section of the test in ``test_dir`` (README §5.1: index.idx order)."""
    listed = read_index(test_dir / "index.idx")
    present = sorted(
        rel
        for rel in (
            p.parent.relative_to(test_dir).as_posix() for p in test_dir.glob("**/testplan.xml")
        )
        if rel != "."
    )
    order = [s for s in listed if s in present] + [s for s in present if s not in listed]
    sections = tuple(
        parse_section(test_dir / name / "testplan.xml", test_dir.name, name, name in listed)
        for name in order
    )
    return NistTest(test_dir.name, test_dir, sections)


def read_index(path: Path) -> list[str]:
    """Section names of ``index.idx`` in order, duplicates (NIST repeats them) removed."""
    if not path.is_file():
        return []
    names: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name = line.strip()
        if name and not name.startswith("#") and name not in names:
            names.append(name)
    return names


def parse_section(path: Path, test: str, name: str, in_index: bool = True) -> Section:
    """Parse one ``testplan.xml``."""
    root = parse_trusted(path.read_bytes().lstrip())
    steps = tuple(parse_step(el) for el in root.iter("TestStep"))
    return Section(test, name, path.parent, steps, in_index)


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _transaction(step: etree._Element) -> etree._Element | None:
    for child in _children(step):
        tag = str(child.tag)
        if tag.endswith("Transaction") and tag not in _NOT_TRANSACTIONS:
            return child
    return None


def parse_step(step: etree._Element) -> Step:
    """Parse a ``TestStep`` element (instructions on the step and in its transaction)."""
    tx = _transaction(step)
    parts = _children(step) + (_children(tx) if tx is not None else [])
    by_tag: dict[str, list[etree._Element]] = {}
    for part in parts:
        by_tag.setdefault(str(part.tag), []).append(part)
    no_uid = by_tag.get("NoAssignUids", [])
    assign_uuids = by_tag.get("AssignUuids", [])
    contents = by_tag.get("ExpectedContents")
    return Step(
        id=step.get("id", ""),
        transaction=str(tx.tag) if tx is not None else None,
        expected_status=_status_list(by_tag.get("ExpectedStatus", [])),
        expected_error_codes=tuple(_text(e) for e in by_tag.get("ExpectedErrorCode", [])),
        expected_error_messages=tuple(_text(e) for e in by_tag.get("ExpectedErrorMessage", [])),
        metadata_file=_first_text(by_tag.get("MetadataFile", [])),
        documents=tuple(DocumentRef(e.get("id", ""), _text(e)) for e in by_tag.get("Document", [])),
        no_patient_id="NoPatientId" in by_tag,
        alt_patient_id="AltPatientId" in by_tag,
        new_patient_id="NewPatientId" in by_tag,
        no_assign_uids=any(not e.get("id") for e in no_uid),
        no_assign_uid_ids=frozenset(e.get("id", "") for e in no_uid if e.get("id")),
        assign_uuids=bool(assign_uuids),
        assign_uuids_exclude=frozenset(
            x.get("value", "") for e in assign_uuids for x in e.iter("Exclude")
        ),
        no_convert="NoConvert" in by_tag,
        use_ids=tuple(parse_use_id(e) for e in by_tag.get("UseId", [])),
        use_reports=tuple(parse_use_report(e) for e in by_tag.get("UseReport", [])),
        reports=tuple(
            Report(e.get("name", ""), e.get("section", ""), _text(e))
            for e in by_tag.get("Report", [])
        ),
        expected_contents=parse_contents(contents[0]) if contents else None,
        assertions=tuple(
            Assertion(a.get("id", ""), _text(a))
            for e in by_tag.get("Assertions", [])
            for a in e.iter("Assert")
        ),
        wait_before_ms=int(_first_text(by_tag.get("WaitBefore", [])) or 0),
        reference_documents=tuple(
            DocumentRef(e.get("uid", ""), _text(e)) for e in by_tag.get("ReferenceDocument", [])
        ),
        wado_parameters=_parameters(by_tag.get("Parameters", [])),
        uid_file=_first_text(by_tag.get("UIDFile", [])) or None,
    )


def _parameters(elements: list[etree._Element]) -> tuple[tuple[str, str], ...]:
    """``name=value`` lines of ``WADOTransaction/Parameters`` (blank lines ignored)."""
    pairs = (line.strip().partition("=") for e in elements for line in _text(e).splitlines())
    return tuple((name.strip(), value.strip()) for name, sep, value in pairs if sep)


def parse_use_id(el: etree._Element) -> UseId:
    """Parse a ``UseId`` element."""
    return UseId(
        testdir=el.get("testdir"),
        step=el.get("step", ""),
        section=el.get("section", ""),
        id=el.get("id", ""),
        symbol=el.get("symbol", ""),
    )


def parse_use_report(el: etree._Element) -> UseReport:
    """Parse a ``UseReport`` element."""
    return UseReport(
        test=el.get("test"),
        section=el.get("section", ""),
        step=el.get("step", ""),
        report_name=el.get("reportName", ""),
        use_as=el.get("useAs", ""),
    )


def parse_contents(el: etree._Element) -> tuple[ContentCheck, ...]:
    """Parse the children of ``ExpectedContents`` (recursively for ``DocumentEntries``)."""
    checks: list[ContentCheck] = []
    for child in _children(el):
        if child.tag == "UseId":
            continue
        count = child.get("count")
        checks.append(
            ContentCheck(
                name=str(child.tag),
                count=int(count) if count is not None else None,
                text=_text(child),
                use_ids=tuple(parse_use_id(u) for u in child if u.tag == "UseId"),
                children=parse_contents(child),
            )
        )
    return tuple(checks)


def _status_list(elements: list[etree._Element]) -> tuple[str, ...]:
    values = [v.strip() for e in elements for v in _text(e).split(",") if v.strip()]
    return tuple(values) or ("Success",)


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _first_text(elements: list[etree._Element]) -> str | None:
    return _text(elements[0]) if elements else None
