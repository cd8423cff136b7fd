"""The DICOM Storage SCP runs inside ``beeldportaal serve`` (PS3.7 9.1.5 C-ECHO, 9.1.1 C-STORE)."""

from __future__ import annotations

from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from tests.conftest import LiveServer


def test_serve_answers_c_echo(live_server: LiveServer) -> None:
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(Verification)
    port = int(live_server.env["BEELDPORTAAL_DICOM_PORT"])
    assoc = ae.associate("127.0.0.1", port, ae_title="BEELDPORTAAL")
    assert assoc.is_established
    try:
        status = assoc.send_c_echo()
        assert status.Status == 0x0000
    finally:
        assoc.release()
