"""What each FHIR resource module supports, declared once and turned into the
CapabilityStatement (FHIR R4 capabilitystatement.html) served at ``/fhir/metadata``.

Each resource module of the facade exposes ``SUPPORT: ResourceSupport``; the app collects them,
so the CapabilityStatement states exactly what the routes implement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchParam:
    """One search parameter (CapabilityStatement.rest.resource.searchParam)."""

    name: str
    type: str  # R4 search-param-type: token, reference, date, string, uri, ...
    documentation: str = ""


@dataclass(frozen=True)
class ResourceSupport:
    """One CapabilityStatement.rest.resource entry."""

    type: str
    #: Interaction codes (R4 type-restful-interaction): read, search-type, create, update, ...
    interactions: tuple[str, ...]
    search_params: tuple[SearchParam, ...] = ()
    profiles: tuple[str, ...] = ()
    documentation: str = ""


@dataclass(frozen=True)
class SystemSupport:
    """A system-level interaction (e.g. ``transaction`` for ITI-65)."""

    code: str
    documentation: str = ""


#: CapabilityStatements of the MHD actors the facade implements (MHD 4.2.3 artifacts).
INSTANTIATES = (
    "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentRecipient",
    "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentResponder",
)
FORMATS = ("application/fhir+json", "application/fhir+xml")


def _resource(support: ResourceSupport) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": support.type,
        "interaction": [{"code": code} for code in support.interactions],
    }
    if support.profiles:
        found["supportedProfile"] = list(support.profiles)
    if support.documentation:
        found["documentation"] = support.documentation
    if support.search_params:
        found["searchParam"] = [
            {"name": p.name, "type": p.type, **({"documentation": p.documentation}
                                                 if p.documentation else {})}
            for p in support.search_params
        ]  # fmt: skip
    return found


def capability_statement(
    resources: Sequence[ResourceSupport],
    system: Sequence[SystemSupport],
    base_url: str,
    software_version: str,
    date: str,
) -> dict[str, Any]:
    """The CapabilityStatement (FHIR R4 capabilitystatement.html, kind ``instance``) stating
    exactly the declared resources and system interactions, in FHIR JSON form."""
    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": "MHD 4.2.3 Document Recipient and Responder over XDS.b (ITI-18/41/43).",
        "resource": [_resource(r) for r in sorted(resources, key=lambda r: r.type)],
    }
    if system:
        rest["interaction"] = [
            {"code": s.code, **({"documentation": s.documentation} if s.documentation else {})}
            for s in system
        ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "Beeldportaal",
        "kind": "instance",
        "instantiates": list(INSTANTIATES),
        "software": {"name": "Beeldportaal", "version": software_version},
        "implementation": {"description": "Beeldportaal FHIR R4 facade", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": list(FORMATS),
        "rest": [rest],
    }
