"""What each FHIR resource module supports, declared once and turned into the
CapabilityStatement (FHIR R4 capabilitystatement.html) served at ``/fhir/metadata``.

Each resource module of the facade exposes ``SUPPORT: ResourceSupport``; the app collects them,
so the CapabilityStatement states exactly what the routes implement.
"""

from __future__ import annotations

from dataclasses import dataclass


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
