"""Write a batch of instances into the index, inside the caller's transaction.

Patient → study → series rows are found or created and their counters, Modalities in Study
and the study's activity updated (PS3.3 A.1.2 information model), set-wise for the whole
batch: a few statements per batch plus one INSERT per instance, built once per process
(executing a prebuilt statement is about five times cheaper than building it each time).

Two steps, so that the caller can move the files into the store between them:
:func:`decide` reads what is already indexed and decides per instance (new, a re-send of a
stored instance, or refused); :func:`add` writes the new ones. What this process has
committed before (a series belongs to a study, a study to a patient, a modality is in a study
— facts that never change once committed) is kept in :class:`KnownIndex`, so a C-STORE into
a known series costs one SELECT, one INSERT and three counter UPDATEs. A study whose
Modalities in Study must change is read ``FOR UPDATE`` (PostgreSQL; SQLite writers are
serialised by ``BEGIN IMMEDIATE``), and counters are incremented in SQL, so concurrent
writers in several processes never lose an update.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from imaging_source.errors import IngestError, Reason
from imaging_source.index.records import InstanceRecord, PatientAttrs
from imaging_source.index.tables import (
    ImagingInstance,
    ImagingPatient,
    ImagingSeries,
    ImagingStudy,
    StudyActivity,
)

_PATIENTS = cast(Table, ImagingPatient.__table__)
_STUDIES = cast(Table, ImagingStudy.__table__)
_SERIES = cast(Table, ImagingSeries.__table__)
_INSTANCES = cast(Table, ImagingInstance.__table__)
_ACTIVITY = cast(Table, StudyActivity.__table__)
_I, _S, _SE, _P, _A = _INSTANCES.c, _STUDIES.c, _SERIES.c, _PATIENTS.c, _ACTIVITY.c

_EXISTING = select(
    _I.sop_instance_uid, _I.dataset_sha1, _I.transfer_syntax_uid, _I.file_key, _I.size, _I.sha1
).where(_I.sop_instance_uid.in_(bindparam("uids", expanding=True)))
_STUDY_FACTS = (
    select(_S.study_instance_uid, _S.modalities_in_study, _P.patient_id, _P.issuer_of_patient_id)
    .join_from(_STUDIES, _PATIENTS, _P.pk == _S.patient_pk)
    .where(_S.study_instance_uid.in_(bindparam("uids", expanding=True)))
    .with_for_update(of=_STUDIES)
)
_SERIES_OWNERS = select(_SE.series_instance_uid, _SE.study_instance_uid).where(
    _SE.series_instance_uid.in_(bindparam("uids", expanding=True))
)
_PATIENT_PK = select(_P.pk).where(
    _P.patient_id == bindparam("pid"), _P.issuer_of_patient_id == bindparam("issuer")
)
_BUMP_SERIES = (
    update(_SERIES)
    .where(_SE.series_instance_uid == bindparam("uid"))
    .values(number_of_instances=_SE.number_of_instances + bindparam("n"))
)
_BUMP_STUDY = (
    update(_STUDIES)
    .where(_S.study_instance_uid == bindparam("uid"))
    .values(
        number_of_instances=_S.number_of_instances + bindparam("n"),
        number_of_series=_S.number_of_series + bindparam("new_series"),
    )
)
_BUMP_STUDY_MODALITIES = _BUMP_STUDY.values(modalities_in_study=bindparam("modalities"))
_TOUCH = update(_ACTIVITY).where(_A.study_instance_uid == bindparam("uid"))
_TOUCH = _TOUCH.values(last_received=bindparam("received"))
_INSERT_STUDY, _INSERT_SERIES = insert(_STUDIES), insert(_SERIES)
_INSERT_INSTANCE, _INSERT_ACTIVITY = insert(_INSTANCES), insert(_ACTIVITY)
#: Forget what is known beyond this many studies (a bound on memory, not a correctness need).
_KNOWN_LIMIT = 20_000


@dataclass(frozen=True)
class StoredFile:
    """The stored Part 10 file of an instance and what was computed while staging it."""

    key: str
    size: int
    sha1: str
    dataset_sha1: str
    transfer_syntax_uid: str


@dataclass(frozen=True)
class Existing:
    """The index row of an instance that is already stored."""

    file_key: str
    size: int
    sha1: str


@dataclass(frozen=True)
class NewInstance:
    """An instance to index: what its Data Set says, its stored file and its DICOM JSON."""

    record: InstanceRecord
    stored: StoredFile
    dicom_json: str


#: What :func:`decide` says of one instance: add it (None), it is stored already, or refused.
Decision = Existing | IngestError | None


@dataclass(frozen=True)
class _StudyFacts:
    """A committed study: its patient (fixed) and Modalities in Study (only ever grows)."""

    patient_id: str
    issuer: str
    modalities: frozenset[str]


class KnownIndex:
    """Facts this process has committed or read; none of them can change afterwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.studies: dict[str, _StudyFacts] = {}
        self.series: dict[str, str] = {}

    def remember(self, studies: dict[str, _StudyFacts], series: dict[str, str]) -> None:
        """Add facts of a committed transaction."""
        with self._lock:
            if len(self.studies) > _KNOWN_LIMIT:
                self.forget()
            self.studies.update(studies)
            self.series.update(series)

    def forget(self) -> None:
        """Drop every fact (after an integrity error: the database is the truth)."""
        self.studies, self.series = {}, {}


@dataclass
class View:
    """The index as a batch sees it: stored rows (read or known) and the batch's new ones."""

    existing: dict[str, tuple[str, str, Existing]] = field(default_factory=dict)
    studies: dict[str, _StudyFacts] = field(default_factory=dict)
    series: dict[str, str] = field(default_factory=dict)
    batch_studies: dict[str, _StudyFacts] = field(default_factory=dict)
    batch_series: dict[str, str] = field(default_factory=dict)


def _split(value: str) -> frozenset[str]:
    return frozenset(filter(None, value.split("\\")))


def _joined(modalities: frozenset[str]) -> str:
    """Modalities in Study (0008,0061) as stored: sorted, ``\\``-separated."""
    return "\\".join(sorted(modalities))[:128]


def _same_patient(facts: _StudyFacts, attrs: PatientAttrs) -> bool:
    """Same Patient ID; Issuers equal or one of them absent (not every sender sends it)."""
    if facts.patient_id != attrs.patient_id:
        return False
    return facts.issuer == attrs.issuer_of_patient_id or "" in (
        facts.issuer,
        attrs.issuer_of_patient_id,
    )


def _read(conn: Connection, items: Sequence[NewInstance], known: KnownIndex) -> View:
    """Read the rows the batch touches that this process does not know already.

    A known study is read again (and locked) only when the batch brings a modality that is
    not yet in its Modalities in Study.
    """
    view = View()
    uids = [i.record.instance.sop_instance_uid for i in items]
    for row in conn.execute(_EXISTING, {"uids": uids}):
        view.existing[row[0]] = (row[1], row[2], Existing(row[3], row[4], row[5]))
    wanted: dict[str, set[str]] = {}
    for item in items:
        modality = item.record.series.modality
        wanted.setdefault(item.record.study.study_instance_uid, set()).update({modality} - {""})
    stale = []
    for uid, modalities in wanted.items():
        facts = known.studies.get(uid)
        if facts is not None and modalities <= facts.modalities:
            view.studies[uid] = facts
        else:
            stale.append(uid)
    if stale:
        for study in conn.execute(_STUDY_FACTS, {"uids": stale}):
            view.studies[study[0]] = _StudyFacts(study[2], study[3], _split(study[1]))
    missing = []
    for uid in {i.record.series.series_instance_uid for i in items}:
        owner = known.series.get(uid)
        if owner is None:
            missing.append(uid)
        else:
            view.series[uid] = owner
    if missing:
        for series in conn.execute(_SERIES_OWNERS, {"uids": sorted(missing)}):
            view.series[series[0]] = series[1]
    return view


def _refusal(item: NewInstance, view: View) -> Decision:
    """Existing if ``item`` is stored already; an error if it contradicts the index."""
    rec, uid = item.record, item.record.instance.sop_instance_uid
    if uid in view.existing:
        dataset_sha1, syntax, existing = view.existing[uid]
        if (dataset_sha1, syntax) == (item.stored.dataset_sha1, item.stored.transfer_syntax_uid):
            return existing
        return IngestError(
            Reason.CONFLICT, f"different content already stored under SOP Instance UID {uid}", uid
        )
    study_uid = rec.study.study_instance_uid
    study = view.studies.get(study_uid) or view.batch_studies.get(study_uid)
    if study is not None and not _same_patient(study, rec.patient):
        why = f"study stored under another Patient ID: {study_uid}"
        return IngestError(Reason.INCONSISTENT, why, uid)
    series_uid = rec.series.series_instance_uid
    owner = view.series.get(series_uid) or view.batch_series.get(series_uid)
    if owner is not None and owner != study_uid:
        why = f"series belongs to another study: {series_uid}"
        return IngestError(Reason.INCONSISTENT, why, uid)
    return None


def _accept(item: NewInstance, view: View) -> None:
    """Let later instances of the batch see ``item`` (and its new study and series)."""
    rec, stored = item.record, item.stored
    view.existing[rec.instance.sop_instance_uid] = (
        stored.dataset_sha1,
        stored.transfer_syntax_uid,
        Existing(stored.key, stored.size, stored.sha1),
    )
    study_uid = rec.study.study_instance_uid
    if study_uid not in view.studies:
        view.batch_studies.setdefault(
            study_uid,
            _StudyFacts(rec.patient.patient_id, rec.patient.issuer_of_patient_id, frozenset()),
        )
    if rec.series.series_instance_uid not in view.series:
        view.batch_series.setdefault(rec.series.series_instance_uid, study_uid)


def decide(
    conn: Connection, items: Sequence[NewInstance], known: KnownIndex
) -> tuple[list[Decision], View]:
    """Per instance: None (add it), :class:`Existing` (an identical re-send), or the refusal.

    "Identical" means the same Data Set bytes in the same Transfer Syntax, whatever the File
    Meta Information around them; different content under a stored SOP Instance UID is a
    CONFLICT, a study under another patient or a series under another study INCONSISTENT.
    """
    view = _read(conn, items, known)
    decisions: list[Decision] = []
    for item in items:
        decision = _refusal(item, view)
        if decision is None:
            _accept(item, view)
        decisions.append(decision)
    return decisions, view


def _patient_pk(conn: Connection, attrs: PatientAttrs) -> int:
    """Find the patient by (Patient ID, Issuer of Patient ID) or create it."""
    pk = conn.execute(
        _PATIENT_PK, {"pid": attrs.patient_id, "issuer": attrs.issuer_of_patient_id}
    ).scalar()
    if pk is None:
        key = conn.execute(insert(_PATIENTS).values(asdict(attrs))).inserted_primary_key
        assert key is not None
        return int(key[0])
    return int(pk)


def _instance_row(item: NewInstance, origin: str, received: datetime) -> dict[str, Any]:
    rec, stored = item.record, item.stored
    return asdict(rec.instance) | {
        "series_instance_uid": rec.series.series_instance_uid,
        "study_instance_uid": rec.study.study_instance_uid,
        "transfer_syntax_uid": stored.transfer_syntax_uid,
        "file_key": stored.key,
        "size": stored.size,
        "sha1": stored.sha1,
        "dataset_sha1": stored.dataset_sha1,
        "received": received,
        "origin": origin[:80],
        "dicom_json": item.dicom_json,
    }


@dataclass
class Written:
    """What :func:`add` wrote: pass it to :meth:`KnownIndex.remember` after the commit."""

    studies: dict[str, _StudyFacts]
    series: dict[str, str]


def _facts_after(items: Sequence[NewInstance], view: View) -> dict[str, _StudyFacts]:
    """Each study's patient and Modalities in Study once ``items`` are added."""
    facts: dict[str, _StudyFacts] = {}
    for item in items:
        rec, uid = item.record, item.record.study.study_instance_uid
        old = facts.get(uid) or view.studies.get(uid)
        if old is None:
            old = _StudyFacts(rec.patient.patient_id, rec.patient.issuer_of_patient_id, frozenset())
        added = {rec.series.modality} - {""}
        facts[uid] = _StudyFacts(old.patient_id, old.issuer, old.modalities | added)
    return facts


def _new_rows(
    conn: Connection, items: Sequence[NewInstance], view: View, facts: dict[str, _StudyFacts]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the studies and series that ``items`` bring and the index does not have."""
    per_study = Counter(i.record.study.study_instance_uid for i in items)
    per_series = Counter(i.record.series.series_instance_uid for i in items)
    series: dict[str, dict[str, Any]] = {}
    studies: dict[str, dict[str, Any]] = {}
    for item in items:
        rec = item.record
        study_uid, series_uid = rec.study.study_instance_uid, rec.series.series_instance_uid
        if study_uid not in view.studies and study_uid not in studies:
            studies[study_uid] = asdict(rec.study) | {
                "patient_pk": _patient_pk(conn, rec.patient),
                "modalities_in_study": _joined(facts[study_uid].modalities),
                "number_of_series": 0,
                "number_of_instances": per_study[study_uid],
            }
        if series_uid not in view.series and series_uid not in series:
            series[series_uid] = asdict(rec.series) | {
                "study_instance_uid": study_uid,
                "number_of_instances": per_series[series_uid],
            }
            if study_uid in studies:
                studies[study_uid]["number_of_series"] += 1
    return list(studies.values()), list(series.values())


def add(
    conn: Connection,
    items: Sequence[NewInstance],
    view: View,
    *,
    origin: str,
    received: datetime,
) -> Written:
    """Insert ``items`` (decided None by :func:`decide`) with their study, series, counters."""
    facts = _facts_after(items, view)
    new_studies, new_series = _new_rows(conn, items, view, facts)
    if new_studies:
        conn.execute(_INSERT_STUDY, new_studies)
        conn.execute(
            _INSERT_ACTIVITY,
            [
                {"study_instance_uid": row["study_instance_uid"]}
                | {"first_received": received, "last_received": received}
                for row in new_studies
            ],
        )
    if new_series:
        conn.execute(_INSERT_SERIES, new_series)
    conn.execute(_INSERT_INSTANCE, [_instance_row(i, origin, received) for i in items])
    per_series = Counter(i.record.series.series_instance_uid for i in items)
    bumps = [{"uid": uid, "n": n} for uid, n in per_series.items() if uid in view.series]
    if bumps:
        conn.execute(_BUMP_SERIES, bumps)
    series_added = Counter(row["study_instance_uid"] for row in new_series)
    per_study = Counter(i.record.study.study_instance_uid for i in items)
    for uid, n in per_study.items():
        if uid in view.studies:
            _bump_study(conn, uid, n, series_added[uid], view, facts[uid])
            conn.execute(_TOUCH, {"uid": uid, "received": received})  # made with the study
    owners = {i.record.series.series_instance_uid: i.record.study.study_instance_uid for i in items}
    return Written(facts, owners)


def _bump_study(
    conn: Connection, uid: str, n: int, new_series: int, view: View, facts: _StudyFacts
) -> None:
    """Add instances and series to a stored study's counters; merge its modalities."""
    params: dict[str, Any] = {"uid": uid, "n": n, "new_series": new_series}
    if facts.modalities == view.studies[uid].modalities:
        conn.execute(_BUMP_STUDY, params)
        return
    params["modalities"] = _joined(facts.modalities)
    conn.execute(_BUMP_STUDY_MODALITIES, params)
