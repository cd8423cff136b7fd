"""Reading NIST testplan.xml / index.idx files from the corpus (README §5.1)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from conformance.corpus import Corpus
from conformance.testplan import NistTest, Step, load_test, parse_step, read_index


def _test(corpus: Corpus, test_id: str) -> NistTest:
    path = corpus.test_dir(test_id)
    assert path is not None, test_id
    return load_test(path)


def _step(corpus: Corpus, test_id: str, section: str, step: str) -> Step:
    sec = _test(corpus, test_id).section(section)
    assert sec is not None
    return next(s for s in sec.steps if s.id == step)


def test_sections_follow_index_and_duplicates_collapse(corpus: Corpus) -> None:
    assert [s.name for s in _test(corpus, "12084").sections] == ["submit", "eval"]
    names = [s.name for s in _test(corpus, "12345").sections]
    assert names == [
        "submit_doc",
        "submit_doc_w_fol",
        "submit_2doc_w_fol",
        "submit_doc_for_rplc",
        "rplc",
        "reset_patient_id",
    ]


def test_unlisted_sections_come_last_and_are_flagged(corpus: Corpus) -> None:
    test = _test(corpus, "11897")
    last = test.sections[-1]
    assert last.name == "no_matching_classcode"
    assert not last.in_index
    assert all(s.in_index for s in test.sections[:-1])


def test_register_step_with_alt_patient_and_error_message(corpus: Corpus) -> None:
    step = _step(corpus, "11996", "submit", "submit")
    assert step.transaction == "RegisterTransaction"
    assert step.expected_status == ("Failure",)
    assert step.expected_error_messages == ("XDSUnknownPatientId",)
    assert step.alt_patient_id
    assert step.metadata_file == "single_doc.xml"
    assert not step.no_patient_id


def test_mu_step_instructions(corpus: Corpus) -> None:
    step = _step(corpus, "15801", "author", "submit_update")
    assert step.transaction == "MuTransaction"
    assert step.no_patient_id and step.assign_uuids
    assert not step.no_assign_uids
    assert step.no_assign_uid_ids == frozenset({"Document01"})
    assert [(u.symbol, u.section, u.step) for u in step.use_ids] == [
        ("$lid$", "AssignedUuids", "submit_original"),
        ("$Document01_uid$", "AssignedUids", "submit_original"),
    ]
    assert step.use_reports[0].test == "15817"
    assert step.use_reports[0].use_as == "$patientid$"
    assert step.reports[0].name == "update_doc_uuid"
    assert step.reports[0].section == "InputMetadata"
    assert "ExtrinsicObject" in step.reports[0].xpath


def test_expected_error_code_and_use_id_testdir(corpus: Corpus) -> None:
    step = _step(corpus, "20002", "eval", "slot_same_value")
    assert step.expected_error_codes == ("XDSMetadataUpdateOperationError",)
    assert step.use_ids[0].testdir == "../original"


def test_expected_contents_and_nested_document_entries(corpus: Corpus) -> None:
    step = _step(corpus, "11897", "eventcode", "eventcode")
    assert step.expected_contents is not None
    assert [(c.name, c.count) for c in step.expected_contents] == [("ObjectRefs", 1)]
    nested = _step(corpus, "12000.1a", "getDocumentsSq", "testForDEUsingDEUuid")
    assert nested.expected_contents is not None
    entries = next(c for c in nested.expected_contents if c.name == "DocumentEntries")
    must = entries.children[0]
    assert must.name == "MustOnlyInclude"
    entry = must.children[0]
    assert entry.use_ids[0].symbol == "$uuid$"
    assert entry.children[0].name == "DocumentEntryType"
    assert entry.children[0].text.startswith("urn:uuid:7edca82f")


def test_documents_wait_and_new_patient(corpus: Corpus) -> None:
    pnr = _step(corpus, "12021", "submit", "submit")
    assert [(d.id, d.file) for d in pnr.documents] == [
        ("Document01", "my_document.txt"),
        ("Document02", "my_document2.txt"),
    ]
    assert _step(corpus, "12323", "add_to_folder", "add_to_folder").wait_before_ms == 4000
    init = _step(corpus, "11998", "rplc", "init_patient_id")
    assert init.transaction is None and init.new_patient_id


def test_null_transaction_assertions(corpus: Corpus) -> None:
    step = _step(corpus, "20000", "query_by_uniqueid", "validate")
    assert step.transaction == "NullTransaction"
    assert len(step.assertions) == 9
    assert step.assertions[0].id == "same_logicalId"


def test_comma_status_list_no_convert_and_assign_uuids_exclude() -> None:
    xml = (
        '<TestStep id="s"><ExpectedStatus>Success,PartialSuccess</ExpectedStatus>'
        "<RegisterTransaction><NoConvert/><AssignUuids><Exclude value='Folder'/></AssignUuids>"
        "<NoAssignUids/><MetadataFile> m.xml </MetadataFile></RegisterTransaction></TestStep>"
    )
    step = parse_step(etree.fromstring(xml))
    assert step.expected_status == ("Success", "PartialSuccess")
    assert step.no_convert and step.no_assign_uids
    assert step.assign_uuids_exclude == frozenset({"Folder"})
    assert step.metadata_file == "m.xml"


def test_default_expected_status_is_success() -> None:
    step = parse_step(etree.fromstring("<TestStep id='q'><StoredQueryTransaction/></TestStep>"))
    assert step.expected_status == ("Success",)
    assert step.transaction == "StoredQueryTransaction"


def test_every_corpus_plan_parses_and_files_resolve(corpus: Corpus) -> None:
    missing = []
    for test_id in corpus.test_ids():
        path = corpus.test_dir(test_id)
        assert path is not None
        test = load_test(path)
        for section in test.sections:
            for step in section.steps:
                names = [step.metadata_file] if step.metadata_file else []
                names += [d.file for d in step.documents]
                missing += [
                    f"{test_id}/{section.name}/{n}"
                    for n in names
                    if corpus.resolve_file(section.path, n) is None
                ]
    assert missing == []


def test_read_index_ignores_blank_lines(tmp_path: Path) -> None:
    index = tmp_path / "index.idx"
    index.write_text("a\n\nb\na\n  c  \n")
    assert read_index(index) == ["a", "b", "c"]
