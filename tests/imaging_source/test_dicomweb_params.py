"""Pure parts of DICOMweb: QIDO-RS parameters (PS3.18 8.3.4) and Accept parsing (8.7)."""

from __future__ import annotations

import pytest

from imaging_source.dicomweb.accept import parse_accept
from imaging_source.dicomweb.attributes import Level
from imaging_source.dicomweb.errors import DicomwebError
from imaging_source.dicomweb.qido_params import parse_query
from imaging_source.index.query import Condition, Op


def test_keyword_and_tag_forms_give_the_same_condition() -> None:
    by_keyword = parse_query(Level.STUDY, [("PatientID", "P1")], 100)
    by_tag = parse_query(Level.STUDY, [("00100020", "P1")], 100)
    assert (
        by_keyword.conditions
        == by_tag.conditions
        == (Condition("patient", "patient_id", Op.LIKE, ("P1",)),)
    )


def test_ranges_and_lists() -> None:
    query = parse_query(
        Level.STUDY,
        [("StudyDate", "20240101-"), ("StudyTime", "-1030"), ("StudyInstanceUID", "1.2,1.3\\1.4")],
        100,
    )
    assert query.conditions == (
        Condition("study", "study_date", Op.RANGE, ("20240101", "")),
        Condition("study", "study_time", Op.RANGE, ("", "1030~")),
        Condition("study", "study_instance_uid", Op.IN, ("1.2", "1.3", "1.4")),
    )


def test_universal_matching_returns_the_attribute_without_a_condition() -> None:
    query = parse_query(Level.STUDY, [("StudyDescription", "")], 100)
    assert query.conditions == () and [a.keyword for a in query.include] == ["StudyDescription"]


def test_limit_is_capped_and_series_keys_are_ignored_in_a_study_search() -> None:
    query = parse_query(Level.STUDY, [("limit", "9999"), ("Modality", "CT")], 500)
    assert query.limit == 500 and query.ignored == ("Modality",)


def test_instance_search_keeps_unindexed_includefields() -> None:
    query = parse_query(Level.INSTANCE, [("includefield", "WindowCenter,00280101")], 100)
    assert query.include_other == ("00281050", "00280101")


@pytest.mark.parametrize(
    "args",
    [
        [("StudyDate", "20241301x")],
        [("PatientID", "a"), ("PatientID", "b")],
        [("offset", "x")],
        [("Nonsense", "1")],
        [("ModalitiesInStudy", "CT,,MR")],
    ],
)
def test_bad_parameters_are_400(args: list[tuple[str, str]]) -> None:
    with pytest.raises(DicomwebError) as raised:
        parse_query(Level.STUDY, args, 100)
    assert raised.value.status == 400


def test_accept_orders_by_quality_and_keeps_parameters() -> None:
    ranges = parse_accept(
        'image/png;q=0.5, multipart/related; type="application/dicom"; transfer-syntax=*, '
        "image/gif;q=0",
        "*/*",
    )
    assert [r.media_type for r in ranges] == ["multipart/related", "image/png"]
    assert ranges[0].inner == "application/dicom" and ranges[0].transfer_syntax == "*"
    assert parse_accept(None, "image/jpeg")[0].media_type == "image/jpeg"
