"""The PACS gateway against Orthanc (Debian's package) as the hospital PACS, over real sockets.

One ``beeldportaal serve`` (SQLite) and one private Orthanc on 127.0.0.1 for the module; they
know each other's AE titles and DICOM ports. Studies are generated here, loaded into Orthanc
through its REST API (or into us with ``beeldportaal import``), and moved with the real CLI:
``pacs fetch`` by C-MOVE (Orthanc sends to our Storage SCP) and by C-GET, ``pacs forward``
by C-STORE. Every transferred instance must arrive with its Data Set byte for byte as sent.
Skipped, with the reason, only when Orthanc is not installed and cannot be installed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from pydicom.dataset import Dataset

from imaging_source import part10
from imaging_source.gateway import GatewayError, Problem
from imaging_source.gateway.fetch import judge
from imaging_source.gateway.find import StudyKey, match_of
from imaging_source.gateway.peer import PacsPeer
from imaging_source.gateway.retrieve import RetrieveOutcome
from imaging_source.index.reader import Target, instance_files
from imaging_source.store import InstanceStore
from tests.conftest import LiveServer, free_port, start_server
from tests.imaging_source.dicom_factory import Patient, StudyPlan, ct_files
from tests.imaging_source.dicom_factory import part10 as encode
from tests.imaging_source.orthanc import Orthanc, OrthancUnavailable, ensure_installed
from xds_common.db import session_factory

OUR_AE = "BEELDPORTAAL"


@dataclass
class Pair:
    """Our server and the Orthanc PACS, configured for each other."""

    server: LiveServer
    pacs: Orthanc

    def pacs_cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``beeldportaal pacs ARGS`` with the server's settings (``env`` overrides them)."""
        overrides = {f"BEELDPORTAAL_{k.upper()}": v for k, v in env.items()}
        return subprocess.run(
            [sys.executable, "-m", "beeldportaal", "pacs", *args],
            env={**self.server.env, **overrides},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def our_files(self, study_uid: str) -> dict[str, bytes]:
        """The Data Sets we hold of a study, by SOP Instance UID."""
        store = InstanceStore(self.server.home / "dicom")
        with session_factory(self.server.env["BEELDPORTAAL_DATABASE_URL"])() as session:
            files = instance_files(session, Target(study_uid))
        return {f.sop_instance_uid: data_set(store.path_of(f.file_key).read_bytes()) for f in files}


def data_set(data: bytes) -> bytes:
    """The Data Set of a Part 10 file (what goes on the wire), without the File Meta."""
    return data[part10.read_file_meta(data[: part10.HEAD_BYTES]).dataset_offset :]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Orthanc (AE ORTHANC) and our server (AE BEELDPORTAAL), each knowing the other."""
    try:
        binary = ensure_installed()
    except OrthancUnavailable as exc:
        pytest.skip(str(exc))
    tmp = tmp_path_factory.mktemp("gateway")
    dicom_port = free_port()
    pacs = Orthanc(binary, tmp / "orthanc", {OUR_AE: dicom_port})
    server = start_server(
        tmp / "server",
        "sqlite",
        {
            "BEELDPORTAAL_DICOM_PORT": str(dicom_port),
            "BEELDPORTAAL_DICOM_AE_TITLE": OUR_AE,
            "BEELDPORTAAL_PACS_AE_TITLE": pacs.ae_title,
            "BEELDPORTAAL_PACS_HOST": "127.0.0.1",
            "BEELDPORTAAL_PACS_PORT": str(pacs.dicom_port),
        },
    )
    try:
        with pacs:
            yield Pair(server, pacs)
    finally:
        server.stop()


def load_into_pacs(pacs: Orthanc, plan: StudyPlan) -> dict[str, bytes]:
    """Store a generated study in Orthanc; its Data Sets by SOP Instance UID."""
    sent: dict[str, bytes] = {}
    for ds, data in ct_files(plan):
        pacs.store(data)
        sent[ds.SOPInstanceUID] = data_set(data)
    return sent


@pytest.mark.parametrize("method", ["c-move", "c-get"])
def test_fetch_by_accession_stores_the_study_byte_identical(pair: Pair, method: str) -> None:
    plan = StudyPlan(accession=f"GW-{method}", series=2, instances=3)
    sent = load_into_pacs(pair.pacs, plan)
    done = pair.pacs_cli("fetch", "--accession", plan.accession, pacs_retrieve=method)
    assert done.returncode == 0, done.stderr
    assert f"fetched {plan.study_uid}" in done.stdout
    assert f"by {method.upper()}: 6 completed, 0 warning, 0 failed" in done.stdout
    assert pair.our_files(plan.study_uid) == sent


def test_fetch_by_study_uid(pair: Pair) -> None:
    plan = StudyPlan(accession="GW-UID", series=1, instances=2)
    sent = load_into_pacs(pair.pacs, plan)
    done = pair.pacs_cli("fetch", "--study", plan.study_uid)
    assert done.returncode == 0, done.stderr
    assert pair.our_files(plan.study_uid) == sent


def test_fetch_and_publish_makes_a_manifest(pair: Pair) -> None:
    bsn = "123456782"  # passes the eleven-check
    pair.server.cli("patients", "add", f"{bsn}^^^&2.16.840.1.113883.2.4.6.3&ISO")
    plan = StudyPlan(patient=Patient(patient_id=bsn), accession="GW-PUB", series=1, instances=2)
    load_into_pacs(pair.pacs, plan)
    done = pair.pacs_cli("fetch", "--accession", plan.accession, "--publish")
    assert done.returncode == 0, done.stderr
    assert f"published {plan.study_uid}: manifest " in done.stdout
    state = requests.get(
        f"{pair.server.base_url}/imaging/studies/{plan.study_uid}/publication", timeout=30
    ).json()
    assert state["state"] == "published"
    assert state["publishedInstances"] == 2


def test_find_lists_the_study(pair: Pair) -> None:
    plan = StudyPlan(accession="GW-FIND", series=2, instances=2)
    load_into_pacs(pair.pacs, plan)
    done = pair.pacs_cli("find", "--accession", plan.accession)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith(plan.study_uid)
    assert "accession=GW-FIND" in line
    assert f"patient={plan.patient.patient_id}" in line
    assert "modalities=CT" in line
    assert "instances=4" in line


def import_study(pair: Pair, plan: StudyPlan, folder: Path) -> dict[str, bytes]:
    """Put a generated study into our server with ``beeldportaal import``; its Data Sets."""
    folder.mkdir()
    sent: dict[str, bytes] = {}
    for n, (ds, data) in enumerate(ct_files(plan)):
        (folder / f"IM{n}").write_bytes(data)
        sent[ds.SOPInstanceUID] = data_set(data)
    pair.server.cli("import", str(folder))
    return sent


def test_forward_sends_our_study_to_the_pacs_byte_identical(pair: Pair, tmp_path: Path) -> None:
    plan = StudyPlan(accession="GW-FWD", series=2, instances=2)
    sent = import_study(pair, plan, tmp_path / "in")
    done = pair.pacs_cli("forward", plan.study_uid)
    assert done.returncode == 0, done.stderr
    assert f"forwarded 4 instances of {plan.study_uid}" in done.stdout
    received = {uid: data_set(data) for uid, data in pair.pacs.study_files(plan.study_uid).items()}
    assert received == sent


def test_refused_sub_operation_makes_the_fetch_incomplete(pair: Pair, tmp_path: Path) -> None:
    """We hold other content under one SOP Instance UID, so we refuse that one (0111).

    Orthanc 1.10 then ends the C-MOVE with 0xC000 and no counts; the instances of the study
    in our index are reported beside that status.
    """
    plan = StudyPlan(accession="GW-PARTIAL", series=1, instances=3)
    files = list(ct_files(plan))
    for _, data in files:
        pair.pacs.store(data)
    clash, _ = files[0]
    clash.StudyDescription = "other content, same SOP Instance UID"
    (tmp_path / "clash.dcm").write_bytes(encode(clash))
    pair.server.cli("import", str(tmp_path / "clash.dcm"))
    done = pair.pacs_cli("fetch", "--accession", plan.accession)
    assert done.returncode == 1, done.stderr
    assert f"C-MOVE of study {plan.study_uid} from PACS ORTHANC" in done.stderr
    assert "incomplete: 0xC000" in done.stderr
    assert "of 3 instances" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_accession_is_no_match(pair: Pair) -> None:
    done = pair.pacs_cli("fetch", "--accession", "NO-SUCH-ACCESSION")
    assert done.returncode == 1
    assert "has no study with accession number NO-SUCH-ACCESSION" in done.stderr
    assert "Traceback" not in done.stderr


def test_pacs_down_is_a_clear_error(pair: Pair, tmp_path: Path) -> None:
    plan = StudyPlan(accession="GW-DOWN", series=1, instances=1)
    import_study(pair, plan, tmp_path / "in")
    port = str(free_port())
    for args in (
        ["find", "--accession", "A"],
        ["fetch", "--study", "1.2"],
        ["forward", plan.study_uid],
    ):
        done = pair.pacs_cli(*args, pacs_port=port)
        assert done.returncode == 2, done.stderr
        assert f"cannot reach PACS ORTHANC@127.0.0.1:{port}" in done.stderr
        assert "Traceback" not in done.stderr


def test_unknown_calling_ae_is_explained(pair: Pair) -> None:
    plan = StudyPlan(accession="GW-DEST", series=1, instances=1)
    load_into_pacs(pair.pacs, plan)
    done = pair.pacs_cli("fetch", "--accession", plan.accession, dicom_ae_title="NOBODY")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "does it know our AE title NOBODY?" in done.stderr


def test_no_pacs_configured(pair: Pair) -> None:
    done = pair.pacs_cli("find", "--study", "1.2.3", pacs_port="0")
    assert done.returncode == 2
    assert "no PACS configured" in done.stderr


def test_forward_of_a_study_we_do_not_hold(pair: Pair) -> None:
    done = pair.pacs_cli("forward", "1.2.3.4.5.6.7.8.9")
    assert done.returncode == 1
    assert "we hold no instance of that study" in done.stderr


@pytest.mark.parametrize(
    ("accession", "study"), [("", ""), ("A*", ""), ("", "1.2.*"), ("A", "1.2.3"), ("A?", "")]
)
def test_study_key_refuses_empty_double_and_wildcard_keys(accession: str, study: str) -> None:
    with pytest.raises(GatewayError) as caught:
        StudyKey(accession_number=accession, study_instance_uid=study)
    assert caught.value.problem is Problem.BAD_KEY


PEER = PacsPeer("PACS", "127.0.0.1", 104, OUR_AE, OUR_AE)
MATCH = match_of(Dataset())


def outcome(
    status: int, completed: int = 0, failed: int = 0, uids: tuple[str, ...] = ()
) -> RetrieveOutcome:
    return RetrieveOutcome("1.2.3", "C-MOVE", status, completed, failed, 0, uids)


def test_judge_warning_with_failed_sub_operations_names_them() -> None:
    """PS3.4 C.4.2.1.5: 0xB000, sub-operations complete, one or more failures (list given)."""
    with pytest.raises(GatewayError) as caught:
        judge(PEER, MATCH, outcome(0xB000, completed=2, failed=1, uids=("1.2.3.9",)), indexed=2)
    assert caught.value.problem is Problem.PARTIAL
    assert "incomplete: 0xB000" in str(caught.value)
    assert "2 completed, 1 failed" in str(caught.value)
    assert "failed: 1.2.3.9" in str(caught.value)


def test_judge_unknown_move_destination_says_what_to_configure() -> None:
    with pytest.raises(GatewayError) as caught:
        judge(PEER, MATCH, outcome(0xA801), indexed=0)
    assert caught.value.problem is Problem.FAILED
    assert "0xA801" in str(caught.value)
    assert f"the PACS must know AE {OUR_AE}" in str(caught.value)


def test_judge_success_with_instances_missing_from_our_index_is_partial() -> None:
    with pytest.raises(GatewayError) as caught:
        judge(PEER, MATCH, outcome(0x0000, completed=3), indexed=2)
    assert caught.value.problem is Problem.PARTIAL
    assert "our index holds 2 of 3 instances" in str(caught.value)


def test_judge_accepts_a_complete_success() -> None:
    assert judge(PEER, MATCH, outcome(0x0000, completed=3), indexed=3) is None  # type: ignore[func-returns-value]
