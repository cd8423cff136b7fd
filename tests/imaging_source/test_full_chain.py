"""The whole XDS-I.b chain in one test, every step over a real socket against a real server.

dcmtk's ``storescu`` sends a generated CT + MR study (3 series) to the DICOM port → the study
stays quiet for the stability window (2 s) → a worker publishes its KOS manifest with RAD-68
→ ITI-18 FindDocuments finds one Approved manifest entry with the XDS-I.b metadata → ITI-43
returns the KOS, which lists every instance → RAD-69 (asked with the manifest's Retrieve
Location UID) and WADO-RS (at the manifest's Retrieve URLs) return every instance with its
Data Set byte-identical to what storescu sent. Then one late instance arrives: a new manifest
replaces the old one by RPLC, and ITI-18 still shows exactly one Approved manifest.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from pydicom.dataset import Dataset
from pydicom.uid import MRImageStorage

from imaging_source import part10
from profiles import xdsi
from profiles.vocabulary import Status
from tests.conftest import LiveServer, start_server
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_instance, make_study
from tests.imaging_source.dicom_factory import part10 as encode
from tests.imaging_source.test_rad69 import Ask, request_xml, send
from xds_common.client import RegistryClient, RepositoryClient
from xds_common.metadata import DocumentEntry

BSN_AUTHORITY = "2.16.840.1.113883.2.4.6.3"
BSN = "123456782"
PATIENT = f"{BSN}^^^&{BSN_AUTHORITY}&ISO"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
POLL_LIMIT = 90.0
#: The manifest formatCode as an ITI-18 parameter value (code^^scheme).
KOS_FORMAT_CODE = f"{xdsi.FORMAT_CODE.code}^^{xdsi.FORMAT_CODE.scheme}"


def _backends() -> list[str]:
    """SQLite always; PostgreSQL too when ``make test`` started one (production runs on it)."""
    return (
        ["sqlite", "postgresql"] if os.environ.get("BEELDPORTAAL_TEST_POSTGRES_URL") else ["sqlite"]
    )


@pytest.fixture(scope="module", params=_backends())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Two workers, studies complete after 2 quiet seconds, the patient known to the registry."""
    tmp = tmp_path_factory.mktemp(f"full-chain-{request.param}")
    live = start_server(tmp, request.param, {"BEELDPORTAAL_STUDY_STABLE_SECONDS": "2"})
    live.cli("patients", "add", PATIENT)
    yield live
    live.stop()


def data_set(data: bytes) -> bytes:
    """The Data Set of a Part 10 file, without preamble and File Meta Information."""
    return data[part10.read_file_meta(data[: part10.HEAD_BYTES]).dataset_offset :]


def generate(plan: StudyPlan) -> list[Dataset]:
    """Two CT series and one MR series of one study and patient."""
    study = make_study(plan)
    mr_plan = StudyPlan(patient=plan.patient, study_uid=plan.study_uid, modality="MR")
    mr_series = pydicom.uid.generate_uid()
    study += [make_instance(mr_plan, mr_series, 2, i, MRImageStorage) for i in range(3)]
    return study


def send_with_storescu(
    storescu_path: str, server: LiveServer, folder: Path, items: list[Dataset]
) -> dict[str, bytes]:
    """Write ``items`` as files and send them with dcmtk; returns SOP Instance UID -> file."""
    folder.mkdir()
    sent = {}
    for n, ds in enumerate(items):
        data = encode(ds)
        (folder / f"IM{n:04d}").write_bytes(data)
        sent[str(ds.SOPInstanceUID)] = data
    port = server.env["BEELDPORTAAL_DICOM_PORT"]
    files = sorted(str(p) for p in folder.iterdir())
    cmd = [storescu_path, "-aet", "MODALITY", "-aec", "BEELDPORTAAL", "127.0.0.1", port, *files]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return sent


def wait_published(server: LiveServer, uid: str, version: int) -> dict[str, Any]:
    """Poll ``GET /imaging/studies/{uid}/publication`` until manifest ``version`` is out."""
    url = f"{server.base_url}/imaging/studies/{uid}/publication"
    deadline = time.monotonic() + POLL_LIMIT
    while True:
        found: dict[str, Any] = requests.get(url, timeout=10).json()
        if found.get("state") == "published" and found.get("version") == version:
            return found
        assert time.monotonic() < deadline, f"never published version {version}: {found}"
        time.sleep(0.25)


def approved_manifests(server: LiveServer) -> list[DocumentEntry]:
    """ITI-18 FindDocuments, Approved only, for KOS manifests of the patient."""
    answer = RegistryClient(server.registry_url).find_documents(
        PATIENT,
        params={
            "$XDSDocumentEntryFormatCode": [f"{xdsi.FORMAT_CODE.code}^^{xdsi.DICOM_UID_REGISTRY}"]
        },
    )
    assert answer.success, answer.errors
    return answer.documents


def retrieve_kos(server: LiveServer, entry: DocumentEntry, tmp: Path) -> Dataset:
    """ITI-43 the manifest document and parse it."""
    answer = RepositoryClient(f"{server.base_url}/xds/repository").retrieve(
        [(entry.repository_unique_id, entry.unique_id)], tmp
    )
    assert answer.success, answer.errors
    (document,) = answer.documents
    assert document.mime_type == "application/dicom"
    return pydicom.dcmread(document.path)


def evidence(kos: Dataset) -> dict[str, tuple[str, Dataset]]:
    """SOP Instance UID -> (Study Instance UID, Referenced Series item) from the Evidence."""
    found = {}
    for study in kos.CurrentRequestedProcedureEvidenceSequence:
        for series in study.ReferencedSeriesSequence:
            for item in series.ReferencedSOPSequence:
                found[str(item.ReferencedSOPInstanceUID)] = (str(study.StudyInstanceUID), series)
    return found


def imaging_source_uid(server: LiveServer) -> str:
    """The server's generated Imaging Document Source OID."""
    identifiers = json.loads((server.home / "identifiers.json").read_text())
    return str(identifiers["imaging_source_unique_id"])


def wado_rs_series(url: str) -> dict[str, bytes]:
    """WADO-RS Retrieve Series (PS3.18 10.4.1.1.2) in the stored transfer syntax, by SOP UID."""
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    reply = requests.get(url, headers={"Accept": accept}, timeout=60)
    assert reply.status_code == 200, reply.text[:500]
    head = f"Content-Type: {reply.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + reply.content)
    parts: list[bytes] = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(payload)
    return {part10.read_file_meta(p[: part10.HEAD_BYTES]).sop_instance_uid: p for p in parts}


def test_storescu_to_published_manifest_to_byte_identical_retrieve(
    server: LiveServer, storescu: str, tmp_path: Path
) -> None:
    plan = StudyPlan(
        patient=Patient(patient_id=BSN, issuer=""), accession="ACC-42", series=2, instances=4
    )
    sent = send_with_storescu(storescu, server, tmp_path / "study", generate(plan))
    assert len(sent) == 11

    first = wait_published(server, plan.study_uid, version=1)
    assert first["publishedInstances"] == 11
    (entry,) = approved_manifests(server)
    assert entry.unique_id == first["documentUniqueId"]
    assert entry.mime_type == "application/dicom"
    assert entry.patient_id == PATIENT
    assert [c.code for c in entry.event_codes] == ["CT", "MR"]
    assert f"{plan.study_uid}^^^^urn:ihe:iti:xds:2016:studyInstanceUID" in entry.reference_ids
    assert "ACC-42^^^^urn:ihe:iti:xds:2013:accession" in entry.reference_ids

    kos = retrieve_kos(server, entry, tmp_path / "kos1")
    assert kos.SOPInstanceUID == entry.unique_id
    listed = evidence(kos)
    assert set(listed) == set(sent)
    location = imaging_source_uid(server)
    for study_uid, series in listed.values():
        assert study_uid == plan.study_uid
        assert series.RetrieveLocationUID == location
        assert series.RetrieveAETitle == "BEELDPORTAAL"
        assert series.RetrieveURL == f"{server.base_url}/dicomweb"

    # RAD-69, asked as a consumer that read the manifest would ask
    asks = [
        Ask(study, str(series.SeriesInstanceUID), sop, str(series.RetrieveLocationUID))
        for sop, (study, series) in listed.items()
    ]
    reply = send(f"{server.base_url}/xds/imaging-source", request_xml(asks), tmp_path / "rad69")
    assert (reply.status, reply.errors) == (SUCCESS, [])
    assert {uid: data_set(data) for uid, data in reply.documents.items()} == {
        uid: data_set(data) for uid, data in sent.items()
    }

    # WADO-RS below the Retrieve URL (a base URL) of each series
    urls = {
        f"{series.RetrieveURL}/studies/{study}/series/{series.SeriesInstanceUID}"
        for study, series in listed.values()
    }
    assert len(urls) == 3
    through_wado: dict[str, bytes] = {}
    for url in urls:
        through_wado.update(wado_rs_series(url))
    assert {uid: data_set(data) for uid, data in through_wado.items()} == {
        uid: data_set(data) for uid, data in sent.items()
    }

    # one late instance: a replacement manifest, still one Approved entry
    some_series = next(iter(listed.values()))[1].SeriesInstanceUID
    late = make_instance(plan, str(some_series), 0, 99)
    sent |= send_with_storescu(storescu, server, tmp_path / "late", [late])
    second = wait_published(server, plan.study_uid, version=2)
    assert second["publishedInstances"] == 12
    (replacement,) = approved_manifests(server)
    assert replacement.unique_id == second["documentUniqueId"] != entry.unique_id
    assert set(evidence(retrieve_kos(server, replacement, tmp_path / "kos2"))) == set(sent)
    every = RegistryClient(server.registry_url).find_documents(
        PATIENT, status=(Status.APPROVED, Status.DEPRECATED)
    )
    assert {d.unique_id: d.availability_status for d in every.documents} == {
        entry.unique_id: Status.DEPRECATED,
        replacement.unique_id: Status.APPROVED,
    }
