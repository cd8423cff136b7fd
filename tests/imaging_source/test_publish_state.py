"""Publication state in the database: due studies, exclusive claims, results and backoff.

Runs on the imaging index (SQLite, and PostgreSQL when available) with real ingested studies.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from imaging_source.index.publications import PublicationState
from imaging_source.ingest import Ingestor
from imaging_source.publish import source, state
from imaging_source.publish.state import Candidate, Published
from tests.imaging_source.dicom_factory import StudyPlan, ct_files, make_instance, part10
from xds_common.db import session_factory


def _study(ingestor: Ingestor, plan: StudyPlan) -> str:
    for _, data in ct_files(plan):
        ingestor.ingest(data, origin="test")
    return plan.study_uid


def _write(db_url: str) -> sessionmaker[Session]:
    return session_factory(db_url, write=True)


def _due(read: sessionmaker[Session], stable: int = 0) -> list[Candidate]:
    with read() as session:
        return state.due_studies(session, state.utcnow(), stable)


def _status(read: sessionmaker[Session], uid: str) -> dict[str, object]:
    with read() as session:
        found = state.status(session, uid)
    assert found is not None
    return found


def test_a_study_is_due_only_after_the_stability_window(
    ingestor: Ingestor, read: sessionmaker[Session]
) -> None:
    uid = _study(ingestor, StudyPlan(series=1, instances=2))
    assert _due(read, stable=3600) == []
    assert _due(read, stable=0) == [Candidate(uid, None)]
    assert _status(read, uid)["state"] == "waiting"


def test_only_one_of_two_claims_on_the_same_reading_wins(
    ingestor: Ingestor, read: sessionmaker[Session], db_url: str
) -> None:
    uid = _study(ingestor, StudyPlan(series=1, instances=2))
    (candidate,) = _due(read)
    now = state.utcnow()
    first = state.claim(_write(db_url), candidate, "worker-a", now)
    second = state.claim(_write(db_url), candidate, "worker-b", now)
    assert first is not None and second is None
    assert _due(read) == []  # claimed
    assert _status(read, uid)["state"] == PublicationState.PUBLISHING
    # a re-read candidate is still refused while the claim lives
    later = Candidate(uid, first.generation)
    assert state.claim(_write(db_url), later, "worker-b", now) is None


def test_an_expired_claim_is_taken_over(
    ingestor: Ingestor, read: sessionmaker[Session], db_url: str
) -> None:
    _study(ingestor, StudyPlan(series=1, instances=1))
    (candidate,) = _due(read)
    long_ago = state.utcnow() - state.CLAIM_LEASE - timedelta(seconds=1)
    crashed = state.claim(_write(db_url), candidate, "crashed-worker", long_ago)
    assert crashed is not None
    (again,) = _due(read)
    taken = state.claim(_write(db_url), again, "worker-b", state.utcnow())
    assert taken is not None and taken.generation == crashed.generation + 1
    # the crashed worker's late result is not recorded
    late = Published("2.25.1", "urn:uuid:00000000-0000-4000-8000-000000000001", 1)
    assert state.record_success(_write(db_url), crashed, late, state.utcnow()) is False


def test_success_then_a_late_instance_makes_the_study_due_for_replacement(
    ingestor: Ingestor, read: sessionmaker[Session], db_url: str
) -> None:
    plan = StudyPlan(series=1, instances=2)
    uid = _study(ingestor, plan)
    (candidate,) = _due(read)
    held = state.claim(_write(db_url), candidate, "worker-a", state.utcnow())
    assert held is not None and held.previous_entry_uuid == "" and held.version == 0
    entry = "urn:uuid:00000000-0000-4000-8000-000000000002"
    assert state.record_success(_write(db_url), held, Published("2.25.7", entry, 2), state.utcnow())
    assert _due(read) == []
    published = _status(read, uid)
    assert published["state"] == "published" and published["version"] == 1
    assert published["documentUniqueId"] == "2.25.7" and published["publishedInstances"] == 2

    with read() as session:
        stored = source.manifest_input(session, uid)
    assert stored is not None
    series_uid = stored.instances[0].series_instance_uid
    ingestor.ingest(part10(make_instance(plan, series_uid, 0, 7)), origin="test")
    (again,) = _due(read)
    replacing = state.claim(_write(db_url), again, "worker-b", state.utcnow())
    assert replacing is not None
    assert replacing.previous_entry_uuid == entry and replacing.version == 1


def test_failure_backs_off_and_an_explicit_request_retries_at_once(
    ingestor: Ingestor, read: sessionmaker[Session], db_url: str
) -> None:
    uid = _study(ingestor, StudyPlan(series=1, instances=1))
    (candidate,) = _due(read)
    held = state.claim(_write(db_url), candidate, "worker-a", state.utcnow())
    assert held is not None
    error = "error XDSUnknownPatientId: 123^^^&1.2.3&ISO"
    assert state.record_failure(_write(db_url), held, error, state.utcnow()) == 1
    failed = _status(read, uid)
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["lastError"] == error and failed["nextAttempt"] is not None
    assert _due(read) == []  # backing off
    assert state.request(_write(db_url), uid, state.utcnow()) is True
    assert [c.study_instance_uid for c in _due(read, stable=3600)] == [uid]
    assert _status(read, uid)["requested"] is True


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [state.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert state.backoff(50) == state.BACKOFF_MAX


def test_request_for_an_unknown_study_is_refused(db_url: str, read: sessionmaker[Session]) -> None:
    assert state.request(_write(db_url), "1.2.3.4.5.6.7.8", state.utcnow()) is False
    with read() as session:
        assert state.status(session, "1.2.3.4.5.6.7.8") is None


def test_manifest_input_reads_the_study_from_the_index(
    ingestor: Ingestor, read: sessionmaker[Session]
) -> None:
    plan = StudyPlan(series=2, instances=3)
    uid = _study(ingestor, plan)
    with read() as session:
        data = source.manifest_input(session, uid)
        assert source.manifest_input(session, "1.2.3.999") is None
    assert data is not None
    assert data.patient.patient_id == plan.patient.patient_id
    assert data.study.accession_number == plan.accession
    assert len(data.instances) == 6 and {i.modality for i in data.instances} == {"CT"}
    assert all(i.is_image for i in data.instances)
