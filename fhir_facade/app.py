"""Flask app of the FHIR facade at ``/fhir``: collects the resource modules' routes and
their ``SUPPORT`` declarations (the CapabilityStatement is built from them).

A resource module exposes ``SUPPORT`` (:class:`~fhir_facade.capability.ResourceSupport`) and
``register(bp, settings)`` that adds its routes to the blueprint. Add modules to
:data:`RESOURCE_MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from flask import Blueprint

from xds_common.settings import Settings

ENDPOINT = "/fhir"

#: Resource modules, each with ``SUPPORT`` and ``register(bp, settings)``.
RESOURCE_MODULES: tuple[ModuleType, ...] = ()


def blueprint(settings: Settings) -> Blueprint:
    """Routes of the FHIR facade."""
    bp = Blueprint("fhir_facade", __name__, url_prefix=ENDPOINT)
    for module in RESOURCE_MODULES:
        module.register(bp, settings)
    return bp
