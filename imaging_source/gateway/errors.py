"""What went wrong talking to a PACS, as one exception with a sentence for the operator."""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    """The kinds of gateway failure (each with its own CLI exit status)."""

    NOT_CONFIGURED = "not-configured"  # BEELDPORTAAL_PACS_* missing
    BAD_KEY = "bad-key"  # a matching key we refuse to send (wildcards, empty)
    UNREACHABLE = "unreachable"  # no TCP connection, or the peer vanished
    REJECTED = "rejected"  # A-ASSOCIATE-RJ (PS3.8 9.3.4) or no presentation context accepted
    NO_MATCH = "no-match"  # C-FIND found no study
    FAILED = "failed"  # the DIMSE operation failed as a whole
    PARTIAL = "partial"  # some sub-operations or instances failed


class GatewayError(Exception):
    """A PACS operation did not (fully) succeed; ``str()`` says what and why."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message

    def __str__(self) -> str:
        return self.message
