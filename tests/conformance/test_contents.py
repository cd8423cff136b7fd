"""NIST ExpectedContents checks on hand-made ITI-18 responses (NIST ``Validator``)."""

from __future__ import annotations

from lxml import etree

from conformance import contents
from conformance.corpus import Corpus
from conformance.testplan import ContentCheck, UseId, load_test
from profiles import namespaces as ns
from profiles.vocabulary import AssociationType, ClassificationNode, DocumentEntryType, Status

RIM = ns.RIM
APPROVED, DEPRECATED = Status.APPROVED.value, Status.DEPRECATED.value
HAS_MEMBER = AssociationType.HAS_MEMBER.value


def _response(*objects: str) -> etree._Element:
    xml = (
        f'<query:AdhocQueryResponse xmlns:query="{ns.QUERY}" xmlns:rim="{RIM}" '
        'status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success">'
        f"<rim:RegistryObjectList>{''.join(objects)}</rim:RegistryObjectList>"
        "</query:AdhocQueryResponse>"
    )
    return etree.fromstring(xml)


def _doc(entry_id: str, status: str = APPROVED, kind: str = DocumentEntryType.STABLE) -> str:
    return f'<rim:ExtrinsicObject id="{entry_id}" status="{status}" objectType="{kind}"/>'


def _package(entry_id: str, node: str, status: str = APPROVED, nested: bool = True) -> str:
    classification = (
        f'<rim:Classification id="c{entry_id}" classifiedObject="{entry_id}" '
        f'classificationNode="{node}"/>'
    )
    inner = classification if nested else ""
    outer = "" if nested else classification
    package = (
        f'<rim:RegistryPackage id="{entry_id}" status="{status}">{inner}</rim:RegistryPackage>'
    )
    return package + outer


def _ss(entry_id: str = "ss", status: str = APPROVED, nested: bool = True) -> str:
    return _package(entry_id, ClassificationNode.SUBMISSION_SET, status, nested)


def _folder(entry_id: str = "fd", status: str = APPROVED) -> str:
    return _package(entry_id, ClassificationNode.FOLDER, status)


def _assoc(entry_id: str, source: str, target: str, kind: str = HAS_MEMBER) -> str:
    return (
        f'<rim:Association id="{entry_id}" sourceObject="{source}" targetObject="{target}" '
        f'associationType="{kind}"/>'
    )


def _check(name: str, count: int | None = None, **kw: object) -> tuple[ContentCheck, ...]:
    return (ContentCheck(name, count, **kw),)  # type: ignore[arg-type]


def _run(checks: tuple[ContentCheck, ...], body: etree._Element) -> list[str]:
    return contents.evaluate(checks, body, lambda use: {"$uuid$": "d1"}.get(use.symbol))


def test_counts() -> None:
    body = _response(_ss(), _doc("d1"), _doc("d2"), _assoc("a1", "ss", "d1"))
    assert _run(_check("Documents", 2), body) == []
    assert _run(_check("SubmissionSets", 1), body) == []
    assert _run(_check("Folders", 0), body) == []
    assert _run(_check("Associations", 1), body) == []
    assert _run(_check("Documents", 1), body) == ["<Documents/>: found 2 Documents instead of 1"]


def test_top_level_classification_identifies_submission_set() -> None:
    body = _response(_ss(nested=False), _doc("d1"), _assoc("a1", "ss", "d1"))
    assert _run(_check("SSwithOneDoc"), body) == []


def test_ss_with_one_doc_needs_has_member_and_approved_ss() -> None:
    ok = _response(_ss(), _doc("d1"), _assoc("a1", "ss", "d1"))
    assert _run(_check("SSwithOneDoc"), ok) == []
    wrong_type = _response(_ss(), _doc("d1"), _assoc("a1", "ss", "d1", AssociationType.RPLC))
    assert any(
        "HasMember association missing" in p for p in _run(_check("SSwithOneDoc"), wrong_type)
    )
    deprecated = _response(_ss(status=DEPRECATED), _doc("d1"), _assoc("a1", "ss", "d1"))
    assert _run(_check("SSwithOneDocOnly"), deprecated) == []
    assert _run(_check("SSwithOneDoc"), deprecated) != []


def test_ss_with_two_docs() -> None:
    body = _response(
        _ss(), _doc("d1"), _doc("d2"), _assoc("a1", "ss", "d1"), _assoc("a2", "ss", "d2")
    )
    assert _run(_check("SSwithTwoDoc"), body) == []
    assert _run(_check("SSwithOneDoc"), body) != []


def test_none_and_object_refs() -> None:
    empty = _response()
    assert _run(_check("None"), empty) == []
    assert _run(_check("None"), _response(_doc("d1"))) != []
    refs = _response('<rim:ObjectRef id="urn:uuid:1"/>', '<rim:ObjectRef id="urn:uuid:2"/>')
    assert _run(_check("ObjectRefs", 2), refs) == []
    assert _run(_check("ObjectRefs", 1), refs) == ["<ObjectRefs/>: found 2 ObjectRefs instead of 1"]
    assert _run(_check("ObjectRefs", 0), _response(_doc("d1"))) != []


def test_statuses() -> None:
    body = _response(_doc("d1", DEPRECATED), _doc("d2", APPROVED))
    assert _run(_check("OneDocDep"), body) == []
    assert _run(_check("OneDocApp"), body) == []
    assert _run(_check("DocDep"), body) != []
    assert _run(_check("DocApp"), _response(_doc("d2"))) == []
    assert _run(_check("DocDep"), _response(_doc("d1", DEPRECATED))) == []
    assert _run(_check("FolApp"), _response(_folder())) == []
    assert _run(_check("FolDep"), _response(_folder())) != []
    assert _run(_check("SSApproved"), _response(_ss())) == []
    assert _run(_check("SSApproved"), _response()) != []


def test_relationships() -> None:
    rplc = AssociationType.RPLC.value
    body = _response(_doc("new"), _doc("old", DEPRECATED), _assoc("r", "new", "old", rplc))
    assert _run(_check("HasRPLC"), body) == []
    assert _run(_check("DocRplcDoc"), body) == []
    assert _run(_check("HasXFRM_RPLC"), body) == [
        "<HasXFRM_RPLC/>: XFRM_RPLC association not found"
    ]


def test_ss_with_doc_in_folder() -> None:
    body = _response(
        _ss(),
        _folder(),
        _doc("d1"),
        _assoc("a1", "ss", "d1"),
        _assoc("a2", "ss", "fd"),
        _assoc("a3", "fd", "d1"),
        _assoc("a4", "ss", "a3"),
    )
    assert _run(_check("SSwithOneDocOneFol"), body) == []
    assert _run(_check("SSwithOneFol"), body) != []
    only_folder = _response(_ss(), _folder(), _assoc("a2", "ss", "fd"))
    assert _run(_check("SSwithOneFol"), only_folder) == []


def test_document_entries_must_only_include() -> None:
    use = UseId("../submit", "submit", "AssignedUuids", "Document01", "$uuid$")
    entry = ContentCheck(
        "DocumentEntry",
        use_ids=(use,),
        children=(ContentCheck("DocumentEntryType", text=DocumentEntryType.STABLE.value),),
    )
    check = _check(
        "DocumentEntries", children=(ContentCheck("MustOnlyInclude", children=(entry,)),)
    )
    assert _run(check, _response(_doc("d1"))) == []
    problems = _run(check, _response(_doc("d1"), _doc("d2")))
    assert problems == ["<DocumentEntries/>: 2 DocumentEntries returned, expected only 1"]
    on_demand = _response(_doc("d1", kind=DocumentEntryType.ON_DEMAND))
    assert "does not match" in _run(check, on_demand)[0]


def test_unknown_check_is_reported() -> None:
    assert _run(_check("Nonsense"), _response()) == [
        "ExpectedContents <Nonsense/> is not implemented"
    ]


def test_every_check_name_in_corpus_query_steps_is_supported(corpus: Corpus) -> None:
    names: set[str] = set()
    for test_id in corpus.test_ids():
        path = corpus.test_dir(test_id)
        assert path is not None
        for section in load_test(path).sections:
            for step in section.steps:
                if step.transaction == "StoredQueryTransaction" and step.expected_contents:
                    names.update(c.name for c in step.expected_contents)
    assert names, "the corpus has ExpectedContents"
    assert names <= contents.SUPPORTED, names - contents.SUPPORTED
