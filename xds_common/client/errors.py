"""Why a SOAP call failed before it produced a transaction answer: :class:`ClientError`.

Everything that is not the transaction's own answer becomes one exception with a kind and a
message meant for people: the endpoint could not be reached or did not answer in time, it
answered with an HTTP error or a SOAP Fault (SOAP 1.2 Part 1 section 5.4; ITI TF-2x
Appendix V.3 keeps Faults for broken envelopes and unknown actions), or the answer is not
the SOAP 1.2 message the WSDL promises. A RegistryResponse with status Failure is *not* a
ClientError: it is the transaction's answer and is returned as a result.
"""

from __future__ import annotations

from enum import StrEnum


class ClientErrorKind(StrEnum):
    """The kind of failure; the values read well in messages and logs."""

    CONNECTION = "connection failed"
    TIMEOUT = "timed out"
    HTTP = "HTTP error"
    FAULT = "SOAP Fault"
    INVALID_RESPONSE = "invalid answer"
    LOCAL = "local problem"


class ClientError(Exception):
    """A SOAP call that did not produce a transaction answer; ``str()`` is the explanation.

    ``status`` is the HTTP status when there was one; ``fault_code``, ``fault_subcode`` and
    ``fault_reason`` are filled for :attr:`ClientErrorKind.FAULT`.
    """

    def __init__(
        self,
        kind: ClientErrorKind,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        fault_code: str = "",
        fault_subcode: str = "",
        fault_reason: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.status = status
        self.fault_code = fault_code
        self.fault_subcode = fault_subcode
        self.fault_reason = fault_reason
