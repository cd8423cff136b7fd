"""Authors, authenticators and source patients: FHIR contained resources <-> XDS HL7 v2 types.

MHD 4.2.3 32_fhir_maps: DocumentReference.author / List.source -> author (authorPerson XCN
from a Practitioner, authorInstitution XON from an Organization, authorRole /
authorSpecialty from a PractitionerRole); authenticator -> legalAuthenticator (XCN);
context.sourcePatientInfo (contained Patient) -> sourcePatientId (CX) and sourcePatientInfo
(PID-3, PID-5, PID-7, PID-8; ITI TF-3 4.2.3.2.23).
"""

from __future__ import annotations

from fhir_facade.translate.values import OID_PREFIX, RFC3986, JsonDict, code_of
from xds_common.datatypes import Cx, is_oid, parse_cx
from xds_common.metadata import Author

_GENDER = {"male": "M", "female": "F", "other": "O", "unknown": "U"}
_GENDER_BACK = {v: k for k, v in _GENDER.items()}


def contained(resource: JsonDict, reference: JsonDict | None) -> JsonDict | None:
    """The contained resource a ``#id`` Reference points at, or None."""
    ref = str((reference or {}).get("reference") or "")
    if not ref.startswith("#"):
        return None
    return next((c for c in resource.get("contained") or [] if c.get("id") == ref[1:]), None)


def _oid_identifier(resource: JsonDict) -> tuple[str, str]:
    for identifier in resource.get("identifier") or []:
        system = str(identifier.get("system", ""))
        if system.startswith(OID_PREFIX) and identifier.get("value"):
            return str(identifier["value"]), system[len(OID_PREFIX) :]
    return "", ""


def xcn(practitioner: JsonDict) -> str:
    """XCN ``id^family^given^^^prefix^^^&oid&ISO`` of a Practitioner (TF-3 Table 4.2.3.1.7-2)."""
    name = (practitioner.get("name") or [{}])[0]
    given = (name.get("given") or [""])[0]
    prefix = (name.get("prefix") or [""])[0]
    value, oid = _oid_identifier(practitioner)
    authority = f"&{oid}&ISO" if oid else ""
    text = f"{value}^{name.get('family', '')}^{given}^^^{prefix}^^^{authority}"
    return text.rstrip("^")


def xon(organization: JsonDict) -> str:
    """XON ``name^^^^^^^^^oid`` of an Organization."""
    values = [str(i.get("value", "")).removeprefix(OID_PREFIX)
              for i in organization.get("identifier") or []]  # fmt: skip
    identifier = next((v for v in values if is_oid(v)), "")
    name = str(organization.get("name", ""))
    return f"{name}^^^^^^^^^{identifier}" if identifier else name


def author_of(owner: JsonDict, reference: JsonDict) -> Author | None:
    """The XDS author for one author Reference (contained resources only)."""
    found = contained(owner, reference)
    if found is None:
        return None
    match found.get("resourceType"):
        case "Practitioner":
            return Author(person=xcn(found))
        case "Organization":
            return Author(institutions=(xon(found),))
        case "PractitionerRole":
            person = contained(owner, found.get("practitioner"))
            org = contained(owner, found.get("organization"))
            roles = tuple(c.key for c in (code_of(x) for x in found.get("code") or []) if c)
            specs = tuple(c.key for c in (code_of(x) for x in found.get("specialty") or []) if c)
            return Author(
                person=xcn(person) if person else "",
                institutions=(xon(org),) if org else (),
                roles=roles,
                specialties=specs,
            )
    return None


def source_patient(patient: JsonDict) -> tuple[str, list[str]]:
    """sourcePatientId (CX) and sourcePatientInfo (PID lines) of a contained Patient."""
    value, oid = _oid_identifier(patient)
    cx = str(Cx(value, oid)) if value and is_oid(oid) else ""
    info = [f"PID-3|{cx}"] if cx else []
    for name in patient.get("name") or []:
        given = "^".join(name.get("given") or [])
        info.append(f"PID-5|{name.get('family', '')}^{given}".rstrip("^"))
    if patient.get("birthDate"):
        info.append("PID-7|" + str(patient["birthDate"]).replace("-", ""))
    if patient.get("gender") in _GENDER:
        info.append("PID-8|" + _GENDER[patient["gender"]])
    return cx, info


def practitioner_of(value: str, resource_id: str) -> JsonDict:
    """A contained Practitioner for an XCN."""
    parts = (value.split("^") + [""] * 10)[:10]
    found: JsonDict = {"resourceType": "Practitioner", "id": resource_id}
    name: JsonDict = {}
    if parts[1]:
        name["family"] = parts[1]
    if parts[2]:
        name["given"] = [parts[2]]
    if parts[5]:
        name["prefix"] = [parts[5]]
    if name:
        found["name"] = [name]
    authority = parts[8].split("&")
    if parts[0]:
        identifier: JsonDict = {"value": parts[0]}
        if len(authority) > 1 and is_oid(authority[1]):
            identifier["system"] = OID_PREFIX + authority[1]
        found["identifier"] = [identifier]
    return found


def organization_of(value: str, resource_id: str) -> JsonDict:
    """A contained Organization for an XON."""
    parts = value.split("^")
    found: JsonDict = {"resourceType": "Organization", "id": resource_id, "name": parts[0]}
    if len(parts) >= 10 and is_oid(parts[9]):
        found["identifier"] = [{"system": RFC3986, "value": OID_PREFIX + parts[9]}]
    return found


def patient_of(source_patient_id: str, info: list[str], resource_id: str) -> JsonDict:
    """A contained Patient from sourcePatientId and sourcePatientInfo."""
    found: JsonDict = {"resourceType": "Patient", "id": resource_id}
    cx = parse_cx(source_patient_id)
    if cx is not None:
        found["identifier"] = [{"system": OID_PREFIX + cx.authority, "value": cx.id}]
    for line in info:
        field, _, value = line.partition("|")
        if field == "PID-5" and value:
            family, _, given = value.partition("^")
            name: JsonDict = {"family": family} if family else {}
            if given.strip("^"):
                name["given"] = [g for g in given.split("^") if g]
            if name:
                found.setdefault("name", []).append(name)
        elif field == "PID-7" and len(value) >= 8:
            found["birthDate"] = f"{value[0:4]}-{value[4:6]}-{value[6:8]}"
        elif field == "PID-8" and value in _GENDER_BACK:
            found["gender"] = _GENDER_BACK[value]
    return found
