"""One publication: claim the study, build its KOS, send RAD-68, record the outcome.

RAD-68 Provide and Register Imaging Document Set - MTOM/XOP (RAD TF-3 4.68) is sent with
the project's ITI-41 client to ``effective_repository_url``; the repository registers the
entry with the registry (ITI-42). The manifest's bytes go from a temporary file (never
stored as an instance: it is a document of the repository). A registry Failure (e.g.
``XDSUnknownPatientId``) or an unreachable repository is recorded with its error and retried
later with backoff (:mod:`.state`). The repository registers a submission atomically or not
at all; the one gap is a worker that dies after the repository's Success and before recording
it: that manifest stays registered, and the next one replaces the previous recorded entry.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydicom.uid import generate_uid
from sqlalchemy.orm import Session, sessionmaker

from imaging_source.publish import metadata, source, state
from imaging_source.publish.model import (
    ManifestError,
    ManifestIdentity,
    RetrieveInfo,
    StudyManifestInput,
)
from profiles import xdsi
from xds_common.client import ClientError, DocumentPart, RepositoryClient
from xds_common.settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This process and thread, as written into claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:80]


class Result(StrEnum):
    """What one attempt did."""

    PUBLISHED = "published"
    FAILED = "failed"
    BUSY = "busy"  # another worker holds the study


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt and its detail (manifest UID or error)."""

    result: Result
    detail: str = ""


class Publisher:
    """Publishes studies of one imaging source (settings and database sessions)."""

    def __init__(
        self,
        settings: Settings,
        read: sessionmaker[Session],
        write: sessionmaker[Session],
        *,
        timeout: float = 60.0,
    ) -> None:
        self.settings = settings
        self.read = read
        self.write = write
        self.timeout = timeout

    def retrieve_info(self) -> RetrieveInfo:
        """Retrieve AE Title, Location UID and DICOMweb base written into every manifest."""
        s = self.settings
        return RetrieveInfo(s.dicom_ae_title, s.imaging_source_unique_id, s.effective_dicomweb_url)

    def publish_due(self, limit: int = 20) -> list[Outcome]:
        """Publish every study that is due now (one claim each); returns what happened."""
        with self.read() as session:
            due = state.due_studies(
                session, state.utcnow(), self.settings.study_stable_seconds, limit
            )
        return [self.publish(candidate) for candidate in due]

    def publish_now(self, study_uid: str) -> Outcome | None:
        """Publish ``study_uid`` in this thread, whatever the stability window; None if unknown.

        When another worker holds the study, it is queued instead, so that a manifest with
        everything stored by now follows the one being published.
        """
        with self.read() as session:
            if not state.study_known(session, study_uid):
                return None
            found = state.candidate_for(session, study_uid, state.utcnow())
        if found is not None and (outcome := self.publish(found)).result is not Result.BUSY:
            return outcome
        state.request(self.write, study_uid, state.utcnow())
        return Outcome(Result.BUSY, "another worker is publishing this study; queued again")

    def publish(self, candidate: state.Candidate) -> Outcome:
        """Claim, build, send and record one study's manifest."""
        held = state.claim(self.write, candidate, worker_name(), state.utcnow())
        if held is None:
            return Outcome(Result.BUSY, "claimed by another worker")
        try:
            result = self._send(held)
        except (ClientError, ManifestError, RadError) as exc:
            return self._failed(held, str(exc))
        except Exception as exc:  # a bug must not kill the scheduler; keep it visible
            log.exception("publishing study %s failed", held.study_instance_uid)
            return self._failed(held, f"internal error: {type(exc).__name__}: {exc}")
        state.record_success(self.write, held, result, state.utcnow())
        log.info(
            "published manifest %s for study %s (%d instances, version %d)",
            result.document_unique_id, held.study_instance_uid, result.instances,
            held.version + 1,
        )  # fmt: skip
        return Outcome(Result.PUBLISHED, result.document_unique_id)

    def _failed(self, held: state.Claim, error: str) -> Outcome:
        attempts = state.record_failure(self.write, held, error, state.utcnow())
        log.warning(
            "publishing study %s failed (attempt %d, retried later): %s",
            held.study_instance_uid, attempts, error,
        )  # fmt: skip
        return Outcome(Result.FAILED, error)

    def _send(self, held: state.Claim) -> state.Published:
        """Build the manifest and its submission and send RAD-68; raise on any failure."""
        with self.read() as session:
            data = source.manifest_input(session, held.study_instance_uid)
        if data is None:
            raise ManifestError(f"study {held.study_instance_uid} is no longer stored")
        manifest, publication = self._build(data, held.previous_entry_uuid)
        with tempfile.TemporaryDirectory(prefix="kos-") as folder:
            path = Path(folder) / "manifest.dcm"
            path.write_bytes(manifest)
            part = DocumentPart(publication.entry_uuid, path, xdsi.MANIFEST_MIME_TYPE)
            client = RepositoryClient(self.settings.effective_repository_url, timeout=self.timeout)
            answer = client.provide_and_register(metadata.submission(data, publication), [part])
        if not answer.success:
            raise RadError("; ".join(str(e) for e in answer.errors) or answer.status)
        return state.Published(
            publication.document_unique_id, publication.entry_uuid, len(data.instances)
        )

    def _build(self, data: StudyManifestInput, replaces: str) -> tuple[bytes, metadata.Publication]:
        """The encoded KOS (new UIDs) and the submission values that go with it."""
        # highdicom takes about a second to import: not at worker start, on first use.
        from imaging_source.publish import kos

        created = state.utcnow()
        identity = ManifestIdentity(generate_uid(), generate_uid(), created)
        manifest = kos.encode(kos.build_manifest(data, self.retrieve_info(), identity))
        s = self.settings
        publication = metadata.Publication(
            assigning_authority=s.effective_imaging_assigning_authority,
            source_id=s.imaging_source_unique_id,
            submission_set_unique_id=generate_uid(),
            entry_uuid=f"urn:uuid:{uuid.uuid4()}",
            document_unique_id=identity.sop_instance_uid,
            created=created,
            replaces=replaces,
        )
        return manifest, publication


class RadError(Exception):
    """The repository answered RAD-68 with Failure (the registry's errors as text)."""
