"""A small MLLP client: send one HL7 v2 message, read its acknowledgement.

Framing per HL7 v2 MLLP release 1 (ITI TF-2x Appendix C.2.1): ``<VT> message <FS><CR>``.
Standard library only; used by the registry tests, the CLI and the conformance runner
(which may not import ``xds_registry``).
"""

from __future__ import annotations

import socket
import time

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
ENCODING = "utf-8"
_RECV_BYTES = 65536


class MllpError(OSError):
    """The peer closed the connection or sent no complete MLLP frame in time."""


def frame(message: str, encoding: str = ENCODING) -> bytes:
    """Wrap ``message`` in an MLLP block; LF and CRLF segment ends become CR."""
    text = message.replace("\r\n", "\r").replace("\n", "\r")
    return START_BLOCK + text.encode(encoding) + END_BLOCK


def decode(payload: bytes) -> tuple[str, str]:
    """HL7 text of a frame and its encoding: UTF-8, or Latin-1 for senders that still use it."""
    try:
        return payload.decode(ENCODING), ENCODING
    except UnicodeDecodeError:
        return payload.decode("latin-1"), "latin-1"


def read_frame(sock: socket.socket, timeout: float, limit: int = 1 << 20) -> bytes:
    """Read up to the end of the next MLLP frame and return its payload.

    Bytes after the frame on the same connection are discarded, so use this for
    request/response exchanges where the peer sends one frame per request.
    """
    deadline = time.monotonic() + timeout
    buffer = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MllpError("no complete MLLP frame before the timeout")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(_RECV_BYTES)
        except TimeoutError as exc:
            raise MllpError("no complete MLLP frame before the timeout") from exc
        if not chunk:
            raise MllpError("connection closed before a complete MLLP frame")
        buffer += chunk
        start = buffer.find(START_BLOCK)
        end = buffer.find(END_BLOCK, start + 1) if start >= 0 else -1
        if end >= 0:
            return bytes(buffer[start + 1 : end])
        if len(buffer) > limit:
            raise MllpError(f"MLLP frame larger than {limit} bytes")


def send_mllp(host: str, port: int, message: str, timeout: float = 10.0) -> str:
    """Send one message (e.g. an ITI-8 ADT) and return the ACK text, without framing."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(frame(message))
        return decode(read_frame(sock, timeout))[0]
