"""XDS-I.b steps of the NIST test plans: RAD-68 patients, RAD-55 WADO-URI, RAD-69 bytes.

NIST transactions as in corpus README §5.1.

* RAD-68 (``ProvideAndRegisterTransaction`` with a KOS, ``patient_id=AS-IS``): the image
  sets carry their own patient ids (``IDCDEPT001^^^&1.3.6.1.4.1.21367.2005.13.20.1000&ISO``);
  NIST's registry knows them from its own feed, so the replay feeds every patient id of the
  prepared submission over ITI-8 once before sending it (RAD TF-3 4.68.4.1.2).
* RAD-55 (``WADOTransaction``): ``GET <wado>?requestType=WADO&studyUID=..&seriesUID=..&
  objectUID=..&contentType=application/dicom`` (PS3.18 Chapter 6 (WADO-URI) 6.2, RAD TF-3
  4.55.4.1.2), the UIDs from the step's ``Parameters`` or, one request per line, from its
  ``UIDFile`` when a test kit root holds it; each judged by HTTP status: 200 with a body
  for ``Success``; for ``Failure`` the status NIST expects (``ExpectedErrorCode`` 404) or
  any 4xx. When the requested instance was loaded before the run (:mod:`conformance.preload`),
  a ``Success`` also needs ``Content-Type: application/dicom`` (the ``contentType`` asked
  for, PS3.18 Table 9.1.2-1) and exactly the loaded bytes.
* RAD-69 answers of positive cases are checked after the run (:func:`check_retrieves`):
  every requested instance that was loaded must come back as a ``DocumentResponse`` with
  ``mimeType`` ``application/dicom`` and exactly the loaded bytes (RAD TF-3 4.69.4.2.2).
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from lxml import etree

from conformance.context import EngineError, StepContext
from conformance.corpus import ManifestCase
from conformance.equivalents import StepKey, uid_file_lines
from conformance.results import RunReport, StepResult
from conformance.retrieve import retrieved_document
from conformance.soap import SoapResult
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
#: The media type of a DICOM object (PS3.18 Table 9.1.2-1; RAD TF-3 4.69.4.2.2 mimeType).
DICOM = "application/dicom"
_DOCUMENT_RESPONSE = ns.qn(ns.XDSB, "DocumentResponse")
_MIME_TYPE = ns.qn(ns.XDSB, "mimeType")


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


def wado_queries(ctx: StepContext) -> list[list[tuple[str, str]]] | None:
    """The WADO-URI requests of the step: one from its ``Parameters``, or one per line of its
    ``UIDFile`` when a test kit root has that file; None when neither names the UIDs."""
    given = dict(ctx.step.wado_parameters)
    if any(name in given for name in _WADO_UIDS):
        return [_query(*(given.get(name, "") for name in _WADO_UIDS))]
    name = ctx.step.uid_file
    path = ctx.corpus.resolve_file(ctx.section.path, name) if name else None
    if path is None:
        return None
    try:
        return [_query(*uids) for uids in uid_file_lines(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError) as exc:
        raise EngineError(f"{name}: {exc}") from exc


def _query(study: str, series: str, sop: str) -> list[tuple[str, str]]:
    return [*_WADO_FIXED, ("studyUID", study), ("seriesUID", series), ("objectUID", sop)]


def _expectation(ctx: StepContext, case: ManifestCase | None) -> tuple[frozenset[int], str]:
    """The HTTP statuses that pass (empty: any 4xx) and how to describe them."""
    if "Success" in ctx.step.expected_status:
        return frozenset({200}), "HTTP 200 with a DICOM object"
    asserted = (*ctx.step.expected_error_codes, *(case.expected_error_codes if case else ()))
    codes = list(dict.fromkeys(c for c in asserted if c.isdigit()))
    return frozenset(int(c) for c in codes), f"HTTP {' or '.join(codes) if codes else '4xx'}"


def _loaded_problems(loaded: bytes, content_type: str, body: bytes) -> list[str]:
    """How a RAD-55 answer differs from the instance loaded before the run."""
    problems = []
    if content_type.split(";")[0].strip().lower() != DICOM:
        problems.append(f"Content-Type {content_type!r}, expected {DICOM}")
    if body != loaded:
        problems.append(f"{len(body)} bytes returned differ from the {len(loaded)} loaded")
    return problems


def _wado_get(
    ctx: StepContext, url: str, params: list[tuple[str, str]], case: ManifestCase | None
) -> tuple[int, list[str]]:
    """GET one WADO-URI object; its HTTP status and what is wrong with the answer (status,
    and for a positive step on a loaded instance also Content-Type and bytes)."""
    uid = dict(params)["objectUID"]
    passing, expected = _expectation(ctx, case)
    positive = "Success" in ctx.step.expected_status
    loaded = ctx.config.loaded_instances.get(uid) if positive else None
    limit = len(loaded) + 1 if loaded is not None else _PEEK
    with requests.get(url, params=params, timeout=ctx.config.timeout, stream=True) as response:
        body = response.raw.read(limit, decode_content=True)
        status = response.status_code
        ok = status in passing if passing else 400 <= status < 500
        if not ok or (positive and not body):
            return status, [f"{uid}: expected {expected}, got HTTP {status} ({len(body)} bytes)"]
        if loaded is None:
            return status, []
        problems = _loaded_problems(loaded, response.headers.get("Content-Type", ""), body)
        return status, [f"{uid}: {p}" for p in problems]


def wado_step(ctx: StepContext, base: StepResult, case: ManifestCase | None) -> StepResult:
    """Send the step's RAD-55 WADO-URI requests and judge them (RAD TF-3 4.55, PS3.18 9.1)."""
    queries = wado_queries(ctx)
    if ctx.endpoints.wado is None:
        base.reasons.append("WADO-URI endpoint not configured (RAD-55): --imaging-source URL")
    elif queries is None:
        missing = ctx.step.uid_file or "Parameters"
        base.reasons.append(f"the instance UIDs ({missing}) are not part of the corpus; a full "
                            "NIST test kit given with --testkit has them")  # fmt: skip
    else:
        base.expected = _expectation(ctx, case)[1]
        statuses: list[str] = []
        try:
            for params in queries:
                status, problems = _wado_get(ctx, ctx.endpoints.wado, params, case)
                statuses.append(f"HTTP {status}")
                base.reasons.extend(problems)
        except requests.RequestException as exc:
            base.reasons.append(f"WADO request failed: {type(exc).__name__}: {exc}")
        if not queries:
            base.reasons.append(f"{ctx.step.uid_file} names no instance")
        base.verdict = Verdict.FAIL if base.reasons else Verdict.PASS
        base.actual = ", ".join(dict.fromkeys(statuses)) or None
    ctx.state.record(ctx.key, StepRecord(base.verdict, transaction=ctx.step.transaction))
    base.notes.extend(ctx.notes)
    return base


def check_retrieves(
    report: RunReport, loaded: Mapping[str, bytes], asked: Mapping[StepKey, list[str]]
) -> None:
    """Fail each passed RAD-69 Success whose documents differ from the loaded instances it
    asked for (``asked``: SOP Instance UIDs per step, :class:`conformance.preload.Preloaded`)."""
    for result in report.results:
        exchange = result.exchange
        if result.transaction != "RAD-69" or result.verdict is not Verdict.PASS:
            continue
        if exchange is None or exchange.status_name != "Success":
            continue
        uids = asked.get((result.test, result.section, result.step), [])
        problems = rad69_problems(exchange, {u: loaded[u] for u in uids if u in loaded})
        if problems:
            result.verdict = Verdict.FAIL
            result.reasons.extend(problems)


def rad69_problems(exchange: SoapResult, expected: Mapping[str, bytes]) -> list[str]:
    """How a RAD-69 answer differs from ``expected`` (SOP Instance UID -> loaded bytes)."""
    mime = _mime_types(exchange)
    problems = []
    for uid, loaded in expected.items():
        got = retrieved_document(exchange, uid)
        if got is None:
            problems.append(f"instance {uid} is not in the response")
        elif got != loaded:
            problems.append(f"instance {uid}: {len(got)} bytes returned differ from the "
                            f"{len(loaded)} loaded")  # fmt: skip
        elif mime.get(uid) != DICOM:
            problems.append(f"instance {uid}: mimeType {mime.get(uid)!r}, expected {DICOM}")
    return problems


def _mime_types(exchange: SoapResult) -> dict[str, str]:
    """DocumentUniqueId -> mimeType of every DocumentResponse (ITI TF-2b 3.43.4.2.2)."""
    found: dict[str, str] = {}
    if exchange.body is None:
        return found
    for response in exchange.body.iter(_DOCUMENT_RESPONSE):
        uid = (response.findtext(ns.qn(ns.XDSB, "DocumentUniqueId")) or "").strip()
        found[uid] = (response.findtext(_MIME_TYPE) or "").strip()
    return found
