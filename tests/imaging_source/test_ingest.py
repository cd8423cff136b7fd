"""Ingest: byte-identical durable storage, the index, idempotent re-sends, refusals."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from imaging_source.errors import IngestError, Reason
from imaging_source.index import reader
from imaging_source.index.tables import (
    ImagingInstance,
    ImagingPatient,
    ImagingSeries,
    ImagingStudy,
    StudyActivity,
)
from imaging_source.ingest import Ingestor
from imaging_source.store import InstanceStore
from tests.imaging_source.dicom_factory import (
    Patient,
    StudyPlan,
    ct_files,
    implicit,
    make_mr_rle,
    make_study,
)
from tests.imaging_source.dicom_factory import part10 as encode
from xds_common.db import session_factory


def test_ct_and_mr_study_are_indexed(
    ingestor: Ingestor, store: InstanceStore, read: sessionmaker[Session]
) -> None:
    plan = StudyPlan()
    ct = list(ct_files(plan))
    mr = make_mr_rle(StudyPlan(study_uid=plan.study_uid, modality="MR", series=1), count=3)
    results = [ingestor.ingest(data, origin="test") for _, data in ct]
    results += [ingestor.ingest(data, origin="test") for data in mr]
    assert not any(r.duplicate for r in results)
    with read() as s:
        study = s.get(ImagingStudy, plan.study_uid)
        assert study is not None
        assert (study.number_of_series, study.number_of_instances) == (3, 13)
        assert study.modalities_in_study == "CT\\MR"
        assert (study.study_date, study.study_time, study.accession_number) == (
            "20240315",
            "101500",
            "ACC-1001",
        )
        assert study.referring_physician_name == "de Vries^Anna^^Dr."
        patient = s.get(ImagingPatient, study.patient_pk)
        assert patient is not None
        assert (patient.patient_id, patient.issuer_of_patient_id) == ("PAT-001", "HOSP-A")
        assert patient.patient_name == "Jansen^Zoë^^^"
        counts = s.scalars(select(ImagingSeries.number_of_instances)).all()
        assert sorted(counts) == [3, 5, 5]
        first, data = ct[0]
        row = s.get(ImagingInstance, first.SOPInstanceUID)
        assert row is not None
        assert row.transfer_syntax_uid == "1.2.840.10008.1.2.1"
        assert (row.size, row.sha1) == (len(data), hashlib.sha1(data).hexdigest())
        assert (row.instance_number, row.rows, row.columns) == (1, 64, 64)
        assert row.origin == "test"
        assert json.loads(row.dicom_json)["00080018"]["Value"] == [first.SOPInstanceUID]
        activity = s.get(StudyActivity, plan.study_uid)
        assert activity is not None and activity.first_received <= activity.last_received
    for (_, data), result in zip(ct, results, strict=False):
        assert store.path_of(result.file_key).read_bytes() == data  # byte for byte


def test_resend_is_idempotent(ingestor: Ingestor, read: sessionmaker[Session]) -> None:
    data = encode(make_study()[0])
    first = ingestor.ingest(data)
    again = ingestor.ingest(data)
    assert again.duplicate and not first.duplicate
    assert (again.file_key, again.sha1) == (first.file_key, first.sha1)
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 1
        assert s.scalar(select(ImagingStudy.number_of_instances)) == 1


def test_same_dataset_other_file_meta_is_a_duplicate(ingestor: Ingestor) -> None:
    data = bytearray(encode(make_study()[0]))
    ingestor.ingest(bytes(data))
    data[:128] = b"\x01" * 128  # another preamble: same Data Set, other file bytes
    assert ingestor.ingest(bytes(data)).duplicate


def test_different_instance_with_same_uid_is_refused(
    ingestor: Ingestor, store: InstanceStore
) -> None:
    ds = make_study()[0]
    original = encode(ds)
    first = ingestor.ingest(original)
    ds.SeriesDescription = "changed"
    with pytest.raises(IngestError) as err:
        ingestor.ingest(encode(ds))
    assert err.value.reason is Reason.CONFLICT
    assert err.value.codes.dimse_status == 0x0111
    assert ds.SOPInstanceUID in err.value.message
    assert store.path_of(first.file_key).read_bytes() == original
    with pytest.raises(IngestError):  # the same instance in another transfer syntax
        ingestor.ingest(implicit(ds))


def test_study_under_another_patient_is_refused(ingestor: Ingestor) -> None:
    plan = StudyPlan()
    first, second = make_study(plan)[:2]
    ingestor.ingest(encode(first))
    second.PatientID = "SOMEONE-ELSE"
    with pytest.raises(IngestError) as err:
        ingestor.ingest(encode(second))
    assert err.value.reason is Reason.INCONSISTENT


def test_missing_issuer_is_the_same_patient(
    ingestor: Ingestor, read: sessionmaker[Session]
) -> None:
    first, second = make_study(StudyPlan(patient=Patient(issuer="")))[:2]
    ingestor.ingest(encode(first))
    second.IssuerOfPatientID = "HOSP-A"
    ingestor.ingest(encode(second))
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingPatient)) == 1


def test_refused_objects_leave_nothing_behind(
    ingestor: Ingestor, store: InstanceStore, read: sessionmaker[Session]
) -> None:
    data = encode(make_study()[0])
    for bad, reason in [
        (b"just some text, not DICOM" * 20, Reason.NOT_DICOM),
        (data[: len(data) - 100], Reason.CORRUPT),
    ]:
        with pytest.raises(IngestError) as err:
            ingestor.ingest(bad)
        assert err.value.reason is reason
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 0
    assert list((store.root / "staging").iterdir()) == []
    assert list((store.root / "instances").rglob("*-*")) == []


def test_ingest_from_path_and_stream(ingestor: Ingestor, tmp_path: Path) -> None:
    a, b = make_study()[:2]
    path = tmp_path / "a.dcm"
    path.write_bytes(encode(a))
    assert not ingestor.ingest(path).duplicate
    with (tmp_path / "b.dcm").open("wb") as f:
        f.write(encode(b))
    with (tmp_path / "b.dcm").open("rb") as f:
        assert not ingestor.ingest(f).duplicate


def test_study_metadata_lists_every_instance_from_the_index(
    store: InstanceStore, db_url: str, read: sessionmaker[Session]
) -> None:
    """Study metadata comes from the DICOM JSON stored at ingest (its speed: bench/imaging.py)."""
    fast = Ingestor(InstanceStore(store.root, durable=False), session_factory(db_url, write=True))
    plan = StudyPlan(series=3, instances=20)
    sent = {ds.SOPInstanceUID: ds for ds, data in ct_files(plan) if fast.ingest(data)}
    files = [p for p in (store.root / "instances").rglob("*") if p.is_file()]
    assert len(files) == 60
    for path in files:
        path.unlink()  # metadata must not need the files
    with read() as s:
        body = reader.study_metadata(s, plan.study_uid, "http://h/dicom-web")
    assert body is not None
    listed = json.loads(body)
    assert {item["00080018"]["Value"][0] for item in listed} == set(sent)
    for item in listed:
        ds = sent[item["00080018"]["Value"][0]]
        assert item["0020000D"]["Value"] == [plan.study_uid]
        assert item["0020000E"]["Value"] == [ds.SeriesInstanceUID]


def test_concurrent_ingest_of_one_study_keeps_the_counters(
    store: InstanceStore, db_url: str, read: sessionmaker[Session]
) -> None:
    fast = Ingestor(InstanceStore(store.root, durable=False), session_factory(db_url, write=True))
    plan = StudyPlan(series=2, instances=10)
    files = [data for _, data in ct_files(plan)] * 2  # every instance sent twice
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(fast.ingest, files))
    assert sum(not r.duplicate for r in results) == 20
    with read() as s:
        study = s.get(ImagingStudy, plan.study_uid)
        assert study is not None
        assert (study.number_of_series, study.number_of_instances) == (2, 20)
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 20
        assert s.scalar(select(func.count()).select_from(ImagingPatient)) == 1
        assert sorted(s.scalars(select(ImagingSeries.number_of_instances))) == [10, 10]
