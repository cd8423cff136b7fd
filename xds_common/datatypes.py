"""Value checkers for the HL7 v2 and XDS data types used in metadata (ITI TF-3 Table 4.2.3.1.7-2).

Each checker takes a string and returns ``None`` when it is valid, or a short reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OID = re.compile(r"^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$")
_UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DTM = re.compile(r"^\d{4}(\d{2}){0,5}$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_MIME = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;.*)?$")


def is_oid(value: str) -> bool:
    """True when ``value`` is a dotted-decimal OID (ISO/IEC 8824)."""
    return bool(_OID.match(value)) and len(value) <= 64


def is_uuid_urn(value: str) -> bool:
    """True when ``value`` is ``urn:uuid:`` plus a lower-case UUID (ITI TF-3 4.2.3.1.5)."""
    return bool(_UUID_URN.match(value))


def check_dtm(value: str) -> str | None:
    """DTM ``YYYY[MM[DD[hh[mm[ss]]]]]``, UTC, no zone or fraction (TF-3 Table 4.2.3.1.7-2)."""
    if not _DTM.match(value):
        return "not a DTM (YYYY[MM[DD[hh[mm[ss]]]]])"
    month = value[4:6]
    day = value[6:8]
    hour = value[8:10]
    minute = value[10:12]
    second = value[12:14]
    if month and not 1 <= int(month) <= 12:
        return "month out of range"
    if day and not 1 <= int(day) <= 31:
        return "day out of range"
    if hour and int(hour) > 23:
        return "hour out of range"
    if minute and int(minute) > 59:
        return "minute out of range"
    if second and int(second) > 59:
        return "second out of range"
    return None


@dataclass(frozen=True)
class Cx:
    """A parsed CX patient identifier ``ID^^^&OID&ISO``."""

    id: str
    authority: str

    def __str__(self) -> str:
        return f"{self.id}^^^&{self.authority}&ISO"


def parse_cx(value: str) -> Cx | None:
    """Parse a CX value as XDS requires it: components 1 and 4 only, 4 = ``&OID&ISO``."""
    parts = value.split("^")
    if len(parts) != 4 or parts[1] or parts[2] or not parts[0]:
        return None
    if any(c in parts[0] for c in "&~\\|"):
        return None
    aa = parts[3].split("&")
    if len(aa) != 3 or aa[0] or aa[2] != "ISO" or not is_oid(aa[1]):
        return None
    return Cx(parts[0], aa[1])


def check_cx(value: str) -> str | None:
    """CX for patientId and sourcePatientId (ITI TF-3 4.2.3.2.16)."""
    return None if parse_cx(value) else "not a CX of the form ID^^^&OID&ISO"


def check_oid(value: str) -> str | None:
    """An OID (sourceId, uniqueId of SubmissionSets and Folders, repositoryUniqueId)."""
    return None if is_oid(value) else "not an OID"


def check_unique_id(value: str) -> str | None:
    """DocumentEntry.uniqueId: OID, OID^extension, or a URI; at most 128 characters."""
    if not value or len(value) > 128:
        return "empty or longer than 128 characters"
    if "^" in value:
        root, _, ext = value.partition("^")
        if not is_oid(root) or not ext or len(ext) > 16:
            return "OID^extension with an invalid root or extension"
        return None
    if is_oid(value) or ":" in value:
        return None
    return "neither an OID nor a URI"


def check_sha1(value: str) -> str | None:
    """hash: SHA-1 as 40 hexadecimal characters."""
    return None if _SHA1.match(value) else "not a SHA-1 hex string"


def check_integer(value: str) -> str | None:
    """size: a non-negative integer."""
    return None if value.isdigit() else "not a non-negative integer"


def check_mime(value: str) -> str | None:
    """mimeType: type/subtype (RFC 2045)."""
    return None if _MIME.match(value) else "not a MIME type"


def check_xcn(value: str) -> str | None:
    """XCN: id or family name required; an id that is not an OID needs an assigning authority."""
    parts = value.split("^")
    ident = parts[0]
    family = parts[1] if len(parts) > 1 else ""
    if not ident and not family:
        return "XCN needs an id (XCN.1) or a family name (XCN.2)"
    if ident and not is_oid(ident):
        aa = parts[8] if len(parts) > 8 else ""
        if aa and not _hd_ok(aa):
            return "XCN.9 assigning authority is not &OID&ISO"
    return None


def _hd_ok(hd: str) -> bool:
    sub = hd.split("&")
    return len(sub) == 3 and sub[2] == "ISO" and is_oid(sub[1])


def check_xon(value: str) -> str | None:
    """XON: organisation name required (XON.1)."""
    return None if value.split("^")[0] else "XON.1 organisation name is missing"


def check_xtn(value: str) -> str | None:
    """XTN: XTN.3 telecom equipment type required (ITI TF-3 Table 4.2.3.1.7-2)."""
    parts = value.split("^")
    if len(parts) < 3 or not parts[2]:
        return "XTN.3 equipment type is missing"
    if parts[2] == "Internet" and (len(parts) < 4 or "@" not in parts[3]):
        return "XTN.4 must hold an e-mail address for type Internet"
    return None


def check_cxi(value: str) -> str | None:
    """CXi (referenceIdList): CXi.1 and CXi.5 required, CXi.2-3 empty."""
    parts = value.split("^")
    if len(parts) < 5 or not parts[0] or not parts[4]:
        return "CXi needs CXi.1 and CXi.5"
    if parts[1] or parts[2]:
        return "CXi.2 and CXi.3 must be empty"
    return None


def check_source_patient_info(value: str) -> str | None:
    """sourcePatientInfo value: ``PID-n|field``."""
    return None if re.match(r"^PID-\d+\|", value) else "not of the form PID-n|value"


def bsn_valid(bsn: str) -> bool:
    """The Dutch BSN eleven-check: nine digits, sum(d_i * w_i) with weights 9..2, -1 is 0 mod 11."""
    if not re.fullmatch(r"\d{9}", bsn):
        return False
    digits = [int(c) for c in bsn]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and bsn != "000000000"


CHECKERS = {
    "cx": check_cx,
    "dtm": check_dtm,
    "oid": check_oid,
    "unique_id": check_unique_id,
    "sha1": check_sha1,
    "integer": check_integer,
    "mime": check_mime,
    "xcn": check_xcn,
    "xon": check_xon,
    "xtn": check_xtn,
    "cxi": check_cxi,
    "pid": check_source_patient_info,
}


def pad_dtm(value: str) -> str:
    """A DTM right-padded with '0' to 14 digits, for prefix-aware range comparison."""
    return value.ljust(14, "0") if value else value
