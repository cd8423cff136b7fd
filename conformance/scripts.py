"""Run our declarative test scripts (``profiles.testscripts``) against any endpoints.

Each step becomes one judged :class:`StepResult` (case id ``script:<name>#<n>``). A script
stops at its first failed or skipped step: later steps depend on it. Submissions get the
NIST toolkit's substitutions (corpus README §5.1: ebRIM 2.1 -> 3.0, the fed patient id,
fresh uniqueIds and UUIDs, our sourceId); ITI-41 documents travel inline as base64
(``xdsb:Document``, ITI TF-2b 3.41.4.1.2), which every repository must accept.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from lxml import etree

from conformance import ebrim21
from conformance.config import Endpoints, RunConfig
from conformance.feed import FeedError, ack_code, build_adt_a04, deliver, new_patient_id
from conformance.results import StepResult
from conformance.retrieve import retrieved_document
from conformance.soap import SoapClient
from conformance.state import Verdict
from conformance.substitute import Assigned, SubmissionRules, apply_rules
from profiles import namespaces as ns
from profiles import stored_queries as sq
from profiles import transactions as tx
from profiles.testscripts import Feed, HttpGet, Query, Retrieve, Script, Send, Step
from xds_common.client.registry import encode_param
from xds_common.ebrim import rim
from xds_common.xml import parse

_SEND = {"ITI-41": tx.ITI_41, "ITI-42": tx.ITI_42, "ITI-57": tx.ITI_57}
_APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
_FOUND = (rim.T_EXTRINSIC, rim.T_PACKAGE, rim.T_OBJECT_REF)


class StepFailed(Exception):
    """The step's outcome is not the expected one (message = the reason)."""


class StepSkipped(Exception):
    """The step cannot run against this system (message = the reason)."""


@dataclass
class _State:
    patient: str = ""
    assigned: Assigned = field(default_factory=Assigned)


class ScriptRunner:
    """Runs scripts against ``endpoints``; the corpus holds their message files."""

    def __init__(
        self,
        endpoints: Endpoints,
        config: RunConfig,
        fhir: str | None = None,
        client: SoapClient | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.config = config
        self.fhir = fhir
        self.client = client or SoapClient(config.timeout)

    def run(self, scripts: Iterable[Script]) -> Iterator[StepResult]:
        """Every step result of every script, in order."""
        for script in scripts:
            yield from self.run_script(script)

    def run_script(self, script: Script) -> Iterator[StepResult]:
        """The results of one script; steps after a failure are not run."""
        state = _State()
        stopped = ""
        for number, step in enumerate(script.steps, start=1):
            kind = type(step).__name__
            result = StepResult(script.name, script.component, f"{number}-{kind}", kind,
                                Verdict.SKIP, case_id=f"script:{script.name}#{number}",
                                transaction=_transaction(step),
                                expected=_expected(step))  # fmt: skip
            if stopped:
                result.reasons.append(f"not run: {stopped}")
            else:
                stopped = self._run_step(step, state, result)
            yield result

    def _run_step(self, step: Step, state: _State, result: StepResult) -> str:
        """Run one step into ``result``; return why the script stops ('' to go on)."""
        try:
            result.actual = self.execute(step, state)
        except StepSkipped as exc:
            result.reasons.append(str(exc))
            return f"step {result.step} skipped"
        except StepFailed as exc:
            result.verdict = Verdict.FAIL
            result.reasons.append(str(exc))
            return f"step {result.step} failed"
        result.verdict = Verdict.PASS
        return ""

    def execute(self, step: Step, state: _State) -> str:
        """Run one step; return what happened; raise StepFailed/StepSkipped."""
        if isinstance(step, Feed):
            return self._feed(state)
        if isinstance(step, Send):
            return self._send(step, state)
        if isinstance(step, Query):
            return self._query(step, state)
        if isinstance(step, Retrieve):
            return self._retrieve(step, state)
        return self._get(step)

    def _feed(self, state: _State) -> str:
        state.patient = new_patient_id(self.config.patient_authority)
        if self.endpoints.mllp is None:
            raise StepSkipped("ITI-8 feed not possible: no --mllp HOST:PORT")
        host, port = self.endpoints.mllp
        message = build_adt_a04(state.patient, datetime.now(UTC))
        try:
            code = ack_code(deliver(host, port, message, self.config.timeout))
        except FeedError as exc:
            raise StepFailed(f"ITI-8: {exc}") from None
        if code not in ("AA", "CA"):
            raise StepFailed(f"ITI-8 {state.patient}: acknowledgement {code}")
        return f"ACK {code}"

    def _send(self, step: Send, state: _State) -> str:
        transaction = _SEND[step.transaction]
        url = self.endpoints.repository if transaction is tx.ITI_41 else self.endpoints.registry
        if not url:
            raise StepSkipped(f"no endpoint for {step.transaction}")
        text = self._file(step.file).read_text(encoding="utf-8")
        for old, new in step.changes:
            if old not in text:
                raise StepFailed(f"change {old!r} does not apply to {step.file}")
            text = text.replace(old, new)
        root = parse(text.encode())
        if ebrim21.is_ebrim21(root):
            root = ebrim21.convert(root)
        rules = SubmissionRules(state.patient or None, source_id=self.config.source_id,
                                assign_uuids=True)  # fmt: skip
        state.assigned = apply_rules(root, rules)
        if transaction is tx.ITI_41:
            root = self._provide(root, step, state.assigned)
        result = self.client.call(url, transaction, root)
        status, codes = result.status_name or result.problem or "no answer", result.error_codes
        if status != step.expect_status or not set(step.expect_codes) <= set(codes):
            raise StepFailed(f"expected {step.expect_status} {list(step.expect_codes)}, got "
                             f"{status} {codes}")  # fmt: skip
        return f"{status} {codes}" if codes else status

    def _provide(self, request: etree._Element, step: Send, assigned: Assigned) -> etree._Element:
        pnr = etree.Element(tx.ITI_41.request_element, nsmap={"xdsb": ns.XDSB})
        pnr.append(request)
        for symbol, name in step.documents:
            part = etree.SubElement(pnr, ns.qn(ns.XDSB, "Document"))
            part.set("id", assigned.uuids.get(symbol, symbol))
            part.text = base64.b64encode(self._file(name).read_bytes()).decode()
        return pnr

    def _query(self, step: Query, state: _State) -> str:
        spec = sq.BY_NAME[step.query]
        request = etree.Element(ns.qn(ns.QUERY, "AdhocQueryRequest"),
                                nsmap={"query": ns.QUERY, "rim": ns.RIM})  # fmt: skip
        option = etree.SubElement(request, ns.qn(ns.QUERY, "ResponseOption"))
        option.set("returnType", step.return_type)
        adhoc = etree.SubElement(request, ns.qn(ns.RIM, "AdhocQuery"), id=spec.id)
        for param in spec.params:
            if param.kind is sq.ParamKind.PATIENT and param.required:
                _slot(adhoc, param.name, encode_param(spec, param.name, state.patient))
            elif param.kind is sq.ParamKind.STATUS and param.required:
                _slot(adhoc, param.name, encode_param(spec, param.name, [_APPROVED]))
        result = self.client.call(self.endpoints.registry, tx.ITI_18, request)
        if result.status_name != "Success" or result.body is None:
            raise StepFailed(f"ITI-18 answered {result.status_name or result.problem} "
                             f"{result.error_codes}")  # fmt: skip
        found = sum(1 for _ in result.body.iter(*_FOUND))
        if found != step.expect:
            raise StepFailed(f"{step.query}: {found} objects, expected {step.expect}")
        return f"Success, {found} objects"

    def _retrieve(self, step: Retrieve, state: _State) -> str:
        if not self.endpoints.repository:
            raise StepSkipped("no --repository URL (ITI-43)")
        unique_id = state.assigned.uids.get(step.document, "")
        request = etree.Element(tx.ITI_43.request_element, nsmap={"xdsb": ns.XDSB})
        item = etree.SubElement(request, ns.qn(ns.XDSB, "DocumentRequest"))
        for name, value in (("RepositoryUniqueId", self.config.repository_unique_id),
                            ("DocumentUniqueId", unique_id)):  # fmt: skip
            etree.SubElement(item, ns.qn(ns.XDSB, name)).text = value
        result = self.client.call(self.endpoints.repository, tx.ITI_43, request)
        got = retrieved_document(result, unique_id)
        expected = self._file(step.file).read_bytes()
        if got != expected:
            raise StepFailed(f"ITI-43 {result.status_name or result.problem} "
                             f"{result.error_codes}: document {unique_id} "
                             f"{'missing' if got is None else 'differs'}")  # fmt: skip
        return f"Success, {len(got)} identical bytes"

    def _get(self, step: HttpGet) -> str:
        base = {"wado": self.endpoints.wado, "fhir": self.fhir}.get(step.endpoint)
        if not base:
            raise StepSkipped(f"no {step.endpoint} endpoint configured")
        try:
            with requests.get(base + step.path, params=list(step.params), stream=True,
                              timeout=self.config.timeout) as response:  # fmt: skip
                status = response.status_code
        except requests.RequestException as exc:
            raise StepFailed(f"GET {base}{step.path}: {type(exc).__name__}") from None
        if status != step.expect_status:
            raise StepFailed(f"GET {base}{step.path}: HTTP {status}, expected {step.expect_status}")
        return f"HTTP {status}"

    def _file(self, name: str) -> Path:
        path = self.config.corpus_root / name
        if not path.is_file():
            raise StepSkipped(f"{name} is not in the corpus at {self.config.corpus_root}")
        return path


def _slot(adhoc: etree._Element, name: str, value: str) -> None:
    slot = etree.SubElement(adhoc, rim.T_SLOT, name=name)
    etree.SubElement(etree.SubElement(slot, rim.T_VALUE_LIST), rim.T_VALUE).text = value


def _transaction(step: Step) -> str:
    if isinstance(step, Send):
        return step.transaction
    names = {Feed: "ITI-8", Query: "ITI-18", Retrieve: "ITI-43"}
    if isinstance(step, HttpGet):
        return "RAD-55" if step.endpoint == "wado" else "FHIR"
    return names[type(step)]


def _expected(step: Step) -> str:
    if isinstance(step, Send):
        return " ".join((step.expect_status, *step.expect_codes))
    if isinstance(step, Query):
        return f"{step.expect} objects"
    if isinstance(step, HttpGet):
        return f"HTTP {step.expect_status}"
    return "identical bytes" if isinstance(step, Retrieve) else "AA"
