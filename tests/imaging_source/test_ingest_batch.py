"""Batched ingest (STOW-RS): one transaction per batch, outcomes per object, cached facts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import ingest
from imaging_source.errors import IngestError, Reason
from imaging_source.index.tables import ImagingInstance, ImagingSeries, ImagingStudy
from imaging_source.ingest import Ingestor, IngestResult
from imaging_source.store import InstanceStore
from tests.imaging_source.dicom_factory import StudyPlan, make_study
from tests.imaging_source.dicom_factory import part10 as encode
from xds_common.db import get_engine, session_factory


def _count(read: sessionmaker[Session], table: type[object]) -> int:
    with read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_one_batch_stores_resends_and_refuses_per_object(
    ingestor: Ingestor, store: InstanceStore, read: sessionmaker[Session]
) -> None:
    plan = StudyPlan(series=2, instances=2)
    datasets = make_study(plan)
    parts = [encode(ds) for ds in datasets]
    changed = datasets[0]
    changed.SeriesDescription = "other content, same SOP Instance UID"
    with ingestor.batch(origin="stow-rs") as batch:
        for part in [*parts, parts[1], encode(changed), b"not DICOM" * 40]:
            batch.add(part)
        outcomes = batch.finish()
    assert len(outcomes) == 7
    stored, resent, conflict, garbage = outcomes[:4], outcomes[4], outcomes[5], outcomes[6]
    assert all(isinstance(o, IngestResult) and not o.duplicate for o in stored)
    assert isinstance(resent, IngestResult) and resent.duplicate
    assert isinstance(stored[1], IngestResult) and resent.file_key == stored[1].file_key
    assert isinstance(conflict, IngestError) and conflict.reason is Reason.CONFLICT
    assert conflict.sop_instance_uid == datasets[0].SOPInstanceUID
    assert isinstance(garbage, IngestError) and garbage.reason is Reason.NOT_DICOM
    with read() as s:
        study = s.get(ImagingStudy, plan.study_uid)
        assert study is not None
        assert (study.number_of_series, study.number_of_instances) == (2, 4)
        assert sorted(s.scalars(select(ImagingSeries.number_of_instances))) == [2, 2]
    for result, data in zip(stored, parts, strict=True):
        assert isinstance(result, IngestResult)
        assert store.path_of(result.file_key).read_bytes() == data
    assert list((store.root / "staging").iterdir()) == []


def test_a_request_larger_than_a_batch_is_indexed_in_several(
    ingestor: Ingestor, read: sessionmaker[Session]
) -> None:
    plan = StudyPlan(series=1, instances=ingest.BATCH_LIMIT + 6)
    with ingestor.batch(origin="stow-rs", study_uid=plan.study_uid) as batch:
        for ds in make_study(plan):
            batch.add(encode(ds))
        outcomes = batch.finish()
    assert len(outcomes) == plan.instances
    assert all(isinstance(o, IngestResult) and not o.duplicate for o in outcomes)
    with read() as s:
        study = s.get(ImagingStudy, plan.study_uid)
        assert study is not None
        assert (study.number_of_series, study.number_of_instances) == (1, plan.instances)
    assert _count(read, ImagingInstance) == plan.instances


def test_a_new_series_in_two_studies_of_one_batch_is_inconsistent(ingestor: Ingestor) -> None:
    first, second = make_study(StudyPlan(series=1, instances=2))
    other = make_study(StudyPlan(series=1, instances=1))[0]
    other.SeriesInstanceUID = first.SeriesInstanceUID
    with ingestor.batch() as batch:
        for ds in (first, other, second):
            batch.add(encode(ds))
        outcomes = batch.finish()
    assert isinstance(outcomes[0], IngestResult) and isinstance(outcomes[2], IngestResult)
    assert isinstance(outcomes[1], IngestError) and outcomes[1].reason is Reason.INCONSISTENT


def test_what_another_process_added_is_not_lost(
    store: InstanceStore, db_url: str, read: sessionmaker[Session]
) -> None:
    """Two ingestors (two worker processes) on one index: cached facts never undo the other's."""
    write = session_factory(db_url, write=True)
    one, two = Ingestor(store, write), Ingestor(store, write)
    plan = StudyPlan(series=1, instances=3)
    ct = make_study(plan)
    mr = make_study(StudyPlan(study_uid=plan.study_uid, modality="MR", series=1, instances=1))
    one.ingest(encode(ct[0]))  # one now knows the study as CT
    two.ingest(encode(mr[0]))  # two adds MR behind its back
    one.ingest(encode(ct[1]))  # one's cache says CT is there: no modality update
    mr_again = make_study(StudyPlan(study_uid=plan.study_uid, modality="MR", series=1))[0]
    one.ingest(encode(mr_again))  # MR is new to one's cache: it reads the study again
    with read() as s:
        study = s.get(ImagingStudy, plan.study_uid)
        assert study is not None
        assert study.modalities_in_study == "CT\\MR"
        assert (study.number_of_series, study.number_of_instances) == (3, 4)


def test_ingest_commits_on_a_durable_sqlite_connection(ingestor: Ingestor, db_url: str) -> None:
    """Write engines fsync every commit (synchronous=FULL); read engines need not."""
    ingestor.ingest(encode(make_study()[0]))
    if not db_url.startswith("sqlite"):
        return
    levels = []
    for write in (True, False):
        with get_engine(db_url, write=write).connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            levels.append(driver.execute("PRAGMA synchronous").fetchone())
    assert levels == [(2,), (1,)]  # FULL for writers, NORMAL for readers
