"""ITI-8 ADT handling: a golden A01 plus one change per test (ITI TF-2a 3.8, Appendix C)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest

from xds_common.db import Base, get_engine, session_factory
from xds_registry.feed.adt import handle_message, reject
from xds_registry.patients import PatientIdentity
from xds_registry.storage import patients as store

BSN = "2.16.840.1.113883.2.4.6.3"
OTHER = "1.2.3.4.5.1000"
FOREIGN = "1.2.3.99"

GOLDEN_A01 = "\r".join(
    [
        "MSH|^~\\&|PIX_SOURCE|ZIEKENHUIS|XDS_REG|BEELDPORTAAL|20240101120000||ADT^A01^ADT_A01"
        "|MSG00001|P|2.3.1",
        "EVN|A01|20240101120000",
        f"PID|||111222333^^^&{BSN}&ISO~H123^^^HOSP&{FOREIGN}&ISO||Jansen^Jan||19800101|M",
        "PV1||I",
    ]
)
GOLDEN_A40 = "\r".join(
    [
        "MSH|^~\\&|PIX_SOURCE|ZIEKENHUIS|XDS_REG|BEELDPORTAAL|20240102120000||ADT^A40^ADT_A39"
        "|MSG00040|P|2.3.1",
        "EVN|A40|20240102120000",
        f"PID|||123456782^^^&{BSN}&ISO||Jansen^Jan",
        f"MRG|111222333^^^&{BSN}&ISO",
    ]
)
PATIENT = f"111222333^^^&{BSN}&ISO"
SURVIVOR = f"123456782^^^&{BSN}&ISO"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite registry database; its engine is disposed afterwards."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Base.metadata.create_all(get_engine(url, write=True))
    yield url
    get_engine(url, write=True).dispose()


@pytest.fixture
def identity(database_url: str) -> PatientIdentity:
    return PatientIdentity(session_factory(database_url, write=True), (BSN, OTHER))


@pytest.fixture
def merged_pair(identity: PatientIdentity) -> PatientIdentity:
    """Both ids of GOLDEN_A40 are known and active."""
    identity.add(PATIENT)
    identity.add(SURVIVOR)
    return identity


def send(identity: PatientIdentity, message: str) -> hl7.Message:
    return hl7.parse(handle_message(message, identity))


def field(ack: hl7.Message, path: str) -> str:
    segment = path[:3]
    if not any(str(seg[0]) == segment for seg in ack):
        return ""
    return str(ack[path])


def assert_ack(ack: hl7.Message, code: str, error: str | None = None) -> None:
    assert field(ack, "MSA.F1") == code
    assert (field(ack, "ERR.F3.R1.C1") or None) == error


def merged_into(identity: PatientIdentity, patient_id: str) -> str | None:
    with identity.sessions() as session:
        row = store.get(session, patient_id)
        return None if row is None else row.merged_into


# --- A01 / A04 / A05 / A08 ------------------------------------------------------------------


def test_golden_a01_registers_the_domain_id_only(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01)
    assert_ack(ack, "AA")
    assert identity.is_known(PATIENT)
    assert not identity.is_known(f"H123^^^&{FOREIGN}&ISO")


def test_ack_header_swaps_parties_and_echoes_control_id(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01)
    assert [field(ack, f"MSH.F{n}") for n in (3, 4, 5, 6)] == [
        "XDS_REG",
        "BEELDPORTAAL",
        "PIX_SOURCE",
        "ZIEKENHUIS",
    ]
    assert str(ack.segment("MSH")(9)) == "ACK^A01^ACK"
    assert field(ack, "MSH.F12") == "2.3.1"
    assert field(ack, "MSA.F2") == "MSG00001"
    assert len(ack) == 2


def test_version_is_copied(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01.replace("|P|2.3.1", "|P|2.5"))
    assert_ack(ack, "AA")
    assert field(ack, "MSH.F12") == "2.5"


@pytest.mark.parametrize("trigger", ["A04", "A05"])
def test_a04_a05_register(identity: PatientIdentity, trigger: str) -> None:
    ack = send(identity, GOLDEN_A01.replace("ADT^A01", f"ADT^{trigger}"))
    assert_ack(ack, "AA")
    assert str(ack.segment("MSH")(9)) == f"ACK^{trigger}^ACK"
    assert identity.is_known(PATIENT)


def test_repeated_a01_is_accepted(identity: PatientIdentity) -> None:
    send(identity, GOLDEN_A01)
    assert_ack(send(identity, GOLDEN_A01), "AA")
    assert identity.is_known(PATIENT)


def test_a01_without_structure_component(identity: PatientIdentity) -> None:
    assert_ack(send(identity, GOLDEN_A01.replace("ADT^A01^ADT_A01", "ADT^A01")), "AA")
    assert identity.is_known(PATIENT)


def test_lf_segment_ends_are_accepted(identity: PatientIdentity) -> None:
    assert_ack(send(identity, GOLDEN_A01.replace("\r", "\n")), "AA")
    assert identity.is_known(PATIENT)


def test_a08_is_accepted_and_ignored(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01.replace("ADT^A01", "ADT^A08"))
    assert_ack(ack, "AA")
    assert not identity.is_known(PATIENT)


def test_second_domain_id_is_registered_too(identity: PatientIdentity) -> None:
    message = GOLDEN_A01.replace("~H123^^^HOSP", f"~X9^^^&{OTHER}&ISO~H123^^^HOSP")
    assert_ack(send(identity, message), "AA")
    assert identity.is_known(PATIENT)
    assert identity.is_known(f"X9^^^&{OTHER}&ISO")


def test_namespace_only_is_filled_from_the_single_domain(database_url: str) -> None:
    identity = PatientIdentity(session_factory(database_url, write=True), (BSN,))
    message = GOLDEN_A01.replace(f"111222333^^^&{BSN}&ISO", "111222333^^^NLMINBIZA")
    assert_ack(send(identity, message), "AA")
    assert identity.is_known(PATIENT)


def test_namespace_only_is_not_filled_with_two_domains(identity: PatientIdentity) -> None:
    message = GOLDEN_A01.replace(f"111222333^^^&{BSN}&ISO", "111222333^^^NLMINBIZA")
    assert_ack(send(identity, message), "AE", "103")
    assert not identity.is_known(PATIENT)


def test_bsn_eleven_check_passes(identity: PatientIdentity) -> None:
    assert_ack(send(identity, GOLDEN_A01.replace("111222333", "123456782")), "AA")
    assert identity.is_known(SURVIVOR)


def test_bsn_eleven_check_fails(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01.replace("111222333", "111222334"))
    assert_ack(ack, "AE", "103")
    assert str(ack.segment("ERR")(2)) == "PID^1^3"
    assert "eleven-check" in field(ack, "ERR.F8")
    assert not identity.is_known(f"111222334^^^&{BSN}&ISO")


def test_one_bad_id_registers_none(identity: PatientIdentity) -> None:
    message = GOLDEN_A01.replace("~H123^^^HOSP", f"~X9^^^&{OTHER}&ISO~1^^^&{BSN}&ISO~H1^^^HOSP")
    assert_ack(send(identity, message), "AE", "103")
    assert not identity.is_known(PATIENT)
    assert not identity.is_known(f"X9^^^&{OTHER}&ISO")


def test_id_that_is_no_cx(identity: PatientIdentity) -> None:
    message = GOLDEN_A01.replace(f"111222333^^^&{BSN}", f"11\\S\\1^^^&{OTHER}")
    ack = send(identity, message)
    assert_ack(ack, "AE", "103")
    assert "not a CX" in field(ack, "ERR.F8")


def test_no_domain_id_in_pid3(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01.replace(f"&{BSN}&ISO~", f"&{FOREIGN}&ISO~"))
    assert_ack(ack, "AE", "103")
    assert not identity.is_known(PATIENT)


def test_empty_pid3(identity: PatientIdentity) -> None:
    message = GOLDEN_A01.replace(f"111222333^^^&{BSN}&ISO~H123^^^HOSP&{FOREIGN}&ISO", "")
    assert_ack(send(identity, message), "AE", "101")


# --- MSH-9 and segments ---------------------------------------------------------------------


def test_unknown_message_type(identity: PatientIdentity) -> None:
    ack = send(identity, GOLDEN_A01.replace("ADT^A01^ADT_A01", "ORU^R01^ORU_R01"))
    assert_ack(ack, "AR", "200")
    assert str(ack.segment("ERR")(2)) == "MSH^1^9^1^1"
    assert field(ack, "MSA.F2") == "MSG00001"
    assert not identity.is_known(PATIENT)


@pytest.mark.parametrize("msh9", ["ADT^A02^ADT_A02", "ADT"])
def test_unknown_trigger(identity: PatientIdentity, msh9: str) -> None:
    ack = send(identity, GOLDEN_A01.replace("ADT^A01^ADT_A01", msh9))
    assert_ack(ack, "AR", "201")
    assert str(ack.segment("ERR")(2)) == "MSH^1^9^1^2"
    assert not identity.is_known(PATIENT)


@pytest.mark.parametrize(
    ("msh9", "message"),
    [("ADT^A01^ADT_A39", GOLDEN_A01), ("ADT^A40^ADT_A01", GOLDEN_A40)],
)
def test_wrong_message_structure(identity: PatientIdentity, msh9: str, message: str) -> None:
    changed = message.replace("ADT^A01^ADT_A01", msh9).replace("ADT^A40^ADT_A39", msh9)
    ack = send(identity, changed)
    assert_ack(ack, "AR", "200")
    assert str(ack.segment("ERR")(2)) == "MSH^1^9^1^3"
    assert not identity.is_known(PATIENT)


@pytest.mark.parametrize("segment", ["EVN", "PID", "PV1"])
def test_missing_segment_in_a01(identity: PatientIdentity, segment: str) -> None:
    message = "\r".join(s for s in GOLDEN_A01.split("\r") if not s.startswith(segment))
    ack = send(identity, message)
    assert_ack(ack, "AE", "101")
    assert str(ack.segment("ERR")(2)) == f"{segment}^1"
    assert not identity.is_known(PATIENT)


def test_segment_without_fields_counts_as_present(identity: PatientIdentity) -> None:
    assert_ack(send(identity, GOLDEN_A01.replace("PV1||I", "PV1")), "AA")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "100"),
        ("hello", "100"),
        ("PID|||1", "100"),
        ("MSH", "100"),
        ("MSH|^~\\&", "100"),
        ("MSH|^^^^|x", "100"),
        ("\x00\x0b\x1c\xff", "100"),
        ("MSH|^~\\&|a|b\rPID|||x", "200"),
    ],
)
def test_garbage_gets_ar(identity: PatientIdentity, raw: str, code: str) -> None:
    ack = send(identity, raw)
    assert_ack(ack, "AR", code)
    assert field(ack, "MSA.F2") == ""


def test_database_failure_is_ar_207(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    identity = PatientIdentity(session_factory(url, write=True), (BSN,))
    assert_ack(send(identity, GOLDEN_A01), "AR", "207")


def test_reject_echoes_the_control_id() -> None:
    ack = hl7.parse(reject(GOLDEN_A01[:120], "message too large"))
    assert field(ack, "MSA.F1") == "AR"
    assert field(ack, "MSA.F2") == "MSG00001"
    assert field(ack, "ERR.F8") == "message too large"


# --- A40 merge ------------------------------------------------------------------------------


def test_a40_merges(merged_pair: PatientIdentity) -> None:
    assert_ack(send(merged_pair, GOLDEN_A40), "AA")
    assert merged_into(merged_pair, PATIENT) == SURVIVOR
    assert not merged_pair.is_known(PATIENT)
    assert merged_pair.is_known(SURVIVOR)


def test_a40_with_pv1_is_accepted(merged_pair: PatientIdentity) -> None:
    assert_ack(send(merged_pair, GOLDEN_A40 + "\rPV1||I"), "AA")
    assert merged_into(merged_pair, PATIENT) == SURVIVOR


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (f"111222333^^^&{FOREIGN}&ISO", None),  # subsumed id outside the affinity domain
        (f"111222333^^^&{OTHER}&ISO", None),  # authorities of the pair differ
        (None, f"123456782^^^&{FOREIGN}&ISO"),  # surviving id outside the domain
        (SURVIVOR, None),  # the two ids are equal
        (f"999999990^^^&{BSN}&ISO", None),  # subsumed id unknown
        (None, f"999999990^^^&{BSN}&ISO"),  # surviving id unknown
        (f"{PATIENT}~999999990^^^&{BSN}&ISO", None),  # two pairs in one message
    ],
)
def test_refused_merge_changes_nothing(
    merged_pair: PatientIdentity, old: str | None, new: str | None
) -> None:
    message = GOLDEN_A40
    if old is not None:
        message = message.replace(f"MRG|{PATIENT}", f"MRG|{old}")
    if new is not None:
        message = message.replace(f"PID|||{SURVIVOR}", f"PID|||{new}")
    assert_ack(send(merged_pair, message), "AE", "204")
    assert merged_into(merged_pair, PATIENT) is None
    assert merged_into(merged_pair, SURVIVOR) is None


def test_merge_of_already_subsumed_id_is_refused(merged_pair: PatientIdentity) -> None:
    third = f"999999990^^^&{BSN}&ISO"
    merged_pair.add(third)
    send(merged_pair, GOLDEN_A40)
    ack = send(merged_pair, GOLDEN_A40.replace(f"PID|||{SURVIVOR}", f"PID|||{third}"))
    assert_ack(ack, "AE", "204")
    assert merged_into(merged_pair, PATIENT) == SURVIVOR
    assert merged_into(merged_pair, third) is None


def test_merge_into_subsumed_id_is_refused(merged_pair: PatientIdentity) -> None:
    third = f"999999990^^^&{BSN}&ISO"
    merged_pair.add(third)
    send(merged_pair, GOLDEN_A40)
    message = GOLDEN_A40.replace(f"PID|||{SURVIVOR}", f"PID|||{PATIENT}")
    ack = send(merged_pair, message.replace(f"MRG|{PATIENT}", f"MRG|{third}"))
    assert_ack(ack, "AE", "204")
    assert str(ack.segment("ERR")(2)) == "PID^1^3"
    assert merged_into(merged_pair, third) is None


def test_merge_with_bad_bsn_is_refused(merged_pair: PatientIdentity) -> None:
    ack = send(merged_pair, GOLDEN_A40.replace("MRG|111222333", "MRG|111222334"))
    assert_ack(ack, "AE", "204")
    assert "eleven-check" in field(ack, "ERR.F8")
    assert merged_into(merged_pair, SURVIVOR) is None


@pytest.mark.parametrize(("segment", "code"), [("MRG", "101"), ("EVN", "101"), ("PID", "101")])
def test_missing_segment_in_a40(merged_pair: PatientIdentity, segment: str, code: str) -> None:
    message = "\r".join(s for s in GOLDEN_A40.split("\r") if not s.startswith(segment))
    assert_ack(send(merged_pair, message), "AE", code)
    assert merged_into(merged_pair, PATIENT) is None


def test_empty_mrg1(merged_pair: PatientIdentity) -> None:
    ack = send(merged_pair, GOLDEN_A40.replace(f"MRG|{PATIENT}", "MRG|"))
    assert_ack(ack, "AE", "101")
    assert str(ack.segment("ERR")(2)) == "MRG^1^1"
