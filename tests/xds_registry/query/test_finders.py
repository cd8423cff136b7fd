"""The 14 stored queries against the fixture registry: exact sets of entryUUIDs (3.18.4.1.2.3.7)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from sqlalchemy.orm import Session

from profiles import stored_queries as sq
from profiles.errors import ErrorCode
from profiles.vocabulary import AssociationType, DocumentEntryType
from tests.xds_registry.query import dataset as ds
from tests.xds_registry.query.builders import Slot, adhoc, one, quoted
from xds_common.errors import XdsError
from xds_common.query import names as n
from xds_common.query.params import parse_request
from xds_registry.query.model import QueryConfig
from xds_registry.query.service import execute

BOTH_STATUSES = quoted(ds.APPROVED, ds.DEPRECATED)
BOTH_TYPES = quoted(DocumentEntryType.STABLE, DocumentEntryType.ON_DEMAND)
LEVEL_2: Slot = (n.METADATA_LEVEL, "2")

#: FindDocuments for PID, Approved, defaults: latest Online Stable entries of PID and OLD.
VISIBLE = {
    name for name, diff in ds.DOCUMENTS.items() if diff.get("patient_id", ds.PID) != ds.OTHER
} - {"de_deprecated", "de_on_demand", "de_offline", "de_v1"}


def run(
    session: Session, config: QueryConfig, query: sq.StoredQuery, slots: Sequence[Slot]
) -> set[str]:
    """Names of the objects the query finds."""
    found = execute(session, parse_request(adhoc(query, slots)), config)
    return {ds.name_of(hit.entry_uuid) for hit in found}


def find_documents(
    session: Session, config: QueryConfig, *extra: Slot, patient: str = ds.PID
) -> set[str]:
    base: list[Slot] = [(n.DE_PATIENT_ID, one(patient)), (n.DE_STATUS, quoted(ds.APPROVED))]
    overridden = {name for name, _ in extra}
    slots = [s for s in base if s[0] not in overridden] + list(extra)
    return run(session, config, sq.FIND_DOCUMENTS, slots)


def uuids(*names: str) -> str:
    return quoted(*(ds.uid(name) for name in names))


# --- FindDocuments ------------------------------------------------------------------------


def test_find_documents_defaults(session: Session, config: QueryConfig) -> None:
    assert find_documents(session, config) == VISIBLE


def test_find_documents_deprecated(session: Session, config: QueryConfig) -> None:
    status = (n.DE_STATUS, quoted(ds.DEPRECATED))
    assert find_documents(session, config, status) == {"de_deprecated"}
    assert find_documents(session, config, status, LEVEL_2) == {"de_deprecated", "de_v1"}


def test_find_documents_everything_at_level_2(session: Session, config: QueryConfig) -> None:
    found = find_documents(
        session, config, (n.DE_STATUS, BOTH_STATUSES), (n.DE_TYPE, BOTH_TYPES), LEVEL_2
    )
    assert found == set(ds.DOCUMENTS) - {"de_other"}


def test_find_documents_on_demand_only(session: Session, config: QueryConfig) -> None:
    types = (n.DE_TYPE, quoted(DocumentEntryType.ON_DEMAND))
    assert find_documents(session, config, types) == {"de_on_demand"}


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        (n.DE_CLASS_CODE, "c2^^cs", "de_class"),
        (n.DE_TYPE_CODE, "t2^^ts", "de_type"),
        (n.DE_PRACTICE_SETTING_CODE, "p2^^ps", "de_practice"),
        (n.DE_HCFT_CODE, "h2^^hs", "de_hcft"),
        (n.DE_FORMAT_CODE, "f2^^fs", "de_format"),
    ],
)
def test_find_documents_single_valued_codes(
    session: Session, config: QueryConfig, name: str, code: str, expected: str
) -> None:
    assert find_documents(session, config, (name, quoted(code))) == {expected}
    base = code.replace("2", "1", 1)
    assert find_documents(session, config, (name, quoted(base, code))) == VISIBLE
    assert find_documents(session, config, (name, quoted(code.replace("^^", "^^x")))) == set()


def test_find_documents_code_needs_matching_scheme(session: Session, config: QueryConfig) -> None:
    assert find_documents(session, config, (n.DE_CLASS_CODE, quoted("c2^^other"))) == set()


def test_find_documents_creation_time(session: Session, config: QueryConfig) -> None:
    within = (n.DE_CREATION_FROM, "2021"), (n.DE_CREATION_TO, "20210602")
    assert find_documents(session, config, *within) == {"de_creation"}
    upper_is_exclusive = (n.DE_CREATION_TO, "20210601")
    assert find_documents(session, config, upper_is_exclusive) == VISIBLE - {"de_creation"}
    lower_is_inclusive = (n.DE_CREATION_FROM, "20210601000000")
    assert find_documents(session, config, lower_is_inclusive) == {"de_creation"}


def test_find_documents_creation_time_ignores_on_demand(
    session: Session, config: QueryConfig
) -> None:
    found = find_documents(session, config, (n.DE_CREATION_FROM, "2021"), (n.DE_TYPE, BOTH_TYPES))
    assert found == {"de_creation", "de_on_demand"}


def test_find_documents_service_times_keep_entries_without_them(
    session: Session, config: QueryConfig
) -> None:
    start = (n.DE_START_FROM, "2019"), (n.DE_START_TO, "2020")
    assert find_documents(session, config, *start) == {"de_service", "de_no_service"}
    stop = (n.DE_STOP_TO, "20190103")
    assert find_documents(session, config, stop) == {"de_service", "de_no_service"}


def test_find_documents_event_codes_and_or(session: Session, config: QueryConfig) -> None:
    event = n.DE_EVENT_CODE
    assert find_documents(session, config, (event, quoted("e1^^es"))) == {
        "de_event_ab",
        "de_event_a",
    }
    assert find_documents(session, config, (event, quoted("e2^^es", "e9^^es"))) == {"de_event_ab"}
    both = (event, quoted("e1^^es")), (event, quoted("e2^^es"))
    assert find_documents(session, config, *both) == {"de_event_ab"}


def test_find_documents_confidentiality_and_or(session: Session, config: QueryConfig) -> None:
    conf = n.DE_CONFIDENTIALITY_CODE
    assert find_documents(session, config, (conf, quoted("R^^conf"))) == {"de_conf_r"}
    assert find_documents(session, config, (conf, quoted("N^^conf", "R^^conf"))) == VISIBLE
    both = (conf, quoted("N^^conf")), (conf, quoted("R^^conf"))
    assert find_documents(session, config, *both) == set()


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (("%Jones%",), {"de_author"}),
        (("%jones%",), {"de_author_lower"}),  # LIKE is case-sensitive (Appendix F)
        (("_Jones^M_ry%",), {"de_author"}),
        (("%Jones%", "%jones%"), {"de_author", "de_author_lower"}),
        (("Jones",), set()),
    ],
)
def test_find_documents_author_like(
    session: Session, config: QueryConfig, patterns: tuple[str, ...], expected: set[str]
) -> None:
    assert find_documents(session, config, (n.DE_AUTHOR, quoted(*patterns))) == expected


def test_find_documents_merged_and_unknown_patients(session: Session, config: QueryConfig) -> None:
    assert "de_merged" in find_documents(session, config)
    assert find_documents(session, config, patient=ds.OLD) == set()
    assert find_documents(session, config, patient=ds.UNKNOWN) == set()
    assert find_documents(session, config, patient=ds.OTHER) == {"de_other"}


@pytest.mark.parametrize("patient", [ds.UNKNOWN, ds.OLD])
def test_find_documents_unknown_patient_error_policy(session: Session, patient: str) -> None:
    strict = QueryConfig(result_limit=1000, unknown_patient_error=True, home_community_id="")
    with pytest.raises(XdsError) as caught:
        find_documents(session, strict, patient=patient)
    assert caught.value.code == ErrorCode.UNKNOWN_PATIENT_ID


def test_find_documents_by_reference_id(session: Session, config: QueryConfig) -> None:
    slots: list[Slot] = [
        (n.DE_PATIENT_ID, one(ds.PID)),
        (n.DE_STATUS, quoted(ds.APPROVED)),
        (n.DE_REFERENCE_IDS, quoted(ds.REF_ID, "other^^^&1.2.3&ISO")),
    ]
    assert run(session, config, sq.FIND_DOCUMENTS_BY_REFERENCE_ID, slots) == {"de_ref"}


# --- FindSubmissionSets, FindFolders ------------------------------------------------------

SS_APPROVED = {"ss_a", "ss_b", "ss_rest", "ss_upd", "ss_m"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), SS_APPROVED),
        (((n.SS_SOURCE_ID, quoted("1.2")),), {"ss_b"}),
        (((n.SS_SUBMISSION_FROM, "20200201"), (n.SS_SUBMISSION_TO, "20200301")), {"ss_b"}),
        (((n.SS_SUBMISSION_TO, "2020"),), {"ss_m"}),
        (((n.SS_AUTHOR, one("%Jones%")),), {"ss_b"}),
        (((n.SS_AUTHOR, one("%jones%")),), set()),
        (((n.SS_CONTENT_TYPE, quoted("ct2^^cts")),), {"ss_b"}),
        (((n.SS_STATUS, quoted(ds.DEPRECATED)),), set()),
    ],
)
def test_find_submission_sets(
    session: Session, config: QueryConfig, extra: tuple[Slot, ...], expected: set[str]
) -> None:
    base: list[Slot] = [(n.SS_PATIENT_ID, one(ds.PID)), (n.SS_STATUS, quoted(ds.APPROVED))]
    overridden = {name for name, _ in extra}
    slots = [s for s in base if s[0] not in overridden] + list(extra)
    assert run(session, config, sq.FIND_SUBMISSION_SETS, slots) == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), {"fd1", "fd2v2"}),
        (((n.FD_STATUS, BOTH_STATUSES),), {"fd1", "fd2v2"}),
        (((n.FD_STATUS, BOTH_STATUSES), LEVEL_2), {"fd1", "fd2v1", "fd2v2"}),
        (((n.FD_STATUS, quoted(ds.DEPRECATED)), LEVEL_2), {"fd2v1"}),
        (((n.FD_CODE_LIST, quoted("fc1^^fcs")),), {"fd1"}),
        (((n.FD_CODE_LIST, quoted("fc1^^fcs", "fc3^^fcs")),), {"fd1", "fd2v2"}),
        (((n.FD_CODE_LIST, quoted("fc1^^fcs")), (n.FD_CODE_LIST, quoted("fc2^^fcs"))), {"fd1"}),
        (((n.FD_CODE_LIST, quoted("fc1^^fcs")), (n.FD_CODE_LIST, quoted("fc3^^fcs"))), set()),
        (((n.FD_UPDATE_FROM, "20200301"),), {"fd2v2"}),
        (((n.FD_UPDATE_TO, "20200101120000"),), set()),
    ],
)
def test_find_folders(
    session: Session, config: QueryConfig, extra: tuple[Slot, ...], expected: set[str]
) -> None:
    base: list[Slot] = [(n.FD_PATIENT_ID, one(ds.PID)), (n.FD_STATUS, quoted(ds.APPROVED))]
    overridden = {name for name, _ in extra}
    slots = [s for s in base if s[0] not in overridden] + list(extra)
    assert run(session, config, sq.FIND_FOLDERS, slots) == expected


# --- GetAll -------------------------------------------------------------------------------


def get_all_slots(*extra: Slot) -> list[Slot]:
    approved = quoted(ds.APPROVED)
    base: list[Slot] = [
        (n.PATIENT_ID, one(ds.PID)),
        (n.DE_STATUS, approved),
        (n.SS_STATUS, approved),
        (n.FD_STATUS, approved),
    ]
    return base + list(extra)


def touching(objects: Iterable[str], hidden: Iterable[str] = ("xfrm_dep", "uas")) -> set[str]:
    """Names of the fixture Associations with an end among ``objects``."""
    ends = set(objects)
    return {
        name
        for name, (_, source, target, _) in ds.ASSOCIATIONS.items()
        if (source in ends or target in ends) and name not in set(hidden)
    }


def test_get_all(session: Session, config: QueryConfig) -> None:
    objects = VISIBLE | SS_APPROVED | {"fd1", "fd2v2"}
    expected = objects | touching(objects)
    assert "ss_upd_fd2v1" in expected  # an Association may point outside the result
    assert run(session, config, sq.GET_ALL, get_all_slots()) == expected


def test_get_all_filters_documents(session: Session, config: QueryConfig) -> None:
    slots = get_all_slots((n.DE_FORMAT_CODE, quoted("f2^^fs")))
    objects = {"de_format"} | SS_APPROVED | {"fd1", "fd2v2"}
    assert run(session, config, sq.GET_ALL, slots) == objects | touching(objects)


def test_get_all_document_codes_leave_sets_and_folders_alone(
    session: Session, config: QueryConfig
) -> None:
    slots = get_all_slots((n.DE_CONFIDENTIALITY_CODE, quoted("R^^conf")))
    objects = {"de_conf_r"} | SS_APPROVED | {"fd1", "fd2v2"}
    assert run(session, config, sq.GET_ALL, slots) == objects | touching(objects)


def test_get_all_unknown_patient(session: Session, config: QueryConfig) -> None:
    slots = [
        (name, one(ds.UNKNOWN)) if name == n.PATIENT_ID else (name, v)
        for name, v in get_all_slots()
    ]
    assert run(session, config, sq.GET_ALL, slots) == set()


# --- queries by id ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ([(n.DE_ENTRY_UUID, uuids("de_base", "de_class"))], {"de_base", "de_class"}),
        ([(n.DE_ENTRY_UUID, uuids("de_base", "ss_a", "fd1"))], {"de_base"}),
        ([(n.DE_ENTRY_UUID, uuids("de_deprecated", "de_other"))], {"de_deprecated", "de_other"}),
        ([(n.DE_UNIQUE_ID, quoted(ds.VERSIONED_UNIQUE_ID))], {"de_v2"}),
        ([(n.DE_UNIQUE_ID, quoted(ds.VERSIONED_UNIQUE_ID)), LEVEL_2], {"de_v1", "de_v2"}),
        ([(n.DE_ENTRY_UUID, uuids("de_v1"))], set()),
        ([(n.DE_ENTRY_UUID, uuids("de_v1")), LEVEL_2], {"de_v1"}),
        ([(n.DE_ENTRY_UUID, uuids("de_offline"))], set()),
        ([(n.DE_ENTRY_UUID, uuids("de_on_demand"))], {"de_on_demand"}),
    ],
)
def test_get_documents(
    session: Session, config: QueryConfig, slots: list[Slot], expected: set[str]
) -> None:
    assert run(session, config, sq.GET_DOCUMENTS, slots) == expected


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ([(n.FD_ENTRY_UUID, uuids("fd1", "fd_q"))], {"fd1", "fd_q"}),
        ([(n.FD_UNIQUE_ID, quoted(ds.FOLDER2_UNIQUE_ID))], {"fd2v2"}),
        ([(n.FD_UNIQUE_ID, quoted(ds.FOLDER2_UNIQUE_ID)), LEVEL_2], {"fd2v1", "fd2v2"}),
        ([(n.FD_ENTRY_UUID, uuids("de_base"))], set()),
    ],
)
def test_get_folders(
    session: Session, config: QueryConfig, slots: list[Slot], expected: set[str]
) -> None:
    assert run(session, config, sq.GET_FOLDERS, slots) == expected


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ([(n.UUID, uuids("de_base"))], {"ss_a_de_base", "fd1_base", "apnd"}),
        ([(n.UUID, uuids("de_base")), LEVEL_2], {"ss_a_de_base", "fd1_base", "apnd"}),
        (
            [(n.UUID, uuids("de_base")), LEVEL_2, (n.ASSOCIATION_STATUS, BOTH_STATUSES)],
            {"ss_a_de_base", "fd1_base", "apnd", "xfrm_dep"},
        ),
        ([(n.UUID, uuids("fd1"))], {"ss_a_fd1", "fd1_base", "fd1_class"}),
        ([(n.UUID, uuids("de_hcft"))], {"ss_rest_de_hcft"}),
        ([(n.UUID, uuids("de_hcft")), LEVEL_2], {"ss_rest_de_hcft", "uas"}),
        ([(n.UUID, uuids("nothing"))], set()),
    ],
)
def test_get_associations(
    session: Session, config: QueryConfig, slots: list[Slot], expected: set[str]
) -> None:
    assert run(session, config, sq.GET_ASSOCIATIONS, slots) == expected


def test_get_documents_and_associations(session: Session, config: QueryConfig) -> None:
    slots: list[Slot] = [(n.DE_ENTRY_UUID, uuids("de_base", "de_rplc"))]
    expected = {"de_base", "de_rplc", "ss_a_de_base", "fd1_base", "apnd", "ss_b_de_rplc", "rplc"}
    assert run(session, config, sq.GET_DOCUMENTS_AND_ASSOCIATIONS, slots) == expected


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (("de_base",), {"ss_a", "ss_a_de_base"}),
        (("de_class", "fd1"), {"ss_rest", "ss_rest_de_class", "ss_a", "ss_a_fd1"}),
        (("fd1_base",), {"ss_a", "ss_a_fd1_base"}),
        (("ss_a",), set()),
    ],
)
def test_get_submission_sets(
    session: Session, config: QueryConfig, members: tuple[str, ...], expected: set[str]
) -> None:
    assert run(session, config, sq.GET_SUBMISSION_SETS, [(n.UUID, uuids(*members))]) == expected


SS_A_ALL = {
    "ss_a", "de_base", "de_format", "de_conf_r", "fd1",
    "ss_a_de_base", "ss_a_de_format", "ss_a_de_conf_r", "ss_a_fd1", "fd1_base", "ss_a_fd1_base",
}  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), SS_A_ALL),
        (((n.DE_FORMAT_CODE, quoted("f1^^fs")),), SS_A_ALL - {"de_format", "ss_a_de_format"}),
        (
            ((n.DE_CONFIDENTIALITY_CODE, quoted("R^^conf")),),
            {"ss_a", "de_conf_r", "fd1", "ss_a_de_conf_r", "ss_a_fd1"},
        ),
    ],
)
def test_get_submission_set_and_contents(
    session: Session, config: QueryConfig, extra: tuple[Slot, ...], expected: set[str]
) -> None:
    by_uuid = [(n.SS_ENTRY_UUID, one(ds.uid("ss_a"))), *extra]
    assert run(session, config, sq.GET_SUBMISSION_SET_AND_CONTENTS, by_uuid) == expected
    by_unique_id = [(n.SS_UNIQUE_ID, one("1.7.ss_a")), *extra]
    assert run(session, config, sq.GET_SUBMISSION_SET_AND_CONTENTS, by_unique_id) == expected


def test_get_submission_set_and_contents_leaves_out_non_members(
    session: Session, config: QueryConfig
) -> None:
    slots: list[Slot] = [(n.SS_ENTRY_UUID, one(ds.uid("ss_b")))]
    expected = {"ss_b", "de_rplc", "de_apnd", "ss_b_de_rplc", "ss_b_de_apnd"}
    assert run(session, config, sq.GET_SUBMISSION_SET_AND_CONTENTS, slots) == expected


def test_get_submission_set_and_contents_unknown(session: Session, config: QueryConfig) -> None:
    slots: list[Slot] = [(n.SS_UNIQUE_ID, one("9.9.9"))]
    assert run(session, config, sq.GET_SUBMISSION_SET_AND_CONTENTS, slots) == set()


FD1_ALL = {"fd1", "de_base", "de_class", "fd1_base", "fd1_class"}


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ([(n.FD_ENTRY_UUID, one(ds.uid("fd1")))], FD1_ALL),
        ([(n.FD_UNIQUE_ID, one("1.8.1"))], FD1_ALL),
        (
            [(n.FD_ENTRY_UUID, one(ds.uid("fd1"))), (n.DE_CONFIDENTIALITY_CODE, quoted("R^^conf"))],
            {"fd1"},
        ),
        ([(n.FD_ENTRY_UUID, one(ds.uid("fd1"))), (n.DE_FORMAT_CODE, quoted("f1^^fs"))], FD1_ALL),
        ([(n.FD_UNIQUE_ID, one(ds.FOLDER2_UNIQUE_ID))], {"fd2v2"}),
        ([(n.FD_UNIQUE_ID, one(ds.FOLDER2_UNIQUE_ID)), LEVEL_2], {"fd2v1", "fd2v2"}),
    ],
)
def test_get_folder_and_contents(
    session: Session, config: QueryConfig, slots: list[Slot], expected: set[str]
) -> None:
    assert run(session, config, sq.GET_FOLDER_AND_CONTENTS, slots) == expected


@pytest.mark.parametrize(
    ("document", "expected"),
    [("de_base", {"fd1"}), ("de_class", {"fd1"}), ("de_other", {"fd_q"}), ("de_format", set())],
)
def test_get_folders_for_document(
    session: Session, config: QueryConfig, document: str, expected: set[str]
) -> None:
    slots: list[Slot] = [(n.DE_ENTRY_UUID, one(ds.uid(document)))]
    assert run(session, config, sq.GET_FOLDERS_FOR_DOCUMENT, slots) == expected


def test_get_folders_for_document_by_unique_id(session: Session, config: QueryConfig) -> None:
    slots: list[Slot] = [(n.DE_UNIQUE_ID, one("2.1.0"))]  # de_base
    assert run(session, config, sq.GET_FOLDERS_FOR_DOCUMENT, slots) == {"fd1"}


RELATION_TYPES = quoted(AssociationType.RPLC, AssociationType.APND, AssociationType.HAS_MEMBER)


@pytest.mark.parametrize(
    ("document", "types", "extra", "expected"),
    [
        ("de_base", RELATION_TYPES, (), {"de_base", "de_apnd", "apnd"}),
        ("de_deprecated", RELATION_TYPES, (), {"de_deprecated", "de_rplc", "rplc"}),
        ("de_rplc", quoted(AssociationType.APND), (), set()),
        ("de_class", RELATION_TYPES, (), set()),  # only a Folder HasMember: not DE-DE
        ("de_base", quoted(AssociationType.XFRM), (), set()),  # Deprecated link, level 1
        ("de_base", quoted(AssociationType.XFRM), (LEVEL_2,), {"de_base", "de_type", "xfrm_dep"}),
        ("de_format", RELATION_TYPES, (), set()),
    ],
)
def test_get_related_documents(
    session: Session,
    config: QueryConfig,
    document: str,
    types: str,
    extra: tuple[Slot, ...],
    expected: set[str],
) -> None:
    slots = [(n.DE_ENTRY_UUID, one(ds.uid(document))), (n.ASSOCIATION_TYPES, types), *extra]
    assert run(session, config, sq.GET_RELATED_DOCUMENTS, slots) == expected


def test_get_related_documents_type_filter(session: Session, config: QueryConfig) -> None:
    slots: list[Slot] = [
        (n.DE_ENTRY_UUID, one(ds.uid("de_base"))),
        (n.ASSOCIATION_TYPES, RELATION_TYPES),
        (n.DE_TYPE, quoted(DocumentEntryType.ON_DEMAND)),
    ]
    assert run(session, config, sq.GET_RELATED_DOCUMENTS, slots) == set()


def test_result_limit(session: Session) -> None:
    tight = QueryConfig(
        result_limit=len(VISIBLE) - 1, unknown_patient_error=False, home_community_id=""
    )
    with pytest.raises(XdsError) as caught:
        find_documents(session, tight)
    assert caught.value.code == ErrorCode.TOO_MANY_RESULTS
    exact = QueryConfig(
        result_limit=len(VISIBLE), unknown_patient_error=False, home_community_id=""
    )
    assert find_documents(session, exact) == VISIBLE
