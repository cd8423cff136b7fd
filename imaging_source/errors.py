"""Why an instance was not stored, and the protocol code of each reason.

Errors carry their protocol code and are rendered at one boundary (ARCHITECTURE habit 2): the
C-STORE SCP answers the DIMSE status (PS3.4 Table B.2-1, PS3.7 Annex C), STOW-RS puts the
Failure Reason (0008,1197) into the Failed SOP Sequence (PS3.18 Table I.2-2), and the importer
prints the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """What was wrong with a received object."""

    NOT_DICOM = "not-dicom"  # no Part 10 preamble and 'DICM' prefix (PS3.10 7.1)
    CORRUPT = "corrupt"  # truncated or unreadable File Meta Information or Data Set
    MISSING_ATTRIBUTE = "missing-attribute"  # a Type 1 UID of PS3.3 C.12.1 / C.7.2.1 / C.7.3.1
    CONFLICT = "conflict"  # another instance with this SOP Instance UID is already stored
    INCONSISTENT = "inconsistent"  # the study is stored under another patient, or the series
    #: under another study (PS3.3 A.1.2: one patient per study, one study per series)
    STUDY_MISMATCH = "study-mismatch"  # STOW-RS to /studies/{uid} with another study's instance
    OUT_OF_RESOURCES = "out-of-resources"  # disk full, database unavailable
    PROCESSING_FAILURE = "processing-failure"  # anything unexpected (logged with a traceback)


@dataclass(frozen=True)
class ReasonCodes:
    """The codes of one :class:`Reason` in each protocol."""

    dimse_status: int  # C-STORE response Status (0000,0900)
    stow_failure_reason: int  # STOW-RS Failure Reason (0008,1197)


#: PS3.4 Table B.2-1 (Storage statuses) and PS3.7 Table C.4-1 (0110, 0111, general statuses).
CODES: dict[Reason, ReasonCodes] = {
    Reason.NOT_DICOM: ReasonCodes(0xC000, 0xC000),
    Reason.CORRUPT: ReasonCodes(0xC000, 0xC000),
    Reason.MISSING_ATTRIBUTE: ReasonCodes(0xA900, 0xA900),
    Reason.CONFLICT: ReasonCodes(0x0111, 0x0111),
    Reason.INCONSISTENT: ReasonCodes(0xC001, 0xC001),
    Reason.STUDY_MISMATCH: ReasonCodes(0xA900, 0xA900),
    Reason.OUT_OF_RESOURCES: ReasonCodes(0xA700, 0xA700),
    Reason.PROCESSING_FAILURE: ReasonCodes(0x0110, 0x0110),
}


class IngestError(Exception):
    """An object was refused; nothing of it was stored or indexed."""

    def __init__(
        self, reason: Reason, message: str, sop_instance_uid: str = "", sop_class_uid: str = ""
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.sop_instance_uid = sop_instance_uid
        self.sop_class_uid = sop_class_uid

    @property
    def codes(self) -> ReasonCodes:
        """The protocol codes of this error's reason."""
        return CODES[self.reason]

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"
