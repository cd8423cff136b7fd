"""ITI-8 Patient Identity Feed for the replay: an HL7 v2.3.1 ADT^A04 over MLLP.

The NIST tests 15817/15817b/15818 (``PatientIdentityFeedTransaction``) let the toolkit
generate the feed. We build the message ourselves (ITI TF-2a 3.8.4.1: MSH, EVN, PID, PV1;
PID-3 in the affinity-domain assigning authority) and send it with the shared MLLP client
``xds_common.mllp.send_mllp`` (ITI TF-2x Appendix C.2.1 framing).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from xds_common.mllp import send_mllp

#: Assigning authority of the NIST test-kit patient ids (README §5.1; tests/conftest.py).
NIST_AUTHORITY = "1.3.6.1.4.1.21367.2005.13.20.1000"


class FeedError(RuntimeError):
    """The feed could not be delivered or was not acknowledged."""


def new_patient_id(authority: str = NIST_AUTHORITY) -> str:
    """A fresh CX patient id ``<random>^^^&<authority>&ISO`` (ITI TF-3 4.2.3.2.16)."""
    return f"BP{uuid.uuid4().hex[:16].upper()}^^^&{authority}&ISO"


def build_adt_a04(patient_id: str, now: datetime, control_id: str | None = None) -> str:
    """An ADT^A04 registering ``patient_id`` (PID-3), segments separated by ``\\r``."""
    stamp = now.strftime("%Y%m%d%H%M%S")
    control = control_id or uuid.uuid4().hex[:20]
    segments = [
        f"MSH|^~\\&|BEELDPORTAAL_CONFORMANCE|NIST_TESTKIT|XDS_REGISTRY|REGISTRY|{stamp}||"
        f"ADT^A04^ADT_A01|{control}|P|2.3.1",
        f"EVN||{stamp}",
        f"PID|||{patient_id}||Conformance^Patient^^^^^L||19700101|U",
        "PV1||O",
    ]
    return "\r".join(segments) + "\r"


def deliver(host: str, port: int, message: str, timeout: float) -> str:
    """Send one HL7 v2 message with :func:`xds_common.mllp.send_mllp`; return the ACK text."""
    try:
        return send_mllp(host, port, message, timeout)
    except OSError as exc:
        raise FeedError(f"MLLP {host}:{port}: {exc}") from exc


def ack_code(ack: str) -> str | None:
    """MSA-1 of an HL7 acknowledgement (``AA``, ``AE``, ``AR``, ``CA`` ...)."""
    for segment in ack.replace("\n", "\r").split("\r"):
        fields = segment.split("|")
        if fields[0] == "MSA" and len(fields) > 1:
            return fields[1].strip()
    return None
