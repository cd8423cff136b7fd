"""Bring the registry schema up to date with Alembic (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config


def upgrade(database_url: str) -> None:
    """Run every pending registry migration against ``database_url``."""
    config = Config()
    config.set_main_option("script_location", "xds_registry:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
