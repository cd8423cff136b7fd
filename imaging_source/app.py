"""Flask app of the imaging source: collects the HTTP route modules (DICOMweb, WADO-URI,
RAD-69, study publication API) on one blueprint sharing one :class:`ImagingContext`.

A route module exposes ``register(bp, ctx)``; add it to :data:`ROUTE_MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from flask import Blueprint

from imaging_source import rad69, wado_uri
from imaging_source.context import build_context
from imaging_source.dicomweb import routes as dicomweb_routes
from imaging_source.publish import routes as publish_routes
from xds_common.settings import Settings

#: Route modules, each with ``register(bp: Blueprint, ctx: ImagingContext) -> None``.
ROUTE_MODULES: tuple[ModuleType, ...] = (rad69, dicomweb_routes, publish_routes, wado_uri)


def blueprint(settings: Settings) -> Blueprint:
    """Routes of the imaging source."""
    bp = Blueprint("imaging_source", __name__)
    ctx = build_context(settings)
    for module in ROUTE_MODULES:
        module.register(bp, ctx)
    return bp
