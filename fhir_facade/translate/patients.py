"""Patient references <-> XDS patient ids (CX ``ID^^^&OID&ISO``), MHD 4.2.3 3.65.4.1.3 step 4.

XDS on FHIR needs the affinity-domain patient id of every ``subject``. The facade is its
own Patient server for the affinity domain: the id of the Patient resource for CX
``ID^^^&OID&ISO`` is ``OID-ID`` (FHIR ids allow ``[A-Za-z0-9.-]{1,64}``; an OID has no
``-``, so the first ``-`` separates them). A reference resolves when it is
``Patient/<id>`` or ``<our base>/Patient/<id>``, or when it carries a logical
``identifier`` whose system stands for an assigning authority (FHIR R4
references.html#logical). Search tokens ``patient.identifier=SYSTEM|ID`` use the same rule.

Identifier systems <-> assigning authorities (PID-3.4 / CX.4 ``&OID&ISO``), the one mapping
the facade uses (Patient, its ITI-8 feed, MHD and ImagingStudy searches): the Dutch BSN
NamingSystem ``http://fhir.nl/fhir/NamingSystem/bsn`` is OID 2.16.840.1.113883.2.4.6.3
(Nictiz NamingSystem bsn), ``urn:oid:<oid>`` is ``<oid>`` (FHIR R4 identifier-registry).
"""

from __future__ import annotations

import re
from typing import Final

from fhir_facade.translate.values import OID_PREFIX, JsonDict
from profiles.namespaces import BSN_SYSTEM
from profiles.vocabulary import BSN_ASSIGNING_AUTHORITY
from xds_common.datatypes import Cx, is_oid, parse_cx

__all__ = [
    "BSN_SYSTEM",
    "authority_of",
    "canonical_system",
    "cx_of_reference",
    "cx_of_resource_id",
    "cx_of_token",
    "identifier_system",
    "patient_reference",
    "patient_resource_id",
]

_ID: Final = re.compile(r"^[A-Za-z0-9.\-]{1,64}$")


def authority_of(system: str) -> str | None:
    """The assigning authority OID a FHIR identifier system stands for, or None."""
    if system == BSN_SYSTEM:
        return BSN_ASSIGNING_AUTHORITY
    if system.startswith(OID_PREFIX) and is_oid(system[len(OID_PREFIX) :]):
        return system[len(OID_PREFIX) :]
    return None


def canonical_system(system: str) -> str:
    """The stored form of a system: ``urn:oid:<oid>`` for every OID-backed system."""
    authority = authority_of(system)
    return OID_PREFIX + authority if authority else system


def identifier_system(authority: str) -> str:
    """The FHIR system to show for an assigning authority (BSN NamingSystem for BSN)."""
    return BSN_SYSTEM if authority == BSN_ASSIGNING_AUTHORITY else OID_PREFIX + authority


def patient_resource_id(patient_id: str) -> str | None:
    """The Patient resource id for a CX, or None when its ID has characters ids forbid."""
    cx = parse_cx(patient_id)
    if cx is None:
        return None
    found = f"{cx.authority}-{cx.id}"
    return found if _ID.match(found) else None


def cx_of_resource_id(resource_id: str) -> str | None:
    """The CX for a Patient resource id made by :func:`patient_resource_id`, or None."""
    authority, sep, value = resource_id.partition("-")
    if not sep or not value or not is_oid(authority) or not _ID.match(resource_id):
        return None
    return str(Cx(value, authority))


def cx_of_token(token: str) -> str | None:
    """The CX for a ``patient.identifier`` token ``SYSTEM|ID`` (or a CX itself).

    ``SYSTEM`` is ``urn:oid:OID`` or the BSN NamingSystem (:func:`authority_of`); FHIR R4
    search.html#token. Any other system, or no value, is None.
    """
    system, sep, value = token.partition("|")
    if not sep:
        return str(cx) if (cx := parse_cx(token)) else None
    authority = authority_of(system)
    if not value or authority is None:
        return None
    return str(Cx(value, authority))


def cx_of_reference(reference: JsonDict, fhir_base: str) -> str | None:
    """The CX a Patient Reference points at, or None when it cannot be resolved here.

    ``fhir_base`` is our FHIR base URL (``https://host/fhir``); absolute references to
    other servers are not ours to resolve (MHD 4.2.3 Bad_Patient_Link).
    """
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        token = f"{identifier.get('system', '')}|{identifier['value']}"
        return cx_of_token(token)
    text = str(reference.get("reference") or "")
    if text.startswith(fhir_base.rstrip("/") + "/"):
        text = text[len(fhir_base.rstrip("/")) + 1 :]
    kind, sep, rest = text.partition("/")
    if kind != "Patient" or not sep:
        return None
    return cx_of_resource_id(rest.split("/_history/", 1)[0])


def patient_reference(patient_id: str, fhir_base: str) -> JsonDict:
    """A Reference for a CX: literal when it has a resource id, logical otherwise."""
    resource_id = patient_resource_id(patient_id)
    if resource_id is not None:
        return {"reference": f"{fhir_base.rstrip('/')}/Patient/{resource_id}"}
    cx = parse_cx(patient_id)
    if cx is None:
        return {"display": patient_id}
    return {"identifier": {"system": identifier_system(cx.authority), "value": cx.id}}
