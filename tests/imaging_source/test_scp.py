"""The Storage SCP (PS3.4 Annex B) against pynetdicom as SCU over 127.0.0.1.

"Byte-identical" for C-STORE: the SCU sends only the Data Set, encoded in the accepted
transfer syntax (PS3.7 9.3.1.1); the stored file is a 128-byte preamble, 'DICM', File Meta
Information made by the SCP (PS3.10 7.1) and then those Data Set bytes exactly as they came
off the wire. The SCU here sends files with pynetdicom's STORE_SEND_CHUNKED_DATASET, which
puts the file's own Data Set bytes on the wire unchanged, so the stored Data Set must equal
the sent file's Data Set byte for byte.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MRImageStorage,
    RLELossless,
)
from pynetdicom import AE, _config
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import part10
from imaging_source.index.tables import ImagingInstance, ImagingStudy
from imaging_source.ingest import Ingestor
from imaging_source.scp import MAX_PDU, ScpHandle, start_scp
from imaging_source.store import InstanceStore
from tests.imaging_source.conftest import AE_TITLE
from tests.imaging_source.dicom_factory import StudyPlan, ct_files, make_mr_rle, make_study

CALLING = "TEST_SCU"


def dataset_bytes(data: bytes) -> bytes:
    """The Data Set part of a Part 10 file (after the File Meta Information)."""
    return data[part10.read_file_meta(data[: part10.HEAD_BYTES]).dataset_offset :]


@pytest.fixture
def chunked_send(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make pynetdicom send files' Data Sets raw, without decoding and re-encoding them."""
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)


@pytest.fixture
def assoc(scp: ScpHandle) -> Iterator[Association]:
    """An association from a pynetdicom SCU to the SCP."""
    ae = AE(ae_title=CALLING)
    ae.add_requested_context(Verification)
    ae.add_requested_context(CTImageStorage, [ExplicitVRLittleEndian])
    ae.add_requested_context(CTImageStorage, [ImplicitVRLittleEndian])
    ae.add_requested_context(MRImageStorage, [RLELossless])
    association = ae.associate("127.0.0.1", scp.port, ae_title=AE_TITLE)
    assert association.is_established
    assert association.acceptor.maximum_length == MAX_PDU
    yield association
    association.release()


def to_send(ds: Dataset, transfer_syntax: str = ExplicitVRLittleEndian) -> Dataset:
    """``ds`` with the File Meta pynetdicom needs to pick the presentation context."""
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    return ds


def write_files(folder: Path, files: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, data in enumerate(files):
        path = folder / f"IM{n:05d}.dcm"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_c_echo(assoc: Association) -> None:
    assert assoc.send_c_echo().Status == 0x0000


@pytest.mark.usefixtures("chunked_send")
def test_c_store_stores_the_data_set_as_received(
    assoc: Association, store: InstanceStore, read: sessionmaker[Session], tmp_path: Path
) -> None:
    plan = StudyPlan()
    files = [data for _, data in ct_files(plan)] + make_mr_rle(count=2)
    for path in write_files(tmp_path / "in", files):
        assert assoc.send_c_store(path).Status == 0x0000
    with read() as s:
        rows = s.scalars(select(ImagingInstance)).all()
        study = s.get(ImagingStudy, plan.study_uid)
    assert len(rows) == 12
    assert study is not None and study.number_of_instances == 10
    by_uid = {
        dcmread(path, stop_before_pixels=True).SOPInstanceUID: path
        for path in tmp_path.glob("in/*")
    }
    for row in rows:
        stored = store.path_of(row.file_key).read_bytes()
        sent = by_uid[row.sop_instance_uid].read_bytes()
        assert dataset_bytes(stored) == dataset_bytes(sent)
        meta = dcmread(store.path_of(row.file_key), stop_before_pixels=True).file_meta
        assert meta.MediaStorageSOPInstanceUID == row.sop_instance_uid
        assert meta.TransferSyntaxUID == row.transfer_syntax_uid
        assert meta.SourceApplicationEntityTitle == CALLING
        assert row.origin == f"c-store:{CALLING}"


def test_c_store_of_a_dataset_in_implicit_vr(
    assoc: Association, read: sessionmaker[Session]
) -> None:
    ds = to_send(make_study()[0], ImplicitVRLittleEndian)
    assert assoc.send_c_store(ds).Status == 0x0000
    with read() as s:
        row = s.get(ImagingInstance, ds.SOPInstanceUID)
    assert row is not None


def test_resend_is_success_and_conflict_is_refused(
    assoc: Association, read: sessionmaker[Session]
) -> None:
    ds = to_send(make_study()[0])
    assert assoc.send_c_store(ds).Status == 0x0000
    assert assoc.send_c_store(ds).Status == 0x0000  # the same instance again: Success
    ds.SeriesDescription = "another object, same SOP Instance UID"
    status = assoc.send_c_store(ds)
    assert status.Status == 0x0111
    assert "already stored" in status.ErrorComment
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 1


def test_corrupt_data_set_is_cannot_understand(assoc: Association) -> None:
    ds = to_send(make_study()[0])
    del ds.StudyInstanceUID
    assert assoc.send_c_store(ds).Status == 0xA900


def test_wrong_called_ae_title_is_rejected(scp: ScpHandle) -> None:
    ae = AE(ae_title=CALLING)
    ae.add_requested_context(Verification)
    association = ae.associate("127.0.0.1", scp.port, ae_title="SOMEONE_ELSE")
    assert association.is_rejected


@pytest.mark.usefixtures("chunked_send")
def test_throughput_of_100_small_instances(
    assoc: Association, tmp_path: Path, read: sessionmaker[Session]
) -> None:
    files = [data for _, data in ct_files(StudyPlan(series=4, instances=25))]
    paths = write_files(tmp_path / "bulk", files)
    start = time.perf_counter()
    statuses = [assoc.send_c_store(path).Status for path in paths]
    elapsed = time.perf_counter() - start
    assert statuses == [0x0000] * 100
    size = sum(len(f) for f in files) / len(files) / 1024
    print(
        f"\nC-STORE pynetdicom SCU -> SCP: 100 instances of {size:.0f} KiB in {elapsed:.2f} s, "
        f"{100 / elapsed:.0f} instances/s (fsync on)"
    )
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 100


def test_two_listeners_share_a_port_with_reuse_port(ingestor: Ingestor) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handles = [start_scp(ingestor, host="127.0.0.1", port=port, reuse_port=True) for _ in range(2)]
    try:
        for _ in range(4):
            ae = AE(ae_title=CALLING)
            ae.add_requested_context(Verification)
            association = ae.associate("127.0.0.1", port, ae_title=AE_TITLE)
            assert association.send_c_echo().Status == 0x0000
            association.release()
    finally:
        for handle in handles:
            handle.stop()
