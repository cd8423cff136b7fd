"""ITI-8 ADT^A04 builder and MLLP delivery against a local MLLP listener on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest

from conformance.feed import FeedError, ack_code, build_adt_a04, deliver, new_patient_id
from xds_common.mllp import END_BLOCK, START_BLOCK


def test_adt_a04_segments() -> None:
    pid = new_patient_id()
    message = build_adt_a04(pid, datetime(2024, 1, 2, 3, 4, 5), control_id="C1")
    segments = message.rstrip("\r").split("\r")
    assert [s[:3] for s in segments] == ["MSH", "EVN", "PID", "PV1"]
    msh = segments[0].split("|")
    assert msh[8] == "ADT^A04^ADT_A01" and msh[9] == "C1" and msh[11] == "2.3.1"
    assert segments[2].split("|")[3] == pid
    assert pid.endswith("^^^&1.3.6.1.4.1.21367.2005.13.20.1000&ISO")


def test_ack_code() -> None:
    assert ack_code("MSH|^~\\&|A\rMSA|AA|C1\r") == "AA"
    assert ack_code("MSH|^~\\&|A\nMSA|AE|C1") == "AE"
    assert ack_code("MSH|x") is None


@pytest.fixture
def mllp_listener() -> Iterator[tuple[int, list[bytes]]]:
    received: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while END_BLOCK not in data:
                data += conn.recv(4096)
            received.append(data)
            conn.sendall(START_BLOCK + b"MSH|^~\\&|R\rMSA|AA|C1\r" + END_BLOCK)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], received
    thread.join(timeout=5)
    listener.close()


def test_send_mllp_frames_and_returns_ack(mllp_listener: tuple[int, list[bytes]]) -> None:
    port, received = mllp_listener
    ack = deliver("127.0.0.1", port, "MSH|^~\\&|S\r", 5.0)
    assert ack_code(ack) == "AA"
    assert received == [START_BLOCK + b"MSH|^~\\&|S\r" + END_BLOCK]


def test_send_mllp_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FeedError):
        deliver("127.0.0.1", port, "MSH|x\r", 2.0)
