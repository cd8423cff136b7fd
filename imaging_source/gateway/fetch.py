"""Fetch studies by key: C-FIND, then C-MOVE or C-GET each match, then check our index.

The check closes the loop: a retrieve that the PACS calls a success but that left fewer
instances in our index than it reported (Number of Study Related Instances from C-FIND, or
the completed sub-operations) is PARTIAL, not success. Some PACSs (Orthanc 1.10 among them)
end a C-MOVE at the first refused sub-operation with 0xC000 and no counts; what reached our
index then is reported beside the status.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynetdicom.status import code_to_category
from sqlalchemy.orm import Session, sessionmaker

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.gateway.find import StudyKey, StudyMatch, find_studies
from imaging_source.gateway.peer import PacsPeer
from imaging_source.gateway.retrieve import RetrieveOutcome, get_study, move_study, status_text
from imaging_source.index.reader import Target, instance_files
from imaging_source.ingest import Ingestor


@dataclass(frozen=True)
class FetchReport:
    """One fetched study: what the PACS said, and what our index now holds."""

    match: StudyMatch
    outcome: RetrieveOutcome
    indexed: int


def fetch_studies(
    peer: PacsPeer, key: StudyKey, ingestor: Ingestor, read: sessionmaker[Session]
) -> list[FetchReport]:
    """Find the studies matching ``key`` and retrieve each by ``peer.retrieve``."""
    return [fetch_match(peer, match, ingestor, read) for match in find_studies(peer, key)]


def fetch_match(
    peer: PacsPeer, match: StudyMatch, ingestor: Ingestor, read: sessionmaker[Session]
) -> FetchReport:
    """Retrieve one found study and check that every instance reached our index."""
    uid = match.study_instance_uid
    if peer.retrieve == "c-get":
        outcome = get_study(peer, uid, ingestor, match.sop_classes)
    else:
        outcome = move_study(peer, uid)
    with read() as session:
        indexed = len(instance_files(session, Target(uid)))
    judge(peer, match, outcome, indexed)
    return FetchReport(match, outcome, indexed)


def judge(peer: PacsPeer, match: StudyMatch, outcome: RetrieveOutcome, indexed: int) -> None:
    """Raise unless the PACS reported success and our index holds every instance.

    Failure with nothing of the study here is FAILED; anything in between (a Warning with
    failed sub-operations, a failure after some instances arrived, a success that left fewer
    instances here than the PACS reported) is PARTIAL.
    """
    category = code_to_category(outcome.status)
    expected = max(outcome.completed + outcome.warning, match.instance_count or 0)
    if category == "Success" and outcome.failed == 0 and indexed >= expected:
        return
    counts = (
        f"{outcome.completed} completed, {outcome.failed} failed, {outcome.warning} warning "
        f"sub-operations; our index holds {indexed} of {expected or '?'} instances"
    )
    failed = ", ".join(outcome.failed_uids[:5]) + (" ..." if len(outcome.failed_uids) > 5 else "")
    detail = f"{counts}" + (f"; failed: {failed}" if failed else "")
    what = f"{outcome.method} of study {outcome.study_instance_uid} from PACS {peer}"
    if category in ("Success", "Warning") or indexed:
        raise GatewayError(Problem.PARTIAL, f"{what} incomplete: {status_text(outcome)}, {detail}")
    hint = ""
    if outcome.status == 0xA801:  # Move Destination unknown
        hint = f"; the PACS must know AE {peer.move_destination} with our host and DICOM port"
    raise GatewayError(Problem.FAILED, f"{what} failed: {status_text(outcome)}{hint}")
