"""Forward a study we hold to the PACS by C-STORE (PS3.4 Annex B, PS3.7 9.1.1).

Each instance is sent from its stored Part 10 file without decoding: the Data Set bytes go
on the wire exactly as stored, so the presentation context proposed for it is its SOP Class
with the transfer syntax it was stored in, and nothing is ever transcoded. An instance whose
exact context the PACS does not accept fails on its own (and is named); the others are sent.
Studies with more distinct (SOP Class, transfer syntax) pairs than one association can carry
(128 presentation contexts, PS3.8 9.3.2.2) use one association per 128 pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pynetdicom import _config
from pynetdicom.association import Association
from pynetdicom.status import STORAGE_SERVICE_CLASS_STATUS, code_to_category

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.gateway.peer import PacsPeer, associate, new_ae
from imaging_source.index.reader import InstanceFile
from imaging_source.store import InstanceStore

MAX_CONTEXTS = 128
_Pair = tuple[str, str]  # (SOP Class UID, Transfer Syntax UID)


@dataclass
class ForwardOutcome:
    """What a forward did: instances stored by the PACS, with warnings, and failures."""

    study_instance_uid: str
    sent: int = 0
    warnings: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (SOP Instance UID, why)


@contextmanager
def _raw_datasets() -> Iterator[None]:
    """Make pynetdicom send a file's Data Set bytes as stored, unparsed (process-wide switch)."""
    before = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    try:
        yield
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = before


def forward_study(
    peer: PacsPeer, store: InstanceStore, files: list[InstanceFile]
) -> ForwardOutcome:
    """C-STORE every file of one study to ``peer``; PARTIAL if any instance was not stored."""
    if not files:
        raise GatewayError(Problem.NO_MATCH, "we hold no instance of that study")
    outcome = ForwardOutcome(files[0].study_instance_uid)
    pairs = list(dict.fromkeys((f.sop_class_uid, f.transfer_syntax_uid) for f in files))
    with _raw_datasets():
        for start in range(0, len(pairs), MAX_CONTEXTS):
            group = set(pairs[start : start + MAX_CONTEXTS])
            batch = [f for f in files if (f.sop_class_uid, f.transfer_syntax_uid) in group]
            _send_batch(peer, store, batch, group, outcome)
    if outcome.failures:
        raise GatewayError(Problem.PARTIAL, _partial(peer, outcome))
    return outcome


def _send_batch(
    peer: PacsPeer,
    store: InstanceStore,
    files: list[InstanceFile],
    pairs: set[_Pair],
    outcome: ForwardOutcome,
) -> None:
    """One association: propose ``pairs``, send ``files``, record each result."""
    ae = new_ae(peer.calling_ae)
    for sop_class, transfer_syntax in sorted(pairs):
        ae.add_requested_context(sop_class, [transfer_syntax])
    with associate(ae, peer) as assoc:
        accepted = {
            (str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
            for cx in assoc.accepted_contexts
            if cx.abstract_syntax is not None and cx.transfer_syntax
        }
        for n, instance in enumerate(files):
            if (instance.sop_class_uid, instance.transfer_syntax_uid) not in accepted:
                why = f"not accepted: {instance.sop_class_uid} in {instance.transfer_syntax_uid}"
                outcome.failures.append((instance.sop_instance_uid, why))
                continue
            if not _send_one(assoc, store, instance, n, outcome):
                for rest in files[n + 1 :]:
                    outcome.failures.append((rest.sop_instance_uid, "association lost"))
                return


def _send_one(
    assoc: Association,
    store: InstanceStore,
    instance: InstanceFile,
    n: int,
    outcome: ForwardOutcome,
) -> bool:
    """C-STORE one stored file; False when the association is gone."""
    status = assoc.send_c_store(store.path_of(instance.file_key), msg_id=n % 65535 + 1)
    if not status or "Status" not in status:
        outcome.failures.append((instance.sop_instance_uid, "no C-STORE response (abort)"))
        return assoc.is_established
    code = int(status.Status)
    category = code_to_category(code)
    if category == "Success":
        outcome.sent += 1
    elif category == "Warning":
        outcome.sent += 1
        outcome.warnings += 1
    else:
        meaning = STORAGE_SERVICE_CLASS_STATUS.get(code, ("", "unknown status"))[1]
        outcome.failures.append((instance.sop_instance_uid, f"0x{code:04X} {meaning}"))
    return True


def _partial(peer: PacsPeer, outcome: ForwardOutcome) -> str:
    first = "; ".join(f"{uid}: {why}" for uid, why in outcome.failures[:3])
    more = " ..." if len(outcome.failures) > 3 else ""
    return (
        f"forward to PACS {peer} incomplete: {outcome.sent} stored, "
        f"{len(outcome.failures)} failed ({first}{more})"
    )
