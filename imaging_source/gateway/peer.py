"""The PACS we talk to, and associations with it (PS3.8 7.1 A-ASSOCIATE).

An association that cannot be made becomes a :class:`GatewayError` that says why: nothing
listening (UNREACHABLE), the PACS rejected us (REJECTED, with the A-ASSOCIATE-RJ result,
source and reason of PS3.8 Table 9-21), or it accepted none of the presentation contexts
we proposed (REJECTED).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.pdu_primitives import SCP_SCU_RoleSelectionNegotiation

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.scp import MAX_PDU
from xds_common.settings import Settings

#: Seconds to wait for association negotiation and for each DIMSE message or network read.
ACSE_TIMEOUT = 30.0
DIMSE_TIMEOUT = 600.0


@dataclass(frozen=True)
class PacsPeer:
    """A remote AE (the PACS) and the AE titles we use towards it.

    ``calling_ae`` is our AE title; a C-MOVE asks the PACS to send to ``move_destination``
    (our Storage SCP, which the PACS must know by AE title, host and port).
    """

    ae_title: str
    host: str
    port: int
    calling_ae: str
    move_destination: str
    retrieve: str = "c-move"

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"


def peer_from_settings(settings: Settings) -> PacsPeer:
    """The PACS named by ``BEELDPORTAAL_PACS_*``; NOT_CONFIGURED when it names none."""
    if not settings.pacs_port:
        raise GatewayError(
            Problem.NOT_CONFIGURED, "no PACS configured: set BEELDPORTAAL_PACS_PORT (and _HOST)"
        )
    if not settings.pacs_ae_title:
        raise GatewayError(Problem.NOT_CONFIGURED, "BEELDPORTAAL_PACS_AE_TITLE is not set")
    return PacsPeer(
        ae_title=settings.pacs_ae_title,
        host=settings.pacs_host,
        port=settings.pacs_port,
        calling_ae=settings.dicom_ae_title,
        move_destination=settings.dicom_ae_title,
        retrieve=settings.pacs_retrieve,
    )


def new_ae(calling_ae: str) -> AE:
    """An AE for talking to a PACS: our AE title, 128 KiB PDUs, bounded timeouts."""
    ae = AE(ae_title=calling_ae)
    ae.maximum_pdu_size = MAX_PDU
    ae.acse_timeout = ACSE_TIMEOUT
    ae.dimse_timeout = DIMSE_TIMEOUT
    ae.network_timeout = DIMSE_TIMEOUT
    ae.connection_timeout = ACSE_TIMEOUT
    return ae


@dataclass
class _Negotiation:
    """What happened while associating: did TCP connect, and the A-ASSOCIATE-RJ if any."""

    connected: bool = False
    rejection: str = ""

    def on_conn_open(self, event: Event) -> None:
        """EVT_CONN_OPEN: remember it, and send our PDUs without Nagle's delay."""
        self.connected = True
        sock = event.assoc.dul.socket
        if sock is not None and sock.socket is not None:
            sock.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def on_acse_recv(self, event: Event) -> None:
        primitive: Any = getattr(event, "primitive", None)
        if getattr(primitive, "result", None) in (0x01, 0x02):
            self.rejection = (
                f"{primitive.result_str}, {primitive.source_str}: {primitive.reason_str}"
            )


@contextmanager
def associate(
    ae: AE,
    peer: PacsPeer,
    *,
    roles: Sequence[SCP_SCU_RoleSelectionNegotiation] = (),
    handlers: list[EventHandlerType] | None = None,
) -> Iterator[Association]:
    """An established association with ``peer``, released (or aborted) on leaving."""
    negotiation = _Negotiation()
    bound: list[EventHandlerType] = [
        (evt.EVT_CONN_OPEN, negotiation.on_conn_open),
        (evt.EVT_ACSE_RECV, negotiation.on_acse_recv),
        *(handlers or []),
    ]
    ext_neg: list[Any] = list(roles)  # pynetdicom's parameter is a list of a wide union
    assoc = ae.associate(
        peer.host, peer.port, ae_title=peer.ae_title, ext_neg=ext_neg, evt_handlers=bound
    )
    if not assoc.is_established:
        raise _association_error(assoc, peer, negotiation)
    try:
        yield assoc
    except BaseException:
        if assoc.is_established:
            assoc.abort()
        raise
    else:
        if assoc.is_established:
            assoc.release()


def _association_error(
    assoc: Association, peer: PacsPeer, negotiation: _Negotiation
) -> GatewayError:
    """Why an association with ``peer`` was not established."""
    if assoc.is_rejected:
        why = negotiation.rejection or "no reason given"
        return GatewayError(
            Problem.REJECTED, f"PACS {peer} rejected the association from {peer.calling_ae}: {why}"
        )
    if negotiation.connected and assoc.is_aborted:
        return GatewayError(
            Problem.REJECTED,
            f"PACS {peer} accepted none of the proposed presentation contexts "
            "(SOP class or transfer syntax not supported)",
        )
    return GatewayError(
        Problem.UNREACHABLE, f"cannot reach PACS {peer}: no DICOM service answers there"
    )
