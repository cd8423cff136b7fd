"""Run one NIST ``TestStep``: build the message, send it, record and judge the outcome.

Transactions covered (README §5.1): ``RegisterTransaction`` (ITI-42), ``MuTransaction``
(ITI-57), ``StoredQueryTransaction`` (ITI-18) at the registry; ``ProvideAndRegister
Transaction`` (ITI-41) and ``RetrieveTransaction`` (ITI-43) at the repository, reported as
skipped when no repository endpoint is configured; ``PatientIdentityFeedTransaction``
(ITI-8) over MLLP; ``NullTransaction`` assertions. XDS-I.b: ``ProvideAndRegister
Transaction`` of a RAD-68 case feeds the image set's patients first; ``ImagingDocSet
RetrieveTransaction`` (RAD-69) goes to the Imaging Document Source and ``WADOTransaction``
(RAD-55) to its WADO-URI endpoint (:mod:`conformance.imaging`), skipped when not configured.
Anything else is reported as skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from conformance import assertions, contents, imaging, reports
from conformance.context import EngineError, StepContext
from conformance.corpus import ManifestCase
from conformance.deviations import Deviation
from conformance.discover import discover
from conformance.judge import judge_exchange
from conformance.prepare import Prepared, prepare_plain, prepare_submission
from conformance.results import TRANSACTION_IDS, StepResult
from conformance.retrieve import reference_problems
from conformance.soap import SoapResult
from conformance.state import StepRecord, Unresolved, Verdict, resolve_use_id
from conformance.testplan import UseId
from profiles.transactions import ITI_18, ITI_41, ITI_42, ITI_43, ITI_57, RAD_69, Transaction

_SUBMISSIONS = {"RegisterTransaction": ITI_42, "MuTransaction": ITI_57}
_RAD_69 = {"ImagingDocSetRetrieveTransaction", "RetrieveImagingDocSetTransaction"}
_PROVIDE = {"ProvideAndRegisterTransaction", "XDRProvideAndRegisterTransaction"}


def run_step(
    ctx: StepContext, case: ManifestCase | None, deviation: Deviation | None
) -> StepResult | None:
    """Run and judge ``ctx.step``; None for steps whose result is reported elsewhere."""
    step = ctx.step
    base = StepResult(
        ctx.test.id,
        ctx.section.name,
        step.id,
        step.transaction,
        Verdict.SKIP,
        case_id=case.id if case else None,
        transaction=case.transaction if case else TRANSACTION_IDS.get(step.transaction or ""),
        expected=",".join(step.expected_status),
        known_deviation=deviation.reason if deviation and deviation.allow_failure else None,
    )
    if deviation is not None and deviation.expected_status:
        ctx.notes.append(f"judged as known deviation: {deviation.reason}")
    if step.wait_before_ms and ctx.config.honor_wait:
        time.sleep(step.wait_before_ms / 1000)
    try:
        return _dispatch(ctx, base, case, deviation)
    except Unresolved as exc:
        base.verdict = Verdict.SKIP if exc.skipped else Verdict.FAIL
        base.reasons.append(str(exc))
    except EngineError as exc:
        base.verdict = Verdict.FAIL
        base.reasons.append(f"engine could not build the message: {exc}")
    base.notes.extend(ctx.notes)
    ctx.state.record(ctx.key, StepRecord(base.verdict, transaction=step.transaction))
    return base


def _dispatch(
    ctx: StepContext, base: StepResult, case: ManifestCase | None, deviation: Deviation | None
) -> StepResult | None:
    element = ctx.step.transaction
    if element is None:
        return _no_transaction(ctx, base)
    if element == "PatientIdentityFeedTransaction":
        pid = ctx.patients.feed_patient(ctx.test.id, ctx.test.id)
        ctx.state.record(ctx.key, StepRecord(Verdict.PASS, reports={"$patientid$": pid}))
        return None
    if element == "NullTransaction":
        return _null(ctx, base)
    if element in _SUBMISSIONS:
        prepared = prepare_submission(ctx)
        return _exchange(ctx, base, _SUBMISSIONS[element], prepared, case, deviation)
    if element in _PROVIDE:
        if ctx.endpoints.repository is None:
            return _skip(ctx, base, "repository endpoint not configured (ITI-41)")
        prepared = prepare_submission(ctx, provide=True)
        if case is not None and case.transaction == "RAD-68":
            imaging.feed_as_written(ctx, prepared.body)
        return _exchange(ctx, base, ITI_41, prepared, case, deviation)
    if element in _RAD_69:
        if ctx.endpoints.imaging_source is None:
            return _skip(ctx, base, "imaging source endpoint not configured (RAD-69)")
        return _exchange(ctx, base, RAD_69, prepare_plain(ctx), case, deviation)
    if element == "WADOTransaction":
        return imaging.wado_step(ctx, base, case)
    if element == "StoredQueryTransaction":
        return _exchange(ctx, base, ITI_18, prepare_plain(ctx), case, deviation)
    if element == "RetrieveTransaction":
        if ctx.endpoints.repository is None:
            return _skip(ctx, base, "repository endpoint not configured (ITI-43)")
        return _exchange(ctx, base, ITI_43, prepare_plain(ctx), case, deviation)
    return _skip(ctx, base, f"{element} is not covered by the replay engine")


def _skip(ctx: StepContext, base: StepResult, reason: str) -> StepResult:
    base.reasons.append(reason)
    ctx.state.record(ctx.key, StepRecord(Verdict.SKIP, transaction=ctx.step.transaction))
    return base


def _no_transaction(ctx: StepContext, base: StepResult) -> StepResult | None:
    if ctx.step.new_patient_id:
        pid = ctx.patients.renew(ctx.test.id)
        ctx.state.record(ctx.key, StepRecord(Verdict.PASS, reports={"$patientid$": pid}))
        return None
    return _skip(ctx, base, "step has no transaction")


def _url(ctx: StepContext, transaction: Transaction) -> str:
    if transaction in (ITI_41, ITI_43):
        return ctx.endpoints.repository or ""
    if transaction is RAD_69:
        return ctx.endpoints.imaging_source or ""
    return ctx.endpoints.registry


def _exchange(
    ctx: StepContext,
    base: StepResult,
    transaction: Transaction,
    prepared: Prepared,
    case: ManifestCase | None,
    deviation: Deviation | None,
) -> StepResult:
    result = ctx.client.call(
        _url(ctx, transaction), transaction, prepared.body, prepared.attachments
    )
    submission = transaction in (ITI_41, ITI_42, ITI_57)
    if submission and result.status_name == "Success" and prepared.assigned.symbolic:
        ctx.notes.extend(
            discover(ctx.client, ctx.endpoints.registry, prepared.body, prepared.assigned)
        )
    problems = _contents(ctx, transaction, result)
    if transaction is ITI_43 and result.status_name in ("Success", "PartialSuccess"):
        problems += reference_problems(ctx, result, prepared.values)
    values, report_notes = reports.collect(
        ctx.step.reports, prepared.body if submission else None, result.body, prepared.assigned
    )
    ctx.notes.extend(report_notes)
    patient = _step_patient(ctx, prepared)
    if patient:
        values.setdefault("$patientid$", patient)
    judgement = judge_exchange(
        ctx.step, result, problems, case, deviation, ctx.config.strict_addressing
    )
    record = StepRecord(
        judgement.verdict,
        prepared.assigned,
        values,
        ctx.step.transaction,
        prepared.body if submission else None,
        result.body,
    )
    ctx.state.record(ctx.key, record)
    if ctx.step.assertions:
        ctx.notes.extend(f"NIST assertion (not judged): {p}" for p in _step_assertions(ctx))
    base.verdict, base.reasons = judgement.verdict, judgement.reasons
    base.expected = judgement.expected
    base.notes = judgement.notes + ctx.notes
    base.actual, base.error_codes, base.exchange = result.status_name, result.error_codes, result
    return base


def _step_patient(ctx: StepContext, prepared: Prepared) -> str | None:
    """The patient a step worked with, published as report ``$patientid$`` (NIST does)."""
    for value in prepared.assigned.patient_ids.values():
        return value
    return ctx.patients.current(ctx.test)


def _contents(ctx: StepContext, transaction: Transaction, result: SoapResult) -> list[str]:
    checks = ctx.step.expected_contents
    if (
        not checks
        or transaction is not ITI_18
        or result.status_name
        not in (
            "Success",
            "PartialSuccess",
        )
    ):
        return []
    return contents.evaluate(checks, result.body, _id_resolver(ctx))


def _id_resolver(ctx: StepContext) -> Callable[[UseId], str | None]:
    def resolve(use: UseId) -> str | None:
        try:
            return resolve_use_id(ctx.state, use, ctx.test.id, ctx.section.name)
        except Unresolved:
            return None

    return resolve


def _step_assertions(ctx: StepContext) -> list[str]:
    try:
        values = _assert_values(ctx)
    except Unresolved as exc:
        return [f"cannot evaluate: {exc}"]
    log = assertions.section_log(ctx.state, *ctx.key[:2])
    return assertions.evaluate(ctx.step.assertions, log, values)


def _assert_values(ctx: StepContext) -> dict[str, str]:
    texts = " ".join(a.xpath for a in ctx.step.assertions)
    symbols = [u.use_as for u in ctx.step.use_reports] + [u.symbol for u in ctx.step.use_ids]
    values = {"$DATE$": ctx.now.strftime("%Y%m%d")}
    values.update(ctx.bindings({s for s in symbols if s and s in texts}))
    return values


def _soap(record: StepRecord) -> bool:
    return record.transaction not in (None, "NullTransaction", "PatientIdentityFeedTransaction")


def _null(ctx: StepContext, base: StepResult) -> StepResult:
    base.transaction = "assertions"
    if not ctx.step.assertions:
        return _skip(ctx, base, "NullTransaction without assertions")
    missing = [
        key[2]
        for key, record in ctx.state.steps.items()
        if key[:2] == ctx.key[:2]
        and (record.verdict is Verdict.SKIP or (record.result is None and _soap(record)))
    ]
    if missing:
        return _skip(ctx, base, f"earlier step {missing[0]} of the section left no response")
    log = assertions.section_log(ctx.state, *ctx.key[:2])
    problems = assertions.evaluate(ctx.step.assertions, log, _assert_values(ctx))
    base.verdict = Verdict.FAIL if problems else Verdict.PASS
    base.reasons.extend(problems)
    base.expected = f"{len(ctx.step.assertions)} assertion(s) hold"
    base.notes.extend(ctx.notes)
    ctx.state.record(ctx.key, StepRecord(base.verdict, transaction="NullTransaction"))
    return base
