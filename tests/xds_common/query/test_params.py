"""ITI-18 parameter parsing: a golden request plus one change → one error code (3.18.4.1.2.3)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from profiles import stored_queries as sq
from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, DocumentEntryType, Status
from tests.xds_registry.query.builders import Slot, adhoc, one, quoted
from xds_common.errors import XdsError
from xds_common.query import names as n
from xds_common.query.params import ParsedQuery, parse_request
from xds_common.query.values import MalformedValueError, split_value

PATIENT = "pat1^^^&1.2.3.4.5.1000&ISO"
APPROVED = Status.APPROVED.value

GOLDEN: tuple[Slot, ...] = (
    (n.DE_PATIENT_ID, one(PATIENT)),
    (n.DE_STATUS, quoted(APPROVED)),
    (n.DE_CLASS_CODE, quoted("c1^^cs", "c2^^cs")),
    (n.DE_CREATION_FROM, "2004"),
    (n.DE_EVENT_CODE, quoted("e1^^es")),
)
GET_GOLDEN: tuple[Slot, ...] = ((n.DE_ENTRY_UUID, quoted("urn:uuid:a", "urn:uuid:b")),)


def changed(golden: Sequence[Slot], name: str, value: str | Sequence[str] | None) -> list[Slot]:
    """``golden`` with slot ``name`` replaced by ``value`` (None: removed, new: appended)."""
    slots = [(k, v) for k, v in golden if k != name]
    return slots if value is None else [*slots, (name, value)]


def parse(slots: Sequence[Slot], query: sq.StoredQuery = sq.FIND_DOCUMENTS) -> ParsedQuery:
    return parse_request(adhoc(query, slots))


def error_of(slots: Sequence[Slot], query: sq.StoredQuery = sq.FIND_DOCUMENTS) -> XdsError:
    with pytest.raises(XdsError) as caught:
        parse(slots, query)
    return caught.value


def test_golden_request_parses() -> None:
    parsed = parse(GOLDEN)
    assert parsed.spec is sq.FIND_DOCUMENTS
    assert parsed.single(n.DE_PATIENT_ID) == PATIENT
    assert parsed.values(n.DE_STATUS) == (APPROVED,)
    assert parsed.values(n.DE_CLASS_CODE) == ("c1^^cs", "c2^^cs")
    assert parsed.single(n.DE_CREATION_FROM) == "20040000000000"
    assert parsed.groups(n.DE_EVENT_CODE) == (("e1^^es",),)
    assert not parsed.leaf_class
    assert parsed.metadata_level == 1
    assert parsed.ignored == ()


def test_unknown_query_id() -> None:
    with pytest.raises(XdsError) as caught:
        parse_request(adhoc("urn:uuid:00000000-0000-0000-0000-000000000000", GOLDEN))
    assert caught.value.code == ErrorCode.UNKNOWN_STORED_QUERY


@pytest.mark.parametrize("name", [n.DE_PATIENT_ID, n.DE_STATUS])
def test_missing_required_parameter(name: str) -> None:
    error = error_of(changed(GOLDEN, name, None))
    assert error.code == ErrorCode.STORED_QUERY_MISSING_PARAM
    assert name in error.errors[0].context


def test_only_unknown_status_values_count_as_missing() -> None:
    error = error_of(changed(GOLDEN, n.DE_STATUS, quoted("urn:example:Unknown")))
    assert error.code == ErrorCode.STORED_QUERY_MISSING_PARAM


def test_unknown_status_values_are_ignored() -> None:
    parsed = parse(changed(GOLDEN, n.DE_STATUS, quoted("urn:example:Unknown", APPROVED)))
    assert parsed.values(n.DE_STATUS) == (APPROVED,)


def test_status_typo_of_the_tf_sample_is_accepted() -> None:
    typo = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Approved"
    assert parse(changed(GOLDEN, n.DE_STATUS, quoted(typo))).values(n.DE_STATUS) == (APPROVED,)


@pytest.mark.parametrize(
    "value",
    [quoted(PATIENT, "other^^^&1.2.3&ISO"), [one(PATIENT), one("other^^^&1.2.3&ISO")]],
    ids=["list", "two-values"],
)
def test_single_valued_parameter_with_several_values(value: str | list[str]) -> None:
    error = error_of(changed(GOLDEN, n.DE_PATIENT_ID, value))
    assert error.code == ErrorCode.STORED_QUERY_PARAM_NUMBER


def test_single_valued_parameter_in_two_slots() -> None:
    error = error_of([*GOLDEN, (n.DE_CREATION_FROM, "2005")])
    assert error.code == ErrorCode.STORED_QUERY_PARAM_NUMBER


def test_one_of_pair_both_given() -> None:
    error = error_of([*GET_GOLDEN, (n.DE_UNIQUE_ID, quoted("1.2.3"))], sq.GET_DOCUMENTS)
    assert error.code == ErrorCode.STORED_QUERY_PARAM_NUMBER


def test_one_of_pair_neither_given() -> None:
    error = error_of(changed(GET_GOLDEN, n.DE_ENTRY_UUID, None), sq.GET_DOCUMENTS)
    assert error.code == ErrorCode.STORED_QUERY_MISSING_PARAM


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (n.DE_PATIENT_ID, "'pat1^^^&1.2.3&ISO"),  # unterminated quote
        (n.DE_PATIENT_ID, "pat'1"),  # quote inside a bare value
        (n.DE_CLASS_CODE, "('c1^^cs';'c2^^cs')"),  # semicolon separator
        (n.DE_CLASS_CODE, "('c1^^cs'"),  # unclosed list
        (n.DE_CLASS_CODE, "()"),  # empty list
        (n.DE_CLASS_CODE, quoted("c1")),  # code without ^^scheme
        (n.DE_CLASS_CODE, quoted("c1^^cs", "a^^")),  # empty scheme
        (n.DE_CLASS_CODE, quoted("^^cs")),  # empty code
        (n.DE_CREATION_FROM, "2004-01-01"),  # not a DTM
        (n.DE_CREATION_FROM, "20041399"),  # month out of range
        (n.METADATA_LEVEL, "3"),
    ],
)
def test_malformed_value_is_a_registry_error(name: str, value: str) -> None:
    error = error_of(changed(GOLDEN, name, value))
    assert error.code == ErrorCode.REGISTRY_ERROR
    assert name in error.errors[0].context


def test_unknown_return_type() -> None:
    with pytest.raises(XdsError) as caught:
        parse_request(adhoc(sq.FIND_DOCUMENTS, GOLDEN, return_type="RegistryObject"))
    assert caught.value.code == ErrorCode.REGISTRY_ERROR
    assert "returnType" in caught.value.errors[0].context


def test_absent_return_type_means_leaf_class() -> None:
    assert parse_request(adhoc(sq.FIND_DOCUMENTS, GOLDEN, return_type=None)).leaf_class


def test_unknown_parameters_are_ignored_and_noted() -> None:
    parsed = parse([*GOLDEN, ("$XDSDocumentEntryPracticeSettingCodeScheme", "('x')")])
    assert parsed.ignored == ("$XDSDocumentEntryPracticeSettingCodeScheme",)


def test_errors_are_all_reported() -> None:
    slots = changed(changed(GOLDEN, n.DE_STATUS, None), n.DE_CLASS_CODE, quoted("c1"))
    codes = {e.code for e in error_of(slots).errors}
    assert codes == {ErrorCode.STORED_QUERY_MISSING_PARAM, ErrorCode.REGISTRY_ERROR}


def test_list_split_over_several_values() -> None:
    value = [quoted("c1^^cs", "c2^^cs"), quoted("c3^^cs")]
    parsed = parse(changed(GOLDEN, n.DE_CLASS_CODE, value))
    assert parsed.groups(n.DE_CLASS_CODE) == (("c1^^cs", "c2^^cs", "c3^^cs"),)


def test_repeated_slots_of_an_and_or_parameter_are_anded() -> None:
    slots = [*GOLDEN, (n.DE_EVENT_CODE, [quoted("e2^^es", "e3^^es"), quoted("e4^^es")])]
    parsed = parse(slots)
    assert parsed.groups(n.DE_EVENT_CODE) == (("e1^^es",), ("e2^^es", "e3^^es", "e4^^es"))


def test_repeated_slots_of_other_multi_valued_parameters_are_ored() -> None:
    parsed = parse([*GOLDEN, (n.DE_CLASS_CODE, quoted("c9^^cs"))])
    assert parsed.groups(n.DE_CLASS_CODE) == (("c1^^cs", "c2^^cs", "c9^^cs"),)


def test_lenient_forms() -> None:
    slots = changed(GOLDEN, n.DE_PATIENT_ID, PATIENT)  # unquoted patient id (pitfall 8)
    slots = changed(slots, n.DE_CREATION_FROM, "'200412252300'")  # quoted DTM
    slots = changed(slots, n.DE_CLASS_CODE, quoted("c1^display^cs"))  # display component
    parsed = parse(slots)
    assert parsed.single(n.DE_PATIENT_ID) == PATIENT
    assert parsed.single(n.DE_CREATION_FROM) == "20041225230000"
    assert parsed.values(n.DE_CLASS_CODE) == ("c1^^cs",)


def test_object_types_and_metadata_level() -> None:
    types = quoted(DocumentEntryType.STABLE, DocumentEntryType.ON_DEMAND)
    parsed = parse([*GOLDEN, (n.DE_TYPE, types), (n.METADATA_LEVEL, "2")])
    assert parsed.values(n.DE_TYPE) == (DocumentEntryType.STABLE, DocumentEntryType.ON_DEMAND)
    assert parsed.metadata_level == 2


def test_short_association_types_become_urns() -> None:
    slots = [(n.DE_ENTRY_UUID, one("urn:uuid:a")), (n.ASSOCIATION_TYPES, "('RPLC', 'APND')")]
    parsed = parse(slots, sq.GET_RELATED_DOCUMENTS)
    assert parsed.values(n.ASSOCIATION_TYPES) == (AssociationType.RPLC, AssociationType.APND)


def test_home_community_id_from_the_adhoc_query() -> None:
    request = adhoc(sq.GET_DOCUMENTS, GET_GOLDEN, home="urn:oid:1.2.3")
    assert parse_request(request).home == "urn:oid:1.2.3"


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("'Children''s Hospital'", ["Children's Hospital"]),
        ("''", [""]),
        ("123", ["123"]),
        ("('a')", ["a"]),
        (" ( 'a' , 'b,c' , 20041225 ) ", ["a", "b,c", "20041225"]),
        ("('it''s', '''')", ["it's", "'"]),
    ],
)
def test_split_value(text: str, items: list[str]) -> None:
    assert split_value(text) == items


@pytest.mark.parametrize("text", ["('a' 'b')", "('a',)", "'a'b", "(('a'))", "'a"])
def test_split_value_rejects(text: str) -> None:
    with pytest.raises(MalformedValueError):
        split_value(text)
