"""Bring the FHIR facade's schema up to date (see ``xds_common.migrations``)."""

from __future__ import annotations

from xds_common import migrations


def upgrade(database_url: str) -> None:
    """Run every pending FHIR facade migration against ``database_url``."""
    migrations.upgrade(database_url, "fhir_facade:migrations")
