"""Bring the imaging source's schema up to date (see ``xds_common.migrations``)."""

from __future__ import annotations

from xds_common import migrations


def upgrade(database_url: str) -> None:
    """Run every pending imaging source migration against ``database_url``."""
    migrations.upgrade(database_url, "imaging_source:migrations")
