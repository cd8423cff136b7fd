"""Patient create/update/read/search against the live server, with fhirpy as the FHIR client.

The FHIR patient identity feed has the effect of ITI-8: before the Patient exists, ITI-41
for its id fails with XDSUnknownPatientId; after the create the same submission succeeds and
ITI-18 finds it. Bad identifiers answer 4xx OperationOutcomes naming the element and leave no
Patient behind.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fhirpy import SyncFHIRClient

from fhir_facade import migrate
from fhir_facade.patient_feed import BSN_SYSTEM
from tests.conftest import NIST_AUTHORITY, LiveServer
from xds_common.client.registry import RegistryClient

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
BSN_OID = "2.16.840.1.113883.2.4.6.3"


def new_bsn() -> str:
    """A random nine-digit number that passes the BSN eleven-check."""
    while True:
        digits = [random.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10 and digits[0]:
            return "".join(map(str, digits)) + str(check)


@pytest.fixture(scope="module")
def fhir(live_server: LiveServer) -> Iterator[str]:
    """The live server's FHIR base (the facade's tables migrated, as ``init`` will do)."""
    migrate.upgrade(live_server.env["BEELDPORTAAL_DATABASE_URL"])
    yield f"{live_server.base_url}/fhir"


def patient_json(bsn: str, family: str = "Visser", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": BSN_SYSTEM, "value": bsn}],
        "name": [{"family": family, "given": ["Anne", "Marie"]}],
        "gender": "female",
        "birthDate": "1984-02-29",
        **extra,
    }


def submit(server: LiveServer, tmp_path: Path, cx: str) -> int:
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.4\n%report\n%%EOF\n")
    repository = f"{server.base_url}/xds/repository"
    result = server.cli(
        "submit", str(document), "--repository", repository, "--patient", cx, check=False
    )
    return result.returncode


def test_create_feeds_the_registry(live_server: LiveServer, fhir: str, tmp_path: Path) -> None:
    bsn = new_bsn()
    cx = f"{bsn}^^^&{BSN_OID}&ISO"
    assert submit(live_server, tmp_path, cx) != 0  # XDSUnknownPatientId: not fed yet

    client = SyncFHIRClient(fhir)
    patient = client.resource("Patient", **patient_json(bsn))
    patient.save()
    assert patient["id"] == f"{BSN_OID}-{bsn}"
    assert patient["meta"]["versionId"] == "1"

    assert submit(live_server, tmp_path, cx) == 0
    found = RegistryClient(live_server.registry_url).find_documents(cx)
    assert found.success and len(found.documents) == 1


def test_update_with_a_new_domain_id_registers_it(live_server: LiveServer, fhir: str) -> None:
    bsn, mrn = new_bsn(), f"M{random.randint(10**8, 10**9)}"
    client = SyncFHIRClient(fhir)
    patient = client.resource("Patient", **patient_json(bsn))
    patient.save()
    patient["name"] = [{"family": "de Boer", "given": ["Anne"]}]
    patient["identifier"].append({"system": f"urn:oid:{NIST_AUTHORITY}", "value": mrn})
    patient.save()  # PUT: a new affinity-domain id goes out as ADT^A01

    stored = client.reference("Patient", patient["id"]).to_resource()
    assert stored["meta"]["versionId"] == "2"
    assert stored["name"][0]["family"] == "de Boer"
    registry = RegistryClient(live_server.registry_url)
    assert registry.find_documents(f"{mrn}^^^&{NIST_AUTHORITY}&ISO").success


def test_search_parameters(fhir: str) -> None:
    bsn, family = new_bsn(), f"Zoëtermeer{random.randint(1000, 9999)}"
    client = SyncFHIRClient(fhir)
    client.resource("Patient", **patient_json(bsn, family)).save()
    pid = f"{BSN_OID}-{bsn}"

    def ids(**params: str) -> list[str]:
        return [p["id"] for p in client.resources("Patient").search(**params).fetch_all()]

    assert ids(identifier=f"{BSN_SYSTEM}|{bsn}") == [pid]
    assert ids(identifier=f"urn:oid:{BSN_OID}|{bsn}") == [pid]  # the same system, as an OID
    assert ids(family=family.lower().replace("ë", "e")) == [pid]  # accents and case folded
    assert ids(family__exact=family, identifier=bsn) == [pid]
    assert ids(family__exact=family.lower(), identifier=bsn) == []
    assert ids(family__contains=family[3:8], identifier=bsn) == [pid]
    assert ids(given="mar", identifier=bsn) == [pid]
    assert ids(birthdate="1984-02", identifier=bsn) == [pid]
    assert ids(birthdate="ge1984-03-01", identifier=bsn) == []
    assert ids(birthdate="lt1984-02-29", identifier=bsn) == []
    assert ids(birthdate="le1984-02-29", gender="female", identifier=bsn) == [pid]
    assert ids(gender="male", identifier=bsn) == []
    assert ids(_id=pid) == [pid]


def test_paging_links(fhir: str) -> None:
    family = f"Pagina{random.randint(10000, 99999)}"
    for _ in range(3):
        requests.post(
            f"{fhir}/Patient", json=patient_json(new_bsn(), family), headers=FHIR_JSON, timeout=60
        ).raise_for_status()
    first = requests.get(
        f"{fhir}/Patient", params={"family": family, "_count": "2"}, timeout=60
    ).json()
    assert first["total"] == 3 and len(first["entry"]) == 2
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = requests.get(following, timeout=60).json()
    assert len(second["entry"]) == 1
    seen = {e["resource"]["id"] for e in first["entry"] + second["entry"]}
    assert len(seen) == 3


def test_xml_create_and_read(fhir: str) -> None:
    bsn = new_bsn()
    body = (
        '<Patient xmlns="http://hl7.org/fhir">'
        f'<identifier><system value="{BSN_SYSTEM}"/><value value="{bsn}"/></identifier>'
        '<name><family value="Dekker"/></name></Patient>'
    )
    headers = {"Content-Type": "application/fhir+xml", "Accept": "application/fhir+xml"}
    created = requests.post(f"{fhir}/Patient", data=body.encode(), headers=headers, timeout=60)
    assert created.status_code == 201
    assert created.headers["Content-Type"].startswith("application/fhir+xml")
    assert created.headers["ETag"] == 'W/"1"'
    read = requests.get(
        created.headers["Location"].split("/_history")[0], params={"_format": "json"}, timeout=60
    )
    assert read.json()["name"] == [{"family": "Dekker"}]


def _outcome(response: requests.Response) -> tuple[int, list[tuple[str, list[str]]]]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return response.status_code, [(i["code"], i.get("expression", [])) for i in body["issue"]]


@pytest.mark.parametrize(
    ("change", "status", "code", "expression"),
    [
        (
            {"identifier": [{"system": BSN_SYSTEM, "value": "123456789"}]},
            422,
            "value",
            ["Patient.identifier[0].value"],
        ),
        ({"identifier": [{"value": "x"}]}, 422, "required", ["Patient.identifier[0].system"]),
        (
            {"identifier": [{"system": "urn:oid:9.9.9", "value": "x"}]},
            422,
            "business-rule",
            ["Patient.identifier"],
        ),
        ({"gender": "vrouw"}, 400, "code-invalid", ["Patient.gender"]),
        ({"name": [{"given": "Anne"}]}, 400, "structure", ["Patient.name[0].given"]),
        ({"birthDate": "1984-13-01"}, 400, "structure", ["Patient.birthDate"]),
    ],
)
def test_bad_patient_is_refused_and_leaves_nothing(
    fhir: str, change: dict[str, Any], status: int, code: str, expression: list[str]
) -> None:
    bsn = new_bsn()
    data = {**patient_json(bsn), **change}
    response = requests.post(f"{fhir}/Patient", json=data, headers=FHIR_JSON, timeout=60)
    assert _outcome(response) == (status, [(code, expression)])
    after = requests.get(
        f"{fhir}/Patient",
        params={"family": "Visser", "birthdate": "1984-02-29", "identifier": bsn},
        timeout=60,
    )
    assert after.json()["total"] == 0


def test_identifier_of_another_patient_is_refused(fhir: str) -> None:
    bsn = new_bsn()
    requests.post(
        f"{fhir}/Patient", json=patient_json(bsn), headers=FHIR_JSON, timeout=60
    ).raise_for_status()
    other = patient_json(new_bsn())
    other["identifier"].append({"system": f"urn:oid:{BSN_OID}", "value": bsn})
    response = requests.post(f"{fhir}/Patient", json=other, headers=FHIR_JSON, timeout=60)
    assert _outcome(response) == (422, [("duplicate", ["Patient.identifier[1]"])])
    again = requests.post(f"{fhir}/Patient", json=patient_json(bsn), headers=FHIR_JSON, timeout=60)
    assert _outcome(again) == (422, [("duplicate", ["Patient.identifier[0]"])])  # create != update


def test_update_rules(fhir: str) -> None:
    bsn = new_bsn()
    url = f"{fhir}/Patient/{BSN_OID}-{bsn}"
    data = {**patient_json(bsn), "id": f"{BSN_OID}-{bsn}"}
    created = requests.put(url, json=data, headers=FHIR_JSON, timeout=60)
    assert created.status_code == 201  # update as create
    stale = requests.put(url, json=data, headers={**FHIR_JSON, "If-Match": 'W/"7"'}, timeout=60)
    assert _outcome(stale)[0] == 412
    wrong_id = requests.put(url, json={**data, "id": "other"}, headers=FHIR_JSON, timeout=60)
    assert _outcome(wrong_id) == (400, [("invalid", ["Patient.id"])])
    foreign = f"{fhir}/Patient/{BSN_OID}-{new_bsn()}"
    named = requests.put(
        foreign, json={**data, "id": foreign.rsplit("/", 1)[1]}, headers=FHIR_JSON, timeout=60
    )
    assert _outcome(named) == (422, [("business-rule", ["Patient.id"])])
    updated = requests.put(url, json=data, headers={**FHIR_JSON, "If-Match": 'W/"1"'}, timeout=60)
    assert updated.status_code == 200 and updated.json()["meta"]["versionId"] == "2"


def test_conditional_update_by_identifier(fhir: str) -> None:
    bsn = new_bsn()
    url = f"{fhir}/Patient?identifier={BSN_SYSTEM}|{bsn}"
    created = requests.put(url, json=patient_json(bsn), headers=FHIR_JSON, timeout=60)
    assert created.status_code == 201 and created.json()["id"] == f"{BSN_OID}-{bsn}"
    renamed = requests.put(url, json=patient_json(bsn, "Smit"), headers=FHIR_JSON, timeout=60)
    assert renamed.status_code == 200
    assert (renamed.json()["id"], renamed.json()["meta"]["versionId"]) == (f"{BSN_OID}-{bsn}", "2")
    vague = requests.put(
        f"{fhir}/Patient?family=Smit", json=patient_json(bsn), headers=FHIR_JSON, timeout=60
    )
    assert _outcome(vague) == (400, [("invalid", [])])


def test_unknown_patient_and_parameter(fhir: str) -> None:
    assert _outcome(requests.get(f"{fhir}/Patient/nobody", timeout=60)) == (
        404,
        [("not-found", [])],
    )
    bad = requests.get(f"{fhir}/Patient", params={"birthdate": "sa2000"}, timeout=60)
    assert _outcome(bad) == (400, [("not-supported", [])])
    unknown = requests.get(f"{fhir}/Patient", params={"telecom": "x"}, timeout=60)
    assert _outcome(unknown)[0] == 400
