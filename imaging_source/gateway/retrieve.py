"""Fetch a study from the PACS into us: C-MOVE or C-GET, Study Root, STUDY level.

C-MOVE (PS3.4 C.4.2): the PACS opens its own association to our Storage SCP (the AE title
in ``PacsPeer.move_destination``, which the PACS must know with our host and DICOM port) and
sends every instance there; the running server ingests them. C-GET (PS3.4 C.4.3): the
instances come back on our own association, for which we propose the storage SOP classes
with the SCP role (PS3.7 D.3.3.4 SCP/SCU Role Selection) and ingest them here with the same
handler as the Storage SCP. Either way each instance is stored byte for byte as sent.

The outcome carries the final response's status, sub-operation counts and Failed SOP
Instance UID List (PS3.4 C.4.2.1.4, C.4.3.1.4); :mod:`.fetch` judges it against our index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pynetdicom import AE, StoragePresentationContexts, build_role, evt
from pynetdicom.events import EventHandlerType
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)
from pynetdicom.status import (
    QR_GET_SERVICE_CLASS_STATUS,
    QR_MOVE_SERVICE_CLASS_STATUS,
    code_to_category,
)

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.gateway.peer import PacsPeer, associate, new_ae
from imaging_source.ingest import Ingestor
from imaging_source.scp import TRANSFER_SYNTAXES, handle_store

#: Presentation contexts per association (PS3.8 9.3.2.2: context ids 1..255, odd).
MAX_CONTEXTS = 128


@dataclass(frozen=True)
class RetrieveOutcome:
    """How a C-MOVE / C-GET ended (counts from the final response)."""

    study_instance_uid: str
    method: str
    status: int
    completed: int
    failed: int
    warning: int
    failed_uids: tuple[str, ...]


def retrieve_identifier(study_uid: str) -> Dataset:
    """The C-MOVE / C-GET identifier of one study (PS3.4 C.4.2.1.4.1, Study Root)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = study_uid
    return ds


def move_study(peer: PacsPeer, study_uid: str, ae: AE | None = None) -> RetrieveOutcome:
    """C-MOVE a study to ``peer.move_destination`` (our Storage SCP)."""
    ae = ae or new_ae(peer.calling_ae)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
    with associate(ae, peer) as assoc:
        responses = assoc.send_c_move(
            retrieve_identifier(study_uid),
            peer.move_destination,
            StudyRootQueryRetrieveInformationModelMove,
        )
        return _final(peer, study_uid, "C-MOVE", responses)


def get_study(
    peer: PacsPeer,
    study_uid: str,
    ingestor: Ingestor,
    sop_classes: Iterable[str] = (),
    ae: AE | None = None,
) -> RetrieveOutcome:
    """C-GET a study, ingesting each instance the PACS sends on our association.

    ``sop_classes`` (SOP Classes in Study from C-FIND) are the storage contexts proposed;
    without them the common storage SOP classes are proposed.
    """
    ae = ae or new_ae(peer.calling_ae)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    classes = list(dict.fromkeys(sop_classes)) or [
        str(cx.abstract_syntax) for cx in StoragePresentationContexts
    ]
    classes = classes[: MAX_CONTEXTS - 1]
    for sop_class in classes:
        ae.add_requested_context(sop_class, list(TRANSFER_SYNTAXES))
    roles = [build_role(sop_class, scp_role=True) for sop_class in classes]
    handlers: list[EventHandlerType] = [(evt.EVT_C_STORE, handle_store, [ingestor])]
    with associate(ae, peer, roles=roles, handlers=handlers) as assoc:
        responses = assoc.send_c_get(
            retrieve_identifier(study_uid), StudyRootQueryRetrieveInformationModelGet
        )
        return _final(peer, study_uid, "C-GET", responses)


def _final(
    peer: PacsPeer,
    study_uid: str,
    method: str,
    responses: Iterator[tuple[Dataset, Dataset | None]],
) -> RetrieveOutcome:
    """Read the responses to the end; the outcome of the final one (or a GatewayError)."""
    status: Dataset | None = None
    identifier: Dataset | None = None
    for status, identifier in responses:  # noqa: B007 - the last pair is the final response
        if not status or code_to_category(int(status.Status)) != "Pending":
            break
    if not status or "Status" not in status:
        raise GatewayError(
            Problem.FAILED,
            f"PACS {peer} sent no final {method} response (aborted or timed out; "
            f"does it know our AE title {peer.calling_ae}?)",
        )
    code = int(status.Status)
    failed_uids: tuple[str, ...] = ()
    if identifier is not None and "FailedSOPInstanceUIDList" in identifier:
        value = identifier.FailedSOPInstanceUIDList
        failed_uids = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
    return RetrieveOutcome(
        study_instance_uid=study_uid,
        method=method,
        status=code,
        completed=int(status.get("NumberOfCompletedSuboperations", 0) or 0),
        failed=int(status.get("NumberOfFailedSuboperations", 0) or 0),
        warning=int(status.get("NumberOfWarningSuboperations", 0) or 0),
        failed_uids=failed_uids,
    )


def status_text(outcome: RetrieveOutcome) -> str:
    """The final status as ``0xC000 (Unable to process)`` (PS3.4 C.4.2.1.5, C.4.3.1.5)."""
    table = (
        QR_MOVE_SERVICE_CLASS_STATUS if outcome.method == "C-MOVE" else QR_GET_SERVICE_CLASS_STATUS
    )
    return f"0x{outcome.status:04X} ({table.get(outcome.status, ('', 'unknown status'))[1]})"
