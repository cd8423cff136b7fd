"""ebRIM 2.1 -> 3.0 conversion on every 2.1 file of the corpus (README §5.1 item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance import ebrim21
from conformance.corpus import Corpus
from profiles import namespaces as ns
from profiles.vocabulary import AssociationType
from xds_common.xml import parse

OLD = (ns.RIM21, ns.RS21, ns.QUERY21)
ASSOCIATION_URNS = {t.value for t in AssociationType}


def _files(cases: list[dict[str, Any]], version: str) -> list[str]:
    return sorted({c["file"] for c in cases if c.get("ebrim_version") == version})


def _load(corpus: Corpus, name: str) -> etree._Element:
    return parse((corpus.root / name).read_bytes().lstrip())


def _by_local(root: etree._Element, local: str) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == local]


def test_every_21_file_converts_to_clean_30(
    corpus: Corpus, manifest_cases: list[dict[str, Any]]
) -> None:
    files = _files(manifest_cases, "2.1")
    assert len(files) > 100
    for name in files:
        original = _load(corpus, name)
        assert ebrim21.is_ebrim21(original), name
        converted = ebrim21.convert(original)
        text = etree.tostring(converted).decode()
        assert not any(old in text for old in OLD), name
        assert converted.tag == ns.qn(ns.LCM, "SubmitObjectsRequest"), name
        assert converted.find(ns.qn(ns.RIM, "RegistryObjectList")) is not None, name
        for el in converted.iter():
            if isinstance(el.tag, str):
                assert etree.QName(el).namespace in (ns.LCM, ns.RIM), (name, el.tag)
        _check_references(name, converted)
        _check_counts(name, original, converted)


def _check_references(name: str, root: etree._Element) -> None:
    for assoc in _by_local(root, "Association"):
        assert assoc.get("associationType") in ASSOCIATION_URNS, (name, assoc.attrib)
        assert assoc.get("id"), name
    for ei in _by_local(root, "ExternalIdentifier"):
        assert ei.get("registryObject") and ei.get("id"), (name, ei.attrib)
    for cl in _by_local(root, "Classification"):
        assert cl.get("classifiedObject") and cl.get("id"), (name, cl.attrib)
    ids = [e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")]
    objects = [i for i in ids if i and not i.startswith("urn:uuid:")]
    assert len(objects) == len(set(objects)), (name, "duplicate ids")


def _check_counts(name: str, original: etree._Element, converted: etree._Element) -> None:
    for local in ("ExtrinsicObject", "RegistryPackage", "Association", "Slot", "Value"):
        assert len(_by_local(original, local)) == len(_by_local(converted, local)), (name, local)
    lids = sorted(str(e.get("lid")) for e in original.iter() if e.get("lid"))
    assert lids == sorted(str(e.get("lid")) for e in converted.iter() if e.get("lid")), name


def test_scheme_object_refs_dropped_referenced_ones_kept(corpus: Corpus) -> None:
    converted = ebrim21.convert(_load(corpus, "iti42/nist-tk2__11993__rplc__metadata.xml"))
    refs = [r.get("id") for r in _by_local(converted, "ObjectRef")]
    assert refs == ["$rplc_doc_uuid$"]


def test_children_in_ebrim30_order(corpus: Corpus) -> None:
    converted = ebrim21.convert(_load(corpus, "iti42/nist-tk2__11990__submit__single_doc.xml"))
    for obj in (*_by_local(converted, "ExtrinsicObject"), *_by_local(converted, "RegistryPackage")):
        order = [etree.QName(c).localname for c in obj if isinstance(c.tag, str)]
        last_slot = max(i for i, n in enumerate(order) if n == "Slot")
        assert last_slot < order.index("Name")
        first_ei = order.index("ExternalIdentifier")
        assert all(n == "ExternalIdentifier" for n in order[first_ei:])


def test_hybrid_mu_file_keeps_lid_and_update_association(corpus: Corpus) -> None:
    original = _load(corpus, "iti57/nist-tk2__15801__author__update.xml")
    converted = ebrim21.convert(original)
    doc = _by_local(converted, "ExtrinsicObject")[0]
    assert doc.get("lid") == "$lid$"
    assert doc.get("id") == "Document01"
    ssm = [
        a for a in _by_local(converted, "Association") if a.find(ns.qn(ns.RIM, "Slot")) is not None
    ]
    assert ssm, "association slots kept"


def test_short_types_and_status_mapped() -> None:
    rim = ns.RIM21
    xml = (
        f'<rs:SubmitObjectsRequest xmlns:rs="{ns.RS21}"><rim:LeafRegistryObjectList '
        f'xmlns:rim="{rim}"><rim:ExtrinsicObject id="D" status="Approved"/>'
        '<rim:Association sourceObject="S" targetObject="D" associationType="XFRM_RPLC"/>'
        "</rim:LeafRegistryObjectList></rs:SubmitObjectsRequest>"
    )
    converted = ebrim21.convert(parse(xml.encode()))
    assoc = _by_local(converted, "Association")[0]
    assert assoc.get("associationType") == AssociationType.XFRM_RPLC
    assert _by_local(converted, "ExtrinsicObject")[0].get("status") == (
        "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
    )


@pytest.mark.parametrize("name", ["iti42/nist-tk2__15801__author__original.xml"])
def test_30_files_are_not_converted(corpus: Corpus, name: str) -> None:
    assert not ebrim21.is_ebrim21(_load(corpus, name))


def test_query_files_are_30(corpus: Corpus, manifest_cases: list[dict[str, Any]]) -> None:
    for case in manifest_cases:
        if case["transaction"] == "ITI-18":
            assert not ebrim21.is_ebrim21(_load(corpus, case["file"])), case["file"]


def test_converted_is_serialisable_with_one_namespace_declaration(corpus: Corpus) -> None:
    path = Path("iti57/nist-tk2__20002__eval__invalid_slot.xml")
    converted = ebrim21.convert(_load(corpus, str(path)))
    text = etree.tostring(converted).decode()
    assert text.count(f'xmlns:rim="{ns.RIM}"') == 1
