"""ITI-8 MLLP listener: a threading TCP server that feeds each frame to ``adt.handle_message``.

Transport per ITI TF-2x Appendix C.2.1 (HL7 v2 MLLP release 1): ``<VT> message <FS><CR>``,
original-mode ACK on the same connection, several messages per connection. Messages over
``max_message_bytes`` get an AR and the connection is closed; idle connections are closed
after ``idle_timeout`` seconds. No exception ends the listener: failures are logged and only
the connection concerned is closed.

With ``reuse_port=True`` the socket gets ``SO_REUSEPORT``, so that several worker processes
can each run a listener on the same port and the kernel spreads the connections. Start the
listener in each worker after the fork: threads do not survive ``fork()``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from xds_common.mllp import END_BLOCK, START_BLOCK, decode, frame
from xds_registry.feed.adt import ErrorCode, handle_message, reject
from xds_registry.patients import PatientIdentity

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 1 << 20
DEFAULT_IDLE_TIMEOUT = 300.0
_RECV_BYTES = 65536
_HEAD_BYTES = 4096
_DRAIN_SECONDS = 2.0
_POLL_SECONDS = 0.2


class FrameTooLargeError(Exception):
    """A frame exceeds the size limit; ``head`` holds its first bytes (for MSH-10)."""

    def __init__(self, head: bytes) -> None:
        super().__init__("MLLP frame too large")
        self.head = head


class FrameReader:
    """Splits an MLLP byte stream into message payloads; bytes outside frames are dropped."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        self._buffer += data

    def frames(self) -> Iterator[bytes]:
        """Yield the payloads of the complete frames received so far, in order; raise
        :class:`FrameTooLargeError` on reaching a frame over the limit."""
        while (payload := self._next()) is not None:
            yield payload

    def _next(self) -> bytes | None:
        start = self._buffer.find(START_BLOCK)
        if start < 0:
            self._buffer.clear()
            return None
        end = self._buffer.find(END_BLOCK, start + 1)
        if end < 0:
            del self._buffer[:start]
            if len(self._buffer) > self._limit + len(START_BLOCK) + len(END_BLOCK):
                raise FrameTooLargeError(bytes(self._buffer[1 : 1 + _HEAD_BYTES]))
            return None
        start = self._buffer.rfind(START_BLOCK, start, end)  # a restarted frame wins
        payload = bytes(self._buffer[start + 1 : end])
        del self._buffer[: end + len(END_BLOCK)]
        if len(payload) > self._limit:
            raise FrameTooLargeError(payload[:_HEAD_BYTES])
        return payload


@dataclass(frozen=True)
class MllpLimits:
    """Per-connection limits."""

    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT


class _Handler(socketserver.BaseRequestHandler):
    """One connection: read frames, answer each with the ACK of ``handle_message``."""

    server: _Server
    request: socket.socket

    def setup(self) -> None:
        self.request.settimeout(self.server.limits.idle_timeout)
        self.server.track(self.request)

    def finish(self) -> None:
        self.server.untrack(self.request)

    def handle(self) -> None:
        try:
            self._serve()
        except TimeoutError:
            log.debug("MLLP connection from %s idle; closing", self.client_address)
        except OSError as exc:
            log.debug("MLLP connection from %s ended: %s", self.client_address, exc)
        except Exception:
            log.exception("MLLP connection from %s failed", self.client_address)

    def _serve(self) -> None:
        reader = FrameReader(self.server.limits.max_message_bytes)
        while data := self.request.recv(_RECV_BYTES):
            reader.feed(data)
            try:
                for payload in reader.frames():
                    text, encoding = decode(payload)
                    ack = handle_message(text, self.server.identity)
                    self.request.sendall(frame(ack, encoding))
            except FrameTooLargeError as exc:
                self._refuse_oversized(exc.head)
                return

    def _refuse_oversized(self, head: bytes) -> None:
        limit = self.server.limits.max_message_bytes
        log.warning("MLLP message from %s exceeds %d bytes", self.client_address, limit)
        text, encoding = decode(head)
        reason = f"message larger than {limit} bytes"
        ack = reject(text, reason, ErrorCode.APPLICATION_INTERNAL_ERROR)
        self.request.sendall(frame(ack, encoding))
        self._drain()

    def _drain(self) -> None:
        """Lingering close: stop sending, then read (for a bounded time) what the peer still
        sends, so that closing does not reset the connection before the peer reads the AR."""
        deadline = time.monotonic() + _DRAIN_SECONDS
        try:
            self.request.shutdown(socket.SHUT_WR)
            while (remaining := deadline - time.monotonic()) > 0:
                self.request.settimeout(remaining)
                if not self.request.recv(_RECV_BYTES):
                    return
        except OSError:
            return  # timed out or reset: the connection is closed next anyway


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        identity: PatientIdentity,
        limits: MllpLimits,
        reuse_port: bool,
    ) -> None:
        if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
            raise OSError("SO_REUSEPORT is not available on this platform")
        self.identity = identity
        self.limits = limits
        self.allow_reuse_port = reuse_port
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closing = False
        super().__init__(address, _Handler)

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.add(sock)
            closing = self._closing
        if closing:
            _shutdown(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.discard(sock)

    def close_connections(self) -> None:
        """Shut down every open connection so that its handler thread ends."""
        with self._lock:
            self._closing = True
            open_now = list(self._connections)
        for sock in open_now:
            _shutdown(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("MLLP connection from %s failed", client_address)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


class MllpListener:
    """A running ITI-8 listener; :meth:`stop` ends it (idempotent)."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self._stopped = False

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The bound port (the one the OS chose when 0 was asked for)."""
        return int(self._server.server_address[1])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close open connections and wait for the server thread."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout)
        log.info("ITI-8 MLLP listener on port %d stopped", self.port)

    def __enter__(self) -> MllpListener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_mllp_listener(
    host: str,
    port: int,
    identity: PatientIdentity,
    *,
    reuse_port: bool = False,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> MllpListener:
    """Bind ``host:port`` (0 = any free port) and serve ITI-8 in a background thread."""
    limits = MllpLimits(max_message_bytes, idle_timeout)
    server = _Server((host, port), identity, limits, reuse_port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_SECONDS},
        name=f"mllp-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    listener = MllpListener(server, thread)
    log.info("ITI-8 MLLP listener on %s:%d", host, listener.port)
    return listener
