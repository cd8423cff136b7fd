"""NIST harness substitutions on real corpus submissions (README §5.1 items 2-6)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from conformance import ebrim21
from conformance.corpus import Corpus
from conformance.substitute import (
    SubmissionRules,
    apply_rules,
    builtin_placeholders,
    new_oid,
    new_uuid,
    placeholders_in,
    substitute_text,
)
from profiles import namespaces as ns
from profiles.vocabulary import Scheme
from xds_common.xml import parse

PID = "P1^^^&1.3.6.1.4.1.21367.2005.13.20.1000&ISO"
SINGLE_DOC = "iti42/nist-tk2__11990__submit__single_doc.xml"
FOLDER_DOCS = "iti42/nist-tk2__20000e__two_doc_w_fol__two_doc_w_fol.xml"


def _converted(corpus: Corpus, name: str) -> etree._Element:
    return ebrim21.convert(parse((corpus.root / name).read_bytes().lstrip()))


def _ei_values(root: etree._Element, scheme: str) -> list[str]:
    return [
        str(ei.get("value"))
        for ei in root.iter(ns.qn(ns.RIM, "ExternalIdentifier"))
        if ei.get("identificationScheme") == scheme
    ]


def _counter(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def test_patient_uid_and_source_rules(corpus: Corpus) -> None:
    root = _converted(corpus, SINGLE_DOC)
    before = [s for s in root.iter(ns.qn(ns.RIM, "Slot")) if s.get("name") == "sourcePatientId"]
    source_patient = before[0].findtext(f"{{{ns.RIM}}}ValueList/{{{ns.RIM}}}Value")
    rules = SubmissionRules(patient_id=PID, source_id="1.2.3.4")
    assigned = apply_rules(root, rules)
    assert _ei_values(root, Scheme.DE_PATIENT_ID) == [PID]
    assert _ei_values(root, Scheme.SS_PATIENT_ID) == [PID]
    assert _ei_values(root, Scheme.SS_SOURCE_ID) == ["1.2.3.4"]
    after = [s for s in root.iter(ns.qn(ns.RIM, "Slot")) if s.get("name") == "sourcePatientId"]
    assert after[0].findtext(f"{{{ns.RIM}}}ValueList/{{{ns.RIM}}}Value") == source_patient
    uids = _ei_values(root, Scheme.DE_UNIQUE_ID) + _ei_values(root, Scheme.SS_UNIQUE_ID)
    assert all(u.startswith("2.25.") for u in uids) and len(set(uids)) == 2
    assert assigned.uids == {
        "Document01": _ei_values(root, Scheme.DE_UNIQUE_ID)[0],
        "SubmissionSet01": _ei_values(root, Scheme.SS_UNIQUE_ID)[0],
    }
    assert assigned.patient_ids == {"Document01": PID, "SubmissionSet01": PID}
    assert assigned.uuids == {}
    assert set(assigned.symbolic) >= {"Document01", "SubmissionSet01"}
    assert assigned.reports()["Document01_uid"] == assigned.uids["Document01"]


def test_no_patient_id_and_no_assign_uids(corpus: Corpus) -> None:
    root = _converted(corpus, SINGLE_DOC)
    substitute_text(root, {"$patientid$": PID})
    original_ss_uid = _ei_values(root, Scheme.SS_UNIQUE_ID)[0]
    rules = SubmissionRules(
        patient_id=None, assign_uids=True, keep_uid_of=frozenset({"SubmissionSet01"})
    )
    assigned = apply_rules(root, rules)
    assert _ei_values(root, Scheme.SS_PATIENT_ID) == [PID]
    assert assigned.uids["SubmissionSet01"] == original_ss_uid
    assert assigned.uids["Document01"].startswith("2.25.")
    keep_all = _converted(corpus, SINGLE_DOC)
    apply_rules(keep_all, SubmissionRules(patient_id=PID, assign_uids=False))
    assert _ei_values(keep_all, Scheme.DE_UNIQUE_ID) == ["Document01"]


def test_assign_uuids_rewrites_every_reference(corpus: Corpus) -> None:
    root = _converted(corpus, FOLDER_DOCS)
    rules = SubmissionRules(patient_id=PID, assign_uuids=True)
    assigned = apply_rules(root, rules, new_uid=_counter("1.2.3."), new_id=_counter("urn:uuid:x"))
    assert set(assigned.uuids) >= {"Document01", "Document02", "Folder", "SubmissionSet01"}
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    assert all(str(i).startswith("urn:uuid:") for i in ids)
    for attr in ("sourceObject", "targetObject", "classifiedObject", "registryObject"):
        for el in root.iter():
            value = el.get(attr) if isinstance(el.tag, str) else None
            if value is not None:
                assert value in ids, (attr, value)
    assert assigned.reports()["Folder_uuid"] == assigned.uuids["Folder"]
    assert assigned.symbolic == []


def test_assign_uuids_exclude_keeps_one_symbolic(corpus: Corpus) -> None:
    root = _converted(corpus, FOLDER_DOCS)
    rules = SubmissionRules(patient_id=PID, assign_uuids=True, keep_uuid_of=frozenset({"Folder"}))
    assigned = apply_rules(root, rules)
    assert "Folder" not in assigned.uuids
    assert "Folder" in assigned.symbolic
    folder_refs = [
        el for el in root.iter(ns.qn(ns.RIM, "Association")) if el.get("sourceObject") == "Folder"
    ]
    assert len(folder_refs) == 2


def test_text_placeholders_and_leftovers(corpus: Corpus) -> None:
    root = _converted(corpus, "iti57/nist-tk2__15801__author__update.xml")
    assert {"$lid$", "$Document01_uid$", "$patientid$"} <= placeholders_in(root)
    substitute_text(root, {"$lid$": "urn:uuid:1", "$Document01_uid$": "1.2", "$patientid$": PID})
    assert placeholders_in(root) == set()
    doc = root.find(f".//{{{ns.RIM}}}ExtrinsicObject")
    assert doc is not None and doc.get("lid") == "urn:uuid:1"
    assert _ei_values(root, Scheme.DE_UNIQUE_ID) == ["1.2"]


def test_slot_names_starting_with_dollar_are_not_placeholders() -> None:
    xml = (
        f'<q xmlns:rim="{ns.RIM}"><rim:Slot name="$XDSDocumentEntryPatientId">'
        "<rim:ValueList><rim:Value>'$patient_id$'</rim:Value></rim:ValueList></rim:Slot></q>"
    )
    assert placeholders_in(etree.fromstring(xml)) == {"$patient_id$"}


def test_builtin_placeholders() -> None:
    values = builtin_placeholders(datetime(2024, 5, 31, 12, 30, 1), "urn:oid:1.2")
    assert values["$now$"] == "20240531123001"
    assert values["$DATE$"] == "20240531"
    assert values["$lastyear$"].startswith("2023")
    assert values["$homeCommunityId$"] == "urn:oid:1.2"


def test_fresh_ids() -> None:
    assert new_oid() != new_oid()
    assert new_oid().startswith("2.25.")
    fresh = new_uuid()
    assert fresh.startswith("urn:uuid:") and fresh == fresh.lower()
    assert fresh != new_uuid()
