"""ITI-8 over MLLP with real sockets on 127.0.0.1 (ITI TF-2x Appendix C.2.1)."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest

from xds_common.db import Base, get_engine, session_factory
from xds_common.mllp import (
    END_BLOCK,
    START_BLOCK,
    MllpError,
    frame,
    read_frame,
    send_mllp,
)
from xds_registry.feed import mllp
from xds_registry.feed.mllp import (
    FrameReader,
    FrameTooLargeError,
    MllpListener,
    start_mllp_listener,
)
from xds_registry.patients import PatientIdentity

BSN = "2.16.840.1.113883.2.4.6.3"
LOOPBACK = "127.0.0.1"


def adt(bsn: str = "111222333", control_id: str = "MSG00001", trigger: str = "A01") -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|PIX_SOURCE|ZIEKENHUIS|XDS_REG|BEELDPORTAAL|20240101120000||ADT^{trigger}"
            f"|{control_id}|P|2.3.1",
            f"EVN|{trigger}|20240101120000",
            f"PID|||{bsn}^^^&{BSN}&ISO||Jansen^Jan",
            "PV1||I",
        ]
    )


@pytest.fixture
def identity(tmp_path: Path) -> Iterator[PatientIdentity]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Base.metadata.create_all(get_engine(url, write=True))
    yield PatientIdentity(session_factory(url, write=True), (BSN,))
    get_engine(url, write=True).dispose()


@pytest.fixture
def listener(identity: PatientIdentity) -> Iterator[MllpListener]:
    with start_mllp_listener(LOOPBACK, 0, identity, idle_timeout=5.0) as running:
        yield running


def msa(ack_text: str) -> tuple[str, str]:
    ack = hl7.parse(ack_text)
    return str(ack["MSA.F1"]), str(ack["MSA.F2"])


def connect(port: int) -> socket.socket:
    return socket.create_connection((LOOPBACK, port), timeout=5)


def read_frames(sock: socket.socket, count: int) -> list[str]:
    reader = FrameReader(1 << 20)
    found: list[bytes] = []
    while len(found) < count:
        data = sock.recv(65536)
        assert data, "connection closed early"
        reader.feed(data)
        found.extend(reader.frames())
    return [payload.decode() for payload in found]


def closed_by_peer(sock: socket.socket, within: float = 5.0) -> bool:
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_a01_registers(listener: MllpListener, identity: PatientIdentity) -> None:
    ack = send_mllp(LOOPBACK, listener.port, adt(), timeout=5)
    assert msa(ack) == ("AA", "MSG00001")
    assert identity.is_known(f"111222333^^^&{BSN}&ISO")


def test_several_messages_on_one_connection(
    listener: MllpListener, identity: PatientIdentity
) -> None:
    messages = [adt(control_id="M1"), adt("111222334", "M2"), adt("123456782", "M3")]
    with connect(listener.port) as sock:
        sock.sendall(b"".join(frame(m) for m in messages))
        acks = read_frames(sock, 3)
        sock.sendall(frame(adt(control_id="M4", trigger="A08")))
        acks += read_frames(sock, 1)
    assert [msa(a) for a in acks] == [("AA", "M1"), ("AE", "M2"), ("AA", "M3"), ("AA", "M4")]
    assert identity.is_known(f"123456782^^^&{BSN}&ISO")


def test_frame_split_over_many_writes(listener: MllpListener) -> None:
    data = b"junk before the frame" + frame(adt(control_id="SPLIT"))
    with connect(listener.port) as sock:
        for i in range(0, len(data), 7):
            sock.sendall(data[i : i + 7])
        assert msa(read_frames(sock, 1)[0]) == ("AA", "SPLIT")


def test_garbage_frame_gets_ar_and_connection_stays(listener: MllpListener) -> None:
    with connect(listener.port) as sock:
        sock.sendall(frame("not hl7") + frame(adt(control_id="AFTER")))
        acks = read_frames(sock, 2)
    assert [msa(a) for a in acks] == [("AR", ""), ("AA", "AFTER")]


def test_oversized_message_gets_ar_and_close(identity: PatientIdentity) -> None:
    big = adt(control_id="BIG") + "\rNTE|1||" + "x" * 2000
    with start_mllp_listener(LOOPBACK, 0, identity, max_message_bytes=1024) as small:
        with connect(small.port) as sock:
            sock.sendall(frame(big))
            ack = hl7.parse(read_frame(sock, 5).decode())
            assert closed_by_peer(sock)
        assert (str(ack["MSA.F1"]), str(ack["MSA.F2"])) == ("AR", "BIG")
        assert str(ack["ERR.F3.R1.C1"]) == "207"
        assert msa(send_mllp(LOOPBACK, small.port, adt(), timeout=5))[0] == "AA"


def test_oversized_beyond_one_mebibyte_by_default(listener: MllpListener) -> None:
    big = adt(control_id="HUGE") + "\rNTE|1||" + "x" * (1 << 20)
    with connect(listener.port) as sock:
        sock.sendall(frame(big))
        assert msa(read_frame(sock, 5).decode()) == ("AR", "HUGE")
        assert closed_by_peer(sock)


def test_connection_dropped_mid_frame(listener: MllpListener) -> None:
    with connect(listener.port) as sock:
        sock.sendall(START_BLOCK + adt().encode()[:40])
    with connect(listener.port) as sock:
        sock.sendall(frame(adt(control_id="M1"))[:-1])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert msa(send_mllp(LOOPBACK, listener.port, adt(), timeout=5)) == ("AA", "MSG00001")


def test_handler_exception_does_not_kill_listener(
    listener: MllpListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(raw: str, identity: PatientIdentity) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(mllp, "handle_message", explode)
    with connect(listener.port) as sock:
        sock.sendall(frame(adt()))
        assert closed_by_peer(sock)
    monkeypatch.undo()
    assert msa(send_mllp(LOOPBACK, listener.port, adt(), timeout=5))[0] == "AA"


def test_idle_connection_is_closed(identity: PatientIdentity) -> None:
    with (
        start_mllp_listener(LOOPBACK, 0, identity, idle_timeout=0.3) as quick,
        connect(quick.port) as sock,
    ):
        started = time.monotonic()
        assert closed_by_peer(sock)
        assert time.monotonic() - started < 3


def test_stop_closes_connections_and_port(identity: PatientIdentity) -> None:
    running = start_mllp_listener(LOOPBACK, 0, identity)
    with connect(running.port) as sock:
        assert msa(send_mllp(LOOPBACK, running.port, adt(), timeout=5))[0] == "AA"
        running.stop()
        assert closed_by_peer(sock)
    running.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        connect(running.port).close()


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_reuse_port_lets_two_listeners_share_a_port(identity: PatientIdentity) -> None:
    with start_mllp_listener(LOOPBACK, 0, identity, reuse_port=True) as first:
        with start_mllp_listener(LOOPBACK, first.port, identity, reuse_port=True) as second:
            assert second.port == first.port
            assert msa(send_mllp(LOOPBACK, first.port, adt(), timeout=5))[0] == "AA"
        assert msa(send_mllp(LOOPBACK, first.port, adt(), timeout=5))[0] == "AA"


def test_port_in_use_without_reuse_port(listener: MllpListener, identity: PatientIdentity) -> None:
    with pytest.raises(OSError):
        start_mllp_listener(LOOPBACK, listener.port, identity)


# --- framing units --------------------------------------------------------------------------


def fed(reader: FrameReader, data: bytes) -> list[bytes]:
    reader.feed(data)
    return list(reader.frames())


def test_frame_reader_keeps_a_restarted_frame() -> None:
    reader = FrameReader(100)
    assert fed(reader, START_BLOCK + b"broken" + START_BLOCK + b"MSH|x" + END_BLOCK[:1]) == []
    assert fed(reader, END_BLOCK[1:] + b"noise" + START_BLOCK + b"MSH|y" + END_BLOCK) == [
        b"MSH|x",
        b"MSH|y",
    ]


def test_frame_reader_limit() -> None:
    reader = FrameReader(10)
    reader.feed(START_BLOCK + b"0123456789" + END_BLOCK + START_BLOCK + b"0123456789A" + END_BLOCK)
    frames = reader.frames()
    assert next(frames) == b"0123456789"
    with pytest.raises(FrameTooLargeError):
        next(frames)
    with pytest.raises(FrameTooLargeError):
        fed(FrameReader(10), START_BLOCK + b"0123456789AB" + END_BLOCK[:1])


def test_message_before_an_oversized_one_is_answered(identity: PatientIdentity) -> None:
    big = adt(control_id="BIG") + "\rNTE|1||" + "x" * 2000
    with (
        start_mllp_listener(LOOPBACK, 0, identity, max_message_bytes=1024) as small,
        connect(small.port) as sock,
    ):
        sock.sendall(frame(adt(control_id="FIRST")) + frame(big))
        acks = read_frames(sock, 2)
        assert closed_by_peer(sock)
    assert [msa(a) for a in acks] == [("AA", "FIRST"), ("AR", "BIG")]


def test_frame_turns_line_feeds_into_carriage_returns() -> None:
    assert frame("MSH|a\nPID|b\r\n") == START_BLOCK + b"MSH|a\rPID|b\r" + END_BLOCK


def test_read_frame_times_out() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.sendall(START_BLOCK + b"MSH|")
        with pytest.raises(MllpError):
            read_frame(left, 0.2)
        right.close()
        with pytest.raises(MllpError):
            read_frame(left, 1)
