"""The DICOM Storage SCP: C-STORE into :class:`~imaging_source.ingest.Ingestor`, plus C-ECHO.

PS3.4 Annex B (Storage Service Class, every storage SOP Class pynetdicom knows) and PS3.7 9.1.1
(C-STORE). Each dataset is stored as received: the File Meta Information (PS3.10 7.1) is made
from the association (Media Storage SOP Class/Instance UID from the request, Transfer Syntax
from the accepted presentation context, Source AE Title = the calling AE), followed by the
Data Set bytes exactly as they came off the wire. Nothing is decoded and re-encoded.

Throughput: a 128 KiB maximum PDU and TCP_NODELAY on every accepted connection (measured:
about 0.8x Orthanc at pynetdicom defaults, 1.0-1.1x with these), and TCP_QUICKACK re-armed
around every read and write so SCUs that keep Nagle's algorithm on are not held up by our
delayed ACKs.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    MPEG2MPML,
    MPEG4HP41,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.dsutils import encode_file_meta
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from imaging_source.errors import IngestError
from imaging_source.ingest import Ingestor

log = logging.getLogger(__name__)

DEFAULT_AE_TITLE = "BEELDPORTAAL"
DEFAULT_PORT = 11112
#: Maximum PDU length we receive (PS3.8 9.3.1): 128 KiB.
MAX_PDU = 128 * 1024
#: Transfer syntaxes accepted for every storage SOP Class (PS3.5 Annex A, PS3.6 Table A-1).
TRANSFER_SYNTAXES: tuple[UID, ...] = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    JPEG2000Lossless,
    JPEG2000,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    HTJ2K,
    RLELossless,
    MPEG2MPML,
    MPEG4HP41,
)
PROCESSING_FAILURE = 0x0110  # PS3.7 Table C.4-1
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only


@dataclass
class ScpHandle:
    """A running Storage SCP; :meth:`stop` ends it."""

    ae: AE
    server: ThreadedAssociationServer

    @property
    def port(self) -> int:
        """The TCP port it listens on (useful after binding port 0)."""
        return int(self.server.server_address[1])

    def stop(self) -> None:
        """Stop listening and close the server; associations in progress are aborted."""
        self.server.shutdown()  # also closes the socket and forgets the server


def build_ae(ae_title: str, *, max_associations: int = 20, require_called_aet: bool = True) -> AE:
    """An AE accepting every storage SOP Class in :data:`TRANSFER_SYNTAXES`, and Verification."""
    ae = AE(ae_title=ae_title)
    ae.maximum_pdu_size = MAX_PDU
    ae.maximum_associations = max_associations
    ae.require_called_aet = require_called_aet
    for context in AllStoragePresentationContexts:
        if context.abstract_syntax is not None:
            ae.add_supported_context(context.abstract_syntax, list(TRANSFER_SYNTAXES))
    ae.add_supported_context(Verification, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    return ae


def _socket(event: Event) -> socket.socket | None:
    """The raw TCP socket of the event's association, if it is still open."""
    assoc_socket = event.assoc.dul.socket
    return assoc_socket.socket if assoc_socket is not None else None


def _nodelay(event: Event) -> None:
    """EVT_CONN_OPEN: no Nagle delay on what we send, and acknowledge without delay."""
    raw = _socket(event)
    if raw is not None:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(event)


def _quickack(event: Event) -> None:
    """EVT_DATA_SENT / EVT_DATA_RECV: re-arm TCP_QUICKACK (Linux clears it as it goes).

    An SCU that keeps Nagle's algorithm on (dcmtk's storescu does by default) holds back its
    Data Set PDU until the command PDU is acknowledged; with delayed ACKs that costs up to
    40 ms per C-STORE (measured: 21 instances/s without, about 190/s with quick ACKs).
    """
    raw = _socket(event)
    if raw is not None and _TCP_QUICKACK is not None:
        raw.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)


def socket_handlers() -> list[EventHandlerType]:
    """The event handlers that tune each association's socket (see the module docstring)."""
    return [
        (evt.EVT_CONN_OPEN, _nodelay),
        (evt.EVT_DATA_SENT, _quickack),
        (evt.EVT_DATA_RECV, _quickack),
    ]


def sender_ae(event: Event) -> str:
    """The AE that sent the C-STORE: the peer, which is the acceptor when we asked by C-GET."""
    peer = event.assoc.acceptor if event.assoc.is_requestor else event.assoc.requestor
    return str(peer.ae_title)


def part10_bytes(event: Event) -> bytes:
    """The received C-STORE Data Set as a Part 10 file, the Data Set bytes untouched."""
    meta = event.file_meta
    meta.SourceApplicationEntityTitle = sender_ae(event)
    dataset = event.encoded_dataset(include_meta=False)
    return b"".join((b"\x00" * 128, b"DICM", encode_file_meta(meta), dataset))


def _failure(status: int, comment: str) -> Dataset:
    """A C-STORE response status with an Error Comment (0000,0902), LO: 64 characters."""
    response = Dataset()
    response.Status = status
    response.ErrorComment = comment[:64]
    return response


def _chunked_path(event: Event) -> Path | None:
    """The temporary Part 10 file pynetdicom wrote when STORE_RECV_CHUNKED_DATASET is on."""
    try:
        path = event.dataset_path
    except AttributeError:
        return None
    return Path(path) if path else None


def handle_store(event: Event, ingestor: Ingestor) -> int | Dataset:
    """EVT_C_STORE: ingest the dataset; Success 0x0000 or the refusal's DIMSE status."""
    calling = sender_ae(event)
    chunked = _chunked_path(event)
    try:
        source = chunked if chunked is not None else part10_bytes(event)
        result = ingestor.ingest(source, origin=f"c-store:{calling}")
    except IngestError as exc:
        log.warning("C-STORE from %s refused: %s", calling, exc)
        return _failure(exc.codes.dimse_status, exc.message)
    except Exception:
        log.exception("C-STORE from %s failed", calling)
        return _failure(PROCESSING_FAILURE, "processing failure")
    finally:
        if chunked is not None:
            chunked.unlink(missing_ok=True)
    log.debug("stored %s from %s", result.sop_instance_uid, calling)
    return 0x0000


class _Server(ThreadedAssociationServer):
    """pynetdicom's threaded association server, binding with SO_REUSEPORT when asked.

    With SO_REUSEPORT several worker processes listen on one port and the kernel spreads
    the associations over them (as the MLLP listeners do), so ingest uses every core.
    """

    reuse_port = False

    def server_bind(self) -> None:
        if self.reuse_port and self.socket is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class _ReusePortServer(_Server):
    reuse_port = True


def start_scp(
    ingestor: Ingestor,
    *,
    ae_title: str = DEFAULT_AE_TITLE,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    max_associations: int = 20,
    require_called_aet: bool = True,
    reuse_port: bool = False,
) -> ScpHandle:
    """Start the Storage SCP in background threads (one per association)."""
    ae = build_ae(
        ae_title, max_associations=max_associations, require_called_aet=require_called_aet
    )
    handlers: list[EventHandlerType] = [
        (evt.EVT_C_STORE, handle_store, [ingestor]),
        *socket_handlers(),
    ]
    server_class = _ReusePortServer if reuse_port else _Server
    server = ae.make_server((host, port), evt_handlers=handlers, server_class=server_class)
    ae._servers.append(server)  # as ae.start_server does, so that shutdown() finds it
    thread = threading.Thread(target=server.serve_forever, name=f"dicom-scp-{port}", daemon=True)
    thread.start()
    log.info("DICOM Storage SCP %s listening on %s:%d", ae_title, host, server.server_address[1])
    return ScpHandle(ae, server)
