"""Study publication against a real server: scheduler, HTTP API, CLI, RAD-68 to the repository.

One server (SQLite, two workers, stability window 2 s) for the module; studies go in with
``beeldportaal import`` and the workers' schedulers publish them. What the registry holds is
checked with ITI-18 over SOAP, as any XDS consumer would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from profiles.vocabulary import Status
from tests.conftest import LiveServer, start_server
from tests.imaging_source.dicom_factory import Patient, StudyPlan, ct_files
from xds_common.client import RegistryClient

BSN = "2.16.840.1.113883.2.4.6.3"
STABLE = 2
POLL_LIMIT = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose studies are complete after 2 quiet seconds."""
    tmp = tmp_path_factory.mktemp("publish")
    live = start_server(tmp, "sqlite", {"BEELDPORTAAL_STUDY_STABLE_SECONDS": str(STABLE)})
    yield live
    live.stop()


_counter = iter(range(100, 1000))


def new_bsn() -> str:
    """A fresh valid BSN (eleven-check) for each test's patient."""
    while True:
        base = f"{next(_counter):03d}45678"[:8]
        total = sum(int(d) * w for d, w in zip(base, range(9, 1, -1), strict=True))
        check = total % 11
        if check < 10:
            return base + str(check)


def load(server: LiveServer, tmp: Path, plan: StudyPlan) -> str:
    """Import the study of ``plan`` into the server's index (``beeldportaal import``)."""
    folder = tmp / f"study-{plan.study_uid[-8:]}"
    folder.mkdir()
    for n, (_, data) in enumerate(ct_files(plan)):
        (folder / f"IM{n:04d}.dcm").write_bytes(data)
    done = server.cli("import", str(folder), check=False)
    assert done.returncode == 0, done.stderr
    return plan.study_uid


def publication(server: LiveServer, uid: str) -> dict[str, Any]:
    answer = requests.get(f"{server.base_url}/imaging/studies/{uid}/publication", timeout=10)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def wait_for(server: LiveServer, uid: str, **expected: Any) -> dict[str, Any]:
    """Poll the publication state until it has the ``expected`` values (bounded)."""
    deadline = time.monotonic() + POLL_LIMIT
    while True:
        found = publication(server, uid)
        if all(found.get(k) == v for k, v in expected.items()):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"publication of {uid} never reached {expected}: {found}")
        time.sleep(0.25)


def manifests(server: LiveServer, patient: str) -> list[Any]:
    """Every manifest entry of the patient in the registry, Approved or Deprecated (ITI-18)."""
    answer = RegistryClient(server.registry_url).find_documents(
        patient, status=(Status.APPROVED, Status.DEPRECATED)
    )
    assert answer.success, answer.errors
    return answer.documents


def test_a_quiet_study_is_published_once_by_one_of_the_workers(
    server: LiveServer, tmp_path: Path
) -> None:
    bsn = new_bsn()
    patient = f"{bsn}^^^&{BSN}&ISO"
    server.cli("patients", "add", patient)
    uid = load(server, tmp_path, StudyPlan(patient=Patient(patient_id=bsn), series=2, instances=3))
    found = wait_for(server, uid, state="published")
    assert found["publishedInstances"] == 6 and found["version"] == 1
    time.sleep(STABLE * 2)  # give the other worker every chance to publish it twice
    entries = manifests(server, patient)
    assert [e.unique_id for e in entries] == [found["documentUniqueId"]]
    assert entries[0].availability_status == Status.APPROVED
    assert entries[0].mime_type == "application/dicom"
    assert publication(server, uid)["version"] == 1


def test_unknown_patient_fails_with_the_registry_error_then_publishes_when_asked(
    server: LiveServer, tmp_path: Path
) -> None:
    bsn = new_bsn()
    patient = f"{bsn}^^^&{BSN}&ISO"
    uid = load(server, tmp_path, StudyPlan(patient=Patient(patient_id=bsn), series=1, instances=2))
    failed = wait_for(server, uid, state="failed")
    assert "XDSUnknownPatientId" in failed["lastError"]
    assert failed["attempts"] == 1 and failed["nextAttempt"] is not None
    time.sleep(STABLE * 2)
    assert publication(server, uid)["attempts"] == 1  # backing off, not retrying every tick
    now = requests.post(f"{server.base_url}/imaging/studies/{uid}/publish?now=true", timeout=60)
    assert now.status_code == 502  # the repository refused it; the JSON says why
    assert now.json()["attempts"] == 2 and "XDSUnknownPatientId" in now.json()["lastError"]
    assert manifests(server, patient) == []  # a refused submission leaves no trace

    server.cli("patients", "add", patient)
    answer = requests.post(f"{server.base_url}/imaging/studies/{uid}/publish", timeout=30)
    assert answer.status_code == 202
    assert answer.headers["Location"].endswith(f"/imaging/studies/{uid}/publication")
    assert answer.json()["requested"] is True
    done = wait_for(server, uid, state="published")
    assert done["attempts"] == 0 and done["lastError"] == ""
    assert [e.unique_id for e in manifests(server, patient)] == [done["documentUniqueId"]]


def test_publish_now_over_http_answers_with_the_outcome(server: LiveServer, tmp_path: Path) -> None:
    bsn = new_bsn()
    patient = f"{bsn}^^^&{BSN}&ISO"
    server.cli("patients", "add", patient)
    uid = load(server, tmp_path, StudyPlan(patient=Patient(patient_id=bsn), series=1, instances=1))
    first = wait_for(server, uid, state="published")
    answer = requests.post(f"{server.base_url}/imaging/studies/{uid}/publish?now=true", timeout=60)
    assert answer.status_code in (200, 202), answer.text
    second = wait_for(server, uid, state="published", version=2)
    assert second["documentUniqueId"] != first["documentUniqueId"]
    entries = {e.unique_id: e.availability_status for e in manifests(server, patient)}
    assert entries == {
        first["documentUniqueId"]: Status.DEPRECATED,
        second["documentUniqueId"]: Status.APPROVED,
    }


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/imaging/studies/1.2.3.4.5.6.999/publish", 404),
        ("POST", "/imaging/studies/1.2.3.4.5.6.999/publish?now=true", 404),
        ("GET", "/imaging/studies/1.2.3.4.5.6.999/publication", 404),
        ("POST", "/imaging/studies/1.2.x.3/publish", 400),
        ("GET", "/imaging/studies/01.2.3/publication", 400),
    ],
)
def test_bad_requests_get_json_errors(
    server: LiveServer, method: str, path: str, status: int
) -> None:
    answer = requests.request(method, server.base_url + path, timeout=10)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]


def test_cli_publish_status_and_now(server: LiveServer, tmp_path: Path) -> None:
    bsn = new_bsn()
    patient = f"{bsn}^^^&{BSN}&ISO"
    server.cli("patients", "add", patient)
    uid = load(server, tmp_path, StudyPlan(patient=Patient(patient_id=bsn), series=1, instances=2))
    first = wait_for(server, uid, state="published")
    shown = server.cli("publish", "--status", uid)
    assert json.loads(shown.stdout)["documentUniqueId"] == first["documentUniqueId"]
    listed = json.loads(server.cli("publish", "--status").stdout)
    assert uid in {item["studyInstanceUID"] for item in listed}
    now = server.cli("publish", uid, "--now", check=False)
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout)["version"] == 2
    unknown = server.cli("publish", "1.2.3.4.5.6.999", check=False)
    assert unknown.returncode == 2 and "unknown study" in unknown.stderr
    queued = server.cli("publish", uid)
    assert json.loads(queued.stdout)["requested"] is True
    wait_for(server, uid, state="published", version=3, requested=False)
