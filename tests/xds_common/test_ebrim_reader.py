"""The ebRIM reader (ITI TF-3 4.2): every DocumentEntry, SubmissionSet and Folder attribute,
and the structural edge cases the one-pass reader must treat as the spec says.

Golden submission from ``tests.xds_registry.messages``; each edge case changes one thing.
"""

from __future__ import annotations

from lxml import etree

from profiles.vocabulary import ClassificationNode, ObjectKind, SlotName
from profiles.vocabulary import Scheme as S  # noqa: N817
from tests.xds_registry import messages as m
from xds_common.ebrim import rim
from xds_common.ebrim.reader import read_object_list
from xds_common.metadata import Author, Code
from xds_common.xml import parse

PATIENT = f"P1^^^&{m.AUTHORITY}&ISO"
RIM_NS = f'xmlns:rim="{rim.RIM}"'


def _read(xml: str) -> rim.RimObject:
    """The one object of a RegistryObjectList made of ``xml``."""
    object_list = parse(f"<rim:RegistryObjectList {RIM_NS}>{xml}</rim:RegistryObjectList>".encode())
    return rim.read_object(object_list[0])


def test_document_entry_has_every_attribute_of_the_golden_submission() -> None:
    doc = m.Doc(
        unique_id="1.2.3.99",
        extra=m.slot(
            SlotName.REFERENCE_ID_LIST, "A1^^^&1.2&ISO^urn:ihe:iti:xds:2013:accession", "B2"
        ),
    )
    read = read_object_list(parse(m.submission(PATIENT, [doc]).encode())[0])
    assert read.problems == []
    assert read.kinds["Document01"] is ObjectKind.DOCUMENT_ENTRY
    entry = read.submission.documents[0]
    assert (entry.entry_uuid, entry.mime_type, entry.title) == (
        "Document01",
        "text/plain",
        "Verslag",
    )
    assert (entry.patient_id, entry.unique_id) == (PATIENT, "1.2.3.99")
    assert (entry.creation_time, entry.service_start_time, entry.service_stop_time) == (
        "20240102030405", "20240101", "20240102")  # fmt: skip
    assert (entry.hash, entry.size, entry.language_code) == (
        "e543712c0e10501972de13a5bfcbe826c49feb75", "4", "nl-NL")  # fmt: skip
    assert (entry.repository_unique_id, entry.source_patient_id) == (
        "1.2.3.4.5.6.7", "123^^^&1.2.3.4&ISO")  # fmt: skip
    assert entry.class_code == Code("REPORTS", "1.2.3.6", "x")
    assert entry.type_code == Code("18748-4", "2.16.840.1.113883.6.1", "x")
    assert entry.format_code == Code("urn:ihe:rad:PDF", "1.3.6.1.4.1.19376.1.2.3", "x")
    assert entry.healthcare_facility_type_code == Code("22232009", "2.16.840.1.113883.6.96", "x")
    assert entry.practice_setting_code == Code("394914008", "2.16.840.1.113883.6.96", "x")
    assert entry.confidentiality_codes == [Code("N", "2.16.840.1.113883.5.25", "x")]
    assert entry.event_codes == [Code("CT", "1.2.840.10008.2.16.4", "x")]
    assert entry.authors == [
        Author("^Jansen^Anna^^^", ("Ziekenhuis^^^^^&1.2.3&ISO^^^^ZH1",), (), (), ())
    ]
    assert entry.reference_ids == ["A1^^^&1.2&ISO^urn:ihe:iti:xds:2013:accession", "B2"]
    assert entry.slots["size"] == ["4"]
    assert (entry.legal_authenticator, entry.uri, entry.comments) == ("", "", "")


def test_submission_set_labelled_by_a_loose_classification() -> None:
    read = read_object_list(parse(m.submission(PATIENT, ss_unique_id="1.2.3.77").encode())[0])
    ss = read.submission.submission_sets[0]
    assert read.kinds["SubmissionSet01"] is ObjectKind.SUBMISSION_SET
    assert (ss.patient_id, ss.unique_id, ss.source_id) == (PATIENT, "1.2.3.77", "1.2.3.4.5")
    assert ss.submission_time == "20240102030500"
    assert ss.content_type_code == Code("18748-4", "2.16.840.1.113883.6.1", "x")
    assert [a.association_type.rsplit(":", 1)[1] for a in read.submission.associations] == [
        "HasMember"
    ]


def test_folder() -> None:
    folder = (
        '<rim:RegistryPackage id="F1">'
        + m.slot("lastUpdateTime", "20240103")
        + m.code(S.FD_CODE_LIST, "F1", "a", "1.2")
        + m.code(S.FD_CODE_LIST, "F1", "b", "1.2")
        + m.ext_id(S.FD_PATIENT_ID, "F1", PATIENT, "XDSFolder.patientId")
        + m.ext_id(S.FD_UNIQUE_ID, "F1", "1.2.3.5", "XDSFolder.uniqueId")
        + f'<rim:Classification id="c1" classifiedObject="F1" '
        f'classificationNode="{ClassificationNode.FOLDER}"/></rim:RegistryPackage>'
    )
    object_list = parse(
        f"<rim:RegistryObjectList {RIM_NS}>{folder}</rim:RegistryObjectList>".encode()
    )
    found = read_object_list(object_list).submission.folders[0]
    assert (found.patient_id, found.unique_id, found.last_update_time) == (
        PATIENT, "1.2.3.5", "20240103")  # fmt: skip
    assert [c.code for c in found.codes] == ["a", "b"]


def test_first_name_description_and_version_count() -> None:
    obj = _read(
        '<rim:ExtrinsicObject id="D1"><rim:Name><rim:LocalizedString value="one"/>'
        '<rim:LocalizedString value="een"/></rim:Name>'
        '<rim:Name><rim:LocalizedString value="two"/></rim:Name>'
        '<rim:Description><rim:LocalizedString value="d"/></rim:Description>'
        '<rim:VersionInfo versionName="3"/><rim:VersionInfo versionName="4"/>'
        "</rim:ExtrinsicObject>"
    )
    assert (obj.names, obj.descriptions, obj.version_name) == (["one", "een"], ["d"], "3")


def test_slot_values_only_from_value_lists_in_order() -> None:
    obj = _read(
        '<rim:ExtrinsicObject id="D1"><rim:Slot name="s">'
        "<rim:ValueList><rim:Value> a </rim:Value><rim:Value/></rim:ValueList>"
        "<rim:Value>stray</rim:Value>"
        "<rim:ValueList><rim:Value>b</rim:Value></rim:ValueList>"
        "</rim:Slot></rim:ExtrinsicObject>"
    )
    assert [(s.name, s.values) for s in obj.slots] == [("s", ["a", "", "b"])]


def test_comments_and_foreign_elements_are_skipped() -> None:
    xml = (
        f'<rim:ExtrinsicObject {RIM_NS} xmlns:x="urn:x" id="D1"><!-- c -->'
        '<x:Slot name="foreign"/><rim:Slot name="s"><!-- c --><rim:ValueList><!-- c -->'
        "<rim:Value>v</rim:Value></rim:ValueList></rim:Slot><?pi x?>"
        f'<rim:Classification id="c" classificationScheme="{S.DE_CLASS_CODE}" '
        'classifiedObject="D1" nodeRepresentation="n"><!-- c -->'
        '<rim:Name><rim:LocalizedString value="N"/></rim:Name></rim:Classification>'
        "</rim:ExtrinsicObject>"
    )
    obj = rim.read_object(etree.fromstring(xml))  # a tree that kept its comments and PIs
    assert [(s.name, s.values) for s in obj.slots] == [("s", ["v"])]
    assert [(c.node_representation, c.name) for c in obj.classifications] == [("n", "N")]


def test_duplicate_slots_stay_countable() -> None:
    doc = m.Doc(extra=m.slot("creationTime", "20250101"))
    read = read_object_list(parse(m.submission(PATIENT, [doc]).encode())[0])
    obj = read.raw["Document01"]
    assert [s.values for s in obj.slot("creationTime")] == [["20240102030405"], ["20250101"]]
    assert read.submission.documents[0].creation_time == "20240102030405"


def test_classification_of_an_unknown_object_is_a_problem() -> None:
    loose = (
        f'<rim:Classification id="c" classifiedObject="Nope" '
        f'classificationNode="{ClassificationNode.FOLDER}"/>'
    )
    read = read_object_list(parse(m.submission(PATIENT, extra_objects=loose).encode())[0])
    assert read.problems == [("Nope", "Classification of an unknown object")]
