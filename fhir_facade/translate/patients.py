"""Patient references <-> XDS patient ids (CX ``ID^^^&OID&ISO``), MHD 4.2.3 3.65.4.1.3 step 4.

XDS on FHIR needs the affinity-domain patient id of every ``subject``. The facade is its
own Patient server for the affinity domain: the id of the Patient resource for CX
``ID^^^&OID&ISO`` is ``OID-ID`` (FHIR ids allow ``[A-Za-z0-9.-]{1,64}``; an OID has no
``-``, so the first ``-`` separates them). A reference resolves when it is
``Patient/<id>`` or ``<our base>/Patient/<id>``, or when it carries a logical
``identifier`` with an ``urn:oid:`` system (FHIR R4 references.html#logical). Search tokens
``patient.identifier=urn:oid:OID|ID`` use the same rule.
"""

from __future__ import annotations

import re
from typing import Final

from fhir_facade.translate.values import OID_PREFIX, JsonDict
from xds_common.datatypes import Cx, is_oid, parse_cx

_ID: Final = re.compile(r"^[A-Za-z0-9.\-]{1,64}$")


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
    """The CX for a ``patient.identifier`` token ``urn:oid:OID|ID`` (or a CX itself)."""
    system, sep, value = token.partition("|")
    if not sep:
        return str(cx) if (cx := parse_cx(token)) else None
    authority = system.removeprefix(OID_PREFIX)
    if not value or not is_oid(authority):
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
    return {"identifier": {"system": OID_PREFIX + cx.authority, "value": cx.id}}
