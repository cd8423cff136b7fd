"""run_stored_query: ObjectRef and LeafClass answers, result rules (ITI TF-2a 3.18.4.1.3)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus, Scheme, SlotName
from tests.xds_registry.query import dataset as ds
from tests.xds_registry.query.builders import Slot, adhoc, one, quoted
from xds_common.ebrim import rim
from xds_common.errors import XdsError
from xds_common.query import names as n
from xds_registry.query.model import QueryConfig
from xds_registry.query.service import error_response, run_stored_query

T_RESPONSE = ns.qn(ns.QUERY, "AdhocQueryResponse")


def answer(
    session: Session,
    config: QueryConfig,
    query: sq.StoredQuery,
    slots: Sequence[Slot],
    return_type: str = "LeafClass",
) -> etree._Element:
    answered = run_stored_query(session, adhoc(query, slots, return_type), config)
    response = etree.fromstring(answered) if isinstance(answered, bytes) else answered
    assert response.tag == T_RESPONSE
    assert response.get("status") == ResponseStatus.SUCCESS
    return response


def objects(response: etree._Element) -> dict[str, etree._Element]:
    """The RegistryObjectList children by fixture name."""
    object_list = response.find(rim.T_OBJECT_LIST)
    assert object_list is not None
    return {ds.name_of(child.get("id", "")): child for child in object_list}


def get_documents(*names: str) -> list[Slot]:
    return [(n.DE_ENTRY_UUID, quoted(*(ds.uid(name) for name in names))), (n.METADATA_LEVEL, "2")]


def patient_of(element: etree._Element) -> str:
    ids = element.iterchildren(rim.T_EXTERNAL_ID)
    return next(e.get("value", "") for e in ids if e.get("identificationScheme") in set(Scheme))


def test_object_ref_answer(session: Session, config: QueryConfig) -> None:
    slots = [(n.SS_ENTRY_UUID, one(ds.uid("ss_b")))]
    response = answer(session, config, sq.GET_SUBMISSION_SET_AND_CONTENTS, slots, "ObjectRef")
    found = objects(response)
    assert set(found) == {"ss_b", "de_rplc", "de_apnd", "ss_b_de_rplc", "ss_b_de_apnd"}
    assert all(
        e.tag == rim.T_OBJECT_REF and e.get("home") == "urn:oid:1.2.3" for e in found.values()
    )
    assert all(len(e) == 0 for e in found.values())


def test_leaf_class_overlays_registry_values(session: Session, config: QueryConfig) -> None:
    found = objects(
        answer(session, config, sq.GET_DOCUMENTS, get_documents("de_v1", "de_v2", "de_merged"))
    )
    assert set(found) == {"de_v1", "de_v2", "de_merged"}
    v1, v2, merged = found["de_v1"], found["de_v2"], found["de_merged"]
    assert v1.tag == rim.T_EXTRINSIC
    assert (v1.get("status"), v2.get("status")) == (ds.DEPRECATED, ds.APPROVED)
    assert v1.get("lid") == v2.get("lid") == ds.uid("de_v1")
    versions = [e.find(rim.T_VERSION_INFO) for e in (v1, v2)]
    assert [v.get("versionName") if v is not None else None for v in versions] == ["1", "2"]
    assert patient_of(merged) == ds.PID  # surviving id replaces the merged one
    assert merged.get("home") == "urn:oid:1.2.3"


def test_leaf_class_folder_last_update_time(session: Session, config: QueryConfig) -> None:
    slots = [(n.FD_ENTRY_UUID, quoted(ds.uid("fd1")))]
    folder = objects(answer(session, config, sq.GET_FOLDERS, slots))["fd1"]
    slot = next(
        s for s in folder.iterchildren(rim.T_SLOT) if s.get("name") == SlotName.LAST_UPDATE_TIME
    )
    assert [v.text for v in slot.iter(rim.T_VALUE)] == ["20200101120000"]


def test_leaf_class_associations(session: Session, config: QueryConfig) -> None:
    slots = [(n.UUID, quoted(ds.uid("de_deprecated")))]
    found = objects(answer(session, config, sq.GET_ASSOCIATIONS, slots))
    assert set(found) == {"rplc", "ss_rest_de_deprecated"}
    assert found["rplc"].get("status") == ds.APPROVED


def test_empty_answer_is_success_with_empty_list(session: Session, config: QueryConfig) -> None:
    slots = [(n.DE_PATIENT_ID, one(ds.UNKNOWN)), (n.DE_STATUS, quoted(ds.APPROVED))]
    response = answer(session, config, sq.FIND_DOCUMENTS, slots)
    assert objects(response) == {}


def test_single_patient_rule(session: Session, config: QueryConfig) -> None:
    mixed = get_documents("de_base", "de_other")
    with pytest.raises(XdsError) as caught:
        run_stored_query(session, adhoc(sq.GET_DOCUMENTS, mixed, "LeafClass"), config)
    assert caught.value.code == ErrorCode.RESULT_NOT_SINGLE_PATIENT
    assert set(objects(answer(session, config, sq.GET_DOCUMENTS, mixed, "ObjectRef"))) == {
        "de_base",
        "de_other",
    }
    merged = get_documents("de_base", "de_merged")  # one patient after the merge
    assert set(objects(answer(session, config, sq.GET_DOCUMENTS, merged))) == {
        "de_base",
        "de_merged",
    }


def test_single_patient_rule_only_for_single_patient_queries(
    session: Session, config: QueryConfig
) -> None:
    slots = [(n.UUID, quoted(ds.uid("de_base"), ds.uid("de_other")))]
    found = objects(answer(session, config, sq.GET_ASSOCIATIONS, slots))
    assert "ss_q_other" in found


def test_too_many_results_returns_nothing(session: Session) -> None:
    tight = QueryConfig(result_limit=2, unknown_patient_error=False, home_community_id="")
    with pytest.raises(XdsError) as caught:
        run_stored_query(
            session, adhoc(sq.GET_DOCUMENTS, get_documents("de_base", "de_class", "de_type")), tight
        )
    assert caught.value.code == ErrorCode.TOO_MANY_RESULTS


def test_unknown_patient_policy(session: Session) -> None:
    strict = QueryConfig(result_limit=10, unknown_patient_error=True, home_community_id="")
    slots = [(n.DE_PATIENT_ID, one(ds.UNKNOWN)), (n.DE_STATUS, quoted(ds.APPROVED))]
    with pytest.raises(XdsError) as caught:
        run_stored_query(session, adhoc(sq.FIND_DOCUMENTS, slots), strict)
    assert caught.value.code == ErrorCode.UNKNOWN_PATIENT_ID
    assert ds.UNKNOWN in caught.value.errors[0].context


def test_error_response_is_a_failure_without_objects(session: Session, config: QueryConfig) -> None:
    request = adhoc("urn:uuid:00000000-0000-0000-0000-000000000000", [])
    with pytest.raises(XdsError) as caught:
        run_stored_query(session, request, config)
    response = error_response(caught.value.errors)
    assert response.tag == T_RESPONSE
    assert response.get("status") == ResponseStatus.FAILURE
    errors = response.findall(f"{{{ns.RS}}}RegistryErrorList/{{{ns.RS}}}RegistryError")
    assert [e.get("errorCode") for e in errors] == [ErrorCode.UNKNOWN_STORED_QUERY]
    assert objects(response) == {}
