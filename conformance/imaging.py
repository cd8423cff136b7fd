"""XDS-I.b steps of the NIST test plans: RAD-68 patients, RAD-55 WADO-URI (README §5.1).

* RAD-68 (``ProvideAndRegisterTransaction`` with a KOS, ``patient_id=AS-IS``): the image
  sets carry their own patient ids (``IDCDEPT001^^^&1.3.6.1.4.1.21367.2005.13.20.1000&ISO``);
  NIST's registry knows them from its own feed, so the replay feeds every patient id of the
  prepared submission over ITI-8 once before sending it (RAD TF-3 4.68.4.1.2).
* RAD-55 (``WADOTransaction``): ``GET <wado>?requestType=WADO&studyUID=..&seriesUID=..&
  objectUID=..&contentType=application/dicom`` (PS3.18 Chapter 6 (WADO-URI) 6.2, RAD TF-3
  4.55.4.1.2) judged by HTTP status: 200 with a body for ``Success``; for ``Failure`` the
  status NIST expects (``ExpectedErrorCode`` 404) or any 4xx.
"""

from __future__ import annotations

import requests
from lxml import etree

from conformance.context import StepContext
from conformance.corpus import ManifestCase
from conformance.results import StepResult
from conformance.state import StepRecord, Verdict
from profiles import namespaces as ns
from profiles.vocabulary import Scheme

_EXTERNAL_ID = ns.qn(ns.RIM, "ExternalIdentifier")
_PATIENT_SCHEMES = frozenset({Scheme.SS_PATIENT_ID, Scheme.DE_PATIENT_ID, Scheme.FD_PATIENT_ID})
#: Required WADO-URI parameters besides the UIDs (PS3.18 6.2.1).
_WADO_FIXED = (("requestType", "WADO"), ("contentType", "application/dicom"))
_WADO_UIDS = ("studyUID", "seriesUID", "objectUID")
#: Bytes of a WADO answer read to judge it (the body is not kept).
_PEEK = 64 * 1024


def submission_patients(body: etree._Element) -> list[str]:
    """Every XDSSubmissionSet/DocumentEntry/Folder patientId value in ``body``."""
    found = [
        e.get("value", "")
        for e in body.iter(_EXTERNAL_ID)
        if e.get("identificationScheme") in _PATIENT_SCHEMES
    ]
    return [p for p in dict.fromkeys(found) if p and "$" not in p]


def feed_as_written(ctx: StepContext, body: etree._Element) -> None:
    """Feed the patient ids a RAD-68 submission carries as written (once per run)."""
    for patient in submission_patients(body):
        ctx.patients.ensure(patient, ctx.test.id)


def wado_query(ctx: StepContext) -> list[tuple[str, str]] | None:
    """The WADO-URI parameters of the step, or None when its UIDs are not in the plan."""
    given = dict(ctx.step.wado_parameters)
    if not any(name in given for name in _WADO_UIDS):
        return None
    return [*_WADO_FIXED, *((name, given.get(name, "")) for name in _WADO_UIDS)]


def _judge(
    ctx: StepContext, base: StepResult, case: ManifestCase | None, status: int, size: int
) -> None:
    expected = ctx.step.expected_status
    if "Success" in expected:
        ok = status == 200 and size > 0
        base.expected = "HTTP 200 with a DICOM object"
    else:
        asserted = (*ctx.step.expected_error_codes, *(case.expected_error_codes if case else ()))
        codes = list(dict.fromkeys(c for c in asserted if c.isdigit()))
        ok = status in {int(c) for c in codes} if codes else 400 <= status < 500
        base.expected = f"HTTP {' or '.join(codes) if codes else '4xx'}"
    base.verdict = Verdict.PASS if ok else Verdict.FAIL
    base.actual = f"HTTP {status}"
    if not ok:
        base.reasons.append(f"expected {base.expected}, got HTTP {status} ({size} bytes read)")


def wado_step(ctx: StepContext, base: StepResult, case: ManifestCase | None) -> StepResult:
    """Send one RAD-55 WADO-URI request and judge its HTTP status."""
    params = wado_query(ctx)
    if ctx.endpoints.wado is None:
        base.reasons.append("WADO-URI endpoint not configured (RAD-55): --imaging-source URL")
    elif params is None:
        missing = ctx.step.uid_file or "Parameters"
        base.reasons.append(f"the instance UIDs ({missing}) are not part of the corpus")
    else:
        try:
            with requests.get(ctx.endpoints.wado, params=params, timeout=ctx.config.timeout,
                              stream=True) as response:  # fmt: skip
                size = len(response.raw.read(_PEEK, decode_content=True))
                _judge(ctx, base, case, response.status_code, size)
        except requests.RequestException as exc:
            base.verdict = Verdict.FAIL
            base.reasons.append(f"WADO request failed: {type(exc).__name__}: {exc}")
    ctx.state.record(ctx.key, StepRecord(base.verdict, transaction=ctx.step.transaction))
    base.notes.extend(ctx.notes)
    return base
