"""ITI-65 Provide Document Bundle: MHD Document Recipient grouped with an XDS Document Source.

``POST /fhir`` with a transaction Bundle (JSON or XML), MHD 4.2.3 ITI TF-2 3.65:

1. read the body (FHIR R4 http.html; 415/413/400 otherwise);
2. :func:`fhir_facade.validate.validate_bundle` - FHIR structure, then the MHD rules; errors
   -> 400 OperationOutcome naming the FHIRPath of each element at fault (3.65.4.1.3 step 1);
3. resolve the subject to the affinity-domain patient id (step 4), translate (step 9);
4. one ITI-41 Provide and Register: the repository stores the documents and registers them
   with ITI-42 atomically, so a Failure leaves nothing behind (step 2, ITI TF-2b 3.41.4.1.3);
5. answer a ``transaction-response`` Bundle, one entry per request entry in request order,
   ``201 Created`` + ``location`` (3.65.4.2); XDS warnings go into ``response.outcome``, an XDS
   Failure becomes an OperationOutcome with the mapped HTTP status (:data:`errors.XDS_ERRORS`).
"""

from __future__ import annotations

from flask import Blueprint, Response

from fhir_facade import wire
from fhir_facade.capability import SystemSupport
from fhir_facade.errors import FhirError, Issue, from_xds, outcome
from fhir_facade.translate import canon
from fhir_facade.translate.patients import cx_of_reference
from fhir_facade.translate.to_xds import ProvidePlan, plan
from fhir_facade.translate.values import JsonDict
from fhir_facade.validate import validate_bundle
from fhir_facade.xds import fhir_base, gateway
from xds_common.client import RegistryResult
from xds_common.findings import errors
from xds_common.settings import Settings

SUPPORT = SystemSupport(
    "transaction",
    "ITI-65 Provide Document Bundle (MHD 4.2.3 Document Recipient, Minimal and "
    "Comprehensive Metadata options), translated to ITI-41 Provide and Register.",
)


def _validated(bundle: JsonDict) -> None:
    found = errors(validate_bundle(bundle))
    if found:
        issues = [Issue(f.code or "invalid", f"{f.message} [{f.rule}]",
                        expression=(f.location,) if f.location else ())
                  for f in found]  # fmt: skip
        raise FhirError(400, issues)


def _patient(bundle: JsonDict, base: str) -> str:
    """The CX every subject resolves to (the validator checked they are all the same)."""
    for index, entry in enumerate(bundle["entry"]):
        subject = entry["resource"].get("subject")
        if subject:
            cx = cx_of_reference(subject, base)
            if cx is None:
                raise FhirError.of(
                    400, "invalid", f"{subject.get('reference') or subject} is not a Patient of "
                    f"this server ({base}/Patient/<authority>-<id>)",
                    f"Bundle.entry[{index}].resource.subject",
                )  # fmt: skip
            return cx
    raise FhirError.of(400, "required", "no subject", "Bundle.entry")


def _response(bundle: JsonDict, planned: ProvidePlan, result: RegistryResult) -> JsonDict:
    """The transaction-response Bundle (ITI TF-2 3.65.4.2)."""
    entries: list[JsonDict] = []
    for request_entry, location in zip(bundle["entry"], planned.locations, strict=True):
        patch = request_entry["request"]["method"] == "PATCH"
        status = "200 OK" if patch else "201 Created"
        entries.append({"response": {"status": status, "location": location}})
    if result.warnings:
        issues = [Issue("informational", f"{w.code}: {w.context}", severity="warning")
                  for w in result.warnings]  # fmt: skip
        warning = outcome(issues).model_dump(mode="json", exclude_none=True)
        entries[0]["response"]["outcome"] = warning
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [canon.RESPONSE_PROFILE]},
        "type": "transaction-response",
        "entry": entries,
    }


def provide(settings: Settings) -> Response:
    """Handle one ITI-65 request (see the module docstring)."""
    bundle = wire.read_resource()
    _validated(bundle)
    base = fhir_base(settings)
    patient = _patient(bundle, base)
    try:
        planned = plan(bundle, patient, base)
    except ValueError as exc:
        raise FhirError.of(
            400, "invalid", "relatesTo.target must be a DocumentReference of this server",
            str(exc),
        ) from None  # fmt: skip
    result = gateway(settings).provide(planned)
    if not result.success:
        raise from_xds([(e.code, e.context, e.is_error) for e in result.errors])
    return wire.respond(_response(bundle, planned, result))


def register(bp: Blueprint, settings: Settings) -> None:
    """``POST /fhir`` (FHIR R4 http.html#transaction)."""
    bp.add_url_rule("", "transaction", lambda: provide(settings), methods=["POST"])
    bp.add_url_rule("/", "transaction_slash", lambda: provide(settings), methods=["POST"])
