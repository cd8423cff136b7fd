"""Value conversions between FHIR R4 and XDS (MHD 4.2.3 32_fhir_maps; ITI TF-2 Appendix Z.9).

* codes: ``Coding(system, code, display)`` <-> XDS ``Code(code, scheme, display)``; XDS
  coding schemes are OIDs, FHIR systems URIs (``urn:oid:<oid>`` or a canonical URL for the
  well-known code systems in :data:`SYSTEM_OIDS`);
* times: FHIR ``dateTime``/``instant`` <-> XDS DTM in UTC (ITI TF-3 Table 4.2.3.1.7-2);
* identifiers: uniqueId <-> Identifier (ITI TF-2 Appendix Z.9.1.1), entryUUID <-> Identifier;
* hashes: FHIR ``Attachment.hash`` is base64 of the SHA-1, XDS ``hash`` is hex.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any, Final

from profiles.namespaces import OID_URN_PREFIX, URI_SYSTEM
from xds_common.datatypes import is_oid
from xds_common.metadata import Code

JsonDict = dict[str, Any]

RFC3986: Final = URI_SYSTEM
OID_PREFIX: Final = OID_URN_PREFIX
UUID_PREFIX: Final = "urn:uuid:"

#: Canonical FHIR URIs of code systems whose XDS coding scheme is an OID (HL7 terminology
#: "Code Systems" page, identifiers; ihe.formatcode.fhir CodeSystem).
SYSTEM_OIDS: Final[dict[str, str]] = {
    "http://loinc.org": "2.16.840.1.113883.6.1",
    "http://snomed.info/sct": "2.16.840.1.113883.6.96",
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality": "2.16.840.1.113883.5.25",
    "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode": "1.3.6.1.4.1.19376.1.2.3",
    "http://dicom.nema.org/resources/ontology/DCM": "1.2.840.10008.2.16.4",
    "urn:ietf:bcp:13": "urn:ietf:bcp:13",
}
_OID_SYSTEMS: Final = {oid: uri for uri, oid in SYSTEM_OIDS.items()}

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def scheme_of(system: str) -> str:
    """The XDS codingScheme for FHIR ``Coding.system`` (``urn:oid:`` stripped)."""
    if system.startswith(OID_PREFIX):
        return system[len(OID_PREFIX) :]
    return SYSTEM_OIDS.get(system, system)


def system_of(scheme: str) -> str:
    """The FHIR ``Coding.system`` for an XDS codingScheme."""
    if scheme in _OID_SYSTEMS:
        return _OID_SYSTEMS[scheme]
    return OID_PREFIX + scheme if is_oid(scheme) else scheme


def code_of(concept: JsonDict | None) -> Code | None:
    """The first coding of a CodeableConcept (or a Coding) as an XDS Code, or None."""
    if not concept:
        return None
    coding = (concept.get("coding") or [None])[0] if "coding" in concept else concept
    if not coding or not coding.get("code"):
        return None
    return Code(str(coding["code"]), scheme_of(str(coding.get("system", ""))),
                str(coding.get("display", "")))  # fmt: skip


def coding(code: Code) -> JsonDict:
    """A FHIR Coding for an XDS Code."""
    found: JsonDict = {"system": system_of(code.scheme), "code": code.code}
    if code.display:
        found["display"] = code.display
    return found


def concept(code: Code) -> JsonDict:
    """A FHIR CodeableConcept with one coding for an XDS Code."""
    return {"coding": [coding(code)]}


def dtm_of(value: str) -> str:
    """FHIR ``date``/``dateTime``/``instant`` -> XDS DTM in UTC (seconds precision).

    Partial dates keep their precision (``2015-02`` -> ``201502``); times with a zone are
    converted to UTC. Raises ``ValueError`` for text that is neither.
    """
    partial = _PARTIAL.match(value)
    if partial:
        return "".join(p for p in partial.groups() if p)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def datetime_of(dtm: str) -> str:
    """XDS DTM (UTC) -> FHIR ``dateTime`` (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or with time)."""
    if len(dtm) <= 8:
        return "-".join(p for p in (dtm[0:4], dtm[4:6], dtm[6:8]) if p)
    padded = dtm.ljust(14, "0")
    return (
        f"{padded[0:4]}-{padded[4:6]}-{padded[6:8]}T{padded[8:10]}:{padded[10:12]}:{padded[12:14]}Z"
    )


def unique_id_of(identifier: JsonDict | None) -> str:
    """XDS uniqueId from an MHD UniqueIdIdentifier (ITI TF-2 Appendix Z.9.1.1).

    ``system=urn:ietf:rfc:3986`` + ``urn:oid:X`` -> ``X``; ``urn:uuid:`` values stay as they
    are; ``system=urn:oid:R`` + ``E`` -> ``R^E``. Empty when absent.
    """
    if not identifier:
        return ""
    system = str(identifier.get("system", ""))
    value = str(identifier.get("value", ""))
    if system.startswith(OID_PREFIX) and value:
        return f"{system[len(OID_PREFIX) :]}^{value}"
    if value.startswith(OID_PREFIX):
        return value[len(OID_PREFIX) :]
    return value


def unique_identifier(unique_id: str) -> JsonDict:
    """MHD UniqueIdIdentifier (``use=usual``) for an XDS uniqueId (Appendix Z.9.1.1)."""
    if "^" in unique_id:
        root, extension = unique_id.split("^", 1)
        return {"use": "usual", "system": OID_PREFIX + root, "value": extension}
    value = unique_id if unique_id.startswith("urn:") else OID_PREFIX + unique_id
    return {"use": "usual", "system": RFC3986, "value": value}


def entry_identifier(entry_uuid: str) -> JsonDict:
    """The ``use=official`` Identifier that carries an entryUUID (MHD EntryUUIDIdentifier)."""
    return {"use": "official", "system": RFC3986, "value": entry_uuid}


def resource_id(entry_uuid: str) -> str:
    """The FHIR id of a registry object: its entryUUID without ``urn:uuid:``."""
    return entry_uuid.removeprefix(UUID_PREFIX)


def entry_uuid_of(resource_id_: str) -> str:
    """The entryUUID for a FHIR id made by :func:`resource_id`."""
    return UUID_PREFIX + resource_id_.lower()


def hex_hash(fhir_hash: str) -> str | None:
    """XDS hex SHA-1 from FHIR base64 ``Attachment.hash``; None when it is not a SHA-1."""
    try:
        raw = base64.b64decode(fhir_hash, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 20 else None


def base64_hash(xds_hash: str) -> str:
    """FHIR base64 ``Attachment.hash`` from an XDS hex SHA-1."""
    return base64.b64encode(bytes.fromhex(xds_hash)).decode()
