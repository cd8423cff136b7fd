"""Judging one exchange the NIST way, and resolving UseId/UseReport bindings."""

from __future__ import annotations

import pytest

from conformance.corpus import ManifestCase
from conformance.deviations import Deviation, load
from conformance.judge import judge_exchange
from conformance.soap import RegistryError, SoapResult
from conformance.state import (
    RunState,
    StepRecord,
    Unresolved,
    Verdict,
    resolve_use_id,
    resolve_use_report,
    target_section,
)
from conformance.substitute import Assigned
from conformance.testplan import Step, UseId, UseReport

FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
ERROR = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"


def _result(status: str | None, *codes: tuple[str, str], fault: str | None = None) -> SoapResult:
    result = SoapResult("ITI-42", "http://127.0.0.1/x", 200, status, fault=fault)
    result.errors = [RegistryError(code, context, ERROR) for code, context in codes]
    return result


def _case(*implied: str) -> ManifestCase:
    return ManifestCase("nist-tk2:1/s#s", "ITI-42", "failure", (), implied, "")


def test_status_and_exact_error_code() -> None:
    step = Step("s", "RegisterTransaction", ("Failure",), expected_error_codes=("XDSX",))
    assert judge_exchange(step, _result(FAILURE, ("XDSX", "")), [], None).verdict is Verdict.PASS
    wrong = judge_exchange(step, _result(FAILURE, ("XDSXY", "")), [], None)
    assert wrong.verdict is Verdict.FAIL
    assert wrong.reasons == ["expected errorCode XDSX, got ['XDSXY']"]
    success = judge_exchange(step, _result(SUCCESS), [], None)
    assert "status Success where Failure was expected" in success.reasons[0]


def test_error_message_is_a_substring_of_code_or_context() -> None:
    step = Step("s", "RegisterTransaction", ("Failure",), expected_error_messages=("UnknownPat",))
    by_code = _result(FAILURE, ("XDSUnknownPatientId", ""))
    assert judge_exchange(step, by_code, [], None).verdict is Verdict.PASS
    by_context = _result(FAILURE, ("XDSRegistryError", "UnknownPatient 1^^^&1&ISO"))
    assert judge_exchange(step, by_context, [], None).verdict is Verdict.PASS


def test_fault_only_where_the_plan_says_fault() -> None:
    fault = _result(None, fault="soap:Sender: bad")
    failure_step = Step("s", "RegisterTransaction", ("Failure",))
    judged = judge_exchange(failure_step, fault, [], None)
    assert judged.verdict is Verdict.FAIL and "soap:Sender: bad" in judged.reasons[0]
    fault_step = Step("s", "RegisterTransaction", ("Failure", "Fault"))
    assert judge_exchange(fault_step, fault, [], None).verdict is Verdict.PASS


def test_contents_transport_and_addressing_problems_fail() -> None:
    step = Step("q", "StoredQueryTransaction")
    assert judge_exchange(step, _result(SUCCESS), ["<None/>: x"], None).reasons == ["<None/>: x"]
    broken = _result(None)
    broken.problem = "cannot connect to http://127.0.0.1/x"
    assert judge_exchange(step, broken, [], None).verdict is Verdict.FAIL
    wrong_action = _result(SUCCESS)
    wrong_action.header_problems = ["response wsa:Action is 'x'"]
    assert judge_exchange(step, wrong_action, [], None).verdict is Verdict.FAIL
    lenient = judge_exchange(step, wrong_action, [], None, strict_addressing=False)
    assert lenient.verdict is Verdict.PASS and lenient.notes == ["response wsa:Action is 'x'"]


def test_implied_codes_are_only_notes() -> None:
    step = Step("s", "RegisterTransaction", ("Failure",))
    judged = judge_exchange(step, _result(FAILURE, ("XDSOther", "")), [], _case("XDSImplied"))
    assert judged.verdict is Verdict.PASS
    assert judged.notes and "XDSImplied" in judged.notes[0]


def test_deviation_replaces_expected_status() -> None:
    step = Step("q", "StoredQueryTransaction", ("Failure",))
    deviation = Deviation("id", "test-kit bug", ("Success",))
    assert judge_exchange(step, _result(SUCCESS), [], None, deviation).verdict is Verdict.PASS


def test_known_deviations_file_names_manifest_cases() -> None:
    deviations = load()
    case = "nist-tk2:11897/no_matching_classcode#no_matching_classcode"
    assert deviations[case].expected_status == ("Success",)
    assert all(d.reason for d in deviations.values())


def test_target_section() -> None:
    assert target_section(None, "11990", "eval") == ("11990", "eval")
    assert target_section("../submit", "11990", "eval") == ("11990", "submit")
    assert target_section("submit", "12021", "retrieve") == ("12021", "submit")
    assert target_section("../../12346/single_doc", "11897", "x") == ("12346", "single_doc")


def test_resolve_bindings() -> None:
    state = RunState()
    assigned = Assigned(uids={"SubmissionSet01": "2.25.1"}, uuids={"Document01": "urn:uuid:d"})
    state.record(("T", "submit", "s"), StepRecord(Verdict.PASS, assigned, {"docid": "urn:uuid:d"}))
    use = UseId("../submit", "s", "AssignedUids", "SubmissionSet01", "$ssuid$")
    assert resolve_use_id(state, use, "T", "eval") == "2.25.1"
    report = UseReport(None, "submit", "s", "docid", "$x$")
    assert resolve_use_report(state, report, "T", "eval") == "urn:uuid:d"
    with pytest.raises(Unresolved) as missing:
        resolve_use_id(state, UseId(None, "s", "AssignedUuids", "Folder", "$f$"), "T", "submit")
    assert not missing.value.skipped
    state.missing_tests.add("12346")
    with pytest.raises(Unresolved) as absent:
        resolve_use_id(state, UseId("../../12346/a", "s", "AssignedUids", "X", "$x$"), "T", "e")
    assert absent.value.skipped
