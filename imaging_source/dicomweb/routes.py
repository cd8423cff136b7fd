"""All DICOMweb routes at ``/dicomweb`` (PS3.18 chapter 10), as one route module."""

from __future__ import annotations

from flask import Blueprint

from imaging_source.context import ImagingContext
from imaging_source.dicomweb import pixel_routes, qido_routes, stow_routes, wado_routes


def register(bp: Blueprint, ctx: ImagingContext) -> None:
    """Add QIDO-RS, WADO-RS and STOW-RS to ``bp``."""
    for module in (qido_routes, wado_routes, pixel_routes, stow_routes):
        module.register(bp, ctx)
