"""Suite ``fhir``: the NIST Asbestos MHD TestScripts against an MHD Document Recipient.

For every Asbestos case of MANIFEST.json (corpus README §5.2; the assembled bundles in
``mhd/nist-asbestos__*.assembled.xml``), in manifest order (each collection's prerequisite
first, ``original`` before its ``replace``/``addendum``/``transforms``):

1. bind ``${patientResourceId}`` to the Patient of the test's ``Patient/patient-example.xml``
   on the recipient (found by identifier search, else created, MHD ITI-65 3.65.4.1.3.1),
   ``${original}`` to the DocumentReference location of the ``original`` response, and
   ``@{RandomUUID}`` to one fresh UUID per bundle; give every DocumentReference
   ``masterIdentifier`` and List ``usual`` identifier a fresh ``urn:oid:2.25…`` value, as
   Asbestos does;
2. POST the Bundle (``application/fhir+xml``) to the FHIR base (ITI-65 3.65.4.1.2);
3. judge: ``success`` needs 200/201 and a ``transaction-response`` Bundle (3.65.4.2.2);
   ``failure`` needs 4xx with an OperationOutcome (3.65.4.2.3), and afterwards searching
   ``DocumentReference?identifier=`` / ``List?identifier=`` for the bundle's fresh
   identifiers must find nothing (the "nothing persisted" check of ``MHDPDBFails``).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree

from conformance.results import StepResult
from conformance.state import Verdict
from profiles.namespaces import URI_SYSTEM
from xds_common.xml import XmlRejected, parse

FHIR_NS = "http://hl7.org/fhir"
_F = f"{{{FHIR_NS}}}"
XML_TYPE = "application/fhir+xml"
JSON_TYPE = "application/fhir+json"
PREFIX = "nist-asbestos:"
TRANSACTION = "ITI-65"
#: Largest response body read (FHIR answers are small; bounded memory).
MAX_BODY = 4 * 1024 * 1024


@dataclass(frozen=True)
class MhdCase:
    """One assembled Asbestos bundle to send."""

    id: str
    file: Path
    expected: str
    testscript: Path

    @property
    def test(self) -> str:
        """``<collection>/<test>``."""
        return self.id.removeprefix(PREFIX).split("#")[0]

    @property
    def fixture(self) -> str:
        """``pdb``, ``original``, ``replace`` ..."""
        return self.id.split("#")[-1]


def load_cases(corpus_root: Path) -> list[MhdCase]:
    """The Asbestos ITI-65 request cases of MANIFEST.json, in manifest order."""
    manifest = corpus_root / "MANIFEST.json"
    if not manifest.is_file():
        return []
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return [
        MhdCase(c["id"], corpus_root / c["file"], c["expected"], corpus_root / c["testscript"])
        for c in data.get("cases", [])
        if c["id"].startswith(PREFIX) and c["transaction"] == TRANSACTION
        and c.get("role") == "request" and c.get("testscript")
    ]  # fmt: skip


@dataclass
class Answer:
    """An HTTP answer: status, resource type and the parsed resource (JSON-like)."""

    status: int
    resource_type: str = ""
    locations: list[str] = field(default_factory=list)
    total: int | None = None
    text: str = ""


def _read(response: requests.Response) -> bytes:
    body = response.raw.read(MAX_BODY + 1, decode_content=True)
    return bytes(body[:MAX_BODY])


def _entry_ref(entry: Any) -> str:
    if not isinstance(entry, dict):
        return ""
    location = entry.get("response", {}).get("location", "")
    resource = entry.get("resource") or {}
    own = f"{resource.get('resourceType')}/{resource.get('id')}" if resource.get("id") else ""
    return str(location or entry.get("fullUrl") or own)


def _json_answer(answer: Answer, data: Any) -> Answer:
    if not isinstance(data, dict):
        return answer
    answer.resource_type = str(data.get("resourceType", ""))
    if answer.resource_type != "Bundle":
        if data.get("id"):
            answer.locations.append(f"{answer.resource_type}/{data['id']}")
        return answer
    entries = data.get("entry") or []
    answer.resource_type = f"Bundle/{data.get('type', '')}"
    answer.total = data.get("total", len(entries))
    answer.locations += [r for r in (_entry_ref(e) for e in entries) if r]
    return answer


def _xml_answer(answer: Answer, root: etree._Element) -> Answer:
    answer.resource_type = etree.QName(root).localname
    if answer.resource_type == "Bundle":
        kind = root.find(f"{_F}type")
        answer.resource_type = f"Bundle/{kind.get('value', '') if kind is not None else ''}"
        answer.locations += [e.get("value", "") for e in root.iter(f"{_F}location")]
        answer.total = len(root.findall(f"{_F}entry"))
    return answer


def _answer(response: requests.Response) -> Answer:
    """Status, Location and the key facts of a FHIR JSON or XML response body."""
    body = _read(response)
    answer = Answer(response.status_code, text=body[:2000].decode("utf-8", "replace"))
    if response.headers.get("Location"):
        answer.locations.append(response.headers["Location"])
    if body.lstrip()[:1] == b"{":
        try:
            return _json_answer(answer, json.loads(body))
        except ValueError:
            return answer
    try:
        return _xml_answer(answer, parse(body))
    except XmlRejected:
        return answer


class MhdReplay:
    """Runs the Asbestos cases against one FHIR base URL."""

    def __init__(self, base: str, timeout: float, session: requests.Session | None = None):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.patients: dict[bytes, str] = {}
        self.originals: dict[str, str] = {}

    def _call(self, method: str, url: str, **kwargs: Any) -> Answer:
        headers = {"Accept": JSON_TYPE, **kwargs.pop("headers", {})}
        with self.http.request(method, url, headers=headers, timeout=self.timeout, stream=True,
                               **kwargs) as response:  # fmt: skip
            return _answer(response)

    def patient_reference(self, case: MhdCase) -> str:
        """The recipient's Patient for the test's fixture (searched, else created)."""
        data = _patient_fixture(case).read_bytes()
        if data not in self.patients:
            system, value = _first_identifier(parse(data))
            query = {"identifier": f"{system}|{value}"}
            refs = self._call("GET", f"{self.base}/Patient", params=query).locations
            if not refs:
                headers = {"Content-Type": XML_TYPE}
                refs = self._call(
                    "POST", f"{self.base}/Patient", data=data, headers=headers
                ).locations
            if not refs:
                raise LookupError(f"the recipient neither has nor creates Patient {value}")
            ref = refs[0].split("/_history")[0]
            self.patients[data] = ref if "://" in ref else f"{self.base}/{ref}"
        return self.patients[data]

    def run(self, cases: list[MhdCase]) -> Iterator[StepResult]:
        """Send and judge every case."""
        for case in cases:
            yield self.run_case(case)

    def run_case(self, case: MhdCase) -> StepResult:
        """Bind, POST and judge one case."""
        collection, test = case.test.split("/", 1)
        result = StepResult(collection, test, case.fixture, "TestScript", Verdict.FAIL,
                            case_id=case.id, transaction=TRANSACTION,
                            expected=_expected(case))  # fmt: skip
        try:
            bundle, identifiers = self.bind(case)
            answer = self._call("POST", self.base, data=bundle,
                                headers={"Content-Type": XML_TYPE})  # fmt: skip
        except (requests.RequestException, OSError, XmlRejected, LookupError) as exc:
            result.reasons.append(f"could not send: {type(exc).__name__}: {exc}")
            return result
        result.actual = f"HTTP {answer.status} {answer.resource_type or '(no FHIR body)'}"
        result.reasons = self.judge(case, answer, identifiers)
        result.verdict = Verdict.FAIL if result.reasons else Verdict.PASS
        if case.fixture == "original" and not result.reasons:
            found = [x for x in answer.locations if "DocumentReference/" in x]
            if found:
                self.originals[case.test] = found[0].split("/_history")[0]
        return result

    def bind(self, case: MhdCase) -> tuple[bytes, list[tuple[str, str]]]:
        """The bundle with placeholders bound and fresh identifiers; the identifiers."""
        text = case.file.read_text(encoding="utf-8")
        text = text.replace("@{RandomUUID}", str(uuid.uuid4()))
        if "${patientResourceId}" in text:
            text = text.replace("${patientResourceId}", self.patient_reference(case))
        if "${original}" in text:
            if case.test not in self.originals:
                raise LookupError(f"no successful 'original' submission of {case.test}")
            text = text.replace("${original}", self.originals[case.test])
        root = parse(text.encode())
        identifiers = _fresh_identifiers(root)
        return etree.tostring(root, encoding="utf-8"), identifiers

    def judge(self, case: MhdCase, answer: Answer, idents: list[tuple[str, str]]) -> list[str]:
        """Reasons the answer is wrong (empty when it passes)."""
        if case.expected == "success":
            if (
                answer.status not in (200, 201)
                or answer.resource_type != "Bundle/transaction-response"
            ):
                return [f"expected 200 with a transaction-response Bundle: {answer.text[:300]}"]
            return self.stored(case, idents, expect_found=True)
        reasons = []
        if not 400 <= answer.status < 500 or answer.resource_type != "OperationOutcome":
            reasons.append(f"expected 4xx with an OperationOutcome: {answer.text[:300]}")
        return reasons + self.stored(case, idents, expect_found=False)

    def stored(self, case: MhdCase, idents: list[tuple[str, str]], expect_found: bool) -> list[str]:
        """Search each fresh identifier: accepted bundles are found, rejected ones left nothing."""
        reasons = []
        for resource, value in idents:
            query = self.leftover_query(case, resource, value)
            found = self._call("GET", f"{self.base}/{resource}", params=query)
            if found.status != 200:
                reasons.append(f"search {resource} {query}: HTTP {found.status}")
            elif expect_found and not found.total:
                reasons.append(f"accepted {resource} {value} is not found by search")
            elif found.total and not expect_found:
                reasons.append(f"rejected submission left {found.total} {resource} behind")
        return reasons

    def leftover_query(self, case: MhdCase, resource: str, value: str) -> dict[str, str]:
        """An ITI-67/ITI-66 search for one fresh identifier of the rejected bundle.

        MHD 4.2 requires ``patient`` on every ITI-66/67 search (and ``code`` on ITI-66), so
        the search names the test's fixture Patient and asks for both statuses.
        """
        query = {"identifier": f"{URI_SYSTEM}|{value}", "status": "current,superseded"}
        # without a fixture Patient the recipient answers 400 and the step says so
        with contextlib.suppress(LookupError, requests.RequestException, XmlRejected):
            query["patient"] = self.patient_reference(case)
        if resource == "List":
            query["code"] = "submissionset"
        return query


def _expected(case: MhdCase) -> str:
    if case.expected == "success":
        return "200 transaction-response"
    return "4xx OperationOutcome, nothing persisted"


def _patient_fixture(case: MhdCase) -> Path:
    """``Patient/patient-example.xml`` next to the TestScript, else in the collection."""
    here = case.testscript.parent / "Patient" / "patient-example.xml"
    if here.is_file():
        return here
    found = sorted(case.testscript.parent.parent.glob("*/Patient/patient-example.xml"))
    if not found:
        raise LookupError(f"no Patient/patient-example.xml for {case.test}")
    return found[0]


def _first_identifier(patient: etree._Element) -> tuple[str, str]:
    """system and value of the Patient's first identifier."""
    system = patient.find(f"{_F}identifier/{_F}system")
    value = patient.find(f"{_F}identifier/{_F}value")
    if system is None or value is None:
        raise LookupError("the Patient fixture has no identifier")
    return system.get("value", ""), value.get("value", "")


def _usual_values(resource: etree._Element) -> list[etree._Element]:
    """``identifier.value`` of the identifiers with ``use=usual`` (a List's uniqueId)."""
    found = []
    for ident in resource.findall(f"{_F}identifier"):
        use, value = ident.find(f"{_F}use"), ident.find(f"{_F}value")
        if use is not None and use.get("value") == "usual" and value is not None:
            found.append(value)
    return found


def _fresh_identifiers(root: etree._Element) -> list[tuple[str, str]]:
    """New uniqueIds for DocumentReference.masterIdentifier and the List's usual identifier."""
    found: list[tuple[str, str]] = []
    for resource in root.iter(f"{_F}DocumentReference", f"{_F}List"):
        name = etree.QName(resource).localname
        if name == "DocumentReference":
            targets = resource.findall(f"{_F}masterIdentifier/{_F}value")
        else:
            targets = _usual_values(resource)
        for target in targets:
            fresh = f"urn:oid:2.25.{uuid.uuid4().int}"
            target.set("value", fresh)
            found.append((name, fresh))
    return found
